import { and, inArray, lt, sql } from 'drizzle-orm';
import { MIN_RETENTION_MS } from '../store/consultations.js';
import type { Database } from '../store/db.js';
import { inbox, outbox } from '../store/schema.js';

/**
 * Deletes finished queue rows created before `cutoff`. Inbox keys are the dedupe keys, so the cutoff is
 * capped at 24 h ago like the consultation log's.
 */
export async function purgeFinishedQueueRows(db: Database, cutoff: Date): Promise<{ inbox: number; outbox: number }> {
  const latestAllowed = new Date(Date.now() - MIN_RETENTION_MS);
  const effective = cutoff < latestAllowed ? cutoff : latestAllowed;
  return db.transaction(async (tx) => {
    const sent = await tx
      .delete(outbox)
      .where(and(inArray(outbox.status, ['sent', 'dead']), lt(outbox.createdAt, effective)))
      .returning({ id: outbox.id });
    const done = await tx
      .delete(inbox)
      .where(and(inArray(inbox.status, ['done', 'dead']), lt(inbox.createdAt, effective)))
      .returning({ id: inbox.id });
    return { inbox: done.length, outbox: sent.length };
  });
}

/**
 * Vacuums and analyzes the queue tables. Postgres's autovacuum does this by itself (migration 0002 makes it
 * eager on these tables); PGlite has no autovacuum, so the service calls this on a timer there: every row is
 * updated two or three times, and without statistics a claim reads every open row instead of a few pages.
 */
export async function vacuumQueues(db: Database): Promise<void> {
  await db.execute(sql`vacuum (analyze) inbox, outbox`);
}
