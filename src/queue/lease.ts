import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Database } from '../store/db.js';
import { millis, openStates, statusLiteral } from './queue-stats.js';

/** The columns and states that make a table (inbox or outbox) a leasable queue. */
export interface LeaseTable {
  table: 'inbox' | 'outbox';
  /** State of a row waiting for its due time. */
  waiting: string;
  /** State of a leased row; it is taken again once `locked_until` has passed. */
  leased: string;
  /** Column holding the time a waiting row becomes due. */
  dueColumn: string;
}

/**
 * Leases up to `limit` due rows for `leaseMs` and counts the attempt: waiting rows whose time has come,
 * and leased rows whose lease ran out (their holder died). Only the oldest open row of a chat
 * (channel, bot, chat) is eligible, which keeps each chat in order. `FOR UPDATE … SKIP LOCKED` lets several
 * workers claim at once without taking the same row; it works on PGlite and on Postgres alike.
 *
 * "Oldest open row of its chat" is a scalar subquery, not NOT EXISTS: Postgres may turn NOT EXISTS into a
 * join of its own choosing, and on a young table without statistics it chose one that compared every open
 * row with every other (0.4 s per claim at 1,200 open rows). The subquery is one descent of the
 * `*_open_chat_idx` index per candidate, and the candidates come in id order from `inbox_open_id_idx` or
 * `outbox_open_channel_id_idx`, so a claim reads a few pages however long the queue, with or without
 * statistics (see CLAIM_PLAN).
 */
export function leaseOldestPerChat(db: Database, t: LeaseTable, filter: SQL, limit: number, leaseMs: number): Promise<Record<string, unknown>[]> {
  return db.transaction(async (tx) => {
    await tx.execute(CLAIM_PLAN);
    return queryRows(tx, leaseQuery(t, filter, limit, leaseMs));
  });
}

/**
 * Set in the claim's transaction. The claim must walk the open rows in id order and stop at `limit`. On a
 * table without statistics (a new Postgres database until autovacuum's first ANALYZE, PGlite until the
 * service's vacuum timer) the planner instead fetched every open row, ran the subquery on each and sorted
 * them: 15 ms a claim at 2 000 open rows on PGlite, 5 ms on Postgres, where the ordered walk takes a few
 * pages. With sorting ruled out the ordered walk is the plan it finds.
 */
export const CLAIM_PLAN = sql`set local enable_sort = off`;

/** The statement behind `leaseOldestPerChat()`; exported so that tests can EXPLAIN it. */
export function leaseQuery(t: LeaseTable, filter: SQL, limit: number, leaseMs: number): SQL {
  const table = sql.identifier(t.table);
  const due = sql.identifier(t.dueColumn);
  const waiting = statusLiteral(t.waiting);
  const leased = statusLiteral(t.leased);
  return sql`with picked as (
          select r.id from ${table} r
          where ${filter}
            and ((r.status = ${waiting} and r.${due} <= now()) or (r.status = ${leased} and r.locked_until < now()))
            and r.id = (
              select min(e.id) from ${table} e
              where e.channel = r.channel and e.bot_id = r.bot_id and e.chat_id = r.chat_id and e.status in ${openStates([t.waiting, t.leased])})
          order by r.id
          limit ${limit}
          for update of r skip locked)
        update ${table} set status = ${leased}, attempts = ${table}.attempts + 1, locked_until = now() + ${millis(leaseMs)}
        from picked where ${table}.id = picked.id
        returning ${table}.*`;
}

/**
 * Ends every lease at once. Only for a database no other process can use (PGlite holds a directory
 * lock): leases found at start-up then belong to a process that died, and waiting them out only delays.
 */
export async function expireAllLeases(db: Database, t: LeaseTable): Promise<number> {
  const rows = await queryRows(db, sql`update ${sql.identifier(t.table)} set locked_until = '-infinity' where status = ${t.leased} returning id`);
  return rows.length;
}
