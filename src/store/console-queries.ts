/**
 * The console's reads of the consultation log: the filtered list with keyset paging (newest first, by
 * `(created_at, seq)`), one consultation with everything around it, and the export walk over the same
 * filter in pages so memory stays bounded whatever the row count.
 *
 * Text search looks in the (masked) question: the GIN index over console_search_grams() narrows to rows
 * that hold every character pair of the term, then ILIKE checks the substring (migration 0005).
 */
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { ChannelName, Citation, Consultation, Outcome, PassageRef, PiiFinding } from '../types.js';
import { queryRows, type Database } from './db.js';
import { agencies, cases, consultationReviews, consultations, feedback, reviewClaims, staffAccounts, type CaseStatus, type ReviewVerdict } from './schema.js';
import { decodeCursorParts, keysetPage } from './cursor.js';

export interface ConsoleFilter {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  channel?: ChannelName;
  outcome?: Outcome;
  topic?: string;
  /** `down`: someone pressed 👎; `up`: 👍; `none`: no feedback at all. */
  feedback?: 'up' | 'down' | 'none';
  referred?: boolean;
  reviewed?: boolean;
  /** Latest review's verdict. */
  verdict?: ReviewVerdict;
  /** Strictly below. */
  confidenceBelow?: number;
  /** Substring of the question. */
  search?: string;
  /** One conversation's turns. */
  conversationId?: string;
  /** One user's consultations on one channel (user ids are the platform's, unique only within it). */
  user?: { channel: ChannelName; id: string };
}

/** Where a page ends: the last row's `created_at` (UTC, microseconds, as text) and `seq`. */
export interface Cursor {
  at: string;
  seq: number;
}

export interface ConsultationRow {
  id: string;
  createdAt: Date;
  channel: ChannelName;
  question: string;
  outcome: Outcome;
  confidence: number;
  answerer: Consultation['answerer'];
  topics: string[];
  reviewedAt: Date | null;
  up: number;
  down: number;
  referred: boolean;
  verdict: ReviewVerdict | null;
}

export interface ConsultationPage {
  rows: ConsultationRow[];
  /** Cursor of the next (older) page, when there is one. */
  next?: Cursor;
  /** Cursor of this page's first row when newer rows come before it (the previous page ends there). */
  previous?: Cursor;
  /** Matches over all pages, counted up to `COUNT_CAP` (then `capped`). */
  total: number;
  capped: boolean;
}

