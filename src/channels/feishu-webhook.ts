/**
 * `POST /webhooks/feishu`: events and card callbacks. The route lives in its own encapsulated plugin with a
 * content-type parser that keeps the body as raw bytes (the signature covers them exactly); other routes
 * keep fastify's JSON parser. Every request is verified before anything is parsed for use, and a refused
 * one is answered 401/400 and logged without being processed; so is a verified event of the wrong shape.
 */
import type { FastifyInstance } from 'fastify';
import { MalformedFeishuEvent } from './feishu-event.js';
import { verifyFeishuRequest, type FeishuKeys } from './feishu-verify.js';

export interface FeishuWebhookOptions {
  path: string;
  keys: FeishuKeys;
  /** Handles a verified, decrypted payload; what it returns is the response body (e.g. a toast). */
  dispatch(payload: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Feishu event bodies are small; a card callback with form values stays well under this. */
const BODY_LIMIT = 256 * 1024;

export async function registerFeishuWebhook(app: FastifyInstance, options: FeishuWebhookOptions): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.post(options.path, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const verified = verifyFeishuRequest(raw, request.headers, options.keys);
      if (!verified.ok) {
        request.log.warn({ channel: 'feishu', reason: verified.reason, status: verified.status }, 'feishu webhook request refused');
        return reply.code(verified.status).send({ error: verified.status === 401 ? 'unauthorized' : 'bad_request' });
      }
      if (verified.challenge !== undefined) return { challenge: verified.challenge };
      try {
        return await options.dispatch(verified.payload);
      } catch (error) {
        if (!(error instanceof MalformedFeishuEvent)) throw error;
        request.log.warn({ channel: 'feishu', reason: error.problem }, 'feishu event refused');
        return reply.code(400).send({ error: 'bad_request' });
      }
    });
  });
}
