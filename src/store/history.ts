/**
 * Earlier turns for reading a follow-up: only the question and the citations, which is all consult()
 * uses. The same rows as `ConsultationStore.history()` without the passages and answer text, so the
 * per-question read stays small.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Turn } from '../consult.js';
import type { Database } from './db.js';
import { consultations } from './schema.js';

/** The last `limit` turns of one user in one conversation, oldest first; never another user's. */
export async function recentTurns(db: Database, conversationId: string, userId: string, limit: number): Promise<Turn[]> {
  const rows = await db
    .select({ question: consultations.question, citations: consultations.citations })
    .from(consultations)
    .where(and(eq(consultations.conversationId, conversationId), eq(consultations.userId, userId)))
    .orderBy(desc(consultations.createdAt), desc(consultations.seq))
    .limit(limit);
  return rows.reverse();
}
