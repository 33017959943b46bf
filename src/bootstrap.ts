import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { articleText } from './answer/article.js';
import { createConsult } from './consult.js';
import { createGuard, type Guard } from './answer/guard.js';
import { buildApp } from './http/app.js';
import { createMetrics, observeAnswer } from './http/metrics.js';
import { LlmAnswerer } from './answer/llm.js';
import type { KnowledgeBase } from './knowledge/knowledge-base.js';
import { LiveKnowledge, type ReloadEvent } from './knowledge/live-knowledge.js';
import { openKnowledge } from './knowledge/open-knowledge.js';
import { syncAgencies } from './escalation/agencies.js';
import { loadCaseSetup } from './escalation/case-setup.js';
import { CaseService } from './escalation/case-service.js';
import { WebhookDeliverer } from './escalation/webhook-deliverer.js';
import { createInboundHandler } from './interactions/handle.js';
import { Inbox } from './queue/inbox.js';
import { Outbox } from './queue/outbox.js';
import { startPollLoop } from './queue/poll-loop.js';
import { vacuumQueues } from './queue/purge.js';
import { purgeExpired } from './retention-purge.js';
import { createDrafter, createResponder, type ResponderDeps } from './queue/respond.js';
import { startSender } from './queue/sender.js';
import { MemorySendLimiter } from './queue/send-limits.js';
import { startWorker } from './queue/worker.js';
import { ConsultationStore } from './store/consultations.js';
import { openDatabase, queryRows, type Database } from './store/db.js';
import { SharedSendLimiter } from './store/send-windows.js';
import { ApprovedAnswers, type ApprovedAnswerSource } from './approved/approved-answers.js';
import type { ConsoleDeps } from './console/context.js';
import type { Analyzer } from './approved/matcher.js';
import { ApprovedAnswerStore } from './store/approved-answers.js';
import { ConsoleAccounts } from './store/console-accounts.js';
import { cutoffFor } from './store/retention.js';
import type { ChannelPlugin } from './channels/contract.js';
import type { Failpoint } from './failpoint.js';
import { superviseChannels, type ChannelState, type ChannelSupervisor } from './channel-supervisor.js';

/**
 * Opens the knowledge (from its cache when unchanged) and wires the consultation pipeline, with a model and
 * a remote embedder when they are configured. For the command line: one snapshot, no reloading.
 */
export async function openConsultation(
  config: Pick<Config, 'knowledgeDir' | 'dataDir' | 'minConfidence' | 'llm' | 'embedding' | 'homeRegion'>,
  warn: (message: string) => void = (m) => console.error(m),
) {
  const kb = await openKnowledge(config, { warn });
  return { kb, ...consultationOver(kb, config) };
}

/**
 * The pipeline over a knowledge source: a snapshot, or the service's LiveKnowledge that changes under it.
 * Staff-approved answers are the service's alone (the CLIs leave them out, so evaluation stays reproducible).
 */
function consultationOver(knowledge: { current(): KnowledgeBase }, config: Pick<Config, 'minConfidence' | 'llm' | 'homeRegion'>, approved?: ApprovedAnswerSource) {
  const llm = config.llm ? new LlmAnswerer({ ...config.llm, maxRetries: 2, maxInputChars: 6000 }) : undefined;
  const consult = createConsult({ kb: knowledge, guard: guardFollowing(knowledge), llm, options: { minConfidence: config.minConfidence, homeRegion: config.homeRegion }, approved });
  return { consult, llm };
}

/** The current snapshot's analyser, the same function while the snapshot stays (a new one tells a reload). */
function analyzerFollowing(knowledge: { current(): KnowledgeBase }): () => Analyzer {
  const analyzers = new WeakMap<KnowledgeBase, Analyzer>();
  return () => {
    const kb = knowledge.current();
    let analyze = analyzers.get(kb);
    if (!analyze) analyzers.set(kb, (analyze = (text) => kb.analyze(text)));
    return analyze;
  };
}

/** A guard whose domain vocabulary (the user dictionary) is the current snapshot's. */
function guardFollowing(knowledge: { current(): KnowledgeBase }): Guard {
  const guards = new WeakMap<KnowledgeBase, Guard>();
  return (text, context) => {
    const kb = knowledge.current();
    let guard = guards.get(kb);
    if (!guard) guards.set(kb, (guard = createGuard(kb.vocabulary)));
    return guard(text, context);
  };
}

