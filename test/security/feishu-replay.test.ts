/**
 * A Feishu event signed long ago: the probe replayed one signed days before and it was accepted, its only
 * guard the event-id dedupe, whose keys are purged after RETENTION (24 h at the least). Decided: a signed
 * request is accepted up to 24 hours after its timestamp (Feishu re-pushes a failed event for about 7
 * hours, possibly with the first timestamp) and refused after, so no replay outlives its dedupe key.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptFeishu, feishuSignature, MAX_SIGNED_AGE_MS, verifyFeishuRequest } from '../../src/channels/feishu-verify.js';
import { MIN_RETENTION_MS } from '../../src/store/consultations.js';
import { KEYS, messageEvent } from '../channels/feishu-fixtures.js';

const HOUR = 3_600_000;

function signedAt(at: number) {
  const body = JSON.stringify({ encrypt: encryptFeishu(JSON.stringify(messageEvent({ text: '商标被抢注了怎么办？' })), KEYS.encryptKey) });
  const timestamp = String(Math.floor(at / 1000));
  const nonce = randomBytes(8).toString('hex');
  return { body: Buffer.from(body), headers: { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': feishuSignature(timestamp, nonce, KEYS.encryptKey, body) } };
}

describe('Feishu replay window', () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  it.each([
    ['now', 0, true],
    ['7 hours ago (Feishu’s last re-push)', 7 * HOUR, true],
    ['23 hours ago', 23 * HOUR, true],
    ['25 hours ago', 25 * HOUR, false],
    ['3 days ago', 72 * HOUR, false],
    ['an hour ahead', -HOUR, false],
  ])('a request signed %s is %s', (_, age, accepted) => {
    const { body, headers } = signedAt(now - age);
    const result = verifyFeishuRequest(body, headers, KEYS, now);
    expect(result.ok).toBe(accepted);
    if (!result.ok) expect(result).toMatchObject({ status: 401, reason: 'signature timestamp outside the replay window' });
  });

  it('never accepts a request older than its dedupe key lives', () => {
    expect(MAX_SIGNED_AGE_MS).toBeLessThanOrEqual(MIN_RETENTION_MS);
  });
});
