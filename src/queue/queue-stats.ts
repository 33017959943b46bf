import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Database } from '../store/db.js';

/** How much work waits in a queue table, for /metrics and alerts. */
export interface QueueStats {
  /** Rows not yet finished (waiting, in progress or waiting for a retry). */
  depth: number;
  /** Age of the oldest unfinished row, 0 when empty. */
  oldestAgeSeconds: number;
}

/** Depth and oldest age of the rows of `table` whose status is one of `open`. */
export async function queueStats(db: Database, table: 'inbox' | 'outbox', open: readonly string[]): Promise<QueueStats> {
  const [row] = await queryRows<{ depth: number | string; age: number | string | null }>(
    db,
    sql`select count(*) as depth, extract(epoch from now() - min(created_at)) as age
        from ${sql.identifier(table)} where status in ${openStates(open)}`,
  );
  return { depth: Number(row?.depth ?? 0), oldestAgeSeconds: Math.max(0, Number(row?.age ?? 0)) };
}

/** Interval literal for a lease or delay in milliseconds, computed by the database clock. */
export function millis(ms: number) {
  return sql`(${Math.max(0, Math.round(ms))} * interval '1 millisecond')`;
}

/**
 * A status as an SQL literal, not a parameter: only then can the planner match the partial "open rows"
 * indexes, which keeps a look at the open rows from reading every finished row too.
 */
export function statusLiteral(state: string): SQL {
  if (!/^[a-z_]+$/.test(state)) throw new Error(`not a status: ${state}`);
  return sql.raw(`'${state}'`);
}

/** `(…)` of status literals, for `status in …`. */
export function openStates(states: readonly string[]): SQL {
  return sql`(${sql.join(states.map(statusLiteral), sql`, `)})`;
}
