/**
 * How a messaging platform plugs into the service. A channel translates only: its webhook routes or poller
 * hand each message and button press to `inbox.accept()` and acknowledge at once; its deliverer posts what
 * the outbox holds. What messages mean is decided in src/interactions/ and the answer path, never here.
 */
import type { FastifyInstance } from 'fastify';
import type { ChannelState } from '../channel-supervisor.js';
import type { InboxJob, Inbox } from '../queue/inbox.js';
import type { Outbox } from '../queue/outbox.js';
import type { Database } from '../store/db.js';
import type { Deliverer } from '../types.js';

/** What the service lends a channel that keeps state of its own (WeChat's read cursor and send quota). */
export interface ChannelContext {
  db: Database;
  inbox: Inbox;
  outbox: Outbox;
  /** Tells the worker that the inbox has new rows (after the channel stored some outside a webhook). */
  wakeWorker(): void;
}

export interface ChannelPlugin {
  /** `telegram`, `feishu`, `wechat`: the key of its state in /readyz and /metrics. */
  readonly name: string;
  /** Posts this channel's messages from the outbox. */
  readonly deliverer?: Deliverer;
  /** Adds webhook routes before the server listens; `context` is there for channels that need the database. */
  register?(app: FastifyInstance, inbox: Inbox, context: ChannelContext): Promise<void> | void;
  /**
   * Connects after the server listens (identity, commands, poller or long connection), in the background:
   * a failure is retried with back-off (src/channel-supervisor.ts); `report` tells of later state changes.
   */
  start?(inbox: Inbox, report: (state: ChannelState) => void): Promise<void>;
  /** Stops taking messages (first step of shutdown). */
  stop?(): Promise<void>;
  /** Shows the asker that a generated answer is being drafted (typing, a reaction); returns what ends it. */
  drafting?(question: DraftingQuestion): () => void;
  /**
   * Works an inbox row the channel stored for itself (WeChat stores each callback, which names no message,
   * and reads the messages when the row is worked); false for every other row. The row must be completed
   * in the channel's own transaction.
   */
  handleInbound?(job: InboxJob): Promise<boolean>;
}

/** What a channel needs to show that an answer is coming (the worker's job carries replyTo as well). */
export interface DraftingQuestion {
  chatId?: string;
  messageId?: string;
  replyTo?: string;
}
