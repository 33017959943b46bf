/**
 * A referral over the HTTP API to a webhook agency, on PGlite and on Postgres: the contract's user-side
 * routes, Standard Webhooks deliveries verified by the reference library, and the agency's signed callbacks
 * (forged, stale and replayed ones refused without a transition).
 */
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebhookDeliverer } from '../../src/escalation/webhook-deliverer.js';
import type { PollLoop } from '../../src/queue/poll-loop.js';
import { startSender } from '../../src/queue/sender.js';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import { FakeAgencyWebhook } from '../fakes/agency-webhook.js';
import { testApp } from '../http/fixtures.js';
import { count } from '../queue/fixtures.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { OTHER_SECRET, registryOf, testCases, WEBHOOK_SECRET } from './fixtures.js';

const USER = 'u-api-1';

describe.each(storeTargets())('referral over the API on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 60_000 }, () => {
    let handle: DatabaseHandle;
    let app: FastifyInstance;
    let first: FakeAgencyWebhook;
    let second: FakeAgencyWebhook;
    let sender: PollLoop;

    beforeAll(() => target.setup(), 60_000);
    afterAll(() => target.teardown(), 60_000);
    beforeEach(async () => {
      handle = await target.fresh();
      first = await new FakeAgencyWebhook(WEBHOOK_SECRET).start();
      second = await new FakeAgencyWebhook(OTHER_SECRET).start();
      const registry = registryOf([
        { id: 'hook-one', name: '一号知识产权服务中心', services: ['litigation'], contact: '一号中心 0533-1000001', channel: { type: 'webhook', url: first.url, secret: WEBHOOK_SECRET } },
        { id: 'hook-two', name: '二号律师事务所', services: ['litigation'], contact: '二号所 0533-1000002', channel: { type: 'webhook', url: second.url, secret: OTHER_SECRET } },
      ]);
      const { Outbox } = await import('../../src/queue/outbox.js');
      const outbox = new Outbox(handle.db);
      const cases = await testCases(handle.db, outbox, { registry, onQueued: () => sender?.wake() });
      ({ app } = await testApp(handle, {}, { cases, registry }));
      sender = startSender({ outbox, hooks: cases.deliveryHooks(), deliverers: [new WebhookDeliverer(registry)], onError: () => {} }, { idleMs: 10, policy: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
    }, 60_000);
    afterEach(async () => {
      await sender.stop();
      await app.close();
      await first.stop();
      await second.stop();
      await handle.close();
    }, 60_000);

    const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, payload: body as object });
    const agencyEvent = (caseId: string, body: unknown, agency: FakeAgencyWebhook, id: string, at?: Date) => {
      const raw = JSON.stringify(body);
      return app.inject({ method: 'POST', url: `/api/v1/agency/cases/${caseId}/events`, headers: agency.sign(raw, id, at), payload: raw });
    };
    async function referral(question = '我们公司的商标被人恶意抢注了，想找律师起诉对方') {
      const asked = await post('/api/v1/ask', { question, userId: USER, conversationId: 'conv-1' });
      expect(asked.statusCode).toBe(200);
      const opened = await post('/api/v1/referral', { consultationId: asked.json().id, userId: USER });
      expect(opened.statusCode).toBe(200);
      return opened.json();
    }
    const transitions = async () => (await queryRows<{ type: string }>(handle.db, sql`select type from case_events order by id`)).map((e) => e.type);

    it('consent, a signed delivery, accept, answer, close and a rating; the user sees each step', async () => {
      const offered = await referral();
      expect(offered).toMatchObject({ status: 'awaiting_consent', agency: { id: 'hook-one', name: '一号知识产权服务中心', contact: '一号中心 0533-1000001' }, consent: { required: true } });
      expect(offered.consent.text).toContain('一号知识产权服务中心');
      expect(first.deliveries).toHaveLength(0);

      const consented = await post(`/api/v1/cases/${offered.id}/consent`, { userId: USER, consent: true, contact: '13800138000', consentId: offered.consent.consentId });
      expect(consented.json().status).toBe('requested');
      await first.waitFor((d) => d.length === 1);
      const [delivery] = first.deliveries;
      expect(delivery!.event).toMatchObject({
        type: 'case.requested',
        data: { caseId: offered.id, agencyId: 'hook-one', field: 'trademark', service: 'litigation', question: expect.stringContaining('商标'), contact: '13800138000', respondBy: expect.any(String) },
      });
      expect(delivery!.headers['webhook-id']).toMatch(/^msg_/);

      // Refused without a transition: a forged signature, a stale timestamp, an unknown case.
      const body = { type: 'accept' };
      const forged = JSON.stringify(body);
      const badSig = await app.inject({ method: 'POST', url: `/api/v1/agency/cases/${offered.id}/events`, headers: first.sign(forged, 'evt-forged', new Date(), OTHER_SECRET), payload: forged });
      expect(badSig.statusCode).toBe(401);
      expect((await agencyEvent(offered.id, body, first, 'evt-stale', new Date(Date.now() - 6 * 60_000))).statusCode).toBe(401);
      expect((await agencyEvent('00000000-0000-4000-8000-000000000000', body, first, 'evt-unknown')).statusCode).toBe(401);
      expect(await transitions()).not.toContain('accepted');

      const accepted = await agencyEvent(offered.id, body, first, 'evt-accept-1');
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json()).toMatchObject({ ok: true, status: 'accepted' });
      const replay = await agencyEvent(offered.id, body, first, 'evt-accept-1');
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toMatchObject({ duplicate: true });
      expect((await agencyEvent(offered.id, body, first, 'evt-accept-2')).statusCode).toBe(409);
      expect((await agencyEvent(offered.id, { type: 'answer' }, first, 'evt-bad-body')).statusCode).toBe(400);
      expect((await transitions()).filter((t) => t === 'accepted')).toHaveLength(1);
      // The other agency cannot act on a case it never had.
      expect((await agencyEvent(offered.id, { type: 'close' }, second, 'evt-other')).statusCode).toBe(401);

      expect((await agencyEvent(offered.id, { type: 'answer', text: '已收到，建议先提出商标无效宣告，我们会电话联系您。' }, first, 'evt-answer')).json().status).toBe('answered');
      expect((await agencyEvent(offered.id, { type: 'close' }, first, 'evt-close')).json().status).toBe('completed');
      await first.waitFor((d) => d.some((x) => x.event?.type === 'case.closed'));

      const view = (await app.inject(`/api/v1/cases/${offered.id}?userId=${USER}`)).json();
      expect(view.status).toBe('completed');
      expect(view.messages.map((m: { from: string }) => m.from)).toContain('agency');
      expect(view.messages.find((m: { from: string }) => m.from === 'agency').text).toContain('商标无效宣告');
      expect(view.events.map((e: { type: string }) => e.type)).toEqual(['offered', 'consent_requested', 'consent_given', 'accepted', 'answered', 'completed']);
      expect((await app.inject(`/api/v1/cases/${offered.id}?userId=someone-else`)).statusCode).toBe(404);

      const rated = await post(`/api/v1/cases/${offered.id}/rating`, { userId: USER, resolved: true, rating: 4, comment: '很快，谢谢' });
      expect(rated.json().rating).toEqual({ resolved: true, rating: 4 });
      expect((await post(`/api/v1/cases/${offered.id}/rating`, { userId: USER, resolved: true, rating: 9 })).statusCode).toBe(400);
      const [stored] = await queryRows<{ rating: number; agency_id: string; contact_cipher: string | null }>(handle.db, sql`select rating, agency_id, contact_cipher from cases`);
      expect(stored).toEqual({ rating: 4, agency_id: 'hook-one', contact_cipher: null });
      for (const d of first.deliveries) expect(d.event).toBeDefined(); // every delivery verified
    });

    it('no consent: nothing is delivered; a decline goes to the next agency only after new consent', async () => {
      const refused = await referral('想找律师起诉侵犯我们专利的公司');
      expect((await post(`/api/v1/cases/${refused.id}/consent`, { userId: USER, consent: false })).json().status).toBe('cancelled');
      await new Promise((r) => setTimeout(r, 100));
      expect(first.deliveries.length + second.deliveries.length).toBe(0);

      const offered = await referral('版权被侵权了，要找律师起诉');
      await post(`/api/v1/cases/${offered.id}/consent`, { userId: USER, consent: true });
      await first.waitFor((d) => d.length === 1);
      const declined = await agencyEvent(offered.id, { type: 'decline', reason: '利益冲突' }, first, 'evt-decline');
      expect(declined.json().status).toBe('awaiting_consent');
      const view = (await app.inject(`/api/v1/cases/${offered.id}?userId=${USER}`)).json();
      expect(view).toMatchObject({ status: 'awaiting_consent', agency: { id: 'hook-two' }, consent: { required: true } });
      expect(view.consent.text).toContain('二号律师事务所');
      await new Promise((r) => setTimeout(r, 100));
      expect(second.deliveries).toHaveLength(0);
      // The first agency's old consent does not carry over; the stale notice is refused.
      expect((await post(`/api/v1/cases/${offered.id}/consent`, { userId: USER, consent: true, consentId: offered.consent.consentId })).statusCode).toBe(409);
      await post(`/api/v1/cases/${offered.id}/consent`, { userId: USER, consent: true, consentId: view.consent.consentId });
      await second.waitFor((d) => d.length === 1);
      expect(second.deliveries[0]!.event!.data.agencyId).toBe('hook-two');
      expect(await count(handle.db, 'case_consents', "decision = 'given'")).toBe(2);
    });

    it('retries a failing agency endpoint with the same webhook-id', async () => {
      first.script.push(503, 500);
      const offered = await referral();
      await post(`/api/v1/cases/${offered.id}/consent`, { userId: USER, consent: true });
      await first.waitFor((d) => d.length === 3);
      expect(new Set(first.deliveries.map((d) => d.headers['webhook-id'])).size).toBe(1);
      // The third attempt was answered 200; its row is marked sent right after.
      for (let i = 0; i < 200 && (await count(handle.db, 'outbox', "status = 'sent' and channel = 'webhook'")) < 1; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await count(handle.db, 'outbox', "status = 'sent' and channel = 'webhook'")).toBe(1);
      expect(first.deliveries).toHaveLength(3);
    });
  });
});
