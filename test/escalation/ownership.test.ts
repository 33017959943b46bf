/**
 * Who may act on a case over HTTP, on PGlite and on Postgres: the user API serves only what was asked over
 * HTTP, with the asker's own secret id. A chat user's id is seen by everyone in the group, so a case that came
 * from Telegram or Feishu is acted on only in its chat (or by staff), never through the API.
 */
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CaseService } from '../../src/escalation/case-service.js';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import type { ConsultationStore } from '../../src/store/consultations.js';
import { testApp } from '../http/fixtures.js';
import { sampleConsultation } from '../store/sample.js';
import { storeTargets, targetTitle } from '../store/targets.js';

const GROUP = { channel: 'telegram' as const, botId: '123456', chatId: '-100200', replyTo: '7' };
const VICTIM = { channel: 'telegram' as const, userId: '4242' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(storeTargets())('who may act on a case over HTTP on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 60_000 }, () => {
    let handle: DatabaseHandle;
    let app: FastifyInstance;
    let store: ConsultationStore;
    let cases: CaseService;

    beforeAll(() => target.setup(), 60_000);
    afterAll(() => target.teardown(), 60_000);
    beforeEach(async () => {
      handle = await target.fresh();
      ({ app, store, cases } = await testApp(handle));
    }, 60_000);
    afterEach(async () => {
      await app.close();
      await handle.close();
    });

    const post = (url: string, body: object, web = false) => app.inject({ method: 'POST', url, payload: body, headers: web ? { 'x-ipcb-client': 'web' } : {} });
    const caseRow = async (id: string) => (await queryRows<{ status: string; contact_cipher: string | null; rating: number | null }>(handle.db, sql`select status, contact_cipher, rating from cases where id = ${id}`))[0]!;

    it('refuses a group member who uses the asker’s Telegram id over HTTP, while the asker acts in the chat', async () => {
      const consultation = await store.record(sampleConsultation({ ...GROUP, userId: VICTIM.userId, conversationId: 'telegram:-100200', question: '我们的专利被侵权了，想找律师起诉对方', outcome: 'escalation_offered' }));
      const { userId } = VICTIM;
      // The consultation id travels in the answer's button data; the user id is shown to the whole group.
      expect((await post('/api/v1/referral', { consultationId: consultation.id, userId })).statusCode).toBe(404);
      expect((await post('/api/v1/feedback', { consultationId: consultation.id, userId, rating: 'down' })).statusCode).toBe(404);

      const offered = await cases.refer({ consultation, envelope: GROUP });
      expect(offered.status).toBe('awaiting_consent');
      expect((await app.inject(`/api/v1/cases/${offered.id}?userId=${userId}`)).statusCode).toBe(404);
      expect((await post(`/api/v1/cases/${offered.id}/consent`, { userId, consent: true, contact: '13011112222' })).statusCode).toBe(404);
      expect((await post(`/api/v1/cases/${offered.id}/intake`, { userId, slot: 'district', value: '张店区' })).statusCode).toBe(404);
      expect((await post(`/api/v1/cases/${offered.id}/withdraw`, { userId })).statusCode).toBe(404);
      expect(await caseRow(offered.id)).toEqual({ status: 'awaiting_consent', contact_cipher: null, rating: null });

      // In the chat, the asker is who they say (the platform vouches): consent works there.
      const requested = await cases.consent(offered.id, VICTIM, { consent: true, consentId: offered.consent.consentId, via: 'telegram:evt' });
      expect(requested.status).toBe('requested');
      await cases.agencyAction(offered.id, 'a-telegram-firm', { type: 'accept' });
      await cases.agencyAction(offered.id, 'a-telegram-firm', { type: 'close' });
      expect((await post(`/api/v1/cases/${offered.id}/rating`, { userId, resolved: false, rating: 1 })).statusCode).toBe(404);
      expect((await caseRow(offered.id)).rating).toBeNull();
      // The same user on another chat platform is someone else too.
      await expect(cases.rate(offered.id, { channel: 'feishu', userId }, { rating: 1 })).rejects.toThrow(/no such case/);
      expect((await cases.rate(offered.id, VICTIM, { rating: 5 })).rating).toEqual({ resolved: null, rating: 5 });
    });

    it('keeps one web user out of another’s consultation and case', async () => {
      const asked = await post('/api/v1/ask', { question: '我们公司的商标被人恶意抢注了，想找律师起诉对方', userId: 'web-secret-a', conversationId: 'c1' }, true);
      const consultationId = asked.json().id as string;
      expect((await post('/api/v1/referral', { consultationId, userId: 'web-secret-b' }, true)).statusCode).toBe(404);
      const opened = await post('/api/v1/referral', { consultationId, userId: 'web-secret-a' }, true);
      expect(opened.statusCode).toBe(200);
      const id = opened.json().id as string;
      expect((await app.inject(`/api/v1/cases/${id}?userId=web-secret-b`)).statusCode).toBe(404);
      expect((await post(`/api/v1/cases/${id}/consent`, { userId: 'web-secret-b', consent: true }, true)).statusCode).toBe(404);
      expect((await post(`/api/v1/cases/${id}/withdraw`, { userId: 'web-secret-b' }, true)).statusCode).toBe(404);
      expect((await post('/api/v1/feedback', { consultationId, userId: 'web-secret-b', rating: 'down' }, true)).statusCode).toBe(404);
      // The web chat and an API client are one HTTP user: the same secret works through both.
      expect((await app.inject(`/api/v1/cases/${id}?userId=web-secret-a`)).json().status).toBe('awaiting_consent');
      // In a chat nobody can act on it either, whatever id they claim.
      await expect(cases.withdraw(id, { channel: 'telegram', userId: 'web-secret-a' })).rejects.toThrow(/no such case/);
      expect((await caseRow(id)).status).toBe('awaiting_consent');
    });

    it('gives a question asked without a userId a fresh random one, never a shared owner', async () => {
      const first = (await post('/api/v1/ask', { question: '商标被抢注了，想找律师起诉' })).json();
      const second = (await post('/api/v1/ask', { question: '商标被抢注了，想找律师起诉' })).json();
      expect(first.userId).toMatch(UUID);
      expect(second.userId).toMatch(UUID);
      expect(first.userId).not.toBe(second.userId);
      const owners = await queryRows<{ user_id: string }>(handle.db, sql`select user_id from consultations order by created_at`);
      expect(owners.map((o) => o.user_id)).toEqual([first.userId, second.userId]);
      expect((await post('/api/v1/referral', { consultationId: first.id, userId: 'anonymous' })).statusCode).toBe(404);
      expect((await post('/api/v1/referral', { consultationId: first.id, userId: second.userId })).statusCode).toBe(404);
      expect((await post('/api/v1/referral', { consultationId: first.id, userId: first.userId })).statusCode).toBe(200);
      // A userId sent is echoed back as it was.
      expect((await post('/api/v1/ask', { question: '商标注册需要多久？', userId: 'my-own-id' })).json().userId).toBe('my-own-id');
    });
  });
});
