/**
 * The send limiter shared by every instance on one database (table `send_windows`). A reservation is one
 * statement, an upsert that takes the key's row lock, appends the next free slot to the key's last `limit`
 * slots and returns how long until it begins:
 *   slot = now                                      while fewer than `limit` slots are recorded,
 *        = max(now, limit-th last slot + window)    after that (the sliding window);
 * so two instances reserving at once are serialised by the row lock and can never take the same slot. Time
 * is the database's `clock_timestamp()`, read after the lock is held: instances whose clocks disagree still
 * agree on the slots, and a reservation that waited for the lock is not dated before the wait.
 *
 * Why not a library: rate-limiter-flexible (the usual choice, with Postgres and drizzle stores) counts fixed
 * windows, which lets twice the limit through across a window boundary, and answers "no" rather than
 * handing out a future slot, which would mean polling the database until a send may go.
 */
import { sql } from 'drizzle-orm';
import type { SendLimiter } from '../queue/send-limits.js';
import type { SendLimit } from '../types.js';
import { queryRows, type Database } from './db.js';

const NOW_MS = sql`extract(epoch from clock_timestamp()) * 1000`;

export class SharedSendLimiter implements SendLimiter {
  constructor(private readonly db: Database) {}

  async reserve(limit: SendLimit): Promise<number> {
    return (await this.reserveSlot(limit)).waitMs;
  }

  /** The slot reserved (ms since the epoch, database clock) and the wait until it begins. */
  async reserveSlot({ key, limit, windowMs }: SendLimit): Promise<{ slotMs: number; waitMs: number }> {
    const [row] = await queryRows<{ slot_ms: number | string; wait_ms: number | string }>(
      this.db,
      sql`insert into send_windows as w (key, slots_ms) values (${key}, array[(${NOW_MS})::float8])
          on conflict (key) do update set slots_ms = (
            select (w.slots_ms || s.slot)[greatest(1, cardinality(w.slots_ms) + 2 - ${limit}::int):]
            from (select case when cardinality(w.slots_ms) < ${limit}::int then n.t
                              else greatest(n.t, w.slots_ms[cardinality(w.slots_ms) - ${limit}::int + 1] + ${windowMs}::float8) end as slot
                  from (select (${NOW_MS})::float8 as t) n) s)
          returning w.slots_ms[cardinality(w.slots_ms)] as slot_ms, w.slots_ms[cardinality(w.slots_ms)] - (${NOW_MS})::float8 as wait_ms`,
    );
    if (!row) throw new Error(`no slot reserved for ${key}`);
    return { slotMs: Number(row.slot_ms), waitMs: Math.max(0, Number(row.wait_ms)) };
  }

  /** Forgets keys idle for longer than `idleMs` (chats that went quiet); their windows are long over. */
  async prune(idleMs = 60_000): Promise<number> {
    const rows = await queryRows(this.db, sql`delete from send_windows where slots_ms[cardinality(slots_ms)] < (${NOW_MS})::float8 - ${idleMs}::float8 returning key`);
    return rows.length;
  }
}
