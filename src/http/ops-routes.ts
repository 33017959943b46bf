/** Liveness, readiness and metrics for the orchestrator and Prometheus. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/** What must work before the instance takes traffic. */
export interface Readiness {
  database: boolean;
  knowledge: boolean;
  /** What the knowledge snapshot in use holds, and what could not be loaded; shown beside the checks. */
  knowledgeStatus?: unknown;
  /**
   * Each messaging channel's state (connecting, ready, failed: …), shown among the checks but not deciding
   * readiness: a platform that is down is not mended by taking this instance out of service, which would
   * only cut off the web chat, the API and the other channel too.
   */
  channels?: Record<string, string>;
}

export async function opsRoutes(app: FastifyInstance, deps: { metrics: Metrics; readiness: () => Promise<Readiness> }) {
  const hidden = { schema: { hide: true } };
  app.get('/healthz', hidden, async () => ({ status: 'ok' }));

  app.get('/readyz', hidden, async (_request, reply) => {
    const { knowledgeStatus, ...checks } = await deps.readiness().catch((): Readiness => ({ database: false, knowledge: false }));
    const ready = checks.database && checks.knowledge;
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks, ...(knowledgeStatus ? { knowledge: knowledgeStatus } : {}) });
  });

  app.get('/metrics', hidden, async (_request, reply) => {
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
