/**
 * The console under /console: server-rendered pages (src/console/pages/), a stylesheet and scripts from
 * src/console/static/, ECharts from node_modules (no CDN). Everything here sends Cache-Control: no-store
 * except the static assets; errors are shown as pages with a generic message for anything unexpected.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { HttpError } from '../http/http-error.js';
import { routePath } from '../http/route-path.js';
import { fromRoot } from '../paths.js';
import { ApprovedAnswerStore } from '../store/approved-answers.js';
import { ReviewStore } from '../store/reviews.js';
import { loginRoutes, sessionHooks } from './auth.js';
import { sessionOf, type ConsoleDeps } from './context.js';
import { formInputHook } from './form-input.js';
import { DEFAULT_TIME_ZONE, setTimeZone } from './format.js';
import { html } from './html.js';
import { waitingHook } from './waiting.js';
import { ASSETS, page } from './layout.js';
import { accountRoutes } from './pages/account.js';
import { analyticsRoutes } from './pages/analytics.js';
import { approvedRoutes } from './pages/approved.js';
import { auditRoutes } from './pages/audit.js';
import { caseRoutes } from './pages/cases.js';
import { consultationRoutes } from './pages/consultations.js';
import { reviewRoutes } from './pages/review.js';

/** From the project root, not this file: the compiled service (dist/) serves the same source files. */
const STATIC_ROOT = fromRoot('src', 'console', 'static');
const ECHARTS = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');

export async function consolePlugin(app: FastifyInstance, deps: ConsoleDeps) {
  setTimeZone(deps.settings.timeZone ?? DEFAULT_TIME_ZONE);
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(multipart);
  await app.register(fastifyStatic, { root: STATIC_ROOT, prefix: `${ASSETS}/`, decorateReply: false, cacheControl: true, maxAge: 60_000 });
  await app.register(fastifyStatic, { root: path.dirname(ECHARTS), prefix: `${ASSETS}/vendor/`, decorateReply: false, allowedPath: (p) => p === '/echarts.min.js', maxAge: 86_400_000 });

  app.addHook('onSend', async (request, reply) => {
    if (!routePath(request).startsWith(`${ASSETS}/`)) reply.header('cache-control', 'no-store');
  });
  app.setErrorHandler((error: FastifyError | HttpError | AppError, request, reply) => {
    const senders = error instanceof AppError && error.code === 'input_invalid';
    const status = error instanceof HttpError ? error.statusCode : senders ? 400 : 'validation' in error && error.validation ? 400 : ('statusCode' in error && error.statusCode) || 500;
    if (status >= 500) request.log.error({ err: error }, 'console request failed');
    const message = status >= 500 ? '服务暂时出错，请稍后再试。' : error instanceof HttpError || senders ? error.message : '请求格式不正确。';
    if (error instanceof HttpError && error.retryAfterSeconds !== undefined) reply.header('retry-after', error.retryAfterSeconds);
    const wantsJson = request.headers.accept?.includes('application/json') && !request.headers.accept.includes('text/html');
    if (wantsJson) return reply.status(status).send({ error: error instanceof HttpError ? error.code : 'error', message });
    const session = request.consoleSession;
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .send(page({ title: '出错了', session, body: html`<main><h1>${status === 403 ? '无权访问' : status === 404 ? '没有找到' : '出错了'}</h1><p class="error" role="alert">${message}</p><p><a href="/console">返回首页</a></p></main>` }));
  });

  formInputHook(app);
  sessionHooks(app, deps);
  waitingHook(app, deps);
  await loginRoutes(app, deps);
  app.get('/console', { config: { roles: ['admin', 'reviewer', 'agency'] } }, async (request, reply) =>
    reply.redirect(sessionOf(request).account.role === 'agency' ? '/console/cases' : '/console/consultations', 303),
  );
  const approvedStore = new ApprovedAnswerStore(deps.db);
  const reviews = new ReviewStore(deps.db, deps.settings.lowConfidence);
  await consultationRoutes(app, deps);
  await reviewRoutes(app, deps, { reviews, approvedStore });
  await approvedRoutes(app, deps, approvedStore);
  await caseRoutes(app, deps);
  await analyticsRoutes(app, deps);
  await auditRoutes(app, deps);
  await accountRoutes(app, deps);
}
