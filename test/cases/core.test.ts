/** The case rules: the transition table, who may act through which channel, and the PIPL rule in TypeScript and SQL agreeing on every state. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agencyMaySee,
  agencyMaySeeSql,
  canMove,
  CASE_STATUSES,
  CLOSED_STATUSES,
  isOpen,
  mayAct,
  mayGiveFeedback,
  OPEN_STATUSES,
  referralReason,
  statusIn,
  WITH_AGENCY,
  type CaseStatus,
} from '../../src/cases/core.js';
import { Outbox } from '../../src/queue/outbox.js';
import { caseHolder, heldBy, listCases } from '../../src/store/console-cases.js';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import { registryOf, testCases } from '../escalation/fixtures.js';
import { storeTargets, targetTitle } from '../store/targets.js';

describe('case states', () => {
  it('splits every state into open or closed, and closed states never move', () => {
    expect([...OPEN_STATUSES, ...CLOSED_STATUSES].sort()).toEqual([...CASE_STATUSES].sort());
    for (const from of CLOSED_STATUSES) for (const to of CASE_STATUSES) expect(canMove(from, to)).toBe(false);
    for (const s of WITH_AGENCY) expect(isOpen(s)).toBe(true);
  });
});

describe('who may act on a case', () => {
  it('the same user through the channel the question came from; the web chat and the API count as one', () => {
    expect(mayAct({ channel: 'telegram', userId: '42' }, { channel: 'telegram', userId: '42' })).toBe(true);
    expect(mayAct({ channel: 'telegram', userId: '42' }, { channel: 'api', userId: '42' })).toBe(false);
    expect(mayAct({ channel: 'feishu', userId: 'ou_1' }, { channel: 'web', userId: 'ou_1' })).toBe(false);
    expect(mayAct({ channel: 'telegram', userId: '42' }, { channel: 'feishu', userId: '42' })).toBe(false);
    expect(mayAct({ channel: 'web', userId: 'secret' }, { channel: 'api', userId: 'secret' })).toBe(true);
    expect(mayAct({ channel: 'web', userId: 'secret' }, { channel: 'telegram', userId: 'secret' })).toBe(false);
    expect(mayAct({ channel: 'web', userId: 'secret' }, { channel: 'web', userId: 'other' })).toBe(false);
  });

  it('takes feedback over HTTP from the asker only, in a chat from anyone in it', () => {
    expect(mayGiveFeedback({ channel: 'web', userId: 'secret' }, { channel: 'api', userId: 'other' })).toBe(false);
    expect(mayGiveFeedback({ channel: 'telegram', userId: '42' }, { channel: 'telegram', userId: '43' })).toBe(true);
    expect(mayGiveFeedback({ channel: 'telegram', userId: '42' }, { channel: 'api', userId: '42' })).toBe(false);
  });

  it('gives the referral the reason its answer called for', () => {
    expect(referralReason('not_covered')).toBe('not_covered');
    expect(referralReason('escalation_offered')).toBe('professional_service');
    expect(referralReason('answered')).toBe('requested');
  });
});

describe.each(storeTargets())('what an agency may see, in SQL on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), () => {
    let handle: DatabaseHandle;
    beforeAll(async () => {
      await target.setup();
      handle = await target.fresh();
    }, 60_000);
    afterAll(async () => {
      await handle?.close();
      await target.teardown();
    }, 60_000);

    it('agrees with agencyMaySee on every state, for the agency holding the case, another one, and none', async () => {
      const agencies = ['mine', 'other', null];
      const values = sql.join(
        CASE_STATUSES.flatMap((s) => agencies.map((a) => sql`(${s}::text, ${a}::text)`)),
        sql`, `,
      );
      const rows = await queryRows<{ status: CaseStatus; agency: string | null; sees: boolean; open: boolean }>(
        handle.db,
        sql`select v.status, v.agency, coalesce(${agencyMaySeeSql({ agencyId: sql`v.agency`, status: sql`v.status` }, 'mine')}, false) as sees,
                   ${statusIn(sql`v.status`, OPEN_STATUSES)} as open
            from (values ${values}) as v(status, agency)`,
      );
      expect(rows).toHaveLength(CASE_STATUSES.length * agencies.length);
      for (const r of rows) {
        expect({ ...r, sees: Boolean(r.sees) }).toEqual({ ...r, sees: agencyMaySee({ agencyId: r.agency, status: r.status }, 'mine') });
        expect(Boolean(r.open)).toBe(isOpen(r.status));
      }
      expect(rows.filter((r) => r.sees).map((r) => r.status).sort()).toEqual(['accepted', 'answered', 'completed', 'requested']);
    });

    it('every query an agency reads through shows it exactly the cases the rule allows, in every state', async () => {
      const cases = await testCases(handle.db, new Outbox(handle.db), { registry: registryOf([{ id: 'mine', name: '本所' }, { id: 'other', name: '他所' }]) });
      const ids = new Map<string, { status: CaseStatus; agencyId: string }>();
      for (const status of CASE_STATUSES) {
        for (const agencyId of ['mine', 'other']) {
          // A case the agency received (consent named it), now in `status`, with it or with another one.
          const [row] = await queryRows<{ id: string }>(
            handle.db,
            sql`insert into cases (channel, bot_id, user_id, conversation_id, status, reason, agency_id, question)
                values ('web', '', ${`u-${status}-${agencyId}`}, 'c', ${status}, 'requested', ${agencyId}, ${`问题 ${status} ${agencyId}`}) returning id`,
          );
          await handle.db.execute(sql`insert into case_consents (case_id, agency_id, notice_version, notice_hash, notice_text, data, decision)
                                      values (${row!.id}, 'mine', 'v', 'h', 't', '{question}', 'given')`);
          ids.set(row!.id, { status, agencyId });
        }
      }
      const held = new Set((await listCases(handle.db, { receivedBy: 'mine', held: true }, { limit: 200 })).rows.map((r) => r.id));
      const past = new Set((await listCases(handle.db, { receivedBy: 'mine', held: false }, { limit: 200 })).rows.map((r) => r.id));
      const board = new Map((await listCases(handle.db, { receivedBy: 'mine' }, { limit: 200 })).rows.map((r) => [r.id, r.question]));
      for (const [id, c] of ids) {
        const may = agencyMaySee(c, 'mine');
        const what = `${c.status} with ${c.agencyId}`;
        expect(held.has(id), what).toBe(may);
        expect(past.has(id), what).toBe(!may);
        expect(board.get(id) !== null, what).toBe(may); // the question only where it may be seen
        expect(heldBy((await caseHolder(handle.db, id))!, 'mine'), what).toBe(may);
        expect((await cases.forAgency(id, 'mine')) !== undefined, what).toBe(may);
      }
    });
  });
});