/** Counting stops here ("1000+"): an exact count of a broad filter would scan most of the table. */
export const COUNT_CAP = 1_000;
export const PAGE_SIZE = 50;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.at}|${cursor.seq}`).toString('base64url');
}

/** The cursor sent back by the browser; undefined for none; CursorError (a 400) for a malformed one. */
export function decodeCursor(text: string | undefined): Cursor | undefined {
  const parts = decodeCursorParts(text, (seq) => /^\d{1,15}$/.test(seq));
  return parts && { at: parts.at, seq: Number(parts.key) };
}

/**
 * `"consultations"."id"` written out: in a one-table select drizzle renders columns unqualified, and inside
 * a correlated subquery an unqualified "id" would name the subquery's own table.
 */
const consultationId = sql.raw('"consultations"."id"');

const latestVerdict = sql<ReviewVerdict | null>`(select r.verdict from ${consultationReviews} r where r.consultation_id = ${consultationId} order by r.id desc limit 1)`;
/** Referred: the user asked for a referral and a case was opened (whatever became of it). */
export const referredExpr = sql<boolean>`exists (select 1 from ${cases} k where k.consultation_id = ${consultationId})`;

function feedbackCount(rating: 1 | -1) {
  return sql<number>`(select count(*) from ${feedback} f where f.consultation_id = ${consultationId} and f.rating = ${rating})::int`;
}

function feedbackExists(rating?: 1 | -1): SQL {
  return sql`exists (select 1 from ${feedback} f where f.consultation_id = ${consultationId}${rating ? sql` and f.rating = ${rating}` : sql``})`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function filterWhere(filter: ConsoleFilter): SQL | undefined {
  const search = filter.search?.trim();
  return and(
    filter.from && gte(consultations.createdAt, filter.from),
    filter.to && lt(consultations.createdAt, filter.to),
    filter.channel && eq(consultations.channel, filter.channel),
    filter.outcome && eq(consultations.outcome, filter.outcome),
    filter.topic ? sql`${consultations.topics} @> array[${filter.topic}]::text[]` : undefined,
    filter.feedback === 'up' ? feedbackExists(1) : filter.feedback === 'down' ? feedbackExists(-1) : filter.feedback === 'none' ? sql`not ${feedbackExists()}` : undefined,
    filter.referred === undefined ? undefined : filter.referred ? referredExpr : sql`not ${referredExpr}`,
    filter.reviewed === undefined ? undefined : filter.reviewed ? sql`${consultations.reviewedAt} is not null` : sql`${consultations.reviewedAt} is null`,
    filter.verdict ? sql`${latestVerdict} = ${filter.verdict}` : undefined,
    filter.confidenceBelow === undefined ? undefined : lt(consultations.confidence, filter.confidenceBelow),
    filter.conversationId === undefined ? undefined : eq(consultations.conversationId, filter.conversationId),
    filter.user && and(eq(consultations.channel, filter.user.channel), eq(consultations.userId, filter.user.id)),
    search
      ? sql`console_search_grams(${consultations.question}) @> console_search_query(${search}) and ${consultations.question} ilike ${`%${escapeLike(search)}%`}`
      : undefined,
  );
}

function afterCursor(cursor: Cursor | undefined): SQL | undefined {
  return cursor ? sql`(${consultations.createdAt}, ${consultations.seq}) < ((${cursor.at}::timestamp at time zone 'UTC'), ${cursor.seq})` : undefined;
}

function beforeCursor(cursor: Cursor | undefined): SQL | undefined {
  return cursor ? sql`(${consultations.createdAt}, ${consultations.seq}) > ((${cursor.at}::timestamp at time zone 'UTC'), ${cursor.seq})` : undefined;
}

const cursorAt = sql<string>`(${consultations.createdAt} at time zone 'UTC')::text`;

/**
 * One page of the filtered list, newest first: the first page, the page after (older than) `after`, or the
 * page before (newer than) `before`, which is read oldest first from the cursor and turned round.
 */
export async function listConsultations(db: Database, filter: ConsoleFilter, options: { after?: Cursor; before?: Cursor; limit?: number } = {}): Promise<ConsultationPage> {
  const limit = Math.min(200, Math.max(1, options.limit ?? PAGE_SIZE));
  const where = filterWhere(filter);
  const backwards = !options.after && Boolean(options.before);
  const [rows, counted] = await Promise.all([
    db
      .select({
        id: consultations.id,
        createdAt: consultations.createdAt,
        channel: consultations.channel,
        question: sql<string>`left(${consultations.question}, 200)`,
        outcome: consultations.outcome,
        confidence: consultations.confidence,
        answerer: consultations.answerer,
        topics: consultations.topics,
        reviewedAt: consultations.reviewedAt,
        up: feedbackCount(1),
        down: feedbackCount(-1),
        referred: referredExpr,
        verdict: latestVerdict,
        seq: consultations.seq,
        at: cursorAt,
      })
      .from(consultations)
      .where(and(where, backwards ? beforeCursor(options.before) : afterCursor(options.after)))
      .orderBy(...(backwards ? [consultations.createdAt, consultations.seq] : [desc(consultations.createdAt), desc(consultations.seq)]))
      .limit(limit + 1),
    queryRows<{ n: number }>(db, sql`select count(*)::int as n from (select 1 from ${consultations} where ${where ?? sql`true`} limit ${COUNT_CAP + 1}) as matched`),
  ]);
  const { page, older, newer } = keysetPage(rows, limit, { backwards, after: Boolean(options.after) });
  const first = page[0];
  const last = page.at(-1);
  const n = Number(counted[0]?.n ?? 0);
  return {
    rows: page.map(({ seq: _seq, at: _at, ...row }) => row),
    next: older && last ? { at: last.at, seq: last.seq } : undefined,
    previous: newer && first ? { at: first.at, seq: first.seq } : undefined,
    total: Math.min(n, COUNT_CAP),
    capped: n > COUNT_CAP,
  };
}

/** One turn of a conversation, as the consultation page lists them. */
export interface Turn {
  id: string;
  createdAt: Date;
  question: string;
  answer: string;
  outcome: Outcome;
}

/** At most this many turns of a conversation are shown on either side of a consultation. */
export const TURNS_AROUND = 50;

export interface Turns {
  turns: Turn[];
  /** The number of the first turn shown in the whole conversation (1 unless earlier turns are left out). */
  first: number;
  /** Turns are left out after the last shown. */
  later: boolean;
}

/** The turns of a conversation around one of its consultations, oldest first (up to `TURNS_AROUND` each side). */
export async function conversationTurns(db: Database, conversationId: string, aroundId: string): Promise<Turns> {
  const fields = { id: consultations.id, createdAt: consultations.createdAt, question: consultations.question, answer: consultations.answer, outcome: consultations.outcome };
  const inConversation = eq(consultations.conversationId, conversationId);
  const here = sql`(select c.created_at, c.seq from ${consultations} c where c.id = ${aroundId})`;
  const position = sql`(${consultations.createdAt}, ${consultations.seq})`;
  const newestFirst = [desc(consultations.createdAt), desc(consultations.seq)];
  const [upToHere, after] = await Promise.all([
    db.select(fields).from(consultations).where(and(inConversation, sql`${position} <= ${here}`)).orderBy(...newestFirst).limit(TURNS_AROUND + 1),
    db.select(fields).from(consultations).where(and(inConversation, sql`${position} > ${here}`)).orderBy(consultations.createdAt, consultations.seq).limit(TURNS_AROUND + 1),
  ]);
  const shown = upToHere.reverse();
  // Only a conversation longer than the window pays for counting what came before it.
  const oldest = shown[0];
  const [{ n } = { n: 0 }] =
    shown.length > TURNS_AROUND && oldest
      ? await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${consultations} where ${inConversation} and ${position} < (select c.created_at, c.seq from ${consultations} c where c.id = ${oldest.id})`)
      : [];
  return { turns: [...shown, ...after.slice(0, TURNS_AROUND)], first: Number(n) + 1, later: after.length > TURNS_AROUND };
}

