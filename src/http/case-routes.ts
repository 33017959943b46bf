/**
 * The user side of referrals over HTTP (DESIGN "Cases"), used by the web chat and API clients: open a
 * referral, answer the intake and the consent notice, read the case, withdraw, rate. Every route answers
 * with the case view; someone else's case, or one asked in a chat channel, is a 404, a transition the state
 * does not allow a 409.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CaseConflict, CaseNotFound, mayAct, referralReason, type Asker } from '../cases/core.js';
import type { CaseService } from '../escalation/case-service.js';
import type { ConsultationStore } from '../store/consultations.js';
import { httpChannel } from './api-routes.js';
import { HttpError } from './http-error.js';
import {
  caseParams,
  caseQuery,
  caseResponse,
  chooseBody,
  consentBody,
  errorResponses,
  ratingBody,
  referralBody,
  userOnlyBody,
  type ChooseBody,
  type ConsentBody,
  type RatingBody,
  type ReferralBody,
} from './schemas.js';

export interface CaseRouteDeps {
  store: ConsultationStore;
  cases: CaseService;
}

const MINUTE = 60_000;
const caseNotFound = () => new HttpError(404, 'not_found', '没有找到这个案件。');

/** Maps the case service's refusals to HTTP. */
async function answer<T>(work: () => Promise<T | undefined>): Promise<T> {
  try {
    const result = await work();
    if (result === undefined) throw caseNotFound();
    return result;
  } catch (error) {
    if (error instanceof CaseNotFound) throw caseNotFound();
    if (error instanceof CaseConflict) throw new HttpError(409, 'conflict', `案件当前状态为 ${error.status}，不能执行这个操作。`);
    throw error;
  }
}

/** Who asks over HTTP: the user's secret id, through the web chat or the API (which the rules count as one). */
const asker = (request: FastifyRequest, userId: string): Asker => ({ channel: httpChannel(request), userId });

export async function caseRoutes(app: FastifyInstance, deps: CaseRouteDeps, perIpPerMinute: number): Promise<void> {
  const config = { rateLimit: { max: perIpPerMinute, timeWindow: MINUTE, keyGenerator: (req: FastifyRequest) => req.ip } };
  const tags = ['cases'];
  type Params = { Params: { id: string } };

  app.post<{ Body: ReferralBody }>(
    '/api/v1/referral',
    { config, schema: { tags, summary: 'Ask for an IP service agency (转人工): opens a case', body: referralBody, response: { 200: caseResponse, ...errorResponses } } },
    async (request) => {
      const { consultationId, userId, district } = request.body;
      const consultation = await deps.store.get(consultationId);
      // Only what was asked over HTTP: a chat user's id is no secret (everyone in a group sees it).
      if (!consultation || !mayAct(consultation, asker(request, userId))) throw new HttpError(404, 'not_found', '没有找到这条咨询记录。');
      return answer(() => deps.cases.refer({ consultation, district, reason: referralReason(consultation.outcome) }));
    },
  );

  app.get<Params & { Querystring: { userId: string } }>(
    '/api/v1/cases/:id',
    { config, schema: { tags, summary: 'A case as its user sees it', params: caseParams, querystring: caseQuery, response: { 200: caseResponse, ...errorResponses } } },
    async (request) => answer(() => deps.cases.view(request.params.id, asker(request, request.query.userId))),
  );

  app.post<Params & { Body: ChooseBody }>(
    '/api/v1/cases/:id/intake',
    { config, schema: { tags, summary: 'Answer the intake question (district or IP field; "-" for not sure)', params: caseParams, body: chooseBody, response: { 200: caseResponse, ...errorResponses } } },
    async (request) => answer(() => deps.cases.choose(request.params.id, asker(request, request.body.userId), request.body.slot, request.body.value)),
  );

  app.post<Params & { Body: ConsentBody }>(
    '/api/v1/cases/:id/consent',
    { config, schema: { tags, summary: 'Give or refuse (or withdraw) consent to share the case with the agency named', params: caseParams, body: consentBody, response: { 200: caseResponse, ...errorResponses } } },
    async (request) => {
      const { userId, consent, contact, consentId } = request.body;
      return answer(() => deps.cases.consent(request.params.id, asker(request, userId), { consent, contact, consentId, via: `http:${request.id}` }));
    },
  );

  app.post<Params & { Body: { userId: string } }>(
    '/api/v1/cases/:id/withdraw',
    { config, schema: { tags, summary: 'Withdraw the referral: the agency is told and deletes the contact', params: caseParams, body: userOnlyBody, response: { 200: caseResponse, ...errorResponses } } },
    async (request) => answer(() => deps.cases.withdraw(request.params.id, asker(request, request.body.userId), 'user', `http:${request.id}`)),
  );

  app.post<Params & { Body: RatingBody }>(
    '/api/v1/cases/:id/rating',
    { config, schema: { tags, summary: 'Rate a completed case (1–5) and say whether it was resolved', params: caseParams, body: ratingBody, response: { 200: caseResponse, ...errorResponses } } },
    async (request) => {
      const { userId, resolved, rating, comment } = request.body;
      return answer(() => deps.cases.rate(request.params.id, asker(request, userId), { rating, resolved, comment }));
    },
  );
}
