/**
 * Cases under the retention period. A case is never deleted behind anyone's back: an open case whose
 * consultation is due for deletion is withdrawn first (the agency is told, the contact erased), and a case
 * closed before the cutoff has what it shared erased (question, conversation, contact, messages, rating
 * comment). Its events and consent records, which hold no personal data, stay as the audit trail.
 */
import { and, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../store/db.js';
import { caseMessages, cases, consultations } from '../store/schema.js';
import type { CaseService } from './case-service.js';
import { OPEN_STATUSES } from '../cases/core.js';

export interface CaseRetentionCounts {
  withdrawn: number;
  erased: number;
}

export async function retireCases(db: Database, service: CaseService, cutoff: Date): Promise<CaseRetentionCounts> {
  const stale = await db
    .select({ id: cases.id })
    .from(cases)
    .where(
      and(
        inArray(cases.status, [...OPEN_STATUSES]),
        or(lt(cases.createdAt, cutoff), inArray(cases.consultationId, db.select({ id: consultations.id }).from(consultations).where(lt(consultations.createdAt, cutoff)))),
      ),
    );
  for (const c of stale) await service.withdraw(c.id, undefined, 'system', 'retention');
  const erased = await db.transaction(async (tx) => {
    const rows = await tx
      .update(cases)
      .set({ question: null, conversation: null, contactCipher: null, ratingComment: null, erasedAt: sql`now()` })
      // Closed before the cutoff, or withdrawn just now because their data expired.
      .where(and(inArray(cases.status, ['completed', 'cancelled']), isNull(cases.erasedAt), or(lt(cases.closedAt, cutoff), stale.length ? inArray(cases.id, stale.map((c) => c.id)) : undefined)))
      .returning({ id: cases.id });
    if (rows.length) await tx.delete(caseMessages).where(inArray(caseMessages.caseId, rows.map((r) => r.id)));
    return rows.length;
  });
  return { withdrawn: stale.length, erased };
}
