import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows, type Database, type DatabaseHandle } from '../../src/store/db.js';
import type { ConsultationStore } from '../../src/store/consultations.js';
import { storeTargets } from '../store/targets.js';
import { testApp } from './fixtures.js';
import { SEED_ID } from '../helpers.js';

const [pglite] = storeTargets();

describe('HTTP API', () => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  let store: ConsultationStore;
  let logs: string[];

  beforeAll(() => pglite!.setup(), 60_000);
  afterAll(() => pglite!.teardown());
  beforeEach(async () => {
    handle = await pglite!.fresh();
    ({ app, store, logs } = await testApp(handle));
  });
  afterEach(() => app.close());

  const ask = (body: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/api/v1/ask', payload: body as object, headers });

  describe('POST /api/v1/ask', () => {
    it('answers per the evaluation contract and records the consultation under the returned id', async () => {
      const response = await ask({ question: '知识产权保险有哪些?' });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(Object.keys(body).sort()).toEqual(['answer', 'answerer', 'citations', 'confidence', 'id', 'outcome', 'userId']);
      expect(body.answerer).toBe('extractive');
      expect(body.outcome).toBe('answered');
      expect(body.citations[0]).toMatchObject({ documentId: 'zibo-ip-service-opinions-2023', docNumber: '淄市监知促字〔2023〕130号', article: '七' });
      expect(Object.keys(body.citations[0]).sort()).toEqual(['article', 'docNumber', 'documentId', 'excerpt', 'score', 'section', 'title']);
      const recorded = await store.get(body.id);
      expect(recorded).toMatchObject({ channel: 'api', userId: body.userId, outcome: 'answered', question: '知识产权保险有哪些?' });
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it('logs the chat page’s questions as channel web', async () => {
      const body = (await ask({ question: '知识产权保险有哪些?', userId: 'u1', conversationId: 'c1' }, { 'x-ipcb-client': 'web' })).json();
      expect(await store.get(body.id)).toMatchObject({ channel: 'web', userId: 'u1', conversationId: 'web:c1' });
    });

    it('answers a follow-up from the article of the question before, for the same user only', async () => {
      const first = (await ask({ question: '版权示范企业创建有什么要求?', userId: 'alice', conversationId: 'conv-1' })).json();
      expect(first.citations[0].article).toBe('六');
      const followUp = (await ask({ question: '那责任单位是谁?', userId: 'alice', conversationId: 'conv-1' })).json();
      expect(followUp.citations[0].article).toBe('六');
      expect(followUp.answer).toMatch(/^「六、推动知识产权服务业促进版权产业发展」的责任单位是：市文化和旅游局。/);
      // Bob in the same conversation has asked nothing: no history of Alice's leaks into his answer.
      const bob = (await ask({ question: '那责任单位是谁?', userId: 'bob', conversationId: 'conv-1' })).json();
      expect(bob.answer).not.toMatch(/^「六、/);
    });

    it('says which answerer wrote each reply', async () => {
      expect((await ask({ question: '转人工' })).json().answerer).toBe('guard');
      expect((await ask({ question: '推荐一部好看的电影' })).json().answerer).toBe('guard');
      expect((await ask({ question: '2024年专利资助的申报截止日期是哪天?' })).json()).toMatchObject({ outcome: 'not_covered', answerer: 'extractive' });
    });

    it.each([
      ['an empty question', { question: '' }, '问题是空的，请输入您想咨询的知识产权问题。'],
      ['a blank question', { question: '   ' }, '问题是空的，请输入您想咨询的知识产权问题。'],
      ['no question', {}, '问题必须是文本。'],
      ['a number', { question: 42 }, '问题必须是文本。'],
      ['punctuation only', { question: '？？！！' }, '没有识别到文字内容，请用中文或英文描述您的问题。'],
      ['2001 characters', { question: '专'.repeat(2001) }, '问题太长（2001 字），请精简到 2000 字以内。'],
      ['9000 characters', { question: '专'.repeat(9000) }, '问题太长（9000 字），请精简到 2000 字以内。'],
      ['a user id with a space', { question: '商标', userId: 'has space' }, '请求中的 userId 不正确。'],
    ])('rejects %s with 400 and a message for the user', async (_label, body, message) => {
      const response = await ask(body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'input_invalid', message });
    });

    it('rejects malformed JSON with 400', async () => {
      const response = await app.inject({ method: 'POST', url: '/api/v1/ask', payload: '{"question":', headers: { 'content-type': 'application/json' } });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe('input_invalid');
    });

    it('keeps question text and personal numbers out of the logs, and tags lines with a request id', async () => {
      await ask({ question: '我的手机13812345678，知识产权保险有哪些?' }, { 'x-request-id': 'req-abcdef123' });
      const text = logs.join('');
      expect(text).toContain('req-abcdef123');
      expect(text).not.toContain('13812345678');
      expect(text).not.toContain('知识产权保险');
    });
  });

  describe('follow-ups in one conversation', () => {
    // [first question, follow-up, outcome, article the follow-up cites, what its first line says]
    it.each([
      ['版权示范企业创建有什么要求?', '那找谁办?', 'answered', '六', /^「六、推动知识产权服务业促进版权产业发展」的责任单位是：市文化和旅游局。/],
      ['外国专利代理机构能在淄博设立常驻代表机构吗?', '需要什么材料?', 'not_covered', '五', /^现有政策文件没有写明需要准备的材料。$/],
      // No document offers a premium subsidy: the reply says so of 保费 and quotes the insurance article. (The
      // finance guide's item that says it in so many words ranks third, below the cut for quoting.)
      ['知识产权保险有哪些?', '那保费政府补不补?', 'not_covered', '七', /^现有政策文件没有提到对“保费”的补贴或资助。$/],
      // The guidance on pledge financing says the bank sets the amounts.
      ['知识产权质押融资有配套的保险吗?', '多少钱?', 'not_covered', 'guide-zibo-ip-finance#一', /^现有政策文件没有写明具体金额、费用或比例。$/],
      ['商标被恶意抢注了怎么办?', '那英文呢', 'answered', '十', /^In the original Chinese: “/],
      ['专利导航项目是怎么安排的?', '哪个部门负责?', 'answered', '一', /责任单位是：市发展改革委、市工业和信息化局、市市场监管局。/],
      ['种子侵权假冒一般什么时候查?', '谁负责?', 'answered', '二', /市农业农村局/],
      ['专利被侵权了怎么办?', '那仲裁呢?', 'answered', '十', /仲裁/],
      ['专项整治打击哪些代理行为?', '那剑网呢?', 'answered', '十四', /网络侵权盗版/],
      ['淄博有知识产权公共服务平台吗?', '网址是多少?', 'not_covered', '十一', /^现有政策文件没有写明网址或网上办理入口。$/],
      ['知识产权纠纷怎么办?', '需要准备什么材料?', 'not_covered', '十', /^现有政策文件没有写明需要准备的材料。$/],
      ['地理标志产品保护有哪些工程?', '这些归哪个部门管?', 'answered', '二', /市农业农村局/],
    ])('%s → %s', async (first, followUp, outcome, article, firstLine) => {
      const conversation = { userId: 'owner-1', conversationId: `conv-${first.length}-${followUp.length}` };
      expect((await ask({ question: first, ...conversation })).statusCode).toBe(200);
      const body = (await ask({ question: followUp, ...conversation })).json();
      expect(body.outcome).toBe(outcome);
      const [top] = body.citations;
      expect(top.documentId === SEED_ID ? top.article : `${top.documentId}#${top.article}`).toBe(article);
      expect(body.answer.split('\n')[0]).toMatch(firstLine);
      // Out of the conversation the short question does not get this answer.
      const alone = (await ask({ question: followUp, userId: 'owner-2', conversationId: 'elsewhere' })).json();
      expect(alone.answer).not.toBe(body.answer);
    });

    it('does not read an unrelated short question into the conversation', async () => {
      const conversation = { userId: 'owner-3', conversationId: 'conv-weather' };
      await ask({ question: '知识产权保险有哪些?', ...conversation });
      expect((await ask({ question: '今天天气怎么样?', ...conversation })).json().outcome).toBe('out_of_scope');
    });
  });

  describe('GET /api/v1/articles/:documentId/:article', () => {
    it('returns a cited article in full, verbatim, with its departments', async () => {
      const cited = (await ask({ question: '知识产权保险有哪些?' })).json().citations[0];
      const response = await app.inject({ method: 'GET', url: `/api/v1/articles/${cited.documentId}/${encodeURIComponent(cited.article)}` });
      expect(response.statusCode).toBe(200);
      const article = response.json();
      expect(article).toMatchObject({ documentId: 'zibo-ip-service-opinions-2023', article: '七', section: '七、推动知识产权服务业优化升级', docNumber: '淄市监知促字〔2023〕130号' });
      expect(article.text).toContain(cited.excerpt);
      expect(article.text).toContain('探索拓展知识产权信托');
      expect(article.departments).toEqual(['市市场监管局', '市财政局', '国家金融监督管理总局淄博监管分局']);
    });

    it('answers 404 for an article that does not exist', async () => {
      const response = await app.inject({ method: 'GET', url: `/api/v1/articles/zibo-ip-service-opinions-2023/${encodeURIComponent('九十九')}` });
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toBe('not_found');
    });
  });

  describe('rate limits', () => {
    it('answers 429 politely per user id, and per IP address across user ids', async () => {
      await app.close();
      ({ app } = await testApp(handle, { rateLimit: { perUserPerMinute: 2, perIpPerMinute: 5 } }));
      expect((await ask({ question: '商标', userId: 'u1' })).statusCode).toBe(200);
      expect((await ask({ question: '商标', userId: 'u1' })).statusCode).toBe(200);
      const limited = await ask({ question: '商标', userId: 'u1' });
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/^提问太频繁了，请 \d+ 秒后再试。$/) });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await ask({ question: '商标', userId: 'u2' })).statusCode).toBe(200);
      expect((await ask({ question: '商标', userId: 'u3' })).statusCode).toBe(200);
      const perIp = await ask({ question: '商标', userId: 'u4' }); // sixth request from this address
      expect(perIp.statusCode).toBe(429);
      expect(perIp.json().error).toBe('rate_limited');
    });
  });

  describe('feedback and referral', () => {
    let id: string;
    beforeEach(async () => {
      id = (await ask({ question: '知识产权保险有哪些?', userId: 'u1', conversationId: 'c1' })).json().id;
    });
    const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });

    it('stores 👍 then 👎 from the asker, one row per user', async () => {
      expect((await post('/api/v1/feedback', { consultationId: id, userId: 'u1', rating: 'up' })).statusCode).toBe(200);
      const response = await post('/api/v1/feedback', { consultationId: id, userId: 'u1', rating: -1, comment: '没有回答到点子上' });
      expect(response.json()).toEqual({ ok: true, message: '感谢您的反馈！' });
      const rows = await queryRows<{ rating: number; comment: string }>(handle.db, sql`select rating, comment from feedback`);
      expect(rows).toEqual([{ rating: -1, comment: '没有回答到点子上' }]);
    });

    it('answers 404 for another user’s or an unknown consultation, 400 for a bad rating', async () => {
      expect((await post('/api/v1/feedback', { consultationId: id, userId: 'u2', rating: 'up' })).statusCode).toBe(404);
      expect((await post('/api/v1/feedback', { consultationId: '00000000-0000-4000-8000-000000000000', userId: 'u1', rating: 'up' })).statusCode).toBe(404);
      expect((await post('/api/v1/feedback', { consultationId: id, userId: 'u1', rating: 5 })).statusCode).toBe(400);
      expect((await post('/api/v1/feedback', { consultationId: 'nope', userId: 'u1', rating: 'up' })).statusCode).toBe(400);
    });

    it('opens one case per consultation on a referral request, for the asker only', async () => {
      const first = await post('/api/v1/referral', { consultationId: id, userId: 'u1' });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ id: expect.any(String), status: expect.stringMatching(/^(awaiting_consent|staff_queue)$/), consent: expect.any(Object), messages: expect.any(Array) });
      const again = await post('/api/v1/referral', { consultationId: id, userId: 'u1' });
      expect(again.json().id).toBe(first.json().id);
      expect((await post('/api/v1/referral', { consultationId: id, userId: 'u2' })).statusCode).toBe(404);
      const rows = await queryRows<{ reason: string }>(handle.db, sql`select reason from cases`);
      expect(rows).toHaveLength(1);
      expect((await app.inject('/metrics')).body).toMatch(new RegExp(`ipcb_cases\\{status="${first.json().status}"\\} 1`));
    });
  });

  describe('operations', () => {
    it('/healthz and /readyz answer 200 when all is well', async () => {
      expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: { database: true, knowledge: true } });
    });

    it('/readyz answers 503 when the database does not answer', async () => {
      const down = { execute: async () => Promise.reject(new Error('connection refused')) } as unknown as Database;
      const { app: unready } = await testApp(handle, {}, {
        readiness: async () => ({ database: await queryRows(down, sql`select 1`).then(() => true, () => false), knowledge: true }),
      });
      const response = await unready.inject('/readyz');
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'not_ready', checks: { database: false, knowledge: true } });
      await unready.close();
    });

    it('/metrics exposes request latency, answers by outcome, consult latency and queue gauges', async () => {
      await ask({ question: '知识产权保险有哪些?' });
      await ask({ question: '你好' });
      const text = (await app.inject('/metrics')).body;
      expect(text).toContain('ipcb_answers_total{channel="api",outcome="answered"} 1');
      expect(text).toContain('ipcb_answers_total{channel="api",outcome="out_of_scope"} 1');
      expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/ask",status_code="200"\} 2/);
      expect(text).toContain('ipcb_consult_duration_seconds_count{channel="api"} 2');
      expect(text).toContain('ipcb_queue_depth{queue="inbox"} 0');
      expect(text).toContain('ipcb_queue_oldest_age_seconds{queue="outbox"} 0');
    });

    it('serves the OpenAPI document and its UI', async () => {
      const doc = (await app.inject('/docs/json')).json();
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/ask', '/api/v1/feedback', '/api/v1/referral']));
      expect((await app.inject('/docs')).statusCode).toBeLessThan(400);
    });

    it('serves the chat page with a strict content security policy', async () => {
      const page = await app.inject('/');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('知识产权政策咨询');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect((await app.inject('/app.js')).body).not.toMatch(/\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write/);
    });

    it('answers unknown paths with a JSON 404', async () => {
      const response = await app.inject('/nope');
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toBe('not_found');
    });
  });
});
