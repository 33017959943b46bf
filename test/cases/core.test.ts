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
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
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
  });
});
