/**
 * Works the inbox: each claimed message is answered through the shared drafter, and its consultation,
 * its outbox row and the inbox row's `done` are committed together (with those of other messages
 * answered at the same moment). A crash before that commit leaves the row leased; once the lease runs
 * out another worker takes it, and the unique keys (consultation per channel + message id, outbox row per
 * inbox row and per consultation) keep the answer single.
 */
import { AppError } from '../errors.js';
import type { Failpoint } from '../failpoint.js';
import { coalesce } from '../store/coalesce.js';
import type { ConsultationStore } from '../store/consultations.js';
import type { Database } from '../store/db.js';
import type { InboundHandler } from '../interactions/handle.js';
import type { Inbox, InboxJob } from './inbox.js';
import type { Outbox } from './outbox.js';
import { startPollLoop, type PollLoop } from './poll-loop.js';
import { recorded, type Draft, type Drafter } from './respond.js';
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
  store: ConsultationStore;
  draft: Drafter;
  /** Takes the jobs that are not questions (interactions, agency replies, contacts); false for a question. */
  handle?: InboundHandler;
  onError: (error: unknown, job?: InboxJob) => void;
  /** Told when a reply was queued, so the sender can run at once. */
  onQueued?: () => void;
  /** Crash tests stop the process here (src/failpoint.ts). */
  failpoint?: Failpoint;
}

/** Where a job's reply goes; the inbox row is its source, so a job is answered once however often it is worked. */
const replyTo = (job: InboxJob) => ({ source: `inbox:${job.id}`, inboxId: job.id, channel: job.channel, botId: job.botId, chatId: job.chatId, replyTo: job.replyTo });

/** Handles one claimed job; exported for tests that drive the queue step by step. */
export function workJob(deps: WorkerDeps, job: InboxJob, policy: RetryPolicy = DEFAULT_INBOX_POLICY): Promise<void> {
  return workJobs(deps, [job], policy);
}

/**
 * Handles claimed jobs (of different chats): drafts their answers side by side and commits each answer,
 * its outbox row and the inbox row's `done` together. Answers drafted while a commit is in flight share the
 * next transaction, so a busy worker pays a commit per few messages, and a slow draft (a model call) holds
 * back no other reply. If a shared transaction fails, each job in it is committed alone, so one bad row
 * costs only itself a retry.
 */
export async function workJobs(deps: WorkerDeps, jobs: InboxJob[], policy: RetryPolicy = DEFAULT_INBOX_POLICY): Promise<void> {
  const commit = coalesce(
    async (drafted: Drafted[]) => {
      await commitAnswers(deps, drafted);
      return drafted.map(() => undefined);
    },
    { maxInFlight: 1 },
  );
  const work = async (job: InboxJob): Promise<void> => {
    // A row that keeps killing its worker is reclaimed past its last attempt: give up instead of looping.
    if (job.attempts > policy.maxAttempts) return bury(deps, job, 'attempts exhausted (worker lost its lease)');
    try {
      deps.failpoint?.('worker.claimed', { channel: job.channel });
      if (!(deps.handle && (await deps.handle(job)))) await commit({ job, draft: await deps.draft(job) });
    } catch (error) {
      return fail(deps, job, error, policy);
    }
    deps.onQueued?.();
  };
  const working: Promise<void>[] = [];
  for (const job of jobs) {
    // Drafts run side by side (a model call takes seconds), but each starts a turn of the event loop after
    // the one before, so that webhooks waiting for their acknowledgement get in between.
    if (working.length) await nextTurn();
    // Handled at once: a rejection must not wait unobserved while the next job starts.
    working.push(work(job).catch((error: unknown) => deps.onError(error, job)));
  }
  await Promise.all(working);
}

/** Resolves on the next turn of the event loop, after pending I/O has been handled. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Drafted {
  job: InboxJob;
  draft: Draft;
}

async function commitAnswers(deps: WorkerDeps, drafted: Drafted[]): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const consultations = await deps.store.recordAllIn(tx, drafted.map((d) => d.draft.record));
    await deps.outbox.enqueueAllIn(
      tx,
      drafted.map(({ job, draft }, i) => {
        const { answer } = recorded(draft, consultations[i]!);
        // Keyed by the consultation: the same platform message redelivered under another event id is answered once.
        return { ...replyTo(job), source: `consultation:${answer.id}`, consultationId: answer.id, payload: { text: answer.answer, outcome: answer.outcome, citations: answer.citations, answerer: answer.answerer } };
      }),
    );
    await deps.inbox.completeIn(tx, drafted.map((d) => d.job.id));
  });
  for (const { job } of drafted) deps.failpoint?.('outbox.committed', { channel: job.channel });
}

/** A job that could not be answered: an input error is told to the user; anything else retries or gives up. */
async function fail(deps: WorkerDeps, job: InboxJob, error: unknown, policy: RetryPolicy): Promise<void> {
  if (error instanceof AppError && error.code === 'input_invalid') {
    // Not a question (empty, a sticker, binary): tell the user why; nothing to record.
    await deps.db.transaction(async (tx) => {
      await deps.outbox.enqueueIn(tx, { ...replyTo(job), payload: { text: error.message, citations: [] } });
      await deps.inbox.completeIn(tx, job.id, 'input_invalid');
    });
    deps.onQueued?.();
    return;
  }
  deps.onError(error, job);
  if (canRetry(job.attempts, policy)) return deps.inbox.retryLater(job.id, retryDelayMs(job.attempts, policy), describe(error));
  return bury(deps, job, describe(error));
}

async function bury(deps: WorkerDeps, job: InboxJob, reason: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await deps.outbox.enqueueIn(tx, { ...replyTo(job), payload: { text: APOLOGY, citations: [] } });
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
      await workJobs(deps, jobs, o.policy).catch((error: unknown) => deps.onError(error));
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
