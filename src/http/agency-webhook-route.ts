/**
 * `POST /api/v1/agency/cases/:id/events`: a webhook agency acting on its case (accept, decline, answer,
 * close), signed per Standard Webhooks with its secret. The route keeps the raw body (the signature covers
 * the exact bytes) in its own encapsulated plugin. Refusals: 401 for a bad signature or a timestamp off by
 * more than 5 minutes, 400 for a malformed body, 404 for a case the agency never had, 409 for a transition
 * the state does not allow. A repeated `webhook-id` changes nothing and gets the first answer's status.
 * The dedupe key commits in the transaction of the transition.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod/v4';
import type { AgencyRegistry } from '../escalation/agencies.js';
import type { AgencyOp, CaseService } from '../escalation/case-service.js';
import { CaseConflict, CaseNotFound } from '../cases/core.js';
import { verifyInbound } from '../escalation/webhook-signing.js';
import type { ConsultationStore } from '../store/consultations.js';
import type { Database } from '../store/db.js';
import { cases } from '../store/schema.js';
import { eq } from 'drizzle-orm';
import { storable } from '../store/storable.js';

export interface AgencyWebhookDeps {
  db: Database;
  store: ConsultationStore;
  cases: CaseService;
  registry: AgencyRegistry;
}

const BODY_LIMIT = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const eventBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('accept') }),
  z.object({ type: z.literal('decline'), reason: z.string().max(500).optional() }),
  z.object({ type: z.literal('answer'), text: z.string().trim().min(1).max(4000) }),
  z.object({ type: z.literal('close'), text: z.string().max(4000).optional() }),
]);

/**
 * Per source address, like the public API (RATE_LIMIT_IP_PER_MINUTE): every request costs a case lookup
 * and an HMAC per agency that had the case, so unsigned floods are cut off before that work.
 */
export async function agencyWebhookRoute(app: FastifyInstance, deps: AgencyWebhookDeps, perIpPerMinute: number): Promise<void> {
  const config = { rateLimit: { max: perIpPerMinute, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `agency-events:${req.ip}` } };
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { id: string } }>('/api/v1/agency/cases/:id/events', { config, schema: { hide: true } }, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const refuse = (status: number, error: string, message: string) => {
        request.log.warn({ route: 'agency-webhook', status, reason: error }, 'agency event refused');
        return reply.code(status).send({ error, message });
      };
      const caseId = request.params.id;
      const [c] = UUID.test(caseId) ? await deps.db.select({ agencyId: cases.agencyId, tried: cases.triedAgencies, status: cases.status }).from(cases).where(eq(cases.id, caseId)) : [];
      // The signer must be an agency that had the case: its current agency, or one it passed through.
      const signers = c ? [c.agencyId, ...c.tried].flatMap((id) => (id ? [deps.registry.get(id)] : [])) : [];
      let agencyId: string | undefined;
      let verified: ReturnType<typeof verifyInbound> | undefined;
      for (const agency of signers) {
        if (agency?.channel?.type !== 'webhook') continue;
        verified = verifyInbound(agency.channel.secret, raw, request.headers);
        if (verified.ok || verified.status === 400) {
          agencyId = agency.id;
          break;
        }
      }
      if (!verified || !agencyId) return refuse(401, 'unauthorized', 'signature or timestamp not accepted');
      if (!verified.ok) return refuse(400, 'input_invalid', verified.reason);
      const body = eventBody.safeParse(storable(verified.payload));
      if (!body.success) return refuse(400, 'input_invalid', body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
      const webhookId = verified.id;
      try {
        const view = await deps.db.transaction(async (tx) => {
          if (!(await deps.store.markEventProcessed('webhook', agencyId!, webhookId, tx))) return undefined;
          return deps.cases.inTx(tx).agencyAction(caseId, agencyId!, toOp(body.data));
        });
        deps.cases.wake();
        if (!view) return { ok: true, duplicate: true };
        return { ok: true, status: view.status };
      } catch (error) {
        if (error instanceof CaseNotFound) return refuse(404, 'not_found', 'no such case for this agency');
        if (error instanceof CaseConflict) return refuse(409, 'conflict', error.message);
        throw error;
      }
    });
  });
}

function toOp(body: z.infer<typeof eventBody>): AgencyOp {
  switch (body.type) {
    case 'accept':
      return { type: 'accept' };
    case 'decline':
      return { type: 'decline', reason: body.reason };
    case 'answer':
      return { type: 'answer', text: body.text };
    case 'close':
      return { type: 'close', text: body.text };
  }
}
