/**
 * A claim must stay cheap however long the queue grows. On a table the planner knows nothing about (a new
 * Postgres database before autovacuum's first ANALYZE; PGlite until the service's vacuum timer runs) an
 * earlier NOT EXISTS form became a join comparing every open row with every other: 0.4 s per claim at
 * 1,200 open rows; the scalar-subquery form then ran its subquery on every open row and sorted them, until
 * the claim's transaction ruled sorting out (CLAIM_PLAN). Measured here in pages read (EXPLAIN BUFFERS),
 * which does not depend on machine speed, under the setting the claim runs with.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { INBOX_LEASE } from '../../src/queue/inbox.js';
import { CLAIM_PLAN, leaseQuery } from '../../src/queue/lease.js';
import { deliverableBy, OUTBOX_LEASE } from '../../src/queue/outbox.js';
import { vacuumQueues } from '../../src/queue/purge.js';
import { queryRows } from '../../src/store/db.js';
import { freshDatabasePerTest, storeTargets, targetTitle } from '../store/targets.js';

const OPEN = 3_000;
const CHATS = 300;
/** Pages one claim of 8 may read with statistics; walking every open row takes thousands. */
const PAGE_BUDGET = 300;
/** Without statistics: still a few hundred pages (the outbox's subquery walks its channel's head). */
const NO_STATISTICS_BUDGET = 1_000;
/** Walking every open row, as the planner did on the inbox without statistics before CLAIM_PLAN: three pages each. */
const EVERY_OPEN_ROW = 3 * OPEN;

describe.each(storeTargets())('claim cost on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 120_000 }, () => {
    const database = freshDatabasePerTest(target);

    /** Pages the statement reads, from EXPLAIN (ANALYZE, BUFFERS), in a transaction that is rolled back. */
    async function pagesRead(statement: ReturnType<typeof leaseQuery>, settings = CLAIM_PLAN): Promise<number> {
      let pages = NaN;
      await database().db
        .transaction(async (tx) => {
          await tx.execute(settings);
          const [row] = await queryRows<{ 'QUERY PLAN': unknown }>(tx, sql`explain (analyze, buffers, format json) ${statement}`);
          const raw = row!['QUERY PLAN'];
          const [plan] = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: Record<string, number> }[];
          pages = plan!.Plan['Shared Hit Blocks']! + plan!.Plan['Shared Read Blocks']!;
          tx.rollback();
        })
        .catch((error: unknown) => {
          if (!(error instanceof Error && error.message.includes('Rollback'))) throw error;
        });
      return pages;
    }

    /** Fills a table like a burst leaves it: old rows finished, then thousands open in a few hundred chats. */
    const fill = {
      outbox: sql`insert into outbox (source, channel, bot_id, chat_id, payload, status)
        select 'row:' || g, 'feishu', 'bot', 'chat-' || (g % ${CHATS}), '{"text":"a","citations":[]}'::jsonb, case when g <= 1000 then 'sent' else 'pending' end
        from generate_series(1, ${OPEN + 1000}) g`,
      inbox: sql`insert into inbox (channel, bot_id, event_id, chat_id, user_id, conversation_id, text, status)
        select 'feishu', 'bot', 'ev-' || g, 'chat-' || (g % ${CHATS}), 'user', 'conv', 'q', case when g <= 1000 then 'done' else 'queued' end
        from generate_series(1, ${OPEN + 1000}) g`,
    };
    const claims = {
      outbox: () => leaseQuery(OUTBOX_LEASE, deliverableBy(['feishu']), 8, 30_000),
      inbox: () => leaseQuery(INBOX_LEASE, sql`true`, 8, 60_000),
    };

    for (const table of ['outbox', 'inbox'] as const) {
      it(`leases from a long ${table} in a few pages, with statistics and without`, async () => {
        await database().db.execute(fill[table]);
        expect(await pagesRead(claims[table]())).toBeLessThan(NO_STATISTICS_BUDGET);
        // For contrast, the planner's own choice on the inbox: every open row. (The outbox's index leads
        // with the channel, and its plan was ordered already.)
        if (table === 'inbox') expect(await pagesRead(claims[table](), sql`select 1`)).toBeGreaterThan(EVERY_OPEN_ROW / 2);
        await vacuumQueues(database().db); // what autovacuum does on Postgres, and the service's timer on PGlite
        expect(await pagesRead(claims[table]())).toBeLessThan(PAGE_BUDGET);
      });
    }
  });
});