export interface ReviewEntry {
  id: number;
  verdict: ReviewVerdict;
  note: string | null;
  correctedAnswer: string | null;
  reviewer: string;
  createdAt: Date;
}

export interface FeedbackRow {
  rating: number;
  comment: string | null;
  updatedAt: Date;
}

export interface ReferralRow {
  id: string;
  status: CaseStatus;
  reason: string;
  field: string | null;
  service: string | null;
  agency: string | null;
  createdAt: Date;
}

export interface ConsultationDetail {
  consultation: Consultation & { piiFound: PiiFinding[]; citations: Citation[]; passages: PassageRef[] };
  feedback: FeedbackRow[];
  referrals: ReferralRow[];
  reviews: ReviewEntry[];
  claim?: { reviewerId: string; reviewer: string; lockedUntil: Date };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function consultationDetail(db: Database, id: string): Promise<ConsultationDetail | undefined> {
  if (!UUID.test(id)) return undefined;
  const [row] = await db.select().from(consultations).where(eq(consultations.id, id));
  if (!row) return undefined;
  const [feedbackRows, referralRows, reviewRows, claims] = await Promise.all([
    db.select({ rating: feedback.rating, comment: feedback.comment, updatedAt: feedback.updatedAt }).from(feedback).where(eq(feedback.consultationId, id)),
    db
      .select({ id: cases.id, status: cases.status, reason: cases.reason, field: cases.field, service: cases.service, agency: agencies.name, createdAt: cases.createdAt })
      .from(cases)
      .leftJoin(agencies, eq(agencies.id, cases.agencyId))
      .where(eq(cases.consultationId, id))
      .orderBy(desc(cases.createdAt)),
    db
      .select({
        id: consultationReviews.id,
        verdict: consultationReviews.verdict,
        note: consultationReviews.note,
        correctedAnswer: consultationReviews.correctedAnswer,
        reviewer: staffAccounts.displayName,
        createdAt: consultationReviews.createdAt,
      })
      .from(consultationReviews)
      .innerJoin(staffAccounts, eq(staffAccounts.id, consultationReviews.reviewerId))
      .where(eq(consultationReviews.consultationId, id))
      .orderBy(desc(consultationReviews.id)),
    db
      .select({ reviewerId: reviewClaims.reviewerId, reviewer: staffAccounts.displayName, lockedUntil: reviewClaims.lockedUntil })
      .from(reviewClaims)
      .innerJoin(staffAccounts, eq(staffAccounts.id, reviewClaims.reviewerId))
      .where(and(eq(reviewClaims.consultationId, id), sql`${reviewClaims.lockedUntil} > now()`)),
  ]);
  const { seq: _seq, messageId, chatId, reviewedBy: _by, ...rest } = row;
  return {
    consultation: { ...rest, messageId, chatId },
    feedback: feedbackRows,
    referrals: referralRows,
    reviews: reviewRows,
    claim: claims[0],
  };
}

/** One row of an export: the consultation with its citations, feedback and latest review. */
export interface ExportRow {
  id: string;
  createdAt: Date;
  channel: string;
  question: string;
  answer: string;
  outcome: string;
  confidence: number;
  answerer: string;
  latencyMs: number;
  topics: string[];
  citations: Citation[];
  up: number;
  down: number;
  feedbackComments: string | null;
  referred: boolean;
  reviewedAt: Date | null;
  verdict: string | null;
  reviewNote: string | null;
  correctedAnswer: string | null;
  reviewer: string | null;
}

export const EXPORT_PAGE = 500;

/** Every row matching the filter, newest first, read `EXPORT_PAGE` at a time. */
export async function* exportConsultations(db: Database, filter: ConsoleFilter, maxRows: number): AsyncGenerator<ExportRow> {
  const where = filterWhere(filter);
  let after: Cursor | undefined;
  let sent = 0;
  while (sent < maxRows) {
    const rows = await db
      .select({
        id: consultations.id,
        createdAt: consultations.createdAt,
        channel: consultations.channel,
        question: consultations.question,
        answer: consultations.answer,
        outcome: consultations.outcome,
        confidence: consultations.confidence,
        answerer: consultations.answerer,
        latencyMs: consultations.latencyMs,
        topics: consultations.topics,
        citations: consultations.citations,
        up: feedbackCount(1),
        down: feedbackCount(-1),
        feedbackComments: sql<string | null>`(select string_agg(f.comment, ' | ') from ${feedback} f where f.consultation_id = ${consultationId} and f.comment is not null)`,
        referred: referredExpr,
        reviewedAt: consultations.reviewedAt,
        review: sql<{ verdict: string; note: string | null; corrected: string | null; reviewer: string } | null>`(select json_build_object('verdict', r.verdict, 'note', r.note, 'corrected', r.corrected_answer, 'reviewer', s.username) from ${consultationReviews} r join ${staffAccounts} s on s.id = r.reviewer_id where r.consultation_id = ${consultationId} order by r.id desc limit 1)`,
        seq: consultations.seq,
        at: cursorAt,
      })
      .from(consultations)
      .where(and(where, afterCursor(after)))
      .orderBy(desc(consultations.createdAt), desc(consultations.seq))
      .limit(Math.min(EXPORT_PAGE, maxRows - sent));
    for (const { seq: _seq, at: _at, review, ...row } of rows) {
      const r = typeof review === 'string' ? (JSON.parse(review) as typeof review) : review;
      yield { ...row, verdict: r?.verdict ?? null, reviewNote: r?.note ?? null, correctedAnswer: r?.corrected ?? null, reviewer: r?.reviewer ?? null };
    }
    sent += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < EXPORT_PAGE) return;
    after = { at: last.at, seq: last.seq };
  }
}
