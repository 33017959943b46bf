/**
 * The send limiter shared through the database, on PGlite and on Postgres: a sliding window per key,
 * slots never shared out twice when reservations race on several connections, idle keys forgotten, and a
 * limiter that cannot reach its database leaves the reply in the outbox for a later attempt.
 */
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/queue/outbox.js';
import { deliverOne } from '../../src/queue/sender.js';
import { openDatabase, queryRows } from '../../src/store/db.js';
import { SharedSendLimiter } from '../../src/store/send-windows.js';
import type { Deliverer, OutgoingReply } from '../../src/types.js';
import { sql } from 'drizzle-orm';
import { freshDatabasePerTest, storeTargets, targetTitle } from './targets.js';

describe.each(storeTargets())('shared send limiter on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 60_000 }, () => {
    const database = freshDatabasePerTest(target);

    it('lets `limit` sends into a window and gives the next ones the slots a window later', async () => {
      const limiter = new SharedSendLimiter(database().db);
      const limit = { key: 'feishu:chat:oc_1', limit: 2, windowMs: 1_000 };
      const slots = [];
      for (let i = 0; i < 4; i++) slots.push(await limiter.reserveSlot(limit));
      expect(slots[1]!.slotMs - slots[0]!.slotMs).toBeLessThan(500); // both free at once
      expect(slots[2]!.slotMs - slots[0]!.slotMs).toBe(1_000);
      expect(slots[3]!.slotMs - slots[1]!.slotMs).toBe(1_000);
      expect(slots[0]!.waitMs).toBe(0);
      expect(slots[3]!.waitMs).toBeGreaterThan(0);
      expect((await limiter.reserveSlot({ ...limit, key: 'feishu:chat:oc_2' })).waitMs).toBe(0); // another key is not held back
      const [row] = await queryRows<{ n: number | string }>(database().db, sql`select cardinality(slots_ms) as n from send_windows where key = 'feishu:chat:oc_1'`);
      expect(Number(row!.n)).toBe(2); // only the last `limit` slots are kept
    });

    it('hands out no slot twice when reservations race: any `limit` consecutive slots span a whole window', async () => {
      const limiter = new SharedSendLimiter(database().db);
      const limit = { key: 'feishu:app:cli_1', limit: 5, windowMs: 1_000 };
      const slots = (await Promise.all(Array.from({ length: 20 }, () => limiter.reserveSlot(limit)))).map((s) => s.slotMs).sort((a, b) => a - b);
      for (let i = limit.limit; i < slots.length; i++) expect(slots[i]! - slots[i - limit.limit]!).toBeGreaterThanOrEqual(limit.windowMs);
    });

    it('forgets keys whose last slot is long past, and keeps the others', async () => {
      const limiter = new SharedSendLimiter(database().db);
      await limiter.reserve({ key: 'old', limit: 5, windowMs: 1_000 });
      await queryRows(database().db, sql`update send_windows set slots_ms = array[slots_ms[1] - 120000] where key = 'old'`);
      await limiter.reserve({ key: 'recent', limit: 5, windowMs: 1_000 });
      expect(await limiter.prune(60_000)).toBe(1);
      expect((await queryRows<{ key: string }>(database().db, sql`select key from send_windows`)).map((r) => r.key)).toEqual(['recent']);
    });

    it('a limiter whose database fails leaves the reply in the outbox, unsent, for a later attempt', async () => {
      const outbox = new Outbox(database().db);
      await outbox.enqueueIn(database().db, { source: 'test:1', channel: 'feishu', botId: 'cli_1', chatId: 'oc_1', payload: { kind: 'notice', text: '您好' } });
      const [reply] = await outbox.claim(['feishu'], 1, 60_000);
      const sent: OutgoingReply[] = [];
      const deliverer: Deliverer = { channel: 'feishu', send: async (r) => void sent.push(r), sendLimits: () => [{ key: 'feishu:app:cli_1', limit: 5, windowMs: 1_000 }] };
      // A limiter over a database that has gone away: every reservation throws.
      const unreachable = target.name === 'pglite' ? await openDatabase({}) : await target.fresh();
      await unreachable.close();
      const errors: unknown[] = [];
      const deps = { outbox, deliverers: [deliverer], limiter: new SharedSendLimiter(unreachable.db), onError: (e: unknown) => errors.push(e) };
      expect(await deliverOne(deps, new Map([['feishu', deliverer]]), reply!)).toBe('retry');
      expect(sent).toEqual([]);
      expect(String(errors[0])).toMatch(/send limiter unavailable/);
      const [row] = await queryRows<{ status: string; last_error: string }>(database().db, sql`select status, last_error from outbox`);
      expect(row).toEqual({ status: 'pending', last_error: expect.stringMatching(/send limiter unavailable/) });
    });
  });
});
