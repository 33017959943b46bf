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
  doublePrecision,
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
import { CASE_STATUSES, CLOSED_STATUSES, statusListDdl, type CaseStatus, type ConsentEnd } from '../cases/core.js';
import type { AgencyCaseRef, AgencyWebhookEvent, Answer, ChannelName, Citation, InteractionAction, Outcome, PassageRef, PiiFinding, ReplyButton } from '../types.js';

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
    // The console's "one user's consultations" filter.
    index('consultations_user_idx').on(t.channel, t.userId, t.createdAt),
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

/**
 * IP service agencies that referred cases go to: a copy of the registry file (AGENCIES_FILE), synced at start.
 * The id is the registry's own. Agencies removed from the file stay here, inactive, for the cases they had.
 */
export const agencies = pgTable('agencies', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Shipped sample entries: shown to users as examples, to be replaced by the operator. */
  example: boolean('example').default(false).notNull(),
  /** IP fields served: patent, trademark, copyright, trade_secret, geographical_indication, plant_variety, ic_layout. */
  fields: text('fields').array().default(sql`'{}'::text[]`).notNull(),
  /** Services offered: agency, litigation, mediation_arbitration, valuation_finance, overseas, consulting. */
  services: text('services').array().default(sql`'{}'::text[]`).notNull(),
  /** District names served, or ['all']. */
  districts: text('districts').array().default(sql`'{}'::text[]`).notNull(),
  /** Open cases it takes at once. */
  capacity: integer('capacity').notNull(),
  /** Shown to users in the consent notice and once the case is accepted. */
  contact: text('contact').default('').notNull(),
  /** telegram | feishu | webhook; null while the operator has not said how it is reached (not routable). */
  channelType: text('channel_type').$type<'telegram' | 'feishu' | 'webhook'>(),
  /** Chat id or webhook URL. Secrets never leave the registry file or the environment. */
  channelAddress: text('channel_address'),
  active: boolean('active').default(true).notNull(),
  createdAt: createdAt(),
  syncedAt: timestamp('synced_at', { withTimezone: true }).defaultNow().notNull(),
});

// Where a case stands and the transitions allowed live with the other case rules (src/cases/core.ts).
export { CASE_STATUSES, type CaseStatus } from '../cases/core.js';

/**
 * A referral of one consultation to an agency, tracked to its end. Never deleted: retention and /forget
 * withdraw an open case and erase what was shared (question, conversation, contact), keeping the events.
 */
export const cases = pgTable(
  'cases',
  {
    id: uuid('id').defaultRandom().primaryKey(),
    consultationId: uuid('consultation_id').references(() => consultations.id, { onDelete: 'set null' }),
    /** Where the user is: replies about the case go back into this chat. */
    channel: text('channel').$type<ChannelName>().notNull(),
    botId: text('bot_id').notNull(),
    chatId: text('chat_id'),
    userId: text('user_id').notNull(),
    conversationId: text('conversation_id').notNull(),
    replyTo: text('reply_to'),
    status: text('status').$type<CaseStatus>().notNull(),
    /** Why it was offered: requested | professional_service | not_covered. */
    reason: text('reason').notNull(),
    field: text('field'),
    service: text('service'),
    district: text('district'),
    /** The agency the case is with now (or was offered to, awaiting consent). */
    agencyId: text('agency_id').references(() => agencies.id),
    /** Agencies that declined or let an SLA pass: never offered this case again. */
    triedAgencies: text('tried_agencies').array().default(sql`'{}'::text[]`).notNull(),
    /** What an agency receives, masked: the question and the conversation before it. Erased when the case ends. */
    question: text('question'),
    conversation: jsonb('conversation').$type<{ question: string; answer: string }[]>(),
    /** The contact the user chose to give, AES-256-GCM with CASE_DATA_KEY. Erased when the case ends. */
    contactCipher: text('contact_cipher'),
    /** What the intake still asks the user, e.g. the district. */
    pending: text('pending'),
    resolved: boolean('resolved'),
    rating: smallint('rating'),
    ratingComment: text('rating_comment'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).defaultNow().notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    /** When the shared data was erased. */
    erasedAt: timestamp('erased_at', { withTimezone: true }),
  },
  (t) => [
    check('cases_status_check', sql.raw(`status in (${statusListDdl(CASE_STATUSES)})`)),
    check('cases_rating_check', sql`${t.rating} between 1 and 5`),
    // One open case per consultation: a double click or a second instance finds the first.
    uniqueIndex('cases_open_consultation_uq').on(t.consultationId).where(sql.raw(`status not in (${statusListDdl(CLOSED_STATUSES)})`)),
    index('cases_status_idx').on(t.status, t.updatedAt),
    index('cases_agency_status_idx').on(t.agencyId, t.status),
    index('cases_user_idx').on(t.channel, t.userId),
    // The console: whether a consultation was referred (any case, open or not), and the board's keyset pages.
    index('cases_consultation_idx').on(t.consultationId),
    index('cases_created_idx').on(t.createdAt, t.id),
  ],
);

