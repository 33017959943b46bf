/** The public JSON API: ask, an article in full, feedback. Channels 'web' (the chat page) and 'api' (everything else). Referrals: case-routes.ts. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mayGiveFeedback, type Asker } from '../cases/core.js';
import { toContractJson } from '../cli/format.js';
import type { Responder } from '../queue/respond.js';
import type { ConsultationStore } from '../store/consultations.js';
import type { ChannelName } from '../types.js';
import { HttpError, notFound } from './http-error.js';
import type { ArticleText } from '../answer/article.js';
import {
  articleParams,
  articleResponse,
  askBody,
  askResponse,
  errorResponses,
  feedbackBody,
  okResponse,
  type ArticleParams,
  type AskBody,
  type FeedbackBody,
} from './schemas.js';

export interface ApiDeps {
  respond: Responder;
  store: ConsultationStore;
  /** The whole text of a cited article; without it the route answers 404. */
  article?: (documentId: string, article: string) => ArticleText | undefined;
}

export interface RateLimits {
  perUserPerMinute: number;
  perIpPerMinute: number;
}

/** The chat page marks its requests with this header, so that its consultations are logged as 'web'. */
export const CLIENT_HEADER = 'x-ipcb-client';

export function httpChannel(request: FastifyRequest): ChannelName {
  return request.headers[CLIENT_HEADER] === 'web' ? 'web' : 'api';
}
const MINUTE = 60_000;

export async function apiRoutes(app: FastifyInstance, deps: ApiDeps, limits: RateLimits) {
  const perIp = { rateLimit: { max: limits.perIpPerMinute, timeWindow: MINUTE, keyGenerator: (req: FastifyRequest) => req.ip } };
  // The per-IP limit above runs at onRequest; this one needs the parsed body for the user id.
  const userLimiter = app.createRateLimit({ max: limits.perUserPerMinute, timeWindow: MINUTE, keyGenerator: (req) => userKey(req) });
  const perUser = async (request: FastifyRequest) => {
    const verdict = await userLimiter(request);
    if (!verdict.isAllowed && verdict.isExceeded) throw tooMany(verdict.ttlInSeconds);
  };

  app.post<{ Body: AskBody }>(
    '/api/v1/ask',
    {
      config: perIp,
      preHandler: perUser,
      schema: { summary: 'Ask a question', description: 'Answers from the policy documents with article-level citations.', body: askBody, response: { 200: askResponse, ...errorResponses } },
    },
    async (request) => {
      const { question, conversationId } = request.body;
      const channel = httpChannel(request);
      // History needs both keys: a conversation id alone could be shared by several anonymous users.
      const followable = Boolean(conversationId && request.body.userId);
      // Over HTTP the user id is the user's secret, the only proof of who may refer, read or rate the
      // consultation later: without one, the asker gets a fresh random id, never one shared with others.
      const userId = request.body.userId ?? randomUUID();
      const { answer } = await deps.respond({ channel, conversationId: `${channel}:${conversationId ?? randomUUID()}`, userId, text: question }, { freshConversation: !followable });
      // On top of the contract: `answerer` (the chat page labels quotes and generated text differently) and the user id to act with.
      return { ...toContractJson(answer, answer.id), answerer: answer.answerer, userId };
    },
  );

  app.get<{ Params: ArticleParams }>(
    '/api/v1/articles/:documentId/:article',
    { config: perIp, schema: { summary: 'A cited article in full', params: articleParams, response: { 200: articleResponse, ...errorResponses } } },
    async (request) => {
      const found = deps.article?.(request.params.documentId, request.params.article);
      if (!found) throw notFound();
      return found;
    },
  );

  app.post<{ Body: FeedbackBody }>(
    '/api/v1/feedback',
    { config: perIp, schema: { summary: '👍/👎 on an answer', body: feedbackBody, response: { 200: okResponse, ...errorResponses } } },
    async (request) => {
      const { consultationId, rating, comment, userId } = request.body;
      await ownConsultation(deps.store, consultationId, { channel: httpChannel(request), userId });
      await deps.store.feedback(consultationId, userId, rating === 'up' || rating === 1 ? 1 : -1, comment);
      return { ok: true, message: '感谢您的反馈！' };
    },
  );
}

/** Feedback only on one's own consultations asked over HTTP; another user's id looks like an unknown one. */
async function ownConsultation(store: ConsultationStore, consultationId: string, asker: Asker) {
  const consultation = await store.get(consultationId);
  if (!consultation || !mayGiveFeedback(consultation, asker)) throw notFound();
  return consultation;
}

function userKey(request: FastifyRequest): string {
  const userId = (request.body as { userId?: unknown } | undefined)?.userId;
  return typeof userId === 'string' ? `user:${userId}` : `ip:${request.ip}`;
}

export function tooMany(retryAfterSeconds: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new HttpError(429, 'rate_limited', `提问太频繁了，请 ${seconds} 秒后再试。`, seconds);
}
