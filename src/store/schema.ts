/**
 * The one database schema, shared by PGlite and Postgres. Column names are written out in snake_case
 * (no `casing` option) so that every drizzle() instance, however it is built, maps them the same way.
 * Change it, then `npm run db:generate -- --name <what>` to ship the change as a new migration.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Answer, ChannelName, Citation, Outcome, PassageRef, PiiFinding } from '../types.js';

const createdAt = () => timestamp('created_at', { withTimezone: true }).defaultNow().notNull();

/** A chat thread (a Telegram/Feishu chat, a web session); consultations hang off it. */
export const conversations = pgTable('conversations', {
  id: text('id').primaryKey(),
  channel: text('channel').$type<ChannelName>().notNull(),
  chatId: text('chat_id'),
  createdAt: createdAt(),
  lastActiveAt: timestamp('last_active_at', { withTimezone: true }).defaultNow().notNull(),
});

/** One question and the bot's answer. `question`/`answer` hold masked text unless configured otherwise. */
export const consultations = pgTable(
  'consultations',
  {
    id: uuid('id').defaultRandom().primaryKey(),
    /** Insertion order; breaks ties between equal `created_at` values in history and paging. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    channel: text('channel').$type<ChannelName>().notNull(),
    chatId: text('chat_id'),
    userId: text('user_id').notNull(),
    /** Platform message id; with `channel` it makes recording idempotent. Null for sources without one. */
    messageId: text('message_id'),
    question: text('question').notNull(),
    answer: text('answer').notNull(),
    outcome: text('outcome').$type<Outcome>().notNull(),
    citations: jsonb('citations').$type<Citation[]>().default([]).notNull(),
    passages: jsonb('passages').$type<PassageRef[]>().default([]).notNull(),
    confidence: real('confidence').notNull(),
    answerer: text('answerer').$type<Answer['answerer']>().notNull(),
    latencyMs: integer('latency_ms').notNull(),
    topics: text('topics').array().default(sql`'{}'::text[]`).notNull(),
    /** What the masker replaced (kinds and counts only, never the values). */
    piiFound: jsonb('pii_found').$type<PiiFinding[]>().default([]).notNull(),
    createdAt: createdAt(),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    reviewedBy: uuid('reviewed_by').references(() => staffAccounts.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('consultations_channel_message_uq').on(t.channel, t.messageId),
    index('consultations_created_at_idx').on(t.createdAt),
    index('consultations_channel_created_at_idx').on(t.channel, t.createdAt),
    index('consultations_outcome_created_at_idx').on(t.outcome, t.createdAt),
    index('consultations_unreviewed_idx').on(t.createdAt).where(sql`${t.reviewedAt} is null`),
    index('consultations_history_idx').on(t.conversationId, t.userId, t.createdAt),
  ],
);

/** 👍/👎 on a consultation: one per user per consultation, changed by upsert. */
export const feedback = pgTable(
  'feedback',
  {
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    rating: smallint('rating').notNull(),
    comment: text('comment'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).defaultNow().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.consultationId, t.userId] }),
    check('feedback_rating_check', sql`${t.rating} in (-1, 1)`),
  ],
);

