/**
 * Works the inbox: each claimed message is answered through the shared responder, and its consultation,
 * its outbox row and the inbox row's `done` are committed together. A crash before that commit leaves the
 * row leased; once the lease runs out another worker takes it, and the unique keys (consultation per
 * channel + message id, outbox row per inbox row and per consultation) keep the answer single.
 */
import { AppError } from '../errors.js';
import type { Database } from '../store/db.js';
import type { Outbox } from './outbox.js';
import type { Inbox, InboxJob } from './inbox.js';
import { startPollLoop, type PollLoop } from './poll-loop.js';
import type { Responder } from './respond.js';
import { canRetry, DEFAULT_INBOX_POLICY, retryDelayMs, type RetryPolicy } from './retry-policy.js';

/** Sent when a message could not be answered after the last attempt (R1: answered, or an apology). */
export const APOLOGY = '抱歉，系统暂时无法回答您的问题，请稍后再试，或联系知识产权服务机构。';

export interface WorkerOptions {
  /** Messages worked at once (different chats only). */
  concurrency: number;
  /** How long a claim holds before another worker may take the row; longer than the slowest answer. */
  leaseMs: number;
  idleMs: number;
  policy: RetryPolicy;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = { concurrency: 4, leaseMs: 60_000, idleMs: 500, policy: DEFAULT_INBOX_POLICY };

export interface WorkerDeps {
  db: Database;
  inbox: Inbox;
  outbox: Outbox;
  respond: Responder;
  onError: (error: unknown, job?: InboxJob) => void;
  /** Told when a reply was queued, so the sender can run at once. */
  onQueued?: () => void;
}

/** Handles one claimed job; exported for tests that drive the queue step by step. */
export async function workJob(deps: WorkerDeps, job: InboxJob, policy: RetryPolicy = DEFAULT_INBOX_POLICY): Promise<void> {
  const reply = { inboxId: job.id, channel: job.channel, botId: job.botId, chatId: job.chatId, replyTo: job.replyTo };
  // A row that keeps killing its worker is reclaimed past its last attempt: give up instead of looping.
  if (job.attempts > policy.maxAttempts) return bury(deps, job, 'attempts exhausted (worker lost its lease)');
  try {
    await deps.respond(job, {
      within: async (tx, { consultation, answer }) => {
        await deps.outbox.enqueueIn(tx, { ...reply, consultationId: consultation.id, payload: { text: answer.answer, outcome: answer.outcome, citations: answer.citations, answerer: answer.answerer } });
        await deps.inbox.completeIn(tx, job.id);
      },
    });
  } catch (error) {
    if (error instanceof AppError && error.code === 'input_invalid') {
      // Not a question (empty, a sticker, binary): tell the user why; nothing to record.
      await deps.db.transaction(async (tx) => {
        await deps.outbox.enqueueIn(tx, { ...reply, payload: { text: error.message, citations: [] } });
        await deps.inbox.completeIn(tx, job.id, 'input_invalid');
      });
    } else if (canRetry(job.attempts, policy)) {
      deps.onError(error, job);
      await deps.inbox.retryLater(job.id, retryDelayMs(job.attempts, policy), describe(error));
      return;
    } else {
      deps.onError(error, job);
      return bury(deps, job, describe(error));
    }
  }
  deps.onQueued?.();
}

async function bury(deps: WorkerDeps, job: InboxJob, reason: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await deps.outbox.enqueueIn(tx, { inboxId: job.id, channel: job.channel, botId: job.botId, chatId: job.chatId, replyTo: job.replyTo, payload: { text: APOLOGY, citations: [] } });
    await deps.inbox.buryIn(tx, job.id, reason);
  });
  deps.onQueued?.();
}

/** A running worker: `stop()` finishes the jobs in hand and returns the claims it did not start. */
export interface Worker extends PollLoop {}

export function startWorker(deps: WorkerDeps, options: Partial<WorkerOptions> = {}): Worker {
  const o = { ...DEFAULT_WORKER_OPTIONS, ...options };
  let stopping = false;
  const loop = startPollLoop(
    async () => {
      const jobs = await deps.inbox.claim(o.concurrency, o.leaseMs);
      if (stopping) {
        await deps.inbox.release(jobs.map((j) => j.id));
        return 0;
      }
      // Claimed jobs belong to different chats (one open row per chat is eligible), so they may run together.
      await Promise.all(jobs.map((job) => workJob(deps, job, o.policy).catch((error: unknown) => deps.onError(error, job))));
      return jobs.length;
    },
    { idleMs: o.idleMs, onError: (error) => deps.onError(error) },
  );
  return {
    wake: loop.wake,
    async stop() {
      stopping = true;
      await loop.stop();
    },
  };
}

export function describe(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);
}
