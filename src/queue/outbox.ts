/**
 * Replies waiting to be sent. Rows are written in the transaction that records their consultation and
 * leased by the sender like inbox rows; only the oldest open row of a chat can be leased, so a chat's
 * replies leave in order and a retrying row holds back the ones after it.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { coalesce } from '../store/coalesce.js';
import { queryRows, type Database } from '../store/db.js';
import { outbox, type OutboxPayload, type OutboxStatus } from '../store/schema.js';
import type { ChannelName, OutgoingReply } from '../types.js';
import { expireAllLeases, leaseOldestPerChat, type LeaseTable } from './lease.js';
import { millis, queueStats, type QueueStats } from './queue-stats.js';

export const OPEN_OUTBOX: readonly OutboxStatus[] = ['pending', 'sending'];
export const OUTBOX_LEASE: LeaseTable = { table: 'outbox', waiting: 'pending', leased: 'sending', dueColumn: 'next_attempt_at' };

/** Claims take only rows this process can deliver. */
export const deliverableBy = (channels: readonly ChannelName[]): SQL => sql`r.channel in (${sql.join(channels.map((c) => sql`${c}`), sql`, `)})`;

/** A message to queue: where it goes, what it says, and what caused it. */
export interface NewOutboxRow {
  /** The cause, e.g. `inbox:12` or `case:<id>:<event>:user`; a second row with the same source and kind is dropped. */
  source: string;
  inboxId?: number;
  consultationId?: string;
  channel: ChannelName;
  botId: string;
  chatId: string;
  replyTo?: string;
  payload: OutboxPayload;
}

export class Outbox {
  constructor(private readonly db: Database) {}

  /**
   * Queues a message inside the caller's transaction. A second row with the same source and kind is
   * dropped: a message is answered once, a transition notified once, however often they were worked.
   */
  async enqueueIn(tx: Database, row: NewOutboxRow): Promise<boolean> {
    return (await this.enqueueAllIn(tx, [row])) === 1;
  }

  /** `enqueueIn()` for several replies in one statement; returns how many were new. */
  async enqueueAllIn(tx: Database, rows: NewOutboxRow[]): Promise<number> {
    if (!rows.length) return 0;
    const inserted = await tx
      .insert(outbox)
      .values(
        rows.map((row) => ({
          source: row.source,
          kind: row.payload.kind ?? 'answer',
          inboxId: row.inboxId ?? null,
          consultationId: row.consultationId ?? null,
          channel: row.channel,
          botId: row.botId,
          chatId: row.chatId,
          replyTo: row.replyTo ?? null,
          payload: row.payload,
        })),
      )
      .onConflictDoNothing({ target: [outbox.source, outbox.kind] })
      .returning({ id: outbox.id });
    return inserted.length;
  }

  /** Leases up to `limit` due rows of the given channels for `leaseMs`, at most one per chat. */
  async claim(channels: readonly ChannelName[], limit: number, leaseMs: number): Promise<OutgoingReply[]> {
    if (!channels.length) return [];
    const rows = await leaseOldestPerChat(this.db, OUTBOX_LEASE, deliverableBy(channels), limit, leaseMs);
    return rows.map(toReply).sort((a, b) => a.id - b.id);
  }

  /**
   * Marks a delivered row sent. Deliveries finishing while an earlier mark is being written share one
   * UPDATE: under load a round trip serves many replies, and the mark is never held back for a batch.
   */
  markSent(id: number, platformMessageId?: string): Promise<void> {
    return this.markSentBatched([id, platformMessageId]);
  }

  /**
   * One UPDATE for the whole batch, message ids included (they matter where someone may reply to the message,
   * e.g. an agency answering a case notice): until it commits, a crash re-sends the batch's replies, and
   * Telegram, which has no idempotency key, shows them twice. Keeping it to one round trip keeps that short.
   */
  private readonly markSentBatched = coalesce(async (marks: [number, string | undefined][]) => {
    const values = sql.join(marks.map(([id, messageId]) => sql`(${id}::bigint, ${messageId ?? null}::text)`), sql`, `);
    await queryRows(
      this.db,
      sql`update ${outbox} set status = 'sent', sent_at = now(), locked_until = null, last_error = null,
                 platform_message_id = coalesce(v.message_id, ${outbox.platformMessageId})
          from (values ${values}) as v(id, message_id) where ${outbox.id} = v.id`,
    );
    return marks.map(() => undefined);
  });