/** Append-only history of a case: every transition and message, who caused it and why. */
export const caseEvents = pgTable(
  'case_events',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    /** e.g. offered, consent_requested, consent_given, requested, accepted, declined, sla_breached, answered … */
    type: text('type').notNull(),
    /** `user`, `agency:<id>`, `staff:<id>` or `system`. */
    actor: text('actor').notNull(),
    fromStatus: text('from_status').$type<CaseStatus>(),
    toStatus: text('to_status').$type<CaseStatus>(),
    agencyId: text('agency_id'),
    /** Never personal data: reasons, hashes, counts. */
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  // The console's response times read the events of one type over a range of days.
  (t) => [index('case_events_case_idx').on(t.caseId, t.id), index('case_events_type_created_idx').on(t.type, t.createdAt)],
);

/** What the user was told and answered before anything was shared (PIPL art. 23): one row per agency asked for. */
export const caseConsents = pgTable(
  'case_consents',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    agencyId: text('agency_id').notNull(),
    noticeVersion: text('notice_version').notNull(),
    /** sha256 of the notice text the user answered. */
    noticeHash: text('notice_hash').notNull(),
    noticeText: text('notice_text').notNull(),
    /** Names of the data the agency receives: question, conversation, contact. */
    data: text('data').array().notNull(),
    /** given | refused; null while the user has not answered. */
    decision: text('decision').$type<'given' | 'refused'>(),
    /** The platform event that carried the answer (button press, API call). */
    decidedVia: text('decided_via'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /** When consent given ended, and why: the user withdrew it, or the agency declined or let its SLA pass. */
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
    endedBy: text('ended_by').$type<ConsentEnd>(),
    createdAt: createdAt(),
  },
  (t) => [index('case_consents_case_idx').on(t.caseId, t.id)],
);

/** Messages of a case as the user sees them: the bot's notices and the agency's answers. */
export const caseMessages = pgTable(
  'case_messages',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    from: text('from').$type<'agency' | 'bot'>().notNull(),
    text: text('text').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('case_messages_case_idx').on(t.caseId, t.id)],
);

/**
 * SLA timers: time to accept and time to answer, due in working time. A row fires once (claimed with SKIP LOCKED
 * in the transaction that applies the breach) and is cancelled when the case moves on.
 */
export const caseTimers = pgTable(
  'case_timers',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    kind: text('kind').$type<'accept' | 'answer'>().notNull(),
    agencyId: text('agency_id').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    firedAt: timestamp('fired_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('case_timers_due_idx').on(t.dueAt).where(sql`fired_at is null and cancelled_at is null`),
    index('case_timers_case_idx').on(t.caseId),
  ],
);

/**
 * Which case each message posted to an agency's chat belongs to: an agency answers a case by replying to
 * one of them. The case's own table, written when the message was posted, so the link lasts as long as the
 * case (not as long as the queue keeps its sent rows).
 */
