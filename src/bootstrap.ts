import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { articleText } from './answer/article.js';
import { createConsult } from './consult.js';
import { createGuard } from './answer/guard.js';
import { ChatCommands } from './channels/chat-commands.js';
import { buildApp } from './http/app.js';
import { createMetrics, observeAnswer } from './http/metrics.js';
import { LlmAnswerer } from './answer/llm.js';
import { KnowledgeBase } from './knowledge/knowledge-base.js';
import { OpenAIEmbedder } from './knowledge/openai-embedder.js';
import { Inbox } from './queue/inbox.js';
import { Outbox } from './queue/outbox.js';
import { purgeFinishedQueueRows, vacuumQueues } from './queue/purge.js';
import { createDrafter, createResponder, type ResponderDeps } from './queue/respond.js';
import { startSender } from './queue/sender.js';
import { startWorker } from './queue/worker.js';
import { ConsultationStore } from './store/consultations.js';
import { openDatabase, queryRows } from './store/db.js';
import { ReferralStore } from './store/referrals.js';
import { ApprovedAnswers, type ApprovedAnswerSource } from './approved/approved-answers.js';
import type { ConsoleDeps } from './console/context.js';
import { ApprovedAnswerStore } from './store/approved-answers.js';
import { ConsoleAccounts } from './store/console-accounts.js';
import { cutoffFor } from './store/retention.js';
import type { Deliverer } from './types.js';

/**
 * Opens the knowledge base (from its cache when unchanged) and wires the consultation pipeline, with a
 * model and a remote embedder when they are configured. A remote embedder that fails while the index is
 * built is reported through `warn` and replaced by the offline one: the service starts either way.
 */
export async function openConsultation(
  config: Pick<Config, 'knowledgeDir' | 'dataDir' | 'minConfidence' | 'llm' | 'embedding'>,
  warn: (message: string) => void = (m) => console.error(m),
  /** Staff-approved answers for the service (the CLIs leave them out, so evaluation stays reproducible). */
  approved?: (kb: KnowledgeBase) => ApprovedAnswerSource,
) {
  const open = (embedder?: OpenAIEmbedder) => KnowledgeBase.open({ knowledgeDir: config.knowledgeDir, cacheDir: path.join(config.dataDir, 'index'), embedder });
  let kb: KnowledgeBase;
  try {
    kb = await open(config.embedding ? new OpenAIEmbedder({ ...config.embedding, timeoutMs: 30_000 }) : undefined);
  } catch (err) {
    if (!config.embedding) throw err;
    warn(`embedding service failed (${(err as Error).message.slice(0, 200)}); using the offline embedder`);
    kb = await open();
  }
  const llm = config.llm ? new LlmAnswerer({ ...config.llm, maxRetries: 2, maxInputChars: 6000 }) : undefined;
  const consult = createConsult({ kb, guard: createGuard(kb.vocabulary), llm, options: { minConfidence: config.minConfidence }, approved: approved?.(kb) });
  return { kb, consult, llm };
}

/** Opens the consultation log: PGlite under DATA_DIR, or Postgres when DATABASE_URL is set. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'storeRawText'>) {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir });
  return { database, store: new ConsultationStore(database.db, { keepRawText: config.storeRawText }) };
}

/**
 * What a channel writes to besides the inbox: stores for card and button callbacks (feedback, referrals)
 * and the chat commands (/help, /forget, /human …), whose replies leave through the outbox.
 */
export interface ChannelStores {
  store: ConsultationStore;
  referrals: ReferralStore;
  commands: ChatCommands;
}

/**
 * How a messaging platform plugs into the service (the Telegram and Feishu issues): its webhook routes
 * or poller hand each message to `inbox.accept()` and acknowledge at once; its deliverer posts replies.
 */
export interface ChannelPlugin {
  /** Posts this channel's replies from the outbox. */
  deliverer?: Deliverer;
  /** Adds webhook routes before the server listens. */
  register?(app: FastifyInstance, inbox: Inbox, stores: ChannelStores): Promise<void> | void;
  /** Starts a poller or long connection after the server listens. */
  start?(inbox: Inbox, stores: ChannelStores): Promise<void>;
  /** Stops taking messages (first step of shutdown). */
  stop?(): Promise<void>;
}

export interface ServiceOptions {
  channels?: ChannelPlugin[];
  logStream?: DestinationStream;
  /** How often finished rows past the retention period are purged. */
  purgeEveryMs?: number;
  /** Poll interval of the worker and sender when idle. */
  idleMs?: number;
}

/** A running service: listening, working the queue, purging on schedule. */
export interface Service {
  url: string;
  app: FastifyInstance;
  inbox: Inbox;
  /** Stops taking requests and messages, finishes or releases work in hand, closes the database. */
  stop(): Promise<void>;
}

const SIX_HOURS = 6 * 60 * 60 * 1000;
const TEN_MINUTES = 10 * 60 * 1000;

