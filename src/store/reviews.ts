/**
 * The review queue and reviews. Unreviewed consultations that most need a look come first: 👎 feedback,
 * then `not_covered`, then answers of low confidence, then escalated ones (newest first within each).
 * "Next item" claims one for a reviewer for a while (Langfuse's annotation-queue lock): others skip it
 * until the claim runs out. A review is appended (history kept), marks the consultation reviewed and
 * releases the claim, in one transaction.
 */
import { and, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { maskPersonalInfo } from '../privacy/pii.js';
import type { Database } from './db.js';
import { referredExpr } from './console-queries.js';
import { consultationReviews, consultations, feedback, reviewClaims, type ReviewVerdict } from './schema.js';

export const QUEUE_KINDS = ['thumbs_down', 'not_covered', 'low_confidence', 'escalated'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];
/** Answers below this confidence are queued as `low_confidence` unless the deployment says otherwise. */
export const LOW_CONFIDENCE = 0.45;

export interface QueueCounts {
  thumbs_down: number;
  not_covered: number;
  low_confidence: number;
  escalated: number;
}

export interface Claimed {
  consultationId: string;
  kind: QueueKind;
  lockedUntil: Date;
}

export interface NewReview {
  consultationId: string;
  reviewerId: string;
  verdict: ReviewVerdict;
  note?: string;
  correctedAnswer?: string;
}

/** Qualified, as drizzle writes columns of a one-table select unqualified (see console-queries.ts). */
const consultationId = sql.raw('"consultations"."id"');

const thumbsDown = sql`exists (select 1 from ${feedback} f where f.consultation_id = ${consultationId} and f.rating = -1)`;

function kindCondition(kind: QueueKind, lowConfidence: number): SQL {
  switch (kind) {
    case 'thumbs_down':
      return thumbsDown;
    case 'not_covered':
      return sql`${consultations.outcome} = 'not_covered'`;
    case 'low_confidence':
      return sql`${consultations.outcome} = 'answered' and ${consultations.answerer} <> 'reviewed' and ${consultations.confidence} < ${lowConfidence}`;
    case 'escalated':
      return sql`(${consultations.outcome} = 'escalation_offered' or ${referredExpr})`;
  }
}

/** Unreviewed consultations in any queue kind: what waits for a reviewer (each counted once). */
export function inReviewQueue(lowConfidence: number): SQL {
  return sql`${consultations.reviewedAt} is null and (${sql.join(
    QUEUE_KINDS.map((k) => sql`(${kindCondition(k, lowConfidence)})`),
    sql` or `,
  )})`;
}

export class ReviewStore {
  constructor(
    private readonly db: Database,
    /** Answers below this confidence are queued as `low_confidence`. */
    private readonly lowConfidence = LOW_CONFIDENCE,
  ) {}

  /** Unreviewed consultations per queue kind (one may count under several). */
  async counts(): Promise<QueueCounts> {
    const [row] = await this.db
      .select({
        thumbs_down: sql<number>`count(*) filter (where ${thumbsDown})::int`,
        not_covered: sql<number>`count(*) filter (where ${kindCondition('not_covered', this.lowConfidence)})::int`,
        low_confidence: sql<number>`count(*) filter (where ${kindCondition('low_confidence', this.lowConfidence)})::int`,
        escalated: sql<number>`count(*) filter (where ${kindCondition('escalated', this.lowConfidence)})::int`,
      })
      .from(consultations)
      .where(isNull(consultations.reviewedAt));
    return row ?? { thumbs_down: 0, not_covered: 0, low_confidence: 0, escalated: 0 };
  }

  /**
   * Claims the most urgent unreviewed consultation nobody else holds, for `lockMs`. A reviewer who already
   * holds one gets that one back first. Undefined when the queue is empty.
   */
  async claimNext(reviewerId: string, lockMs: number): Promise<Claimed | undefined> {
    const held = await this.db
      .select({ consultationId: reviewClaims.consultationId, lockedUntil: reviewClaims.lockedUntil })
      .from(reviewClaims)
      .innerJoin(consultations, eq(consultations.id, reviewClaims.consultationId))
      .where(and(eq(reviewClaims.reviewerId, reviewerId), sql`${reviewClaims.lockedUntil} > now()`, isNull(consultations.reviewedAt)))
      .limit(1);
    if (held[0]) return { ...held[0], kind: (await this.kindOf(held[0].consultationId)) ?? 'not_covered' };
    const lock = sql`now() + ${sql.raw(`interval '${Math.round(lockMs)} milliseconds'`)}`;
    for (const kind of QUEUE_KINDS) {
      const candidates = await this.db
        .select({ id: consultations.id })
        .from(consultations)
        .where(
          and(
            isNull(consultations.reviewedAt),
            kindCondition(kind, this.lowConfidence),
            sql`not exists (select 1 from ${reviewClaims} rc where rc.consultation_id = ${consultationId} and rc.locked_until > now())`,
          ),
        )
        .orderBy(desc(consultations.createdAt), desc(consultations.seq))
        .limit(10);
      for (const { id } of candidates) {
        // Taken only if free or expired: two reviewers pressing "next" at once never get the same one.
        const [claimed] = await this.db
          .insert(reviewClaims)
          .values({ consultationId: id, reviewerId, lockedUntil: lock })
          .onConflictDoUpdate({ target: reviewClaims.consultationId, set: { reviewerId, lockedUntil: lock }, setWhere: sql`${reviewClaims.lockedUntil} <= now()` })
          .returning({ consultationId: reviewClaims.consultationId, lockedUntil: reviewClaims.lockedUntil });
        if (claimed) return { ...claimed, kind };
      }
    }
    return undefined;
  }

  /** The next items of each kind, most urgent first, with who holds a claim on them. */
  async preview(perKind = 5): Promise<{ id: string; kind: QueueKind; question: string; createdAt: Date; holder: string | null }[]> {
    const seen = new Set<string>();
    const out: { id: string; kind: QueueKind; question: string; createdAt: Date; holder: string | null }[] = [];
    for (const kind of QUEUE_KINDS) {
      const rows = await this.db
        .select({
          id: consultations.id,
          question: sql<string>`left(${consultations.question}, 120)`,
          createdAt: consultations.createdAt,
          holder: sql<string | null>`(select s.display_name from ${reviewClaims} rc join staff_accounts s on s.id = rc.reviewer_id where rc.consultation_id = ${consultationId} and rc.locked_until > now())`,
        })
        .from(consultations)
        .where(and(isNull(consultations.reviewedAt), kindCondition(kind, this.lowConfidence)))
        .orderBy(desc(consultations.createdAt), desc(consultations.seq))
        .limit(perKind);
      for (const row of rows) {
        if (seen.has(row.id)) continue;
        seen.add(row.id);
        out.push({ ...row, kind });
      }
    }
    return out;
  }

  /** Which queue a consultation is in (the first kind that applies), if any. */
  async kindOf(consultationId: string): Promise<QueueKind | undefined> {
    for (const kind of QUEUE_KINDS) {
      const [row] = await this.db
        .select({ id: consultations.id })
        .from(consultations)
        .where(and(eq(consultations.id, consultationId), kindCondition(kind, this.lowConfidence)));
      if (row) return kind;
    }
    return undefined;
  }

  async release(consultationId: string, reviewerId: string): Promise<void> {
    await this.db.delete(reviewClaims).where(and(eq(reviewClaims.consultationId, consultationId), eq(reviewClaims.reviewerId, reviewerId)));
  }

  /** Who holds a live claim on the consultation, if anyone. */
  async holder(consultationId: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ reviewerId: reviewClaims.reviewerId })
      .from(reviewClaims)
      .where(and(eq(reviewClaims.consultationId, consultationId), sql`${reviewClaims.lockedUntil} > now()`));
    return row?.reviewerId;
  }

  /** Appends the review, marks the consultation reviewed, releases any claim on it. */
  async submit(input: NewReview, tx: Database = this.db): Promise<number> {
    const note = input.note?.trim() ? maskPersonalInfo(input.note.trim()).text : null;
    const corrected = input.correctedAnswer?.trim() ? maskPersonalInfo(input.correctedAnswer.trim()).text : null;
    const [row] = await tx
      .insert(consultationReviews)
      .values({ consultationId: input.consultationId, reviewerId: input.reviewerId, verdict: input.verdict, note, correctedAnswer: corrected })
      .returning({ id: consultationReviews.id });
    await tx.update(consultations).set({ reviewedAt: sql`now()`, reviewedBy: input.reviewerId }).where(eq(consultations.id, input.consultationId));
    await tx.delete(reviewClaims).where(eq(reviewClaims.consultationId, input.consultationId));
    return row!.id;
  }
}