export const caseAgencyMessages = pgTable(
  'case_agency_messages',
  {
    channel: text('channel').$type<ChannelName>().notNull(),
    chatId: text('chat_id').notNull(),
    platformMessageId: text('platform_message_id').notNull(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    agencyId: text('agency_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.chatId, t.platformMessageId] })],
);

/** Console users: government staff, reviewers and agency staff. */
export const staffAccounts = pgTable('staff_accounts', {
  id: uuid('id').defaultRandom().primaryKey(),
  username: text('username').notNull().unique('staff_accounts_username_uq'),
  displayName: text('display_name').notNull(),
  /** admin | reviewer | agency. */
  role: text('role').notNull(),
  /** For role `agency`: the registry id of the agency the account works for. */
  agencyId: text('agency_id').references(() => agencies.id),
  passwordHash: text('password_hash'),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  createdAt: createdAt(),
  passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
  /** TOTP shared secret (base32) once enrolment has started; it counts only from `totpEnabledAt` on. */
  totpSecret: text('totp_secret'),
  totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true }),
  /** The last time step a code was accepted for: a code is good once (no replay inside its window). */
  totpLastStep: bigint('totp_last_step', { mode: 'number' }),
  /** SHA-256 hashes of the unused recovery codes. */
  recoveryCodes: jsonb('recovery_codes').$type<string[]>(),
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
    /** `message` (a question, or an agency's reply to a case notice) or `interaction` (a button, a command). */
    kind: text('kind').$type<'message' | 'interaction'>().default('message').notNull(),
    text: text('text').notNull(),
    /** For interactions: what was pressed or commanded. */
    action: jsonb('action').$type<InteractionAction>(),
    /** The bot's platform message this one replies to. */
    quoted: text('quoted'),
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

/** An answer as a card shows it, for a card that is redrawn with a status line. */
export interface AnswerCard {
  text: string;
  citations: Citation[];
  answerer?: Answer['answerer'];
}

/** What an outbox row asks for. Rows written before kinds existed are answers. */
export type OutboxPayload = (
  | { kind?: 'answer'; text: string; outcome?: Outcome; citations: Citation[]; answerer?: Answer['answerer'] }
  /** A message without an answer's buttons: command replies, case notices, prompts with their own buttons. */
  | { kind: 'notice'; text: string; buttons?: ReplyButton[][]; caseId?: string; contacts?: boolean; agencyCase?: AgencyCaseRef }
  /** Replace the buttons of an earlier message (`target`) with a status line. */
  | { kind: 'card_update'; target: string; text: string; consultationId?: string; card?: AnswerCard }
  /** A signed delivery to a webhook agency (channel `webhook`, chat = agency id). */
  | { kind: 'agency_event'; caseId: string; event: AgencyWebhookEvent; agencyCase?: AgencyCaseRef }
) & {
  /** Messages of a split reply already posted, written while it is being sent (Outbox.markPartsSent). */
  partsSent?: number;
};

/**
 * Messages waiting to be sent, written in the same transaction as what caused them (a consultation, a case
 * transition, an interaction). Unique per (source, kind): one cause never sends the same kind of message twice,
 * however often it is worked. Within a chat rows go out in `id` order, each after the previous one.
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
    /** What caused the row, e.g. `inbox:12`, `case-event:34`; with `kind`, its idempotency key. */
    source: text('source').notNull(),
    kind: text('kind').$type<NonNullable<OutboxPayload['kind']>>().default('answer').notNull(),
    payload: jsonb('payload').$type<OutboxPayload>().notNull(),
    status: text('status').$type<OutboxStatus>().default('pending').notNull(),
    attempts: integer('attempts').default(0).notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).defaultNow().notNull(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /** The platform's id of the posted message (Telegram message_id, Feishu message_id): replies to it are found by it. */
    platformMessageId: text('platform_message_id'),
  },
  (t) => [
    uniqueIndex('outbox_source_kind_uq').on(t.source, t.kind),
    index('outbox_platform_message_idx').on(t.channel, t.chatId, t.platformMessageId).where(sql`${t.platformMessageId} is not null`),
    index('outbox_open_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'sending')`),
    // Claims filter on channel (a process claims only what it can deliver) and walk open rows in id order.
    index('outbox_open_channel_id_idx').on(t.channel, t.id).where(sql`${t.status} in ('pending', 'sending')`),
    index('outbox_open_chat_idx').on(t.channel, t.botId, t.chatId, t.id).where(sql`${t.status} in ('pending', 'sending')`),
    index('outbox_created_at_idx').on(t.createdAt),
  ],
);

// ─── Console: sessions, reviews, approved answers ───────────────────────────────────────────────────────────
// Also created by migration 0005_console_search_audit (hand-written, drizzle-kit cannot express it): the function
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
    /** `full`, or a sign-in half done: `totp` (the code is still due) or `enrol` (a second factor must be set up first). */
    stage: text('stage').default('full').notNull(),
  },
  (t) => [index('console_sessions_account_idx').on(t.accountId)],
);

/**
 * Failed sign-ins per username and source address, so that an attacker slows only their own attempts and
 * never locks the account's owner out. A name that is no account is kept as a keyed hash (what was typed
 * may be a password), so lock-out answers alike for names that exist and names that do not.
 */
export const consoleLoginAttempts = pgTable(
  'console_login_attempts',
  {
    username: text('username').notNull(),
    address: text('address').default('').notNull(),
    failures: integer('failures').default(0).notNull(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastFailureAt: timestamp('last_failure_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.username, t.address] })],
);

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
 * Send slots shared by every instance on the database, per limit key (`feishu:app:<appId>`,
 * `feishu:chat:<chatId>`): the last `limit` slots reserved, oldest first, in milliseconds since the epoch
 * on the database's clock (one clock for all instances). src/store/send-windows.ts reserves with one upsert.
 * The migration creates it UNLOGGED (no WAL flush per reservation; a server crash empties it, which costs
 * nothing but a second's accuracy).
 */
export const sendWindows = pgTable('send_windows', {
  key: text('key').primaryKey(),
  slotsMs: doublePrecision('slots_ms').array().notNull(),
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

/**
 * WeChat (WeCom 微信客服): where reading an account's messages (kf/sync_msg) goes on. The cursor only moves
 * in the transaction that stores the messages read before it (in the inbox, unique on their msgid), and only
 * from the value the reader started from, so two readers never both advance it and none skips a message.
 */
export const wecomCursors = pgTable('wecom_cursors', {
  openKfId: text('open_kfid').primaryKey(),
  cursor: text('cursor').notNull().default(''),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * WeChat: what WeCom still lets the service send to one customer. Each customer message opens 48 hours in
 * which at most 5 messages may be sent; `sent` counts them (a reply's parts are reserved at once, once per
 * outbox row: `reservedFor`/`reservedParts` make a retried row reuse its reservation).
 */
export const wecomSessions = pgTable(
  'wecom_sessions',
  {
    openKfId: text('open_kfid').notNull(),
    externalUserId: text('external_userid').notNull(),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }).notNull(),
    sent: integer('sent').notNull().default(0),
    reservedFor: bigint('reserved_for', { mode: 'number' }),
    reservedParts: integer('reserved_parts').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.openKfId, t.externalUserId] })],
);
