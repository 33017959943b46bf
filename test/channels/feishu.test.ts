/**
 * The Feishu channel end to end: signed, encrypted webhook requests into fastify, the durable queue on
 * PGlite (and Postgres when TEST_DATABASE_URL is set), and the real Lark SDK client posting replies to a
 * fake Feishu open API on 127.0.0.1.
 */
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FEISHU_WEBHOOK_PATH, type FeishuChannel } from '../../src/channels/feishu.js';
import { decryptFeishu, encryptFeishu } from '../../src/channels/feishu-verify.js';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import type { Deliverer } from '../../src/types.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { count, queueParts } from '../queue/fixtures.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { cardActionEvent, channelFor, drainQueue, KEYS, messageEvent, signBody, signed, type SignedRequest } from './feishu-fixtures.js';

describe.each(storeTargets())('feishu channel on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 60_000 }, () => {
    let api: FakeFeishuApi;
    let handle: DatabaseHandle;
    let parts: Awaited<ReturnType<typeof queueParts>>;
    let channel: FeishuChannel;
    let app: FastifyInstance;

    beforeAll(async () => {
      await target.setup();
      api = await new FakeFeishuApi().start();
    }, 60_000);
    afterAll(async () => {
      await api.stop();
      await target.teardown();
    }, 60_000);
    beforeEach(async () => {
      api.calls.length = 0;
      api.posted.length = 0;
      api.patches.length = 0;
      api.sendScript = [];
      handle = await target.fresh();
      ({ channel, app, parts } = await service(handle));
    }, 60_000);
    afterEach(async () => {
      await app.close();
      await handle.close();
    }, 60_000);

    async function service(h: DatabaseHandle) {
      const p = await queueParts(h.db);
      const c = channelFor(api);
      const a = Fastify({ logger: false });
      a.post('/echo', async (request) => request.body); // another route: still parsed as JSON
      await c.register(a, p.inbox);
      await a.ready();
      return { parts: p, channel: c, app: a };
    }

    const post = (request: SignedRequest, on = app) => on.inject({ method: 'POST', url: FEISHU_WEBHOOK_PATH, headers: request.headers, payload: request.body });

    /** Works the inbox and sends the outbox until both are empty, as the worker and sender would. */
    const drain = (p = parts, deliverer: Deliverer = channel) => drainQueue(p, deliverer);

    it('answers an encrypted, signed p2p question with one cited card in the thread of the question', async () => {
      const event = messageEvent({ text: '知识产权保险有哪些?' });
      const res = await post(signed(event));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({});
      expect(await count(handle.db, 'inbox')).toBe(1);

      await drain();
      expect(api.posted).toHaveLength(1);
      const [reply] = api.posted;
      expect(reply!.replyTo).toBe(event.event.message.message_id);
      expect(reply!.msgType).toBe('interactive');
      expect(reply!.uuid).toMatch(/^ipcb-\d+-[0-9a-f]{16}$/);
      const card = JSON.stringify(reply!.content);
      expect(card).toContain('淄市监知促字〔2023〕130号');
      expect(card).toMatch(/1\. 《[^》]+》（淄市监知促字〔2023〕130号） 七、/);
      expect(card).toContain('原文摘录'); // extractive answer: labelled as such, not as AI
      expect(card).toContain('"rating":-1');
      expect(card).toContain('转人工');
      expect(api.callsTo('reply')[0]!.headers.authorization).toBe(`Bearer ${api.token}`);
      const [consultation] = (await parts.store.list({ channel: 'feishu' })).items;
      expect(consultation).toMatchObject({ chatId: 'oc_chat_p2p_alice', userId: 'ou_user_alice', conversationId: 'feishu:oc_chat_p2p_alice' });
    });

    it('stays silent on a group message that does not @-mention the bot, answers one that does', async () => {
      const group = { chatType: 'group' as const, chatId: 'oc_group_1' };
      expect((await post(signed(messageEvent({ ...group, text: '大家好，知识产权保险有哪些?' })))).statusCode).toBe(200);
      const other = [{ key: '@_user_1', openId: 'ou_someone_else', name: '张三' }];
      expect((await post(signed(messageEvent({ ...group, text: '@_user_1 知识产权保险有哪些?', mentions: other })))).statusCode).toBe(200);
      expect(await count(handle.db, 'inbox')).toBe(0);

      const atBot = [{ key: '@_user_1', openId: api.botOpenId, name: 'IP 咨询' }];
      await post(signed(messageEvent({ ...group, openId: 'ou_bob', text: '@_user_1 知识产权保险有哪些?', mentions: atBot })));
      await drain();
      expect(api.callsTo('bot')).toHaveLength(1);
      expect(api.posted).toHaveLength(1);
      const [consultation] = (await parts.store.list({ channel: 'feishu' })).items;
      expect(consultation).toMatchObject({ question: '知识产权保险有哪些?', userId: 'ou_bob', chatId: 'oc_group_1' });
    });

    it('replies once to the same event pushed 5 times, twice concurrently and again after a restart', async () => {
      const location = await target.persistent();
      let h = await location.open();
      try {
        let s = await service(h);
        const request = signed(messageEvent({ text: '知识产权保险有哪些?' }));
        for (let i = 0; i < 5; i++) expect((await post(request, s.app)).statusCode).toBe(200);
        const concurrent = await Promise.all([post(request, s.app), post(request, s.app)]);
        expect(concurrent.map((r) => r.statusCode)).toEqual([200, 200]);
        await drain(s.parts, s.channel);
        expect(api.posted).toHaveLength(1);

        await s.app.close();
        await h.close();
        h = await location.open(); // restart: new process state, same database
        s = await service(h);
        expect((await post(request, s.app)).statusCode).toBe(200);
        expect((await post(signed(JSON.parse(decryptedOf(request))), s.app)).statusCode).toBe(200); // re-encrypted re-push
        await drain(s.parts, s.channel);
        expect(api.posted).toHaveLength(1);
        expect(await count(h.db, 'inbox')).toBe(1);
        expect(await count(h.db, 'consultations')).toBe(1);
        await s.app.close();
      } finally {
        await h.close();
        await location.dispose();
      }
    });

    it('refuses forged and malformed requests with 401/400 and processes none of them', async () => {
      const good = signed(messageEvent());
      const flipped = { ...good, body: good.body.replace(/"encrypt":"(.)/, (_m, c: string) => `"encrypt":"${c === 'A' ? 'B' : 'A'}`) };
      const wrongSignature = { ...good, headers: { ...good.headers, 'x-lark-signature': 'f'.repeat(64) } };
      const { 'x-lark-request-timestamp': _ts, ...noTimestamp } = good.headers;
      const wrongToken = signed(messageEvent({ token: 'not-the-token' }));
      const otherKey = signed(messageEvent(), { ...KEYS, encryptKey: 'another-key' });
      const plain = signBody(JSON.stringify(messageEvent()));
      const garbage = signBody(JSON.stringify({ encrypt: 'bm90IGNpcGhlcnRleHQ=' }));
      const cases: [string, SignedRequest, number][] = [
        ['flipped body byte', flipped, 401],
        ['wrong signature', wrongSignature, 401],
        ['missing timestamp', { ...good, headers: noTimestamp }, 401],
        ['wrong verification token', wrongToken, 401],
        ['signed with another encrypt key', otherKey, 401],
        ['signed but not encrypted', plain, 400],
        ['signed but undecryptable', garbage, 400],
        ['no signature at all', { ...good, headers: { 'content-type': 'application/json' } }, 401],
      ];
      for (const [name, request, status] of cases) {
        expect((await post(request)).statusCode, name).toBe(status);
      }
      expect(await count(handle.db, 'inbox')).toBe(0);
      expect((await post(good)).statusCode).toBe(200); // the genuine one still passes
    });

    it('verifies the raw bytes: whitespace and \\u escapes a re-serialiser would drop still verify', async () => {
      const event = messageEvent();
      const body = `{ "\\u0065ncrypt" :  "${encryptFeishu(JSON.stringify(event), KEYS.encryptKey)}" }\n`;
      expect((await post(signBody(body))).statusCode).toBe(200);
      expect(await count(handle.db, 'inbox')).toBe(1);
    });

    it('answers the url_verification challenge only with the right token; other routes still parse JSON', async () => {
      const challenge = (token: string) => ({ body: JSON.stringify({ encrypt: encryptFeishu(JSON.stringify({ challenge: 'ch-123', token, type: 'url_verification' }), KEYS.encryptKey) }), headers: { 'content-type': 'application/json' } });
      const ok = await post(challenge(KEYS.verificationToken));
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ challenge: 'ch-123' });
      expect((await post(challenge('wrong'))).statusCode).toBe(401);
      const plainChallenge = { body: JSON.stringify({ challenge: 'x', token: KEYS.verificationToken, type: 'url_verification' }), headers: { 'content-type': 'application/json' } };
      expect((await post(plainChallenge)).statusCode).toBe(401);
      const echo = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
      expect(echo.json()).toEqual({ a: 1 });
    });

    it('stores a 👎 click before the toast; 转人工 opens one case for the asker only, and the card update goes through the outbox', async () => {
      await post(signed(messageEvent({ text: '商标被抢注了，想找律师起诉' })));
      await drain();
      const [consultation] = (await parts.store.list({ channel: 'feishu' })).items;
      const messageId = api.posted[0]!.messageId;

      const down = await post(signed(cardActionEvent({ action: 'down', consultation: consultation!.id }, { messageId })));
      expect(down.statusCode).toBe(200);
      expect(down.json().toast).toMatchObject({ type: 'success' });
      await drain();
      const [row] = await rows(handle, `select user_id, rating from feedback`);
      expect(row).toEqual({ user_id: 'ou_user_alice', rating: -1 });

      await post(signed(cardActionEvent({ type: 'refer', consultationId: consultation!.id }, { openId: 'ou_bystander', messageId })));
      await drain();
      expect(await count(handle.db, 'cases')).toBe(0);
      expect(api.posted.at(-1)!.text).toContain('只有提问人本人可以为这个问题申请转人工');
      for (let i = 0; i < 2; i++) {
        const human = await post(signed(cardActionEvent({ action: 'human', consultation: consultation!.id }, { messageId })));
        expect(human.json().toast.type).toBe('success');
      }
      await drain();
      expect(parts.errors).toEqual([]);
      expect(await count(handle.db, 'cases')).toBe(1);
      expect(await count(handle.db, 'cases', "status = 'awaiting_consent'")).toBe(1);
      const notice = api.posted.find((m) => m.text.includes('转介前需要您的单独同意'));
      expect(notice?.text).toContain('甲律师事务所');
      await waitFor(() => api.patches.length >= 1);
      expect(api.patches[0]!.messageId).toBe(messageId);
      expect(JSON.stringify(api.patches[0]!.content)).toContain('已申请转人工');
      expect(JSON.stringify(api.patches[0]!.content)).not.toContain('"rating":-1');

      const forged = await post(signed(cardActionEvent({ action: 'down', consultation: consultation!.id }, { token: 'forged' })));
      expect(forged.statusCode).toBe(401);
      const garbage = await post(signed(cardActionEvent({ type: 'rate', caseId: 'nope', rating: 9 })));
      expect(garbage.json().toast.type).toBe('info');
    });

    it('takes the same events over the long connection: the dispatcher drops a replay and answers once', async () => {
      const ws = channelFor(api, { mode: 'ws', encryptKey: undefined, verificationToken: undefined });
      ws.attach({ inbox: parts.inbox });
      const event = messageEvent({ chatType: 'group', chatId: 'oc_group_ws', text: '@_user_1 知识产权保险有哪些?', mentions: [{ key: '@_user_1', openId: api.botOpenId, name: 'bot' }] });
      await ws.dispatcher.invoke(event, { needCheck: false });
      await ws.dispatcher.invoke(structuredClone(event), { needCheck: false }); // replay after a reconnect
      await drain(parts, ws);
      expect(api.posted).toHaveLength(1);
      const [consultation] = (await parts.store.list({ channel: 'feishu' })).items;
      const result = await ws.dispatcher.invoke(cardActionEvent({ action: 'up', consultation: consultation!.id }), { needCheck: false });
      expect(result).toMatchObject({ toast: { type: 'success' } });
      await drain(parts, ws);
      expect(await count(handle.db, 'feedback', 'rating = 1')).toBe(1);
    });
  });
});

function decryptedOf(request: SignedRequest): string {
  return decryptFeishu((JSON.parse(request.body) as { encrypt: string }).encrypt, KEYS.encryptKey);
}

async function rows(h: DatabaseHandle, query: string) {
  return queryRows<Record<string, unknown>>(h.db, sql.raw(query));
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
