/**
 * The durable inbox: a webhook or poller calls `accept()` and acknowledges the platform as soon as it
 * returns; workers `claim()` rows later. The row is its own job, leased with `FOR UPDATE SKIP LOCKED`.
 *
 * Why not pg-boss: it needs a real Postgres server (its own schema, LISTEN/NOTIFY, advisory locks, a pool),
 * and the embedded default, PGlite, is single-connection. `SKIP LOCKED` over one table works on both drivers.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Failpoint } from '../failpoint.js';
import { coalesce } from '../store/coalesce.js';
import type { Database } from '../store/db.js';
import { storable } from '../store/storable.js';
import { inbox, type InboxStatus } from '../store/schema.js';
import type { ChannelName, IncomingMessage, Interaction, InteractionAction } from '../types.js';
import { expireAllLeases, leaseOldestPerChat, type LeaseTable } from './lease.js';
import { millis, queueStats, type QueueStats } from './queue-stats.js';

/** What a channel stores: a message (a question, or an agency's reply) or an interaction (a button, a command). */
export type InboxItem = IncomingMessage | Interaction;

export const isInteraction = (item: InboxItem): item is Interaction => 'action' in item && item.action !== undefined;

/** A claimed inbox row: the message (or interaction) and how many times it has been tried (this claim included). */
export interface InboxJob extends IncomingMessage {
  id: number;
  attempts: number;
  /** Set for interactions: what was pressed or commanded. */
  action?: InteractionAction;
}

/** The columns a webhook's item fills; the rest take their defaults. */
const ACCEPT_COLUMNS = ['channel', 'botId', 'eventId', 'chatId', 'userId', 'conversationId', 'messageId', 'replyTo', 'kind', 'text', 'action', 'quoted', 'raw'] as const;
type AcceptColumn = (typeof ACCEPT_COLUMNS)[number];

export const OPEN_INBOX: readonly InboxStatus[] = ['queued', 'running'];
export const INBOX_LEASE: LeaseTable = { table: 'inbox', waiting: 'queued', leased: 'running', dueColumn: 'run_after' };

export class Inbox {
  constructor(
    private readonly db: Database,
    private readonly options: { failpoint?: Failpoint } = {},
  ) {}

  /**
   * Stores a message or interaction unless its (channel, botId, eventId) is known: true when new, false for a
   * redelivery. Resolves only once the row is committed. Items arriving while earlier ones are being written
   * share one INSERT, so a burst of webhooks costs a few commits, not one each.
   */
  readonly accept: (item: InboxItem) => Promise<boolean> = coalesce((items: InboxItem[]) => this.acceptAll(items));

  /** Stores several items in one statement; per item, whether it was new (a repeat in the batch is not). */
  async acceptAll(messages: InboxItem[]): Promise<boolean[]> {
    const values: Record<string, unknown> = {};
    acceptRows(messages).forEach((row, i) => {
      for (const column of ACCEPT_COLUMNS) values[`${column}${i}`] = row[column];
    });
    const inserted = await this.acceptStatement(messages.length).execute(values);
    if (this.options.failpoint) for (const m of messages) this.options.failpoint('inbox.accepted', { channel: m.channel });
    return freshOnes(messages, inserted);
  }

  /**
   * `acceptAll()` inside the caller's transaction, for items a channel reads itself (WeChat's pulled
   * messages), stored in the transaction that moves its read position past them.
   */
  async acceptAllIn(tx: Database, messages: InboxItem[]): Promise<boolean[]> {
    if (!messages.length) return [];
    const inserted = await tx
      .insert(inbox)
      .values(acceptRows(messages) as unknown as (typeof inbox.$inferInsert)[])
      .onConflictDoNothing({ target: [inbox.channel, inbox.botId, inbox.eventId] })
      .returning({ channel: inbox.channel, botId: inbox.botId, eventId: inbox.eventId });
    return freshOnes(messages, inserted);
  }

  /**
   * The accept INSERT for `rows` rows, built once and kept: building a query costs drizzle more CPU than
   * sending it, and this one runs for every webhook the service acknowledges.
   */
  private acceptStatement(rows: number) {
    let statement = this.acceptStatements.get(rows);
    if (!statement) this.acceptStatements.set(rows, (statement = this.buildAccept(rows)));
    return statement;
  }

  private buildAccept(rows: number) {
    const row = (i: number) => Object.fromEntries(ACCEPT_COLUMNS.map((column) => [column, sql.placeholder(`${column}${i}`)])) as unknown as typeof inbox.$inferInsert;
    return this.db
      .insert(inbox)
      .values(Array.from({ length: rows }, (_, i) => row(i)))
      .onConflictDoNothing({ target: [inbox.channel, inbox.botId, inbox.eventId] })
      .returning({ channel: inbox.channel, botId: inbox.botId, eventId: inbox.eventId })
      .prepare(`inbox_accept_${rows}`);
  }

  private readonly acceptStatements = new Map<number, ReturnType<Inbox['buildAccept']>>();

  /**
   * Leases up to `limit` due rows for `leaseMs`: queued rows whose time has come, and running rows whose
   * lease ran out (their worker died). Only the oldest open row of each chat is eligible, so a chat's
   * messages are answered in order and each sees the history of the one before.
   */
  async claim(limit: number, leaseMs: number): Promise<InboxJob[]> {
    const rows = await leaseOldestPerChat(this.db, INBOX_LEASE, sql`true`, limit, leaseMs);
    return rows.map(toJob).sort((a, b) => a.id - b.id);
  }

