/**
 * The consultation log: what was asked, what was answered, feedback on it, and platform event dedupe.
 * Question, answer and feedback comments are masked (src/privacy/pii.ts) before they reach the database.
 */
import { and, count, desc, eq, gte, ilike, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { coalesce } from './coalesce.js';
import { maskPersonalInfo } from '../privacy/pii.js';
import type { Answer, ChannelName, Citation, Consultation, Outcome, PassageRef, PiiFinding } from '../types.js';
import type { Database } from './db.js';
import { auditLog, consultations, conversations, feedback, processedEvents } from './schema.js';

/** What `record()` stores. Text fields are given raw; the store masks them. */
export type NewConsultation = Pick<
  Consultation,
  'conversationId' | 'channel' | 'userId' | 'question' | 'answer' | 'outcome' | 'citations' | 'passages' | 'confidence' | 'answerer' | 'latencyMs'
> & {
  chatId?: string | null;
  /** Platform message id; a retry with the same (channel, messageId) returns the first record. */
  messageId?: string | null;
  topics?: string[];
  /** Defaults to the database's now(); set by imports and tests. */
  createdAt?: Date;
};

/** Console filters for `list()`. `from` is inclusive, `to` exclusive. */
export interface ConsultationFilter {
  from?: Date;
  to?: Date;
  channel?: ChannelName;
  outcome?: Outcome;
  /** Only consultations nobody has reviewed yet. */
  unreviewed?: boolean;
  /** Case-insensitive substring of the (masked) question or answer. */
  search?: string;
  limit?: number;
  offset?: number;
}

/** One page of `list()`, newest first, with the number of matches over all pages. */
export interface ConsultationPage {
  items: Consultation[];
  total: number;
}

export interface FeedbackEntry {
  consultationId: string;
  userId: string;
  rating: 1 | -1;
  comment: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Rows removed by `purgeOlderThan`, and the cutoff actually used. */
export interface PurgeCounts {
  cutoff: Date;
  consultations: number;
  feedback: number;
  conversations: number;
  processedEvents: number;
}

export interface ConsultationStoreOptions {
  /** Store question and answer unmasked. Off by default; only for deployments that have a legal basis. */
  keepRawText?: boolean;
}

const MAX_PAGE = 500;
const DEFAULT_PAGE = 50;
/** Platforms retry deliveries for hours (Feishu ~7 h): nothing younger than this is ever purged. */
export const MIN_RETENTION_MS = 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Row = typeof consultations.$inferSelect;

export class ConsultationStore {
  constructor(
    private readonly db: Database,
    private readonly options: ConsultationStoreOptions = {},
  ) {}

  /** Records a consultation once per (channel, messageId); a retry returns the row stored first. */
  async record(input: NewConsultation): Promise<Consultation> {
    return this.db.transaction((tx) => this.recordIn(tx, input));
  }

  /**
   * `record()` for the busy path (the HTTP API): records that arrive while earlier ones are being written
   * share one statement, so under load a round trip and a commit serve many answers. Each caller still
   * gets its answer only after its row is committed.
   */
  readonly recordBatched: (input: NewConsultation) => Promise<Consultation> = coalesce((inputs: NewConsultation[]) => this.recordAllIn(this.db, inputs));

  /**
   * `record()` inside a transaction the caller owns, so that other rows (the reply's outbox row) commit or
   * roll back with the consultation. Given the database itself it is still atomic: the write is one statement.
   */
  async recordIn(tx: Database, input: NewConsultation): Promise<Consultation> {
    return (await this.recordAllIn(tx, [input]))[0]!;
  }

  /** Records several consultations in one statement; each retry of a known (channel, messageId) returns the first row. */
  async recordAllIn(tx: Database, inputs: NewConsultation[]): Promise<Consultation[]> {
    const rows = inputs.map((input) => {
      const question = this.mask(input.question);
      const answer = this.mask(input.answer);
      return {
        id: randomUUID(),
        conversationId: input.conversationId,
        channel: input.channel,
        chatId: input.chatId ?? null,
        userId: input.userId,
        messageId: input.messageId ?? null,
        question: question.text,
        answer: answer.text,
        outcome: input.outcome,
        citations: input.citations,
        passages: input.passages,
        confidence: input.confidence,
        answerer: input.answerer,
        latencyMs: Math.round(input.latencyMs),
        topics: input.topics ?? [],
        piiFound: mergeFindings(question.found, answer.found),
        ...(input.createdAt ? { createdAt: input.createdAt } : {}),
      };
    });
    // One row per conversation (an upsert may not touch a row twice in one statement).
    const touched = new Map<string, typeof conversations.$inferInsert>();
    for (const input of inputs) {
      touched.set(input.conversationId, {
        id: input.conversationId,
        channel: input.channel,
        chatId: input.chatId ?? null,
        ...(input.createdAt ? { createdAt: input.createdAt, lastActiveAt: input.createdAt } : {}),
      });
    }
    // The conversation upsert rides along as a CTE: one statement, one round trip, atomic on its own.
    const conversation = tx.$with('conversation_upsert', {}).as(
      tx
        .insert(conversations)
        .values([...touched.values()])
        .onConflictDoUpdate({
          target: conversations.id,
          set: { lastActiveAt: sql`greatest(${conversations.lastActiveAt}, excluded.last_active_at)` },
        })
        .getSQL(),
    );
    const inserted = await tx
      .with(conversation)
      .insert(consultations)
      .values(rows)
      .onConflictDoNothing({ target: [consultations.channel, consultations.messageId] })
      .returning();
    const byId = new Map(inserted.map((r) => [r.id, r]));
    const retried = rows.filter((r) => !byId.has(r.id));
    const earlier = retried.length
      ? await tx
          .select()
          .from(consultations)
          .where(or(...retried.map((r) => and(eq(consultations.channel, r.channel), eq(consultations.messageId, r.messageId ?? '')))))
      : [];
    return rows.map((r) => {
      const row = byId.get(r.id) ?? earlier.find((e) => e.channel === r.channel && e.messageId === r.messageId);
      if (!row) throw new AppError('store_failed', 'Consultation was neither inserted nor found.');
      return toConsultation(row);
    });
  }

  async get(id: string, tx: Database = this.db): Promise<Consultation | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = await tx.select().from(consultations).where(eq(consultations.id, id));
    return row && toConsultation(row);
  }

  /** The last `limit` turns of one user in one conversation, oldest first (context for follow-ups). */
  async history(conversationId: string, userId: string, limit = 10, tx: Database = this.db): Promise<Consultation[]> {
    const rows = await tx
      .select()
      .from(consultations)
      .where(and(eq(consultations.conversationId, conversationId), eq(consultations.userId, userId)))
      .orderBy(desc(consultations.createdAt), desc(consultations.seq))
      .limit(clampLimit(limit));
    return rows.reverse().map(toConsultation);
  }

  /** Consultations matching the console's filters, newest first. */
  async list(filter: ConsultationFilter = {}): Promise<ConsultationPage> {
    const where = and(...filterConditions(filter));
    const [items, totals] = await Promise.all([
      this.db
        .select()
        .from(consultations)
        .where(where)
        .orderBy(desc(consultations.createdAt), desc(consultations.seq))
        .limit(clampLimit(filter.limit ?? DEFAULT_PAGE))
        .offset(Math.max(0, Math.floor(filter.offset ?? 0))),
      this.db.select({ n: count() }).from(consultations).where(where),
    ]);
    return { items: items.map(toConsultation), total: totals[0]?.n ?? 0 };
  }

  /** Marks a consultation reviewed (drops it from the `unreviewed` filter). */
  async markReviewed(id: string, reviewerId: string | null = null, at: Date = new Date()): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const updated = await this.db
      .update(consultations)
      .set({ reviewedAt: at, reviewedBy: reviewerId })
      .where(eq(consultations.id, id))
      .returning({ id: consultations.id });
    return updated.length === 1;
  }

  /** Sets one user's 👍 (+1) or 👎 (-1) on a consultation; a second call replaces the first. */
  async feedback(consultationId: string, userId: string, rating: 1 | -1, comment?: string, tx: Database = this.db): Promise<FeedbackEntry> {
    if (rating !== 1 && rating !== -1) throw new AppError('input_invalid', `Rating must be 1 or -1, got ${String(rating)}.`);
    if (!UUID.test(consultationId)) throw unknownConsultation(consultationId);
    const maskedComment = comment === undefined || comment === '' ? null : this.mask(comment).text;
    try {
      const [row] = await tx
        .insert(feedback)
        .values({ consultationId, userId, rating, comment: maskedComment })
        .onConflictDoUpdate({
          target: [feedback.consultationId, feedback.userId],
          set: { rating, comment: maskedComment, updatedAt: sql`now()` },
        })
        .returning();
      if (!row) throw new AppError('store_failed', 'Feedback upsert returned no row.');
      return { ...row, rating: row.rating === 1 ? 1 : -1 };
    } catch (error) {
      if (pgErrorCode(error) === '23503') throw unknownConsultation(consultationId);
      throw error;
    }
  }

  /**
   * True the first time a platform event is seen, false on every redelivery. Given `tx`, the key commits
   * with whatever else the caller writes for the event.
   */
  async markEventProcessed(channel: ChannelName, botId: string, eventId: string, tx: Database = this.db): Promise<boolean> {
    const inserted = await tx
      .insert(processedEvents)
      .values({ channel, botId, eventId })
      .onConflictDoNothing()
      .returning({ eventId: processedEvents.eventId });
    return inserted.length === 1;
  }

  /**
   * Forgets one user of a channel ("/forget"): deletes all their consultations there, with feedback
   * (cascade), so later questions are read without history. Their cases stay, detached (the caller has
   * withdrawn the open ones). Audited without the user id.
   */
  async forgetUser(channel: ChannelName, userId: string, tx: Database = this.db): Promise<number> {
    const deleted = await tx
      .delete(consultations)
      .where(and(eq(consultations.channel, channel), eq(consultations.userId, userId)))
      .returning({ id: consultations.id });
    await tx.insert(auditLog).values({ actor: `${channel}:user`, action: 'user.forget', details: { channel, consultations: deleted.length } });
    return deleted.length;
  }

  /**
   * Deletes consultations created before `cutoff` with their feedback, conversations left empty, and
   * processed events. Cases are not deleted here: src/escalation/retention.ts withdraws the open ones first
   * and erases what they shared, keeping their events. The cutoff is capped at 24 h ago so that dedupe keys
   * outlive platform retries.
   */
  async purgeOlderThan(cutoff: Date, actor = 'system'): Promise<PurgeCounts> {
    const latestAllowed = new Date(Date.now() - MIN_RETENTION_MS);
    const effective = cutoff < latestAllowed ? cutoff : latestAllowed;
    return this.db.transaction(async (tx) => {
      const doomed = tx.select({ id: consultations.id }).from(consultations).where(lt(consultations.createdAt, effective));
      // Cascades would remove these too; deleting them explicitly gives the counts.
      const deletedFeedback = await tx.delete(feedback).where(inArray(feedback.consultationId, doomed)).returning({ id: feedback.consultationId });
      const deletedConsultations = await tx.delete(consultations).where(lt(consultations.createdAt, effective)).returning({ id: consultations.id });
      const deletedConversations = await tx
        .delete(conversations)
        .where(
          and(
            lt(conversations.lastActiveAt, effective),
            sql`not exists (select 1 from ${consultations} where ${consultations.conversationId} = ${conversations.id})`,
          ),
        )
        .returning({ id: conversations.id });
      const deletedEvents = await tx.delete(processedEvents).where(lt(processedEvents.createdAt, effective)).returning({ id: processedEvents.eventId });
      const counts: PurgeCounts = {
        cutoff: effective,
        consultations: deletedConsultations.length,
        feedback: deletedFeedback.length,
        conversations: deletedConversations.length,
        processedEvents: deletedEvents.length,
      };
      await tx.insert(auditLog).values({
        actor,
        action: 'retention.purge',
        details: { ...counts, cutoff: effective.toISOString(), requestedCutoff: cutoff.toISOString() },
      });
      return counts;
    });
  }

  private mask(text: string): { text: string; found: PiiFinding[] } {
    return this.options.keepRawText ? { text, found: maskPersonalInfo(text).found } : maskPersonalInfo(text);
  }
}