/** Opens knowledge, database and queue, builds the HTTP app, listens and starts the background loops. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  let app: FastifyInstance | undefined;
  const { database, store } = await openStore(config);
  const { db } = database;
  const approvedStore = new ApprovedAnswerStore(db);
  let approvedAnswers: ApprovedAnswers | undefined;
  const { kb, consult } = await openConsultation(config, undefined, (knowledge) => {
    const analyze = (text: string) => knowledge.analyze(text);
    approvedAnswers = new ApprovedAnswers(approvedStore, () => analyze, { onError: (error) => app?.log.error({ err: error }, 'approved answers failed') });
    return approvedAnswers;
  });
  const inbox = new Inbox(db);
  const outbox = new Outbox(db);
  if (database.driver === 'pglite') {
    // The directory lock makes this the only process on the database: leases still held died with their holder.
    await inbox.expireLeases();
    await outbox.expireLeases();
  }
  let accepting = true;
  const metrics = createMetrics({ queues: async () => ({ inbox: await inbox.stats(), outbox: await outbox.stats() }) }, { processMetrics: true });
  const referrals = new ReferralStore(db);
  const onAnswer: ResponderDeps['onAnswer'] = (q, r) => observeAnswer(metrics, q.channel, r.answer.outcome, r.latencyMs);
  const respond = createResponder({ db, store, consult, onAnswer });
  const readiness = async () => ({
    database: accepting && (await queryRows(db, sql`select 1 as ok`).then(() => true, () => false)),
    knowledge: kb.chunks.length > 0,
  });
  const accounts = new ConsoleAccounts(db);
  const consoleDeps: ConsoleDeps = {
    db,
    store,
    accounts,
    knowledge: () => kb,
    approved: approvedAnswers!,
    settings: { ...config.console, lowConfidence: config.minConfidence * 1.5 },
  };
  app = await buildApp(
    { respond, store, referrals, metrics, readiness, article: (documentId, article) => articleText(kb, documentId, article), console: consoleDeps },
    { rateLimit: config.rateLimit, logLevel: config.logLevel, logStream: options.logStream, trustProxy: config.trustProxy },
  );
  const channels = options.channels ?? [];
  let wakeSender = () => {};
  const stores: ChannelStores = { store, referrals, commands: new ChatCommands({ db, store, outbox, onQueued: () => wakeSender() }) };
  for (const channel of channels) await channel.register?.(app, inbox, stores);

  const onError = (error: unknown) => app.log.error({ err: error }, 'queue error');
  const idleMs = options.idleMs ?? 500;
  // WORKER_CONCURRENCY=0 (Postgres only): this process takes webhooks and API calls; other processes answer the
  // queue and send the replies, so neither holds up an acknowledgement (and the send rate limits, which are
  // counted per process, are not multiplied by the webhook processes).
  const answering = config.workerConcurrency > 0;
  const sender = answering
    ? startSender(
        { outbox, deliverers: channels.flatMap((c) => (c.deliverer ? [c.deliverer] : [])), onError, onDelivery: (reply, result) => metrics.deliveries.inc({ channel: reply.channel, result }) },
        { idleMs },
      )
    : { wake: () => {}, stop: async () => {} };
  wakeSender = () => sender.wake();
  const worker = answering
    ? startWorker({ db, inbox, outbox, store, draft: createDrafter({ db, consult, onAnswer }), onError, onQueued: () => sender.wake() }, { concurrency: config.workerConcurrency, idleMs })
    : { stop: async () => {} };

  const purge = async () => {
    await accounts.purgeExpired();
    const cutoff = cutoffFor(config.retention);
    await approvedStore.purgeHitsBefore(cutoff);
    const counts = await store.purgeOlderThan(cutoff, 'service:retention');
    const queues = await purgeFinishedQueueRows(db, cutoff);
    app.log.info({ consultations: counts.consultations, inbox: queues.inbox, outbox: queues.outbox }, 'retention purge');
  };
  const purgeTimer = setInterval(() => void purge().catch(onError), options.purgeEveryMs ?? SIX_HOURS);
  purgeTimer.unref();
  // PGlite has no autovacuum: the service keeps the queue tables' statistics and dead rows in hand itself.
  const vacuumTimer = database.driver === 'pglite' ? setInterval(() => void vacuumQueues(db).catch(onError), TEN_MINUTES) : undefined;
  vacuumTimer?.unref();

  const address = await app.listen({ host: config.host, port: config.port });
  for (const channel of channels) await channel.start?.(inbox, stores);
  void purge().catch(onError);

  return {
    url: address.replace('[::1]', 'localhost'),
    app,
    inbox,
    async stop() {
      accepting = false;
      clearInterval(purgeTimer);
      clearInterval(vacuumTimer);
      await Promise.all(channels.map((c) => c.stop?.()));
      await app.close(); // stops accepting; requests in flight get their answers
      await worker.stop();
      await sender.stop();
      await database.close();
    },
  };
}