/** Opens the consultation log: PGlite under DATA_DIR, or Postgres when DATABASE_URL is set. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'storeRawText'>) {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir });
  return { database, store: new ConsultationStore(database.db, { keepRawText: config.storeRawText }) };
}

export type { ChannelPlugin, DraftingQuestion } from './channels/contract.js';

export interface ServiceOptions {
  channels?: ChannelPlugin[];
  logStream?: DestinationStream;
  /** How often finished rows past the retention period are purged. */
  purgeEveryMs?: number;
  /** Poll interval of the worker and sender when idle. */
  idleMs?: number;
  /** How often due SLA timers are looked for. */
  timerPollMs?: number;
  /** Told what start-up is doing (`npm start` prints it). */
  progress?: (step: string) => void;
  /** First pause before a failed channel start is retried, and the longest (default 1 s doubling to 60 s). */
  channelRetryMs?: number;
  channelRetryMaxMs?: number;
  /**
   * How long the worker's and the sender's leases hold (defaults in src/queue/worker.ts and sender.ts): on
   * Postgres, how long rows held by a process that died wait before another process (or its restart) takes them.
   */
  leaseMs?: { worker?: number; sender?: number };
  /** Crash tests stop the process at named steps (src/failpoint.ts); the service itself passes none. */
  failpoint?: Failpoint;
}

/** A running service: listening, working the queue, purging on schedule. */
export interface Service {
  url: string;
  app: FastifyInstance;
  inbox: Inbox;
  cases: CaseService;
  /** The consultation database (tests and benchmarks inspect it; the service's own code gets it passed in). */
  db: Database;
  /** Each channel's state: connecting, ready or failed: … */
  channelStates(): Record<string, ChannelState>;
  /** Stops taking requests and messages, finishes or releases work in hand, closes the database. */
  stop(): Promise<void>;
}

const SIX_HOURS = 6 * 60 * 60 * 1000;
const TEN_MINUTES = 10 * 60 * 1000;

