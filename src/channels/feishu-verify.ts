/**
 * Verification of Feishu/Lark webhook requests (events and card callbacks), done here rather than by the
 * SDK: the SDK skips every check when no Encrypt Key is set, hashes re-serialised JSON instead of the raw
 * body, never checks the Verification Token of events, and lets failures through with HTTP 200.
 *
 * A request is accepted when
 * - `X-Lark-Signature` equals sha256(timestamp + nonce + encryptKey + rawBody), compared in constant time;
 * - the body is `{ "encrypt": … }` and decrypts (AES-256-CBC, key = sha256(encryptKey), IV = first 16 bytes);
 * - the plaintext's token (`header.token` for v2 events, `token` otherwise) equals the Verification Token.
 * One exception: Feishu sends the `url_verification` challenge without signature headers. A request with
 * none of the three headers is accepted only when it decrypts to a `url_verification` with the right token.
 *
 * Replay: a replayed event is dropped by its event id, whose dedupe key is kept at least 24 hours
 * (MIN_RETENTION_MS). A signed request older than that is refused (401), so a replay can never outlive
 * its dedupe key, even with RETENTION set to the minimum. The window is not shorter because Feishu re-pushes
 * a failed event for about 7 hours and may reuse the first delivery's timestamp (not documented either
 * way); five minutes ahead is allowed for clock skew.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MIN_RETENTION_MS } from '../store/consultations.js';

/** Signed requests older than this are refused: dedupe keys live at least this long. */
export const MAX_SIGNED_AGE_MS = MIN_RETENTION_MS;
const MAX_CLOCK_AHEAD_MS = 5 * 60_000;

export interface FeishuKeys {
  encryptKey: string;
  verificationToken: string;
}

/** A verified, decrypted payload, or why the request is refused (401: not from Feishu; 400: malformed). */
export type Verification =
  | { ok: true; payload: Record<string, unknown>; challenge?: string }
  | { ok: false; status: 400 | 401; reason: string };

type HeaderValue = string | string[] | undefined;

export function feishuSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: Buffer | string): string {
  return createHash('sha256').update(timestamp).update(nonce).update(encryptKey).update(rawBody).digest('hex');
}

/** Decrypts a Feishu `encrypt` field; throws on bad base64, a short input, a wrong key or bad padding. */
export function decryptFeishu(encrypt: string, encryptKey: string): string {
  const data = Buffer.from(encrypt, 'base64');
  if (data.length < 32 || data.length % 16 !== 0) throw new Error('ciphertext has the wrong length');
  const key = createHash('sha256').update(encryptKey).digest();
  const decipher = createDecipheriv('aes-256-cbc', key, data.subarray(0, 16));
  return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]).toString('utf8');
}

/** The platform's side of `decryptFeishu` (tests, benchmarks): a random IV, prepended, base64. */
export function encryptFeishu(plaintext: string, encryptKey: string): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

function header(headers: Record<string, HeaderValue>, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Constant-time equality of two strings of any length (their digests have equal length). */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Checks one webhook request on its raw bytes; nothing from a refused request may be processed. */
export function verifyFeishuRequest(rawBody: Buffer, headers: Record<string, HeaderValue>, keys: FeishuKeys, now = Date.now()): Verification {
  const timestamp = header(headers, 'x-lark-request-timestamp');
  const nonce = header(headers, 'x-lark-request-nonce');
  const signature = header(headers, 'x-lark-signature');
  const unsigned = timestamp === undefined && nonce === undefined && signature === undefined;
  if (!unsigned) {
    if (timestamp === undefined || nonce === undefined || signature === undefined) {
      return { ok: false, status: 401, reason: 'signature headers incomplete' };
    }
    if (!sameText(feishuSignature(timestamp, nonce, keys.encryptKey, rawBody), signature.toLowerCase())) {
      return { ok: false, status: 401, reason: 'signature mismatch' };
    }
    const age = now - Number(timestamp) * 1000;
    if (!/^\d{1,12}$/.test(timestamp) || age > MAX_SIGNED_AGE_MS || age < -MAX_CLOCK_AHEAD_MS) {
      return { ok: false, status: 401, reason: 'signature timestamp outside the replay window' };
    }
  }

  let envelope: unknown;
  try {
    envelope = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
  const encrypt = (envelope as { encrypt?: unknown } | null)?.encrypt;
  if (typeof encrypt !== 'string') {
    // With an Encrypt Key configured Feishu encrypts everything; a plain body is not from it.
    return { ok: false, status: unsigned ? 401 : 400, reason: 'body is not encrypted' };
  }
  let payload: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(decryptFeishu(encrypt, keys.encryptKey));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    payload = parsed as Record<string, unknown>;
  } catch {
    return { ok: false, status: unsigned ? 401 : 400, reason: 'body does not decrypt' };
  }

  const v2Header = payload.header as { token?: unknown } | undefined;
  const token = typeof v2Header?.token === 'string' ? v2Header.token : payload.token;
  if (typeof token !== 'string' || !sameText(token, keys.verificationToken)) {
    return { ok: false, status: 401, reason: 'verification token mismatch' };
  }
  if (payload.type === 'url_verification') {
    return typeof payload.challenge === 'string'
      ? { ok: true, payload, challenge: payload.challenge }
      : { ok: false, status: 400, reason: 'challenge missing' };
  }
  if (unsigned) return { ok: false, status: 401, reason: 'signature headers missing' };
  return { ok: true, payload };
}
