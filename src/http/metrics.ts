/** Prometheus metrics of one service instance (its own registry, so that tests can build many apps). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KnowledgeStatus } from '../knowledge/live-knowledge.js';
import type { QueueStats } from '../queue/queue-stats.js';
import type { Outcome } from '../types.js';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  answers: Counter<'channel' | 'outcome'>;
  consultDuration: Histogram<'channel'>;
  deliveries: Counter<'channel' | 'result'>;
  knowledgeReloads: Counter<'result'>;
}

export interface MetricsSources {
  /** Read at scrape time; absent when the instance runs no queue. */
  queues?: () => Promise<Record<'inbox' | 'outbox', QueueStats>>;
  /** Read at scrape time; absent when the instance does not reload its knowledge. */
  knowledge?: () => KnowledgeStatus;
  /** Cases by status, and SLA timers past due that have not fired yet, read at scrape time. */
  cases?: () => Promise<{ byStatus: Record<string, number>; overdueTimers: number }>;
  /** Each messaging channel's state (ready, connecting, failed: …), read at scrape time. */
  channels?: () => Record<string, string>;
}

export function createMetrics(sources: MetricsSources = {}, options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const queueGauge = (name: string, help: string, pick: (s: QueueStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        if (!sources.queues) return;
        const stats = await sources.queues();
        for (const [queue, s] of Object.entries(stats)) this.set({ queue }, pick(s));
      },
    });
  queueGauge('ipcb_queue_depth', 'Unfinished rows in the inbox (messages) and outbox (replies).', (s) => s.depth);
  queueGauge('ipcb_queue_oldest_age_seconds', 'Age of the oldest unfinished row.', (s) => s.oldestAgeSeconds);
  const knowledgeGauge = (name: string, help: string, set: (g: Gauge<string>, s: KnowledgeStatus) => void, labelNames: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        if (sources.knowledge) set(this, sources.knowledge());
      },
    });
  knowledgeGauge('ipcb_knowledge_info', 'The knowledge snapshot in use (1), labelled with its version.', (g, s) => {
    g.reset();
    g.set({ version: s.version }, 1);
  }, ['version']);
  knowledgeGauge('ipcb_knowledge_documents', 'Documents in the knowledge snapshot in use.', (g, s) => g.set(s.documents));
  knowledgeGauge('ipcb_knowledge_chunks', 'Chunks (articles and parts) in the knowledge snapshot in use.', (g, s) => g.set(s.chunks));
  knowledgeGauge('ipcb_knowledge_problems', 'Knowledge files left out or loaded with warnings, by severity.', (g, s) => {
    g.set({ severity: 'error' }, s.problems.filter((p) => (p.severity ?? 'error') === 'error').length);
    g.set({ severity: 'warning' }, s.problems.filter((p) => p.severity === 'warning').length);
  }, ['severity']);
  const caseGauge = (name: string, help: string, set: (g: Gauge<string>, c: Awaited<ReturnType<NonNullable<MetricsSources['cases']>>>) => void, labelNames: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        if (sources.cases) set(this, await sources.cases());
      },
    });
  caseGauge('ipcb_cases', 'Referral cases by status.', (g, c) => {
    g.reset();
    for (const [status, n] of Object.entries(c.byStatus)) g.set({ status }, n);
  }, ['status']);
  caseGauge('ipcb_case_timers_overdue', 'SLA timers past their due time that have not fired (the timer loop is behind or stopped).', (g, c) => g.set(c.overdueTimers));
  new Gauge({
    name: 'ipcb_channel_up',
    help: 'Messaging channels: 1 when connected to its platform, 0 while connecting or failed (retried with back-off).',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      for (const [channel, state] of Object.entries(sources.channels?.() ?? {})) this.set({ channel }, state === 'ready' ? 1 : 0);
    },
  });
  knowledgeGauge('ipcb_knowledge_loaded_timestamp_seconds', 'When the knowledge snapshot in use was loaded.', (g, s) => g.set(Date.parse(s.loadedAt) / 1000));
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    answers: new Counter({ name: 'ipcb_answers_total', help: 'Answers by channel and outcome.', labelNames: ['channel', 'outcome'], registers: [registry] }),
    consultDuration: new Histogram({
      name: 'ipcb_consult_duration_seconds',
      help: 'Time consult() took: retrieval and answer, without recording.',
      labelNames: ['channel'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 20],
      registers: [registry],
    }),
    deliveries: new Counter({ name: 'ipcb_deliveries_total', help: 'Outbox send attempts by channel and result.', labelNames: ['channel', 'result'], registers: [registry] }),
    knowledgeReloads: new Counter({ name: 'ipcb_knowledge_reloads_total', help: 'Knowledge reloads by result (reloaded, failed: the previous snapshot stayed).', labelNames: ['result'], registers: [registry] }),
  };
}

/** Counts one answer; shaped to be the responder's `onAnswer`. */
export function observeAnswer(metrics: Metrics, channel: string, outcome: Outcome, latencyMs: number): void {
  metrics.answers.inc({ channel, outcome });
  metrics.consultDuration.observe({ channel }, latencyMs / 1000);
}
