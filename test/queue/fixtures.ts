import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { onTestFailed } from 'vitest';
import type { Consult } from '../../src/consult.js';
import { createDrafter, createResponder } from '../../src/queue/respond.js';
import { Inbox } from '../../src/queue/inbox.js';
import { Outbox } from '../../src/queue/outbox.js';
import type { WorkerDeps } from '../../src/queue/worker.js';
import { ConsultationStore } from '../../src/store/consultations.js';
import { queryRows, type Database } from '../../src/store/db.js';
import type { CaseServiceDeps } from '../../src/escalation/case-service.js';
import { createInboundHandler } from '../../src/interactions/handle.js';
import type { IncomingMessage } from '../../src/types.js';
import { testCases } from '../escalation/fixtures.js';
import { ROOT, shippedConsult } from '../helpers.js';

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

/** The queue's parts over one database, with the shipped knowledge and the test agencies (escalation/fixtures.ts). */
export async function queueParts(db: Database, consult?: Consult, caseOptions: Partial<CaseServiceDeps> = {}) {
  const store = new ConsultationStore(db);
  const inbox = new Inbox(db);
  const outbox = new Outbox(db);
  const answering = { db, store, consult: consult ?? (await shippedConsult()) };
  const respond = createResponder(answering);
  const errors: unknown[] = [];
  const cases = await testCases(db, outbox, caseOptions);
  const handle = createInboundHandler({ db, inbox, outbox, store, cases, registry: cases.registry });
  const deps: WorkerDeps = { db, inbox, outbox, store, draft: createDrafter(answering), handle, onError: (e) => errors.push(e) };
  return { store, inbox, outbox, respond, deps, errors, cases };
}

export async function count(db: Database, table: string, where = 'true'): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(db, sql.raw(`select count(*) as n from ${table} where ${where}`));
  return Number(row?.n ?? 0);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the queue is idle: no open inbox or outbox rows. */
export async function settled(db: Database): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    const open = (await count(db, 'inbox', "status in ('queued','running')")) + (await count(db, 'outbox', "status in ('pending','sending')"));
    if (!open) return;
    await sleep(10);
  }
  throw new Error('queue did not settle');
}

/**
 * Starts the real service in a child process (test/queue/fixtures/crash-service.ts, or `script`, e.g.
 * src/main.ts) and waits until it listens. Call it inside a test: when the test fails, the child is killed, so
 * one left running half-way cannot hold a port, a database or a core afterwards.
 */
export function startCrashService(env: NodeJS.ProcessEnv, script = 'test/queue/fixtures/crash-service.ts'): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFailed(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const match = /listening on (http:\/\/\S+)/.exec(d.toString());
      if (match) resolve({ child, url: match[1]! });
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code}: ${stderr}`)));
  });
}
