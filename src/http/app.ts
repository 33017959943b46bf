/**
 * The HTTP service built without listening (tests use `inject`; src/main.ts listens). Routes: the JSON
 * API under /api/v1, the chat page at /, OpenAPI at /docs, and /healthz, /readyz, /metrics.
 */
import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { consolePlugin } from '../console/plugin.js';
import type { ConsoleDeps } from '../console/context.js';
import type { AgencyRegistry } from '../escalation/agencies.js';
import type { CaseService } from '../escalation/case-service.js';
import type { Database } from '../store/db.js';
import { agencyWebhookRoute } from './agency-webhook-route.js';
import { apiRoutes, tooMany, type ApiDeps, type RateLimits } from './api-routes.js';
import { caseRoutes } from './case-routes.js';
import { handleError, HttpError } from './http-error.js';
import type { Metrics } from './metrics.js';
import { restrictOps, type OpsAccess } from './ops-access.js';
import { opsRoutes, type Readiness } from './ops-routes.js';
import { loggableError } from './log-error.js';
import { loggableRequestId, loggedPath } from './log-path.js';
import { errorBody } from './schemas.js';
import { addSecurityHeaders } from './security-headers.js';
import { fromRoot } from '../paths.js';
import { storable } from '../store/storable.js';

/** The chat page's files: served from the sources, also when the compiled service runs from dist/. */
export const WEB_ROOT = fromRoot('src', 'web');

export interface AppDeps extends ApiDeps {
  db: Database;
  cases: CaseService;
  registry: AgencyRegistry;
  metrics: Metrics;
  readiness: () => Promise<Readiness>;
  /** The staff and agency console under /console; left out, there is none. */
  console?: ConsoleDeps;
}

export interface AppOptions {
  rateLimit: RateLimits;
  /** Log level (pino); `silent` for tests. */
  logLevel?: string;
  /** Where logs go; stdout by default. */
  logStream?: DestinationStream;
  trustProxy?: boolean;
  /** Who may read /metrics and /docs (open when unset). */
  opsAccess?: OpsAccess;
  /** Serve the OpenAPI UI at /docs (default true). */
  docs?: boolean;
  /** Time for a whole request to arrive (default REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Idle time after which a connection is closed (default CONNECTION_TIMEOUT_MS). */
  connectionTimeoutMs?: number;
}

/** Bodies are at most 64 KiB (an import 1 MiB): half a minute is ample on any line a person uses. */
export const REQUEST_TIMEOUT_MS = 30_000;
export const CONNECTION_TIMEOUT_MS = 60_000;
/** Headers are a few hundred bytes: a client slower than this is holding the connection on purpose. */
export const HEADERS_TIMEOUT_MS = 10_000;

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;

export async function buildApp(deps: AppDeps, options: AppOptions): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const app = Fastify({
    logger: {
      level: options.logLevel ?? 'info',
      ...(options.logStream ? { stream: options.logStream } : {}),
      // Method and path only: no query string, no client address, no body (questions may hold personal data).
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: loggedPath(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: loggableError,
      },
    },
    // Keep a proxy's request id for correlation when it looks like one; otherwise make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) && loggableRequestId(given) ? given : randomUUID();
    },
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 64 * 1024,
    // A request must arrive whole in this time, and an idle connection is closed after this long: a body
    // trickled in a byte at a time otherwise holds its connection for good.
    requestTimeout,
    connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
    // Node checks for requests past their time only this often (30 s by default, which would double it),
    // and enforces the request timeout only when the headers' own timeout is not longer (60 s by default).
    http: { connectionsCheckingInterval: Math.max(100, Math.min(5_000, requestTimeout / 2)), headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout) },
    ajv: { customOptions: { coerceTypes: false } },
  });

  app.setErrorHandler(handleError);
  // Parsed JSON and form bodies and queries: NUL made storable before any handler sees it (src/store/storable.ts).
  app.addHook('preValidation', async (request) => {
    request.body = storable(request.body);
    storable(request.query);
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: 'not_found', message: `没有这个地址：${request.method} ${request.url.split('?')[0]}` }));
  addSecurityHeaders(app);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    deps.metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.addSchema(errorBody);

  await app.register(swagger, {
    openapi: {
      info: { title: 'ip-consult-bot API', version: '1', description: 'Enterprise IP questions answered from policy documents, with article-level citations.' },
    },
  });
  if (options.docs ?? true) await app.register(swaggerUi, { routePrefix: '/docs' });
  restrictOps(app, options.opsAccess ?? {});
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => (context.statusCode === 429 ? tooMany(context.ttl / 1000) : new HttpError(context.statusCode, 'forbidden', '请求被拒绝。')),
  });
  await app.register(fastifyStatic, { root: WEB_ROOT, prefix: '/', index: 'index.html', cacheControl: true, maxAge: 60_000 });

  await app.register(async (scope) => apiRoutes(scope, deps, options.rateLimit));
  await app.register(async (scope) => caseRoutes(scope, deps, options.rateLimit.perIpPerMinute));
  await agencyWebhookRoute(app, deps, options.rateLimit.perIpPerMinute);
  await app.register(async (scope) => opsRoutes(scope, deps));
  const consoleDeps = deps.console;
  if (consoleDeps) await app.register(async (scope) => consolePlugin(scope, consoleDeps));
  return app;
}
