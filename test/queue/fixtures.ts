import { sql } from 'drizzle-orm';
import type { Consult } from '../../src/consult.js';
import { createDrafter, createResponder } from '../../src/queue/respond.js';
import { Inbox } from '../../src/queue/inbox.js';
import { Outbox } from '../../src/queue/outbox.js';
import type { WorkerDeps } from '../../src/queue/worker.js';
import { ConsultationStore } from '../../src/store/consultations.js';
import { queryRows, type Database } from '../../src/store/db.js';
import type { IncomingMessage } from '../../src/types.js';
import { shippedConsult } from '../helpers.js';

let nextEvent = 0;

/** A Telegram-like message in `chat`; each call gets a new event and message id unless given. */
export function message(chat: string, text: string, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  nextEvent++;
  return {
    channel: 'telegram',
    botId: 'bot-1',
    eventId: `ev-${nextEvent}`,
    chatId: chat,
    userId: `user-${chat}`,
    conversationId: `telegram:${chat}`,
    messageId: `${chat}:${nextEvent}`,
    text,
    ...overrides,
  };
}

/** The queue's parts over one database, with the shipped knowledge. */
export async function queueParts(db: Database, consult?: Consult) {
  const store = new ConsultationStore(db);
  const inbox = new Inbox(db);
  const outbox = new Outbox(db);
  const answering = { db, store, consult: consult ?? (await shippedConsult()) };
  const respond = createResponder(answering);
  const errors: unknown[] = [];
  const deps: WorkerDeps = { db, inbox, outbox, store, draft: createDrafter(answering), onError: (e) => errors.push(e) };
  return { store, inbox, outbox, respond, deps, errors };
}

export async function count(db: Database, table: string, where = 'true'): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(db, sql.raw(`select count(*) as n from ${table} where ${where}`));
  return Number(row?.n ?? 0);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