function filterConditions(filter: ConsultationFilter): (SQL | undefined)[] {
  const search = filter.search?.trim();
  const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
  return [
    filter.from && gte(consultations.createdAt, filter.from),
    filter.to && lt(consultations.createdAt, filter.to),
    filter.channel && eq(consultations.channel, filter.channel),
    filter.outcome && eq(consultations.outcome, filter.outcome),
    filter.unreviewed ? isNull(consultations.reviewedAt) : undefined,
    // ILIKE works on both drivers without extensions; a pg_trgm index can back it later if volume needs it.
    pattern ? or(ilike(consultations.question, pattern), ilike(consultations.answer, pattern)) : undefined,
  ];
}

function clampLimit(limit: number): number {
  return Math.min(MAX_PAGE, Math.max(1, Math.floor(limit)));
}

function mergeFindings(a: PiiFinding[], b: PiiFinding[]): PiiFinding[] {
  const merged = new Map<PiiFinding['kind'], number>();
  for (const f of [...a, ...b]) merged.set(f.kind, (merged.get(f.kind) ?? 0) + f.count);
  return [...merged].map(([kind, n]) => ({ kind, count: n }));
}

function toConsultation(row: Row): Consultation {
  return {
    id: row.id,
    conversationId: row.conversationId,
    channel: row.channel,
    chatId: row.chatId,
    userId: row.userId,
    messageId: row.messageId,
    question: row.question,
    answer: row.answer,
    outcome: row.outcome,
    citations: row.citations,
    passages: row.passages,
    confidence: row.confidence,
    answerer: row.answerer,
    latencyMs: row.latencyMs,
    topics: row.topics,
    piiFound: row.piiFound,
    createdAt: row.createdAt,
    reviewedAt: row.reviewedAt,
  };
}

function unknownConsultation(id: string): AppError {
  return new AppError('input_invalid', `No consultation with id ${id}.`);
}

/** SQLSTATE of a driver error, looking through drizzle's DrizzleQueryError wrapper. */
function pgErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
