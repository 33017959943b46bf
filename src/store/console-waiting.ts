/**
 * What waits for a signed-in console account, for the counts in the menu bar: staff see the review queue
 * and the cases no agency took (staff queue); an agency account sees the cases sent to it that it has not
 * yet accepted or declined. One query per page view, over partial or status indexes.
 */
import { sql } from 'drizzle-orm';
import type { StaffAccount } from './console-accounts.js';
import { queryRows, type Database } from './db.js';
import { inReviewQueue } from './reviews.js';
import { cases, consultations } from './schema.js';

export interface Waiting {
  review?: number;
  staffQueue?: number;
  toAccept?: number;
}

export async function waitingFor(db: Database, account: Pick<StaffAccount, 'role' | 'agencyId'>, lowConfidence: number): Promise<Waiting> {
  if (account.role === 'agency') {
    if (!account.agencyId) return {};
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${cases} where ${cases.status} = 'requested' and ${cases.agencyId} = ${account.agencyId}`);
    return { toAccept: Number(row?.n ?? 0) };
  }
  const [row] = await queryRows<{ review: number; staff_queue: number }>(
    db,
    sql`select (select count(*)::int from ${consultations} where ${inReviewQueue(lowConfidence)}) as review,
               (select count(*)::int from ${cases} where ${cases.status} = 'staff_queue') as staff_queue`,
  );
  return { review: Number(row?.review ?? 0), staffQueue: Number(row?.staff_queue ?? 0) };
}
