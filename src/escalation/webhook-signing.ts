/**
 * Standard Webhooks (standardwebhooks.com) for agencies reached over HTTPS: outbound deliveries are signed,
 * inbound agency events verified, both with the `standardwebhooks` package (HMAC-SHA256 over
 * `id.timestamp.body` with the secret's bytes, constant-time compare, a 5-minute timestamp window).
 * Verification works on the raw body bytes and returns a union, like src/channels/feishu-verify.ts.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Headers for a delivery of `body` with id `id` (stable across retries, so the agency can deduplicate). */
export function signDelivery(secret: string, id: string, body: string, at: Date = new Date()): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

export type InboundVerification = { ok: true; id: string; payload: unknown } | { ok: false; status: 400 | 401; reason: string };

/** Checks an agency's request: the three headers, the signature over the raw body, the timestamp window. */
export function verifyInbound(secret: string, raw: Buffer, headers: Record<string, string | string[] | undefined>): InboundVerification {
  const pick = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = pick('webhook-id');
  const timestamp = pick('webhook-timestamp');
  const signature = pick('webhook-signature');
  if (!id || !timestamp || !signature) return { ok: false, status: 401, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (id.length > 256) return { ok: false, status: 401, reason: 'webhook-id too long' };
  try {
    new Webhook(secret).verify(raw, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature }, { jsonParse: false });
  } catch (error) {
    if (error instanceof WebhookVerificationError) return { ok: false, status: 401, reason: error.message };
    throw error;
  }
  try {
    return { ok: true, id, payload: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
}
