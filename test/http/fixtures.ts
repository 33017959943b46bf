import { Writable } from 'node:stream';
import { buildApp, type AppDeps, type AppOptions } from '../../src/http/app.js';
import { createMetrics, observeAnswer } from '../../src/http/metrics.js';
import { Inbox } from '../../src/queue/inbox.js';
import { Outbox } from '../../src/queue/outbox.js';
import { createResponder } from '../../src/queue/respond.js';
import { ConsultationStore } from '../../src/store/consultations.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { articleText } from '../../src/answer/article.js';
import { seedOnlyConsult, seedOnlyKnowledge } from '../helpers.js';
import { testCases } from '../escalation/fixtures.js';

/** The app over `handle` with the seed and guides (the shipped knowledge less the laws); log lines are collected in `logs`. */
export async function testApp(handle: DatabaseHandle, options: Partial<AppOptions> = {}, overrides: Partial<AppDeps> = {}) {
  const { db } = handle;
  const store = new ConsultationStore(db);
  const inbox = new Inbox(db);
  const outbox = new Outbox(db);
  const cases = overrides.cases ?? (await testCases(db, outbox));
  const metrics = createMetrics({ queues: async () => ({ inbox: await inbox.stats(), outbox: await outbox.stats() }), cases: () => cases.stats() });
  const respond = createResponder({ db, store, consult: await seedOnlyConsult(), onAnswer: (q, r) => observeAnswer(metrics, q.channel, r.answer.outcome, r.latencyMs) });
  const kb = await seedOnlyKnowledge();
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const app = await buildApp(
    { respond, store, db, cases, registry: cases.registry, metrics, readiness: async () => ({ database: true, knowledge: true }), article: (d, a) => articleText(kb, d, a), ...overrides },
    { rateLimit: { perUserPerMinute: 1000, perIpPerMinute: 1000 }, logLevel: 'info', logStream, ...options },
  );
  return { app, store, logs, cases, outbox };
}