/** Platform events already taken in; platforms retry for hours, so keys live ≥ 24 h. */
export const processedEvents = pgTable(
  'processed_events',
  {
    channel: text('channel').$type<ChannelName>().notNull(),
    botId: text('bot_id').notNull(),
    eventId: text('event_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.channel, t.botId, t.eventId] }),
    index('processed_events_created_at_idx').on(t.createdAt),
  ],
);

/** IP service agencies that referred cases go to. Filled in by the escalation issue. */
export const agencies = pgTable('agencies', {
  id: uuid('id').defaultRandom().primaryKey(),
  name: text('name').notNull(),
  /** Topics the agency serves, e.g. 商标, 专利, 商业秘密. */
  topics: text('topics').array().default(sql`'{}'::text[]`).notNull(),
  /** How cases reach it: telegram | feishu | webhook. */
  contactChannel: text('contact_channel').notNull(),
  /** Chat id or webhook URL, depending on `contact_channel`. */
  contactAddress: text('contact_address').notNull(),
  active: boolean('active').default(true).notNull(),
  createdAt: createdAt(),
});

/** A case offered to / referred to an agency. Sharing needs the user's separate consent (PIPL art. 23). */
export const escalations = pgTable(
  'escalations',
  {
    id: uuid('id').defaultRandom().primaryKey(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id, { onDelete: 'cascade' }),
    agencyId: uuid('agency_id').references(() => agencies.id, { onDelete: 'set null' }),
    /** offered | consented | referred | accepted | closed | withdrawn | declined. */
    status: text('status').default('offered').notNull(),
    reason: text('reason').notNull(),
    topic: text('topic'),
    /** The consent wording shown to the user: agency, purpose, data shared. */
    consentText: text('consent_text'),
    sharedData: jsonb('shared_data').$type<Record<string, unknown>>(),
    consentGivenAt: timestamp('consent_given_at', { withTimezone: true }),
    consentWithdrawnAt: timestamp('consent_withdrawn_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).defaultNow().notNull(),
  },
  (t) => [
    index('escalations_consultation_idx').on(t.consultationId),
    index('escalations_agency_status_idx').on(t.agencyId, t.status),
  ],
);

/** Console users: government staff, reviewers and agency staff. */
export const staffAccounts = pgTable('staff_accounts', {
  id: uuid('id').defaultRandom().primaryKey(),
  username: text('username').notNull().unique('staff_accounts_username_uq'),
  displayName: text('display_name').notNull(),
  /** admin | reviewer | agency. */
  role: text('role').notNull(),
  agencyId: uuid('agency_id').references(() => agencies.id, { onDelete: 'set null' }),
  passwordHash: text('password_hash'),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  createdAt: createdAt(),
});

/** Who did what in the console or in maintenance jobs. Not purged with consultations. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    /** Staff account id, or a job name such as `cli:purge`. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_created_at_idx').on(t.createdAt)],
);

/** Lifecycle of an inbox row, which is also its job: queued → running → done, or dead after the last attempt. */
export type InboxStatus = 'queued' | 'running' | 'done' | 'dead';

/**
 * Incoming platform messages, written before the platform is acknowledged (DESIGN decision 5). The row is
 * also the job: workers claim it with `FOR UPDATE SKIP LOCKED` and a lease. The question text is cleared once
 * the consultation (which keeps the masked text) is recorded; the key stays ≥ 24 h for dedupe.
 */
export const inbox = pgTable(
  'inbox',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    channel: text('channel').$type<ChannelName>().notNull(),
    botId: text('bot_id').notNull(),
    /** Platform event id (Telegram update_id, Feishu event_id); a redelivery carries the same one. */
    eventId: text('event_id').notNull(),
    chatId: text('chat_id').notNull(),
    userId: text('user_id').notNull(),
    conversationId: text('conversation_id').notNull(),
    messageId: text('message_id'),
    replyTo: text('reply_to'),
    text: text('text').notNull(),
    raw: jsonb('raw'),
    status: text('status').$type<InboxStatus>().default('queued').notNull(),
    attempts: integer('attempts').default(0).notNull(),
    runAfter: timestamp('run_after', { withTimezone: true }).defaultNow().notNull(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: createdAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('inbox_event_uq').on(t.channel, t.botId, t.eventId),
    index('inbox_open_idx').on(t.runAfter).where(sql`${t.status} in ('queued', 'running')`),
    // Claims walk open rows in id order; without this the planner may walk the primary key past every done row.
    index('inbox_open_id_idx').on(t.id).where(sql`${t.status} in ('queued', 'running')`),
    index('inbox_open_chat_idx').on(t.channel, t.botId, t.chatId, t.id).where(sql`${t.status} in ('queued', 'running')`),
    index('inbox_created_at_idx').on(t.createdAt),
  ],
);

/** Lifecycle of an outbox row: pending → sending → sent, back to pending for a retry, dead after the last one. */
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'dead';

/** What the sender hands to a channel's deliverer. */
export interface OutboxPayload {
  text: string;
  outcome?: Outcome;
  citations: Citation[];
  /** Which answerer wrote the text; rows written before it was added have none. */
  answerer?: Answer['answerer'];
}

/**
 * Replies waiting to be sent, written in the same transaction as their consultation. One row per inbox
 * message and per consultation; within a chat rows go out in `id` order, each after the previous one.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    inboxId: bigint('inbox_id', { mode: 'number' }).references(() => inbox.id, { onDelete: 'set null' }),
    consultationId: uuid('consultation_id').references(() => consultations.id, { onDelete: 'set null' }),
    channel: text('channel').$type<ChannelName>().notNull(),
    botId: text('bot_id').notNull(),
    chatId: text('chat_id').notNull(),
    replyTo: text('reply_to'),
    payload: jsonb('payload').$type<OutboxPayload>().notNull(),
    status: text('status').$type<OutboxStatus>().default('pending').notNull(),
    attempts: integer('attempts').default(0).notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).defaultNow().notNull(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('outbox_inbox_uq').on(t.inboxId),
    uniqueIndex('outbox_consultation_uq').on(t.consultationId),
    index('outbox_open_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'sending')`),
    // Claims filter on channel (a process claims only what it can deliver) and walk open rows in id order.
    index('outbox_open_channel_id_idx').on(t.channel, t.id).where(sql`${t.status} in ('pending', 'sending')`),
    index('outbox_open_chat_idx').on(t.channel, t.botId, t.chatId, t.id).where(sql`${t.status} in ('pending', 'sending')`),
    index('outbox_created_at_idx').on(t.createdAt),
  ],
);

// ─── Console: sessions, reviews, approved answers ───────────────────────────────────────────────────────────
// Also created by migration 0004_console_search_audit (hand-written, drizzle-kit cannot express it): the function
// console_search_grams(text) and the expression index consultations_question_grams_idx that backs the
// console's Chinese text search, the keyset index consultations_created_seq_idx, and the trigger that
// refuses UPDATE and DELETE on audit_log.

/** Server-side console sessions; the cookie holds a random token, the table only its SHA-256. */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    id: text('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => staffAccounts.id, { onDelete: 'cascade' }),
    /** Synchronizer token every state-changing console request must carry. */
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).defaultNow().notNull(),
    /** Absolute end of the session, whatever its activity. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('console_sessions_account_idx').on(t.accountId)],
);

/** Failed logins per username (known or not, so lock-out reveals nothing about which names exist). */
export const consoleLoginAttempts = pgTable('console_login_attempts', {
  username: text('username').primaryKey(),
  failures: integer('failures').default(0).notNull(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  lastFailureAt: timestamp('last_failure_at', { withTimezone: true }),
});

export type ReviewVerdict = 'correct' | 'incorrect';

/** A reviewer's judgement of one consultation; the newest one counts, earlier ones stay as history. */
export const consultationReviews = pgTable(
  'consultation_reviews',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id, { onDelete: 'cascade' }),
    reviewerId: uuid('reviewer_id')
      .notNull()
      .references(() => staffAccounts.id),
    verdict: text('verdict').$type<ReviewVerdict>().notNull(),
    note: text('note'),
    correctedAnswer: text('corrected_answer'),
    createdAt: createdAt(),
  },
  (t) => [
    index('consultation_reviews_consultation_idx').on(t.consultationId, t.id),
    check('consultation_reviews_verdict_check', sql`${t.verdict} in ('correct', 'incorrect')`),
  ],
);

/** "Next item" locks of the review queue: one reviewer holds a consultation until `locked_until`. */
export const reviewClaims = pgTable('review_claims', {
  consultationId: uuid('consultation_id')
    .primaryKey()
    .references(() => consultations.id, { onDelete: 'cascade' }),
  reviewerId: uuid('reviewer_id')
    .notNull()
    .references(() => staffAccounts.id, { onDelete: 'cascade' }),
  lockedUntil: timestamp('locked_until', { withTimezone: true }).notNull(),
});

export type ApprovedAnswerState = 'pending' | 'active' | 'retired';

/**
 * A staff answer the bot returns for questions that match its question closely enough. Its text lives in
 * versions; `current_version` is the approved one in use (null while the first version awaits approval).
 */
export const approvedAnswers = pgTable(
  'approved_answers',
  {
    id: uuid('id').defaultRandom().primaryKey(),
    state: text('state').$type<ApprovedAnswerState>().default('pending').notNull(),
    currentVersion: integer('current_version'),
    hitCount: integer('hit_count').default(0).notNull(),
    lastHitAt: timestamp('last_hit_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).defaultNow().notNull(),
  },
  (t) => [
    index('approved_answers_state_idx').on(t.state, t.updatedAt),
    check('approved_answers_state_check', sql`${t.state} in ('pending', 'active', 'retired')`),
  ],
);

export type ApprovedVersionStatus = 'proposed' | 'approved' | 'rejected';

/** One wording of an approved answer: written by one account, approved (or rejected) by another admin. */
export const approvedAnswerVersions = pgTable(
  'approved_answer_versions',
  {
    answerId: uuid('answer_id')
      .notNull()
      .references(() => approvedAnswers.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    status: text('status').$type<ApprovedVersionStatus>().default('proposed').notNull(),
    /** The question it answers, as matched against new questions. */
    question: text('question').notNull(),
    answer: text('answer').notNull(),
    /** The articles the answer rests on, returned as its citations. */
    citations: jsonb('citations').$type<Citation[]>().default([]).notNull(),
    sourceConsultationId: uuid('source_consultation_id').references(() => consultations.id, { onDelete: 'set null' }),
    authorId: uuid('author_id')
      .notNull()
      .references(() => staffAccounts.id),
    approverId: uuid('approver_id').references(() => staffAccounts.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.answerId, t.version] }),
    index('approved_answer_versions_status_idx').on(t.status, t.createdAt),
    check('approved_answer_versions_status_check', sql`${t.status} in ('proposed', 'approved', 'rejected')`),
    check('approved_answer_versions_four_eyes_check', sql`${t.approverId} is null or ${t.approverId} <> ${t.authorId}`),
  ],
);

/** Every time the bot returned an approved answer: which version, for what (masked) question, how close. */
export const approvedAnswerHits = pgTable(
  'approved_answer_hits',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    answerId: uuid('answer_id')
      .notNull()
      .references(() => approvedAnswers.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    question: text('question').notNull(),
    similarity: real('similarity').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('approved_answer_hits_answer_idx').on(t.answerId, t.createdAt), index('approved_answer_hits_created_at_idx').on(t.createdAt)],
);

/**
 * One row per shared set that instances cache (`approved_answers`): bumped in the same transaction as every
 * change, so an instance that sees the same revision knows its copy is current.
 */
export const cacheRevisions = pgTable('cache_revisions', {
  name: text('name').primaryKey(),
  revision: bigint('revision', { mode: 'number' }).default(0).notNull(),
});

/**
 * Daily counts for the console's analytics, per (day in China Standard Time, kind, key): kinds `channel`,
 * `outcome`, `answerer`, `topic`, `cited` (documentId#article) and `latency` (a bucket's lower bound in ms).
 * A day is rolled up once it has ended (console_rollup_days), so a range of months sums a few thousand
 * rows instead of scanning every consultation; the current day is always counted live.
 */
export const consoleDailyStats = pgTable(
  'console_daily_stats',
  {
    day: date('day', { mode: 'string' }).notNull(),
    kind: text('kind').notNull(),
    key: text('key').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.kind, t.key] })],
);

/** Days whose rollup is complete. */
export const consoleRollupDays = pgTable('console_rollup_days', {
  day: date('day', { mode: 'string' }).primaryKey(),
  computedAt: timestamp('computed_at', { withTimezone: true }).defaultNow().notNull(),
});
