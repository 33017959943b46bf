/**
 * Verification of WeCom (企业微信) callbacks for 微信客服, done on the request's raw bytes before anything
 * is parsed for use. The cipher is WeCom's own scheme, implemented by its official `@wecom/crypto` package;
 * the checks around it are ours, because the package checks nothing itself (its unpadding passes bad
 * padding through, and it never compares the receiver id or the length field).
 *
 * A callback (POST) is accepted when
 * - `msg_signature` equals sha1 over the sorted token, timestamp, nonce and `Encrypt`, compared in constant time;
 * - `timestamp` is within `maxSkewMs` of our clock: WeCom retries a callback within seconds of the first
 *   attempt, so an older one is a replay (a replay inside the window carries an event already stored, and
 *   the inbox drops it by its id);
 * - `Encrypt` decrypts (AES-256-CBC, key = the EncodingAESKey decoded, IV = the key's first 16 bytes) to
 *   16 random bytes, a big-endian length, the message and the receiver id, with a sane length and padding;
 * - the receiver id is our corp id (a message encrypted for another corp that shares our key is not ours).
 * The URL check (GET, when the callback URL is saved in the admin console) signs `echostr` the same way; its
 * decrypted text is the answer.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { decrypt, getSignature } from '@wecom/crypto';
import { XMLParser } from 'fast-xml-parser';

export interface WecomKeys {
  /** The callback Token set in the admin console. */
  token: string;
  /** The 43-character EncodingAESKey. */
  encodingAesKey: string;
  /** The corp id (ww…): the receiver id of every message meant for us. */
  corpId: string;
}

/** A verified, decrypted callback, or why it is refused (401: not from WeCom; 400: malformed). */
export type WecomVerification =
  | { ok: true; message: string }
  | { ok: false; status: 400 | 401; reason: string };

export interface CallbackQuery {
  msg_signature?: unknown;
  timestamp?: unknown;
  nonce?: unknown;
  echostr?: unknown;
}

/** WeCom retries a callback three times, each after 5 s without an answer; ten minutes leaves room for clock drift. */
export const DEFAULT_MAX_SKEW_MS = 10 * 60 * 1000;

const xml = new XMLParser({ parseTagValue: false, trimValues: true, processEntities: false });

/** Parses a WeCom XML body (`<xml>…</xml>`) into its fields, all as strings; undefined when it is no such XML. */
export function parseWecomXml(text: string): Record<string, string> | undefined {
  try {
    const parsed: unknown = xml.parse(text);
    const root = (parsed as { xml?: unknown } | null)?.xml;
    if (!root || typeof root !== 'object' || Array.isArray(root)) return undefined;
    return Object.fromEntries(Object.entries(root as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  } catch {
    return undefined;
  }
}

/** The URL check: the decrypted `echostr` to answer with, or why not. */
export function verifyUrlCheck(query: CallbackQuery, keys: WecomKeys, options: { now?: number; maxSkewMs?: number } = {}): WecomVerification {
  const echostr = text(query.echostr);
  if (echostr === undefined) return { ok: false, status: 400, reason: 'echostr missing' };
  return verifySigned(query, echostr, keys, options);
}

/** A callback POST: its decrypted XML, or why it is refused. Nothing from a refused request may be used. */
export function verifyCallback(query: CallbackQuery, rawBody: Buffer, keys: WecomKeys, options: { now?: number; maxSkewMs?: number } = {}): WecomVerification {
  const fields = parseWecomXml(rawBody.toString('utf8'));
  const encrypted = fields?.Encrypt;
  if (!encrypted) return { ok: false, status: 400, reason: 'body has no Encrypt' };
  return verifySigned(query, encrypted, keys, options);
}

function verifySigned(query: CallbackQuery, encrypted: string, keys: WecomKeys, options: { now?: number; maxSkewMs?: number }): WecomVerification {
  const signature = text(query.msg_signature);
  const timestamp = text(query.timestamp);
  const nonce = text(query.nonce);
  if (signature === undefined || timestamp === undefined || nonce === undefined) return { ok: false, status: 401, reason: 'signature parameters missing' };
  if (!sameText(getSignature(keys.token, timestamp, nonce, encrypted), signature.toLowerCase())) return { ok: false, status: 401, reason: 'signature mismatch' };
  const seconds = Number(timestamp);
  const now = options.now ?? Date.now();
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now - seconds * 1000) > (options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    return { ok: false, status: 401, reason: 'timestamp outside the accepted window (a replay?)' };
  }
  const opened = openCiphertext(encrypted, keys.encodingAesKey);
  if (!opened) return { ok: false, status: 400, reason: 'ciphertext does not decrypt' };
  if (!sameText(opened.receiveId, keys.corpId)) return { ok: false, status: 401, reason: 'receiver id is not our corp id' };
  return { ok: true, message: opened.message };
}

/**
 * Decrypts with `@wecom/crypto` after checking what it does not: a whole number of blocks, PKCS#7 padding
 * of 1–32 bytes (WeCom pads to 32), and a length field that fits. Undefined for anything else.
 */
export function openCiphertext(encrypted: string, encodingAesKey: string): { message: string; receiveId: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted)) return undefined;
  const bytes = Buffer.from(encrypted, 'base64');
  if (bytes.length < 32 || bytes.length % 16 !== 0) return undefined;
  let opened: ReturnType<typeof decrypt>;
  try {
    opened = decrypt(encodingAesKey, encrypted);
  } catch {
    return undefined;
  }
  // Unpadded length = 16 random + 4 length + message + receiver id; the package returns the receiver id as
  // the rest after the message, so a bad pad or length shows as a receiver id of the wrong size or bytes.
  const plainLength = 20 + Buffer.byteLength(opened.message) + Buffer.byteLength(opened.id);
  const pad = bytes.length - plainLength;
  if (pad < 1 || pad > 32 || opened.id.includes('\uFFFD')) return undefined;
  return { message: opened.message, receiveId: opened.id };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Constant-time equality of two strings of any length (their digests have equal length). */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
