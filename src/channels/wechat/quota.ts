/**
 * What WeCom still lets the service send to a customer: each customer message opens 48 hours in which at
 * most 5 messages may be sent (kf/send_msg). Counted in the database, so that every instance on one Postgres
 * shares the count; a reply reserves all its messages at once, before the first is sent, and a retried
 * reply (the same outbox row) reuses its reservation instead of counting twice.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../store/db.js';
import { wecomSessions } from '../../store/schema.js';
import { MESSAGES_PER_CUSTOMER_MESSAGE } from './format.js';

/** WeCom's window after a customer message. */
export const SEND_WINDOW_MS = 48 * 60 * 60 * 1000;

export class SendQuota {
  constructor(
    private readonly db: Database,
    private readonly openKfId: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A customer message was stored (in the caller's transaction): a fresh window and a fresh count. */
  async customerWroteIn(tx: Database, externalUserId: string, at: Date): Promise<void> {
    await tx
      .insert(wecomSessions)
      .values({ openKfId: this.openKfId, externalUserId, lastMessageAt: at, sent: 0 })
      .onConflictDoUpdate({
        target: [wecomSessions.openKfId, wecomSessions.externalUserId],
        set: {
          // Messages can be read out of order across pages; only a newer one opens a new window.
          sent: sql`case when excluded.last_message_at >= ${wecomSessions.lastMessageAt} then 0 else ${wecomSessions.sent} end`,
          reservedFor: sql`case when excluded.last_message_at >= ${wecomSessions.lastMessageAt} then null else ${wecomSessions.reservedFor} end`,
          lastMessageAt: sql`greatest(${wecomSessions.lastMessageAt}, excluded.last_message_at)`,
        },
      });
  }

  /**
   * Reserves the messages of outbox row `replyId`: `count(budget)` says how many it needs when at most
   * `budget` are left. Returns the number reserved, or undefined when nothing may be sent until the customer
   * writes again (no message of theirs within 48 hours, or its 5 messages used).
   */
  async reserve(externalUserId: string, replyId: number, count: (budget: number) => number): Promise<number | undefined> {
    const where = and(eq(wecomSessions.openKfId, this.openKfId), eq(wecomSessions.externalUserId, externalUserId));
    for (let attempt = 0; attempt < 10; attempt++) {
      const [row] = await this.db.select().from(wecomSessions).where(where);
      if (!row || row.lastMessageAt.getTime() < this.now() - SEND_WINDOW_MS) return undefined;
      if (row.reservedFor === replyId) return row.reservedParts;
      const budget = MESSAGES_PER_CUSTOMER_MESSAGE - row.sent;
      if (budget < 1) return undefined;
      const parts = count(budget);
      // Compare-and-set on the count and the window: a concurrent reservation or a new customer message wins.
      const updated = await this.db
        .update(wecomSessions)
        .set({ sent: row.sent + parts, reservedFor: replyId, reservedParts: parts })
        .where(and(where, eq(wecomSessions.sent, row.sent), eq(wecomSessions.lastMessageAt, row.lastMessageAt)))
        .returning({ sent: wecomSessions.sent });
      if (updated.length) return parts;
    }
    throw new Error('wecom send quota: too many concurrent reservations');
  }
}
