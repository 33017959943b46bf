/**
 * The retention purge, the same for the service's schedule and `npm run db:purge`: cases first (open ones
 * withdrawn, closed ones erased), then the consultation log, the approved answers' hit history, then finished
 * queue rows.
 */
import { retireCases, type CaseRetentionCounts } from './escalation/case-retention.js';
import type { CaseService } from './escalation/case-service.js';
import { purgeFinishedQueueRows } from './queue/purge.js';
import { ApprovedAnswerStore } from './store/approved-answers.js';
import { MIN_RETENTION_MS, type ConsultationStore, type PurgeCounts } from './store/consultations.js';
import type { Database } from './store/db.js';

export interface RetentionResult {
  cases: CaseRetentionCounts;
  log: PurgeCounts;
  /** Uses of approved answers (each holds the question asked). */
  approvedHits: number;
  queues: { inbox: number; outbox: number };
}

export async function purgeExpired(deps: { db: Database; store: ConsultationStore; cases: CaseService }, cutoff: Date, actor: string): Promise<RetentionResult> {
  // Nothing younger than 24 h goes, whatever was asked: platforms redeliver for hours.
  const latest = new Date(Date.now() - MIN_RETENTION_MS);
  const cases = await retireCases(deps.db, deps.cases, cutoff < latest ? cutoff : latest);
  const log = await deps.store.purgeOlderThan(cutoff, actor);
  const approvedHits = await new ApprovedAnswerStore(deps.db).purgeHitsBefore(log.cutoff);
  const queues = await purgeFinishedQueueRows(deps.db, cutoff);
  return { cases, log, approvedHits, queues };
}