/** Opens knowledge, database and queue, builds the HTTP app, listens and starts the background loops. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const setup = loadCaseSetup(config);
  const progress = options.progress ?? (() => {});
  // The app's logger exists once the app is built; until then knowledge messages go to stderr.
  let warn = (message: string) => console.error(message);
  let onReload: (event: ReloadEvent) => void = () => {};
  // The database opens while the knowledge loads: PGlite compiles its WebAssembly module meanwhile.
  progress(config.databaseUrl ? 'opening the database (PostgreSQL)…' : `opening the database (embedded, ${config.dataDir})…`);
  const databaseStarted = Date.now();
  const opening = openStore(config);
  opening.catch(() => {}); // awaited below, where a failure is thrown
  progress(`loading knowledge from ${config.knowledgeDir}…`);
  const knowledgeStarted = Date.now();
  let knowledge: LiveKnowledge;
  try {
    knowledge = await LiveKnowledge.start({
      knowledgeDir: config.knowledgeDir,
      open: () => openKnowledge(config, { warn: (message) => warn(message) }),
      checkEveryMs: config.knowledgeReloadMs,
      onReload: (event) => onReload(event),
    });
  } catch (error) {
    await opening.then(({ database }) => database.close(), () => {});
    throw error;
  }
  {
    const kb = knowledge.current();
    const how = kb.origin.source === 'cache' ? 'index from the cache' : 'index built and cached';
    progress(`knowledge: ${kb.documents.length} documents, ${kb.chunks.length} passages (${how}, ${((Date.now() - knowledgeStarted) / 1000).toFixed(1)} s)`);
  }
  const { database, store } = await opening.catch(async (error: unknown) => {
    await knowledge.stop();
    throw error;
  });
  progress(`database open (${((Date.now() - databaseStarted) / 1000).toFixed(1)} s)`);
  const { db } = database;
  let logError = (error: unknown, message: string) => console.error(message, error);
  const approvedAnswers = new ApprovedAnswers(new ApprovedAnswerStore(db), analyzerFollowing(knowledge), {
    onError: (error) => logError(error, 'approved answers failed'),
    timeZone: config.timeZone,
  });
  const { consult } = consultationOver(knowledge, config, approvedAnswers);
  const { failpoint } = options;
  const inbox = new Inbox(db, { failpoint });
  const outbox = new Outbox(db);
  if (database.driver === 'pglite') {
    // The directory lock makes this the only process on the database: leases still held died with their holder.
    await inbox.expireLeases();
    await outbox.expireLeases();
  }
  await syncAgencies(db, setup.registry);
  let accepting = true;
  let wakeSender = () => {};
  const cases = new CaseService({ db, outbox, ...setup, onQueued: () => wakeSender(), failpoint });
  let supervisor: ChannelSupervisor | undefined;
  const channelStates = () => supervisor?.states() ?? {};
  const metrics = createMetrics(
    { queues: async () => ({ inbox: await inbox.stats(), outbox: await outbox.stats() }), knowledge: () => knowledge.status(), cases: () => cases.stats(), channels: channelStates },
    { processMetrics: true },
  );
  const onAnswer: ResponderDeps['onAnswer'] = (q, r) => observeAnswer(metrics, q.channel, r.answer.outcome, r.latencyMs);
  const respond = createResponder({ db, store, consult, onAnswer, failpoint });
  const readiness = async () => ({
    database: accepting && (await queryRows(db, sql`select 1 as ok`).then(() => true, () => false)),
    knowledge: knowledge.current().chunks.length > 0,
    knowledgeStatus: knowledge.status(),
    channels: channelStates(),
  });
  const accounts = new ConsoleAccounts(db);
  const consoleDeps: ConsoleDeps = {
    db,
    store,
    accounts,
    cases,
    registry: setup.registry,
    knowledge: () => knowledge.current(),
    approved: approvedAnswers,
    settings: { ...config.console, lowConfidence: config.minConfidence * 1.5, timeZone: config.timeZone },
  };
  const app = await buildApp(
    {
      respond,
      store,
      db,
      cases,
      registry: setup.registry,
      metrics,
      readiness,
      article: (documentId, article) => articleText(knowledge.current(), documentId, article),
      console: consoleDeps,
    },
    { rateLimit: config.rateLimit, logLevel: config.logLevel, logStream: options.logStream, trustProxy: config.trustProxy, opsAccess: config.opsAccess, docs: config.docs },
  );
  warn = (message) => app.log.warn(message);
  logError = (error, message) => app.log.error({ err: error }, message);
  onReload = (event) => {
    metrics.knowledgeReloads.inc({ result: event.result });
    if (event.result === 'failed') app.log.error({ error: event.error }, 'knowledge reload failed; still answering from the previous knowledge');
    else {
      const { changes } = event;
      const names = (list: { id: string }[]) => list.map((d) => d.id);
      app.log.info(
        { version: event.version.slice(0, 12), ms: Math.round(event.ms), added: names(changes?.added ?? []), changed: names((changes?.changed ?? []).map((c) => c.after)), removed: names(changes?.removed ?? []) },
        'knowledge reloaded',
      );
    }
    for (const p of event.newProblems ?? []) app.log.warn({ file: p.file, line: p.line, severity: p.severity ?? 'error' }, `knowledge problem: ${p.message}`);
  };
  for (const p of knowledge.current().problems) app.log.warn({ file: p.file, line: p.line, severity: p.severity ?? 'error' }, `knowledge problem: ${p.message}`);
  for (const warning of setup.warnings) app.log.warn(warning);
  const channels = options.channels ?? [];
  let wakeWorker = () => {};
  for (const channel of channels) await channel.register?.(app, inbox, { db, inbox, outbox, wakeWorker: () => wakeWorker() });

  const onError = (error: unknown) => app.log.error({ err: error }, 'queue error');
  const idleMs = options.idleMs ?? 500;
  // WORKER_CONCURRENCY=0 (Postgres only): this process takes webhooks and API calls; other processes answer the
  // queue and send the replies, so neither holds up an acknowledgement.
  const answering = config.workerConcurrency > 0;
  // Platform send limits (Feishu: 50 a second per app) hold for the app, not per process: instances on one
  // Postgres count them in the database. The embedded database has one process, which counts in memory and
  // spares its single connection a statement per send.
  const sharedLimiter = database.driver === 'postgres' ? new SharedSendLimiter(db) : undefined;
  const sender = answering
    ? startSender(
        {
          outbox,
          hooks: cases.deliveryHooks(),
          limiter: sharedLimiter ?? new MemorySendLimiter(),
          // Agencies on webhooks are delivered by the service itself, unless a channel plugin takes that over.
          deliverers: [new WebhookDeliverer(setup.registry), ...channels.flatMap((c) => (c.deliverer ? [c.deliverer] : []))],
          onError,
          onDelivery: (reply, result) => metrics.deliveries.inc({ channel: reply.channel, result }),
          failpoint,
        },
        { idleMs, ...(options.leaseMs?.sender ? { leaseMs: options.leaseMs.sender } : {}) },
      )
    : { wake: () => {}, stop: async () => {} };
  wakeSender = () => sender.wake();
  const coreHandle = createInboundHandler({ db, inbox, outbox, store, cases, registry: setup.registry });
  // Rows a channel stored for itself (WeChat's callbacks, read into messages when worked) are its own to work.
  const channelHandlers = channels.flatMap((c) => (c.handleInbound ? [c.handleInbound.bind(c)] : []));
  const handle: typeof coreHandle = channelHandlers.length
    ? async (job) => {
        for (const own of channelHandlers) if (await own(job)) return true;
        return coreHandle(job);
      }
    : coreHandle;
  const drafter = createDrafter({ db, consult, onAnswer, failpoint });
  // With a model, drafting takes seconds: the channel shows the asker that an answer is coming meanwhile.
  const indicator = new Map(channels.flatMap((c) => (c.drafting ? [[c.name, c.drafting.bind(c)] as const] : [])));
  const draft: typeof drafter = config.llm
    ? async (question, draftOptions) => {
        const done = indicator.get(question.channel)?.(question);
        try {
          return await drafter(question, draftOptions);
        } finally {
          done?.();
        }
      }
    : drafter;
  const worker = answering
    ? startWorker(
        { db, inbox, outbox, store, draft, handle, onError, onQueued: () => sender.wake(), failpoint },
        { concurrency: config.workerConcurrency, idleMs, ...(options.leaseMs?.worker ? { leaseMs: options.leaseMs.worker } : {}) },
      )
    : { wake: () => {}, stop: async () => {} };
  wakeWorker = () => worker.wake();
  // SLA timers fire once across instances (claimed with SKIP LOCKED); a webhook-only process leaves them to the others.
  const timers = answering ? startPollLoop(() => cases.fireDueTimers(), { idleMs: options.timerPollMs ?? 1_000, onError }) : { stop: async () => {} };

  const purge = async () => {
    await accounts.purgeExpired();
    await sharedLimiter?.prune();
    const { cases: retired, log, queues, approvedHits } = await purgeExpired({ db, store, cases }, cutoffFor(config.retention), 'service:retention');
    app.log.info(
      { consultations: log.consultations, casesWithdrawn: retired.withdrawn, casesErased: retired.erased, approvedHits, inbox: queues.inbox, outbox: queues.outbox },
      'retention purge',
    );
  };
  const purgeTimer = setInterval(() => void purge().catch(onError), options.purgeEveryMs ?? SIX_HOURS);
  purgeTimer.unref();
  // PGlite has no autovacuum: the service keeps the queue tables' statistics and dead rows in hand itself.
  const vacuumTimer = database.driver === 'pglite' ? setInterval(() => void vacuumQueues(db).catch(onError), TEN_MINUTES) : undefined;
  vacuumTimer?.unref();

  const address = await app.listen({ host: config.host, port: config.port });
  // Listening first: a platform that is down shows in /readyz and /metrics and is retried, and holds up nothing else.
  supervisor = superviseChannels(
    channels.map((c) => ({ name: c.name, start: c.start && ((report: (state: ChannelState) => void) => c.start!(inbox, report)) })),
    { log: (level, details, message) => app.log[level](details, message), firstDelayMs: options.channelRetryMs, maxDelayMs: options.channelRetryMaxMs },
  );
  void purge().catch(onError);

  return {
    url: address.replace('[::1]', 'localhost'),
    app,
    inbox,
    cases,
    db,
    channelStates,
    async stop() {
      accepting = false;
      supervisor?.stop();
      clearInterval(purgeTimer);
      clearInterval(vacuumTimer);
      await knowledge.stop();
      await Promise.all(channels.map((c) => c.stop?.()));
      await app.close(); // stops accepting; requests in flight get their answers
      await worker.stop();
      await timers.stop();
      await sender.stop();
      await database.close();
    },
  };
}
