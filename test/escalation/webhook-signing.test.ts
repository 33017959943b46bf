/** Our Standard Webhooks signatures against the reference `standardwebhooks` library, both directions. */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signDelivery, verifyInbound } from '../../src/escalation/webhook-signing.js';
import { OTHER_SECRET, WEBHOOK_SECRET } from './fixtures.js';

describe('Standard Webhooks signing', () => {
  const body = JSON.stringify({ type: 'case.requested', data: { caseId: 'x', question: '商标被抢注' } });

  it('signs deliveries the reference library verifies, and nothing else', () => {
    const headers = signDelivery(WEBHOOK_SECRET, 'msg_1', body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(new Webhook(WEBHOOK_SECRET).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => new Webhook(OTHER_SECRET).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(WEBHOOK_SECRET).verify(body.replace('商标', '专利'), { ...headers })).toThrow();
  });

  it('accepts what the reference library signs; refuses a forged, a stale or an unsigned request', () => {
    const now = new Date();
    const signed = (secret: string, at: Date, payload = '{"type":"accept"}') => ({
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('evt_1', at, payload),
    });
    expect(verifyInbound(WEBHOOK_SECRET, Buffer.from('{"type":"accept"}'), signed(WEBHOOK_SECRET, now))).toEqual({ ok: true, id: 'evt_1', payload: { type: 'accept' } });
    expect(verifyInbound(WEBHOOK_SECRET, Buffer.from('{"type":"accept"}'), signed(OTHER_SECRET, now))).toMatchObject({ ok: false, status: 401 });
    expect(verifyInbound(WEBHOOK_SECRET, Buffer.from('{"type":"accept"}'), signed(WEBHOOK_SECRET, new Date(now.getTime() - 6 * 60_000)))).toMatchObject({ ok: false, status: 401 });
    expect(verifyInbound(WEBHOOK_SECRET, Buffer.from('{"type":"accept"}'), signed(WEBHOOK_SECRET, new Date(now.getTime() + 6 * 60_000)))).toMatchObject({ ok: false, status: 401 });
    expect(verifyInbound(WEBHOOK_SECRET, Buffer.from('{"type":"decline"}'), signed(WEBHOOK_SECRET, now))).toMatchObject({ ok: false, status: 401 });
    expect(verifyInbound(WEBHOOK_SECRET, Buffer.from('{}'), {})).toMatchObject({ ok: false, status: 401 });
    expect(verifyInbound(WEBHOOK_SECRET, Buffer.from('not json'), signed(WEBHOOK_SECRET, now, 'not json'))).toMatchObject({ ok: false, status: 400 });
  });
});
