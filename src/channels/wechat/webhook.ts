/**
 * `GET|POST /webhooks/wechat`: the URL check and the callbacks of WeCom 微信客服. The routes live in their own
 * encapsulated plugin with a content-type parser that keeps the body as raw bytes (the signature covers the
 * ciphertext in it exactly). Every request is verified before anything in it is used; a refused one is
 * answered 401/400 and logged, and nothing from it is stored.
 */
import type { FastifyInstance } from 'fastify';
import { parseWecomXml, verifyCallback, verifyUrlCheck, type WecomKeys } from './verify.js';

export const WECHAT_WEBHOOK_PATH = '/webhooks/wechat';

export interface WechatWebhookOptions {
  keys: WecomKeys;
  /** Stores a verified, decrypted callback (its XML fields); resolves once it is durable. */
  accept(fields: Record<string, string>): Promise<void>;
  /** Accepted clock difference for a callback's timestamp (tests move it). */
  maxSkewMs?: number;
}

/** A callback is a few hundred bytes of XML. */
const BODY_LIMIT = 64 * 1024;

export async function registerWechatWebhook(app: FastifyInstance, options: WechatWebhookOptions): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.get(WECHAT_WEBHOOK_PATH, async (request, reply) => {
      const verified = verifyUrlCheck(request.query as Record<string, unknown>, options.keys, { maxSkewMs: options.maxSkewMs });
      if (!verified.ok) {
        request.log.warn({ channel: 'wechat', reason: verified.reason, status: verified.status }, 'wechat url check refused');
        return reply.code(verified.status).send({ error: verified.status === 401 ? 'unauthorized' : 'bad_request' });
      }
      // The plain echostr, as it decrypted: no quotes, no newline, no BOM.
      return reply.type('text/plain; charset=utf-8').send(verified.message);
    });
    scope.post(WECHAT_WEBHOOK_PATH, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const verified = verifyCallback(request.query as Record<string, unknown>, raw, options.keys, { maxSkewMs: options.maxSkewMs });
      if (!verified.ok) {
        request.log.warn({ channel: 'wechat', reason: verified.reason, status: verified.status }, 'wechat callback refused');
        return reply.code(verified.status).send({ error: verified.status === 401 ? 'unauthorized' : 'bad_request' });
      }
      const fields = parseWecomXml(verified.message);
      if (!fields) {
        request.log.warn({ channel: 'wechat', reason: 'plaintext is not XML' }, 'wechat callback refused');
        return reply.code(400).send({ error: 'bad_request' });
      }
      await options.accept(fields);
      // WeCom takes an empty 200 as "received" and does not retry it.
      return reply.type('text/plain; charset=utf-8').send('');
    });
  });
}