  /** Stores how many messages of a split reply are posted (kept in the payload, read back as `partsSent`). */
  async markPartsSent(id: number, parts: number): Promise<void> {
    await this.db
      .update(outbox)
      .set({ payload: sql`jsonb_set(${outbox.payload}, '{partsSent}', to_jsonb(${parts}::int))` })
      .where(and(eq(outbox.id, id), eq(outbox.status, 'sending')));
  }

  async retryLater(id: number, delayMs: number, error: string): Promise<void> {
    await this.db
      .update(outbox)
      .set({ status: 'pending', nextAttemptAt: sql`now() + ${millis(delayMs)}`, lockedUntil: null, lastError: error })
      .where(and(eq(outbox.id, id), eq(outbox.status, 'sending')));
  }

  /** No more attempts: the row is kept for inspection and stops holding back its chat. */
  async bury(id: number, error: string): Promise<void> {
    await this.db.update(outbox).set({ status: 'dead', lockedUntil: null, lastError: error }).where(eq(outbox.id, id));
  }

  /**
   * Queues again, inside the caller's transaction, the chat's rows that were given up because the platform
   * takes them only after the user writes (WeChat: 48 hours and 5 messages per customer message); their
   * error names `marker`. Called in the transaction that stores the user's next message, so that what they
   * missed (an agency's answer) goes out first, ahead of the answer to that message.
   */
  async reviveIn(tx: Database, where: { channel: ChannelName; botId: string; chatId: string }, marker: string, withinDays = 30): Promise<number> {
    const revived = await tx
      .update(outbox)
      .set({ status: 'pending', attempts: 0, nextAttemptAt: sql`now()`, lockedUntil: null, lastError: null })
      .where(
        and(
          eq(outbox.channel, where.channel),
          eq(outbox.botId, where.botId),
          eq(outbox.chatId, where.chatId),
          eq(outbox.status, 'dead'),
          sql`${outbox.lastError} like ${`%${marker}%`}`,
          sql`${outbox.createdAt} > now() - ${millis(withinDays * 86_400_000)}`,
        ),
      )
      .returning({ id: outbox.id });
    return revived.length;
  }

  /**
   * A sent row the platform reported afterwards as not delivered (WeChat: the customer refused it): kept
   * as `dead` with the platform's reason, never sent again.
   */
  async markUndelivered(id: number, channel: ChannelName, error: string): Promise<boolean> {
    const rows = await this.db
      .update(outbox)
      .set({ status: 'dead', lastError: error })
      .where(and(eq(outbox.id, id), eq(outbox.channel, channel), eq(outbox.status, 'sent')))
      .returning({ id: outbox.id });
    return rows.length > 0;
  }

  /** Makes rows leased by a dead process claimable now; see expireAllLeases() for when that is safe. */
  expireLeases(): Promise<number> {
    return expireAllLeases(this.db, OUTBOX_LEASE);
  }

  stats(): Promise<QueueStats> {
    return queueStats(this.db, 'outbox', OPEN_OUTBOX);
  }
}

function toReply(row: Record<string, unknown>): OutgoingReply {
  const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as OutboxPayload;
  const base = {
    id: Number(row.id),
    channel: row.channel as ChannelName,
    botId: String(row.bot_id),
    chatId: String(row.chat_id),
    replyTo: row.reply_to == null ? undefined : String(row.reply_to),
    attempt: Number(row.attempts),
    ...(payload.partsSent ? { partsSent: payload.partsSent } : {}),
  };
  switch (payload.kind) {
    case 'notice':
      return { ...base, kind: 'message', text: payload.text, citations: [], buttons: payload.buttons, contacts: payload.contacts, ...(payload.agencyCase ? { agencyCase: payload.agencyCase } : {}) };
    case 'card_update':
      return { ...base, kind: 'card_update', text: payload.text, citations: [], target: payload.target, consultationId: payload.consultationId, card: payload.card };
    case 'agency_event':
      return { ...base, kind: 'agency_event', text: '', citations: [], event: payload.event, ...(payload.agencyCase ? { agencyCase: payload.agencyCase } : {}) };
    default:
      return {
        ...base,
        kind: 'message',
        text: payload.text,
        outcome: payload.outcome,
        citations: payload.citations ?? [],
        answerer: payload.answerer,
        consultationId: row.consultation_id == null ? undefined : String(row.consultation_id),
      };
  }
}