  /** Marks rows done inside the transaction that recorded their answers; drops the question text they held. */
  async completeIn(tx: Database, ids: number | number[], note?: string): Promise<void> {
    const list = typeof ids === 'number' ? [ids] : ids;
    if (!list.length) return;
    await tx
      .update(inbox)
      .set({ status: 'done', text: '', raw: null, action: null, lockedUntil: null, finishedAt: sql`now()`, lastError: note ?? null })
      .where(list.length === 1 ? eq(inbox.id, list[0]!) : inArray(inbox.id, list));
  }

  /** The newest open row of a chat (channel, bot, chat), if any. */
  async lastOpenIdOfChat(chat: { channel: ChannelName; botId: string; chatId: string }): Promise<number | undefined> {
    const [row] = await this.db
      .select({ id: sql<number | null>`max(${inbox.id})` })
      .from(inbox)
      .where(and(eq(inbox.channel, chat.channel), eq(inbox.botId, chat.botId), eq(inbox.chatId, chat.chatId), inArray(inbox.status, [...OPEN_INBOX])));
    return row?.id == null ? undefined : Number(row.id);
  }

  /**
   * Completes, inside the caller's transaction, the queued rows of a chat up to `upToId` that the caller's
   * work made redundant (WeChat: callbacks whose messages one read has stored). Rows another worker holds
   * are left to it.
   */
  async completeQueuedOfChatIn(tx: Database, chat: { channel: ChannelName; botId: string; chatId: string }, upToId: number, note: string): Promise<number> {
    const done = await tx
      .update(inbox)
      .set({ status: 'done', text: '', raw: null, action: null, lockedUntil: null, finishedAt: sql`now()`, lastError: note })
      .where(and(eq(inbox.channel, chat.channel), eq(inbox.botId, chat.botId), eq(inbox.chatId, chat.chatId), eq(inbox.status, 'queued'), sql`${inbox.id} <= ${upToId}`))
      .returning({ id: inbox.id });
    return done.length;
  }

  /** Gives up on a row after its last attempt (the caller queues an apology in the same transaction). */
  async buryIn(tx: Database, id: number, error: string): Promise<void> {
    await tx
      .update(inbox)
      .set({ status: 'dead', text: '', raw: null, action: null, lockedUntil: null, finishedAt: sql`now()`, lastError: error })
      .where(eq(inbox.id, id));
  }

  /** Puts a failed row back in the queue after `delayMs`. */
  async retryLater(id: number, delayMs: number, error: string): Promise<void> {
    await this.db
      .update(inbox)
      .set({ status: 'queued', runAfter: sql`now() + ${millis(delayMs)}`, lockedUntil: null, lastError: error })
      .where(and(eq(inbox.id, id), eq(inbox.status, 'running')));
  }

  /** Returns leased rows that were never started (shutdown), without counting the attempt. */
  async release(ids: number[]): Promise<void> {
    if (!ids.length) return;
    await this.db
      .update(inbox)
      .set({ status: 'queued', lockedUntil: null, attempts: sql`greatest(0, ${inbox.attempts} - 1)` })
      .where(and(inArray(inbox.id, ids), eq(inbox.status, 'running')));
  }

  /** Makes rows leased by a dead process claimable now; see expireAllLeases() for when that is safe. */
  expireLeases(): Promise<number> {
    return expireAllLeases(this.db, INBOX_LEASE);
  }

  stats(): Promise<QueueStats> {
    return queueStats(this.db, 'inbox', OPEN_INBOX);
  }
}

/** The accept columns of each item (a NUL anywhere in a platform's event would fail the insert, and the webhook, at every retry). */
function acceptRows(messages: InboxItem[]): Record<AcceptColumn, unknown>[] {
  return messages.map((m) => {
    storable(m);
    const interaction = isInteraction(m);
    return {
      channel: m.channel,
      botId: m.botId,
      eventId: m.eventId,
      chatId: m.chatId,
      userId: m.userId,
      conversationId: m.conversationId,
      messageId: m.messageId ?? null,
      replyTo: m.replyTo ?? null,
      kind: interaction ? 'interaction' : 'message',
      text: interaction ? '' : m.text,
      action: interaction ? m.action : null,
      quoted: interaction ? null : (m.quoted ?? null),
      raw: interaction ? null : (m.raw ?? null),
    };
  });
}

/** Per item, whether the INSERT returned it (a repeat within the batch is not new). */
function freshOnes(messages: InboxItem[], inserted: { channel: string; botId: string; eventId: string }[]): boolean[] {
  const fresh = new Set(inserted.map((r) => `${r.channel}\u0000${r.botId}\u0000${r.eventId}`));
  return messages.map((m) => fresh.delete(`${m.channel}\u0000${m.botId}\u0000${m.eventId}`));
}

function toJob(row: Record<string, unknown>): InboxJob {
  const optional = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
  return {
    id: Number(row.id),
    attempts: Number(row.attempts),
    channel: row.channel as ChannelName,
    botId: String(row.bot_id),
    eventId: String(row.event_id),
    chatId: String(row.chat_id),
    userId: String(row.user_id),
    conversationId: String(row.conversation_id),
    messageId: optional(row.message_id),
    replyTo: optional(row.reply_to),
    text: String(row.text),
    quoted: optional(row.quoted),
    raw: row.raw ?? undefined,
    ...(row.kind === 'interaction' && row.action ? { action: (typeof row.action === 'string' ? JSON.parse(row.action) : row.action) as InteractionAction } : {}),
  };
}
