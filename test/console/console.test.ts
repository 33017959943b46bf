/**
 * The console over inject on both drivers: login and sessions (cookie flags, lock-out, idle timeout,
 * disable ends sessions), CSRF and cross-site refusal, role checks (403, audited), the list with filters
 * and keyset paging, the audited detail view, the export of exactly the filtered rows, and the review →
 * approval → bot loop with the four-eyes rule.
 */
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { queryRows } from '../../src/store/db.js';
import { ApprovedAnswerStore } from '../../src/store/approved-answers.js';
import { AUDIT_ACTIONS } from '../../src/console/format.js';
import { PASSWORD_RULES } from '../../src/console/password-policy.js';
import { ROOT } from '../helpers.js';
import { conversationTurns, listConsultations, type Cursor } from '../../src/store/console-queries.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { sampleConsultation } from '../store/sample.js';
import { Client, PASSWORD, consoleApp, consoleTestEnv, createAccount } from './fixtures.js';
import { expectPagingBothWays } from './keyset.js';

const auditActions = async (handle: DatabaseHandle) =>
  (await queryRows<{ action: string; actor: string; target_id: string | null }>(handle.db, sql`select action, actor, target_id from audit_log order by id`));

for (const target of storeTargets()) {
  describe.skipIf(Boolean(target.skipReason))(`console on ${targetTitle(target)}`, { timeout: 120_000 }, () => {
    const suite = consoleTestEnv(target);

    it('logs in with a fresh HttpOnly SameSite cookie, refuses wrong passwords, locks out, and logs out on the server', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const page = await suite.env.app.inject({ method: 'GET', url: '/console/login' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(/name="username"[\s\S]*name="password"/);
      expect(page.headers['cache-control']).toBe('no-store');

      const anon = await suite.env.app.inject({ method: 'GET', url: '/console/consultations' });
      expect(anon.statusCode).toBe(303);
      expect(anon.headers.location).toMatch(/^\/console\/login\?next=/);

      const client = new Client(suite.env.app);
      const ok = await client.login('admin1');
      expect(ok.statusCode).toBe(303);
      const setCookie = String(ok.headers['set-cookie']);
      expect(setCookie).toMatch(/^ipcb_console=[A-Za-z0-9_-]{43};/);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      expect((await client.get('/console/consultations')).statusCode).toBe(200);

      // Over TLS (as a proxy reports it) the cookie is Secure and __Host- prefixed.
      const tls = await consoleApp(suite.handle, { cookieSecure: true });
      const secure = await new Client(tls.app).post('/console/login', { username: 'admin1', password: PASSWORD }, { csrf: false });
      expect(String(secure.headers['set-cookie'])).toMatch(/^__Host-ipcb_console=[^;]+;.*Path=\/.*HttpOnly.*Secure/);
      await tls.app.close();

      const old = client.cookie;
      const out = await client.post('/console/logout', {});
      expect(out.statusCode).toBe(303);
      const replay = await suite.env.app.inject({ method: 'GET', url: '/console/consultations', headers: { cookie: old } });
      expect(replay.statusCode).toBe(303);

      const stranger = new Client(suite.env.app);
      for (let i = 0; i < 4; i++) expect((await stranger.login('admin1', 'wrong password!!')).statusCode).toBe(401);
      const fifth = await stranger.login('admin1', 'wrong password!!');
      expect(fifth.statusCode).toBe(401);
      expect(fifth.body).toContain('锁定');
      // Locked: even the right password is refused now.
      expect((await stranger.login('admin1')).statusCode).toBe(429);
      const actions = (await auditActions(suite.handle)).map((a) => a.action);
      expect(actions.filter((a) => a === 'console.login_failed')).toHaveLength(5);
      expect(actions).toContain('console.login_locked');
      expect(actions).toContain('console.logout');
    });

    it('ends sessions when idle, and at once when the account is disabled', async () => {
      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      const client = new Client(suite.env.app);
      await client.login('rev1');
      expect((await client.get('/console/review')).statusCode).toBe(200);
      await suite.handle.db.execute(sql`update console_sessions set last_seen_at = now() - interval '31 minutes'`);
      expect((await client.get('/console/review')).statusCode).toBe(303);
      expect(await queryRows(suite.handle.db, sql`select 1 from console_sessions`)).toHaveLength(0);

      await client.login('rev1');
      expect((await client.get('/console/review')).statusCode).toBe(200);
      const disabled = await suite.env.accounts.disable('rev1');
      expect(disabled?.sessionsEnded).toBe(1);
      expect((await client.get('/console/review')).statusCode).toBe(303);
      expect((await client.login('rev1')).statusCode).toBe(401);
    });

    it('refuses state changes without the CSRF token or from another site, and audits the attempt', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');
      expect((await client.post('/console/review/next', {}, { csrf: false })).statusCode).toBe(403);
      expect((await client.post('/console/review/next', { _csrf: 'x'.repeat(43) }, { csrf: false })).statusCode).toBe(403);
      expect((await client.post('/console/review/next', {}, { headers: { 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(403);
      expect((await client.post('/console/review/next', {}, { headers: { 'sec-fetch-site': '', origin: 'https://evil.example' } })).statusCode).toBe(403);
      expect((await client.post('/console/login', { username: 'admin1', password: PASSWORD }, { csrf: false, headers: { 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(403);
      expect((await client.post('/console/review/next', {})).statusCode).toBe(303);
      expect((await auditActions(suite.handle)).filter((a) => a.action === 'console.csrf_refused')).toHaveLength(5);
    });

    it('gives an agency account 403 on staff pages, audited', async () => {
      const account = await createAccount(suite.env.accounts, 'agency1', 'agency', 'jia-ip-firm');
      const client = new Client(suite.env.app);
      const login = await client.login('agency1');
      expect(login.headers.location).toBe('/console/cases');
      for (const url of ['/console/consultations', '/console/review', '/console/approved', '/console/analytics', '/console/audit', '/console/approved/export.csv']) {
        const res = await client.get(url);
        expect(res.statusCode, url).toBe(403);
      }
      expect((await client.post('/console/consultations/export?format=csv', {})).statusCode).toBe(403);
      const denied = (await auditActions(suite.handle)).filter((a) => a.action === 'console.denied');
      expect(denied.length).toBe(7);
      expect(denied.every((d) => d.actor === account.id)).toBe(true);
    });

    it('filters, pages by keyset, audits a detail view and exports exactly the filtered rows', async () => {
      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      const base = Date.parse('2024-03-01T04:00:00Z');
      for (let i = 0; i < 60; i++) {
        await suite.env.store.record(
          sampleConsultation({
            question: i % 3 === 0 ? `商标被抢注了怎么办？第${i}问` : `专利资助怎么申请？第${i}问`,
            outcome: i % 3 === 0 ? 'answered' : 'not_covered',
            channel: i % 2 ? 'feishu' : 'telegram',
            confidence: (i % 10) / 10,
            createdAt: new Date(base + i * 60_000),
          }),
        );
      }
      const client = new Client(suite.env.app);
      await client.login('rev1');
      const all = await client.get('/console/consultations');
      expect(all.body).toMatch(/<strong id="total">60<\/strong>/);
      const first = await client.get(`/console/consultations?${new URLSearchParams({ q: '抢注' })}`);
      expect(first.body).toMatch(/<strong id="total">20<\/strong>/);
      expect((first.body.match(/href="\/console\/consultations\/[0-9a-f-]{36}\?back=[^"]+"/g) ?? []).length).toBe(20);
      expect(first.body).not.toContain('rel="next"');
      // The old POST answers with the GET URL of the same filter.
      const posted = await client.post('/console/consultations', { q: '抢注', channel: 'telegram' });
      expect(posted.statusCode).toBe(303);
      expect(posted.headers.location).toBe(`/console/consultations?${new URLSearchParams({ channel: 'telegram', q: '抢注' })}`);

      // The form's empty fields are dropped by a redirect to the short URL.
      const sent = await client.get('/console/consultations?from=&to=&channel=telegram&outcome=&q=%E6%8A%A2%E6%B3%A8&page=');
      expect(sent.statusCode).toBe(303);
      expect(sent.headers.location).toBe(`/console/consultations?${new URLSearchParams({ channel: 'telegram', q: '抢注' })}`);
      const feishuNotCovered = await client.get('/console/consultations?channel=feishu&outcome=not_covered');
      expect(feishuNotCovered.body).toMatch(/<strong id="total">20<\/strong>/);
      const lowConfidence = await client.get('/console/consultations?below=0.3');
      expect(lowConfidence.body).toMatch(/<strong id="total">18<\/strong>/);
      const badDate = await client.get('/console/consultations?from=2024-13-45');
      expect(badDate.body).toContain('开始日期格式应为');

      const ids = (html: string) => [...html.matchAll(/href="\/console\/consultations\/([0-9a-f-]{36})/g)].map((m) => m[1]);
      const link = (html: string, rel: string) => new RegExp(`rel="${rel}" href="([^"]+)"`).exec(html)?.[1]?.replaceAll('&amp;', '&');
      const page1 = await client.get('/console/consultations');
      expect(page1.body).toContain('第 1 页');
      expect(page1.body).not.toContain('rel="prev"');
      const nextUrl = link(page1.body, 'next')!;
      expect(nextUrl).toMatch(/^\/console\/consultations\?after=[A-Za-z0-9_-]+&page=2$/);
      const page2 = await client.get(nextUrl);
      expect(page2.body).toContain('第 2 页');
      expect(page2.body).not.toContain('rel="next"');
      expect(ids(page1.body)).toHaveLength(50);
      expect(ids(page2.body)).toHaveLength(10);
      expect(new Set([...ids(page1.body), ...ids(page2.body)]).size).toBe(60);
      // 上一页 from page 2 is page 1 again, rows and all.
      const prevUrl = link(page2.body, 'prev')!;
      expect(prevUrl).toBe('/console/consultations');
      expect(ids((await client.get(prevUrl)).body)).toEqual(ids(page1.body));
      // A malformed cursor is the sender's error.
      expect((await client.get('/console/consultations?after=bad!')).statusCode).toBe(400);

      const id = ids(first.body)[0]!;
      const detail = await client.get(`/console/consultations/${id}`);
      expect(detail.statusCode).toBe(200);
      expect(detail.body).toContain('<a href="/console/consultations" class="back">');
      expect(detail.headers['cache-control']).toBe('no-store');
      expect(detail.body).toContain('检索到的段落');
      expect(detail.body).toContain('《关于加快推动知识产权服务业高质量发展的实施意见》七、推动知识产权服务业优化升级');

      const csv = await client.post('/console/consultations/export?format=csv', { q: '抢注', channel: 'telegram' });
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toMatch(/attachment; filename=".*\.csv"; filename\*=UTF-8''/);
      expect(csv.body.startsWith('\ufeff"时间","渠道","问题"')).toBe(true);
      const lines = csv.body.trim().split('\r\n');
      expect(lines).toHaveLength(1 + 10); // i % 3 === 0 and even i: 0, 6, …, 54
      expect(lines.slice(1).every((l) => l.includes('抢注') && l.includes('Telegram'))).toBe(true);

      const xlsx = await client.post('/console/consultations/export?format=xlsx', { q: '抢注' });
      expect(xlsx.statusCode).toBe(200);
      expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');

      const audit = await auditActions(suite.handle);
      expect(audit.find((a) => a.action === 'consultation.view')?.target_id).toBe(id);
      expect(audit.filter((a) => a.action === 'consultation.export')).toHaveLength(2);
    });

    it('keeps the place: conversation and user filters, every turn on a consultation page, paging back by cursor, the search text out of logs and audit', async () => {
      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      const base = Date.parse('2024-03-01T04:00:00Z');
      const at = (minutes: number) => new Date(base + minutes * 60_000);
      const turn = (conversationId: string, userId: string, question: string, minutes: number) =>
        suite.env.store.record(sampleConsultation({ conversationId, userId, question, answer: `答：${question}`, createdAt: at(minutes) }));
      await turn('telegram:-100200', 'user-a', '商标怎么注册？', 0);
      await turn('telegram:-100300', 'user-b', '专利资助怎么申请？', 1);
      await turn('telegram:-100200', 'user-a', '注册要多久？', 2);
      await turn('telegram:-100400', 'user-a', '著作权怎么登记？', 3);
      await turn('telegram:-100200', 'user-a', '费用是多少？', 4);
      const client = new Client(suite.env.app);
      await client.login('rev1');
      const total = (body: string) => /<strong id="total">(\d+)<\/strong>/.exec(body)?.[1];
      const conversationList = await client.get(`/console/consultations?${new URLSearchParams({ conversation: 'telegram:-100200' })}`);
      expect(total(conversationList.body)).toBe('3');
      expect(total((await client.get('/console/consultations?channel=telegram&user=user-a')).body)).toBe('4');
      expect(total((await client.get('/console/consultations?channel=feishu&user=user-a')).body)).toBe('0');
      expect((await client.get('/console/consultations?user=user-a')).body).toContain('按用户筛选时请同时选择渠道');

      // The middle turn, opened from the conversation's list: every turn, the current one highlighted.
      const [middle] = await queryRows<{ id: string }>(suite.handle.db, sql`select id from consultations where question = '注册要多久？'`);
      const href = new RegExp(`href="(/console/consultations/${middle!.id}\\?back=[^"]+)"`).exec(conversationList.body)![1]!.replaceAll('&amp;', '&');
      const detail = await client.get(href);
      expect(detail.statusCode).toBe(200);
      expect(detail.body).toContain('整段会话（3 轮）');
      const turns = [...detail.body.matchAll(/<li class="turn( current)?"/g)].map((m) => Boolean(m[1]));
      expect(turns).toEqual([false, true, false]);
      expect(detail.body).toContain('第 2 轮（当前）');
      expect(detail.body).toMatch(/<a href="\/console\/consultations\/[0-9a-f-]{36}\?back=conversation%3Dtelegram%253A-100200">第 1 轮<\/a>/);
      expect(detail.body).toContain('<p class="turn-q"><span class="who">问</span>费用是多少？</p>');
      expect(detail.body).toContain('<a href="/console/consultations?conversation=telegram%3A-100200" class="back">← 返回咨询记录</a>');
      expect(detail.body).toContain('<a href="/console/consultations?conversation=telegram%3A-100200">此会话全部记录</a>');
      expect(detail.body).toContain('<a href="/console/consultations?channel=telegram&amp;user=user-a">此用户全部记录</a>');
      // A back parameter is read as a list query, nothing else.
      const odd = await client.get(`/console/consultations/${middle!.id}?back=${encodeURIComponent('x=1&q=a"><script>&next=//evil')}`);
      expect(odd.body).toContain('<a href="/console/consultations?q=a%22%3E%3Cscript%3E" class="back">');

      // Keyset paging both ways: back from page 3 by its first row's cursor is page 2, and on to page 1.
      await expectPagingBothWays<Cursor>((place) => listConsultations(suite.handle.db, {}, place));

      // The search text travels in the URL but reaches neither the server log nor the audit log.
      const lines: string[] = [];
      const logged = await consoleApp(suite.handle, {}, { logLevel: 'info', logStream: { write: (line: string) => void lines.push(line) } });
      const watched = new Client(logged.app);
      await watched.login('rev1');
      const secret = '13912345678';
      const searched = await watched.get(`/console/consultations?${new URLSearchParams({ q: secret, channel: 'telegram', user: 'user-a' })}`);
      expect(searched.statusCode).toBe(200);
      await watched.get(`/console/consultations/${middle!.id}?${new URLSearchParams({ back: new URLSearchParams({ q: secret }).toString() })}`);
      await logged.app.close();
      expect(lines.some((l) => l.includes('/console/consultations'))).toBe(true);
      expect(lines.join('\n')).not.toContain(secret);
      expect(lines.join('\n')).not.toContain('user-a');
      const [audited] = await queryRows<{ text: string }>(suite.handle.db, sql`select coalesce(string_agg(details::text || coalesce(target_id, ''), ' '), '') as text from audit_log`);
      expect(audited!.text).not.toContain(secret);
    });

    it('shows a long conversation around the consultation: fifty turns each side, numbered in the whole conversation', async () => {
      const base = Date.parse('2024-03-01T04:00:00Z');
      const ids: string[] = [];
      for (let i = 0; i < 104; i++) {
        const recorded = await suite.env.store.record(sampleConsultation({ conversationId: 'telegram:-100500', question: `第${i + 1}问`, createdAt: new Date(base + i * 1000) }));
        ids.push(recorded.id!);
      }
      const around = await conversationTurns(suite.handle.db, 'telegram:-100500', ids[51]!);
      expect(around.first).toBe(2);
      expect(around.later).toBe(true);
      expect(around.turns).toHaveLength(101);
      expect(around.turns[50]!.id).toBe(ids[51]);
      expect(around.turns.at(-1)!.question).toBe('第102问');
      const start = await conversationTurns(suite.handle.db, 'telegram:-100500', ids[0]!);
      expect([start.first, start.turns.length, start.later]).toEqual([1, 51, true]);
    });

    it('lets a correction cite an article that was not retrieved, found by searching the knowledge in force, and the bot then cites it', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      await createAccount(suite.env.accounts, 'admin2', 'admin');
      const ask = async (question: string) =>
        (await suite.env.app.inject({ method: 'POST', url: '/api/v1/ask', payload: { question } })).json() as { answer: string; citations: { documentId: string; article: string }[] };
      await ask('商标被别人抢注了怎么办？');
      const [consultation] = await queryRows<{ id: string; passages: { chunkId: string }[] }>(suite.handle.db, sql`select id, passages from consultations order by seq desc limit 1`);
      const wanted = 'trademark-law-2019#三十三';
      expect(consultation!.passages.map((p) => p.chunkId)).not.toContain(wanted);
      const client = new Client(suite.env.app);
      await client.login('admin1');
      const list = '/console/consultations?q=%E6%8A%A2%E6%B3%A8';
      const opened = await client.get(`/console/consultations/${consultation!.id}?back=q%3D%E6%8A%A2%E6%B3%A8`);
      expect(opened.body).not.toContain(`value="${wanted}"`);
      const corrected = '商标被抢注的，可在初步审定公告之日起三个月内提出异议。';
      const draft = { verdict: 'incorrect', note: '应说明异议', corrected, question: '商标被别人抢注了怎么办？', cite: 'zibo-ip-service-opinions-2023#十', back: 'q=抢注' };
      const results = (body: string) => /<div class="article-results"[\s\S]*?<\/div>/.exec(body)?.[0] ?? '';

      const found = await client.post(`/console/consultations/${consultation!.id}/review`, { ...draft, intent: 'find', find: '商标法 第三十三条' });
      expect(found.statusCode).toBe(200);
      expect(results(found.body)).toContain(`<input type="checkbox" name="cite" value="${wanted}"> <span class="article-label">《中华人民共和国商标法》第三十三条</span>`);
      expect(results(found.body)).toContain('对初步审定公告的商标，自公告之日起三个月内');
      // The draft comes back as written: verdict, note, corrected answer, the article already ticked, the way back.
      expect(found.body).toContain('value="incorrect" checked');
      expect(found.body).toContain(`>${corrected}</textarea>`);
      expect(found.body).toContain('value="zibo-ip-service-opinions-2023#十" checked');
      expect(found.body).toContain(`<a href="${list}" class="back">`);
      // Nothing was saved by searching.
      expect((await queryRows<{ n: number }>(suite.handle.db, sql`select count(*)::int as n from consultation_reviews`))[0]!.n).toBe(0);
      // A document no longer in force (the 2019 Anti-Unfair Competition Law, expired) is never offered.
      const lapsed = await client.post(`/console/consultations/${consultation!.id}/review`, { ...draft, intent: 'find', find: '反不正当竞争法 第九条' });
      expect(results(lapsed.body)).toContain('找到');
      expect(results(lapsed.body)).not.toContain('anti-unfair-competition-law-2019#');

      const submitted = await client.post(`/console/consultations/${consultation!.id}/review`, { ...draft, cite: [wanted], intent: 'submit' });
      expect(submitted.statusCode).toBe(303);
      expect(submitted.headers.location).toBe(`/console/consultations/${consultation!.id}?back=q%3D%25E6%258A%25A2%25E6%25B3%25A8&done=reviewed`);
      const [version] = await queryRows<{ answer_id: string }>(suite.handle.db, sql`select answer_id from approved_answer_versions`);
      const second = new Client(suite.env.app);
      await second.login('admin2');
      await second.get('/console/approved');
      expect((await second.post(`/console/approved/${version!.answer_id}/versions/1/approve`, { confirmed: '1' })).statusCode).toBe(303);
      const after = await ask('商标被别人抢注了怎么办？');
      expect(after.answer).toContain(corrected);
      expect(after.citations.map((c) => `${c.documentId}#${c.article}`)).toEqual([wanted]);
    });

    it('edits an approved answer as a new version: the old one answers until the new one is approved, and the history keeps both', async () => {
      const a1 = await createAccount(suite.env.accounts, 'admin1', 'admin');
      const a2 = await createAccount(suite.env.accounts, 'admin2', 'admin');
      const store = new ApprovedAnswerStore(suite.handle.db);
      const made = await store.propose({ question: '知识产权保险有哪些险种？', answer: '有专利执行保险。', citations: [], authorId: a2.id });
      await store.approve(made.answerId, made.version, a1.id);
      const ask = async () => ((await suite.env.app.inject({ method: 'POST', url: '/api/v1/ask', payload: { question: '知识产权保险有哪些险种？' } })).json() as { answer: string; citations: { article: string }[] });
      expect((await ask()).answer).toContain('有专利执行保险。');

      const client = new Client(suite.env.app);
      await client.login('admin1');
      const page = await client.get(`/console/approved/${made.answerId}`);
      expect(page.body).toContain('修改答复（提交为第 2 版');
      expect(page.body).toContain('>有专利执行保险。</textarea>');
      const edited = '有专利执行保险、侵权责任保险和知识产权质押融资保证保险。';
      // Searching for an article keeps the edit as written.
      const searched = await client.post(`/console/approved/${made.answerId}/versions`, { question: '知识产权保险有哪些险种？', answer: edited, intent: 'find', find: '知识产权保险' });
      expect(searched.statusCode).toBe(200);
      expect(searched.body).toContain(`>${edited}</textarea>`);
      const offered = /<div class="article-results"[\s\S]*?value="([^"]+)"/.exec(searched.body)![1]!;
      const proposed = await client.post(`/console/approved/${made.answerId}/versions`, { question: '知识产权保险有哪些险种？', answer: edited, cite: offered, intent: 'submit' });
      expect(proposed.statusCode).toBe(303);
      expect(proposed.headers.location).toBe(`/console/approved/${made.answerId}?done=proposed`);
      expect((await client.post(`/console/approved/${made.answerId}/versions`, { question: '', answer: '' })).statusCode).toBe(400);

      // Until approved, the first version answers; its author cannot approve the second.
      const before = await ask();
      expect(before.answer).toContain('有专利执行保险。');
      expect(before.answer).toContain('第 1 版');
      expect((await client.post(`/console/approved/${made.answerId}/versions/2/approve`, {})).statusCode).toBe(409);
      const second = new Client(suite.env.app);
      await second.login('admin2');
      await second.get(`/console/approved/${made.answerId}`);
      expect((await second.post(`/console/approved/${made.answerId}/versions/2/approve`, { confirmed: '1' })).statusCode).toBe(303);
      const now = await ask();
      expect(now.answer).toContain(edited);
      expect(now.answer).toContain('第 2 版');
      expect(now.citations).toHaveLength(1);

      const history = await client.get(`/console/approved/${made.answerId}`);
      expect(history.body).toContain('版本历史（2）');
      expect(history.body).toMatch(/第 2 版 <span class="tag approved">已批准<\/span> <span class="tag active">当前使用<\/span>/);
      expect(history.body).toMatch(/第 1 版 <span class="tag approved">已批准<\/span><\/h3>/);
      expect((await auditActions(suite.handle)).map((a) => a.action)).toEqual(expect.arrayContaining(['approved.propose', 'approved.approve']));
    });

    it('neutralises formula cells in CSV exports', async () => {
      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      await suite.env.store.record(sampleConsultation({ question: '=HYPERLINK("http://x","点我")', answer: '@SUM(1)' }));
      await suite.env.store.record(sampleConsultation({ question: '+1 商标', answer: '\t-2' }));
      const client = new Client(suite.env.app);
      await client.login('rev1');
      const csv = (await client.post('/console/consultations/export?format=csv', {})).body;
      expect(csv).toContain(`"'=HYPERLINK(""http://x"",""点我"")"`);
      expect(csv).toContain(`'@SUM(1)`);
      expect(csv).toContain(`'+1 商标`);
      expect(csv).toContain(`'\t-2`);
    });

    it('turns a reviewed correction into an approved answer the bot returns, after a second admin approves it', async () => {
      const author = await createAccount(suite.env.accounts, 'admin1', 'admin');
      await createAccount(suite.env.accounts, 'admin2', 'admin');
      const ask = async (question: string) => (await suite.env.app.inject({ method: 'POST', url: '/api/v1/ask', payload: { question } })).json() as { answer: string; outcome: string; citations: { article: string }[] };

      const before = await ask('商标被别人抢注了怎么办？');
      const consultation = (await queryRows<{ id: string }>(suite.handle.db, sql`select id from consultations order by seq desc limit 1`))[0]!;
      const client = new Client(suite.env.app);
      await client.login('admin1');
      await client.get(`/console/consultations/${consultation.id}`);
      const corrected = '发现商标被恶意抢注，可在法定期限内提出异议或请求宣告无效，并可向知识产权保护中心求助。';
      const reviewed = await client.post(`/console/consultations/${consultation.id}/review`, { verdict: 'incorrect', note: '未说明异议程序', corrected, question: '商标被别人抢注了怎么办？', cite: 'zibo-ip-service-opinions-2023#七' });
      expect(reviewed.statusCode).toBe(303);
      // Proposed, not approved: the bot still answers as before.
      expect((await ask('商标被别人抢注了怎么办？')).answer).toBe(before.answer);

      const pending = await client.get('/console/approved');
      expect(pending.body).toContain('您是作者，需由另一位管理员审批');
      const [version] = await queryRows<{ answer_id: string; version: number }>(suite.handle.db, sql`select answer_id, version from approved_answer_versions`);
      const self = await client.post(`/console/approved/${version!.answer_id}/versions/1/approve`, {});
      expect(self.statusCode).toBe(409);

      const second = new Client(suite.env.app);
      await second.login('admin2');
      await second.get('/console/approved');
      expect((await second.post(`/console/approved/${version!.answer_id}/versions/1/approve`, { confirmed: '1' })).statusCode).toBe(303);

      const same = await ask('商标被别人抢注了怎么办？');
      expect(same.outcome).toBe('answered');
      expect(same.answer).toContain(corrected);
      expect(same.answer).toContain('经工作人员审核');
      expect(same.citations.map((c) => c.article)).toEqual(['七']);
      const paraphrase = await ask('我们的商标让人抢注了，该怎么处理？');
      expect(paraphrase.answer).toContain(corrected);
      const unrelated = await ask('知识产权保险有哪些?');
      expect(unrelated.answer).not.toContain(corrected);
      expect(unrelated.outcome).toBe('answered');

      const [counted] = await queryRows<{ hit_count: number; hits: number; author_id: string }>(
        suite.handle.db,
        sql`select a.hit_count, (select count(*)::int from approved_answer_hits h where h.answer_id = a.id) as hits, v.author_id from approved_answers a join approved_answer_versions v on v.answer_id = a.id`,
      );
      expect(counted).toEqual({ hit_count: 2, hits: 2, author_id: author.id });
      const recorded = await queryRows<{ answerer: string }>(suite.handle.db, sql`select answerer from consultations order by seq desc limit 3`);
      expect(recorded.map((r) => r.answerer)).toEqual(['extractive', 'reviewed', 'reviewed']);

      // Retired: the bot answers normally again.
      expect((await second.post(`/console/approved/${version!.answer_id}/state`, { state: 'retired' })).statusCode).toBe(303);
      expect((await ask('商标被别人抢注了怎么办？')).answer).not.toContain(corrected);
      const actions = (await auditActions(suite.handle)).map((a) => a.action);
      expect(actions).toEqual(expect.arrayContaining(['review.submit', 'approved.propose', 'approved.approve_refused', 'approved.approve', 'approved.retire']));
    });

    it('exports approved answers as CSV and imports them back as proposals for a second admin', async () => {
      const a1 = await createAccount(suite.env.accounts, 'admin1', 'admin');
      const a2 = await createAccount(suite.env.accounts, 'admin2', 'admin');
      const store = new ApprovedAnswerStore(suite.handle.db);
      const made = await store.propose({ question: '知识产权保险有哪些险种？', answer: '=有专利执行保险等。', citations: [], authorId: a1.id });
      await store.approve(made.answerId, made.version, a2.id);
      const client = new Client(suite.env.app);
      await client.login('admin1');
      const csv = await client.get('/console/approved/export.csv');
      expect(csv.statusCode).toBe(200);
      expect(csv.body.startsWith('\ufeff"编号","状态","版本","版本状态","问题","答复","依据条款"')).toBe(true);
      expect(csv.body).toContain("'=有专利执行保险等。");
      const file = `question,answer,articles\r\n商标被抢注怎么办？,可以提出异议。,zibo-ip-service-opinions-2023#十\r\n`;
      const boundary = '----ipcb';
      const multipart = (token: string, body: string) =>
        [`--${boundary}`, 'Content-Disposition: form-data; name="_csrf"', '', token, `--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="a.csv"', 'Content-Type: text/csv', '', body, `--${boundary}--`, ''].join('\r\n');
      const upload = (token: string, body = file) =>
        suite.env.app.inject({ method: 'POST', url: '/console/approved/import', headers: { cookie: client.cookie, 'sec-fetch-site': 'same-origin', 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: multipart(token, body) });
      expect((await upload('wrong')).statusCode).toBe(403);
      const imported = await upload(client.csrf);
      expect(imported.statusCode).toBe(303);
      expect(imported.headers.location).toBe('/console/approved?imported=1');
      const proposed = await store.proposed();
      expect(proposed).toHaveLength(1);
      expect(proposed[0]).toMatchObject({ question: '商标被抢注怎么办？', answer: '可以提出异议。', authorId: a1.id, status: 'proposed' });
      expect(proposed[0]!.citations.map((c) => c.article)).toEqual(['十']);
      // The headers the export writes import too: a new version of the exported answer.
      const chinese = `\ufeff编号,问题,答复,依据条款\r\n${made.answerId},知识产权保险有哪些险种？,有专利执行保险和侵权损失保险。,zibo-ip-service-opinions-2023#七\r\n`;
      expect((await upload(client.csrf, chinese)).statusCode).toBe(303);
      const both = await store.proposed();
      expect(both.find((p) => p.answerId === made.answerId)).toMatchObject({ version: 2, answer: '有专利执行保险和侵权损失保险。' });
    });

    it('shows kinds, reasons and scores in words, never the codes', async () => {
      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      const uncovered = await suite.env.store.record(sampleConsultation({ question: '我的手机 13912345678 能查专利吗？', outcome: 'not_covered', confidence: 1 }));
      const answered = await suite.env.store.record(
        sampleConsultation({
          confidence: 0.82,
          citations: [
            { documentId: 'zibo-ip-service-opinions-2023', title: '关于加快推动知识产权服务业高质量发展的实施意见', section: '七、推动知识产权服务业优化升级', article: '七', excerpt: '推动', score: 0.0194 },
            { documentId: 'zibo-ip-service-opinions-2023', title: '关于加快推动知识产权服务业高质量发展的实施意见', section: '十、强化人才支撑', article: '十', excerpt: '人才', score: 0.0061 },
          ],
        }),
      );
      const escalated = await suite.env.store.record(sampleConsultation({ channel: 'web', chatId: null, userId: 'web-u', conversationId: 'web:web-u', outcome: 'escalation_offered' }));
      const referred = await suite.env.cases.refer({ consultation: escalated, district: '张店区', reason: 'professional_service' });
      const client = new Client(suite.env.app);
      await client.login('rev1');

      const uncoveredPage = (await client.get(`/console/consultations/${uncovered.id}`)).body;
      expect(uncoveredPage).toContain('手机号 1 处');
      expect(uncoveredPage).not.toMatch(/mobile|×1/);
      expect(uncoveredPage).toContain('<dt>置信度</dt><dd>—</dd>');
      expect(uncoveredPage).not.toContain('100%');
      const answeredPage = (await client.get(`/console/consultations/${answered.id}`)).body;
      expect(answeredPage).toContain('<dt>置信度</dt><dd>高（82%）</dd>');
      // Retrieval scores are no measure a reviewer can read (nor monotonic after the law-first re-ordering): the order says it.
      expect(answeredPage).not.toMatch(/0\.0194|相关度/);
      const list = (await client.get('/console/consultations')).body;
      expect(list).not.toContain('100%');

      const casePage = (await client.get(`/console/cases/${referred.id}`)).body;
      expect(casePage).toContain('需要专业服务');
      expect(casePage).not.toContain('professional_service');
      const cases = await client.post('/console/cases/export?format=csv', {});
      expect(cases.body).toContain('"需要专业服务"');
      expect(cases.body).not.toContain('professional_service');

      // No page a reviewer opens shows a stored code where words belong.
      for (const page of [uncoveredPage, answeredPage, list, casePage, (await client.get('/console/review')).body, (await client.get('/console/analytics')).body]) {
        expect(page).not.toMatch(/>\s*(professional_service|not_covered|escalation_offered|answered|mobile|id_card|thumbs_down|low_confidence|staff_queue|awaiting_consent)\s*</);
      }
    });

    it('writes times in the configured zone on pages and in every CSV export, with Chinese headers', async () => {
      const zoned = await consoleApp(suite.handle, { timeZone: 'America/New_York' });
      try {
        const a1 = await createAccount(zoned.accounts, 'admin1', 'admin');
        const a2 = await createAccount(zoned.accounts, 'admin2', 'admin');
        // 2024-03-01 03:30 UTC is 2024-02-29 22:30 in New York (and 11:30 on the 1st in Shanghai).
        const at = new Date('2024-03-01T03:30:00Z');
        const c = await zoned.store.record(sampleConsultation({ createdAt: at }));
        const store = new ApprovedAnswerStore(suite.handle.db);
        const made = await store.propose({ question: '知识产权保险有哪些险种？', answer: '有专利执行保险等。', citations: [], authorId: a1.id });
        await store.approve(made.answerId, made.version, a2.id);
        await suite.handle.db.execute(sql`update approved_answer_versions set decided_at = ${at.toISOString()}::timestamptz`);
        const client = new Client(zoned.app);
        await client.login('admin1');

        expect((await client.get(`/console/consultations/${c.id}`)).body).toContain('2024-02-29 22:30');
        const consultations = await client.post('/console/consultations/export?format=csv', {});
        expect(consultations.body.startsWith('\ufeff"时间","渠道"')).toBe(true);
        expect(consultations.body).toContain('"2024-02-29 22:30"');
        // Filter days are New York days too: the 29th holds it, the 1st does not.
        expect((await client.get('/console/consultations?from=2024-02-29&to=2024-02-29')).body).toMatch(/<strong id="total">1<\/strong>/);
        expect((await client.get('/console/consultations?from=2024-03-01&to=2024-03-01')).body).toMatch(/<strong id="total">0<\/strong>/);

        const approved = await client.get('/console/approved/export.csv');
        const [header, row] = parseCsv(approved.body.replace(/^\ufeff/, '')) as string[][];
        expect(approved.body.startsWith('\ufeff')).toBe(true);
        expect(header).toEqual(['编号', '状态', '版本', '版本状态', '问题', '答复', '依据条款', '作者', '审批人', '审批时间', '命中次数']);
        expect(row![1]).toBe('使用中');
        expect(row![3]).toBe('已批准');
        expect(row![9]).toBe('2024-02-29 22:30');

        const cases = await client.post('/console/cases/export?format=csv', {});
        expect(cases.body.startsWith('\ufeff"案件编号","发起时间"')).toBe(true);
        expect(cases.body).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
      } finally {
        await zoned.app.close();
      }
    });

    it('shows the audit log in words, filtered by an action chosen from a list', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const c = await suite.env.store.record(sampleConsultation());
      const client = new Client(suite.env.app);
      await client.login('admin1');
      await client.get(`/console/consultations/${c.id}`);
      await client.post('/console/consultations/export?format=csv', { q: '商标', channel: 'telegram', feedback: 'down' });
      const page = (await client.get('/console/audit')).body;
      expect(page).toMatch(/<select name="action">/);
      expect(page).toContain('<option value="consultation.export">导出咨询记录</option>');
      expect(page).not.toMatch(/<input name="action"/);
      expect(page).toContain('查看咨询记录');
      expect(page).toContain('admin1（管理员）');
      expect(page).toContain('格式：CSV');
      expect(page).toMatch(/筛选条件：[^<]*渠道：Telegram/);
      expect(page).toContain('搜索词：已填写（内容不记录）');
      expect(page).toContain('用户反馈：差评');
      expect(page).not.toMatch(/\{"|consultation\.view<|console\.login</);

      const filtered = (await client.get('/console/audit?action=consultation.export')).body;
      expect(filtered).toContain('<option value="consultation.export" selected>');
      expect(filtered).toContain('导出咨询记录');
      expect(filtered).not.toContain('>查看咨询记录</td>');
    });

    it('names every audit action written anywhere in src in Chinese', async () => {
      const { readdir, readFile } = await import('node:fs/promises');
      const files = (await readdir(path.join(ROOT, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
      const codes = new Set<string>();
      for (const file of files) {
        const text = await readFile(path.join(ROOT, 'src', file), 'utf8');
        for (const m of text.matchAll(/action: ['`]([a-z_]+\.[a-z_${}]+)['`]/g)) codes.add(m[1]!);
        for (const m of text.matchAll(/change\(request, \w+, '([a-z_]+\.[a-z_]+)'/g)) codes.add(m[1]!);
        for (const m of text.matchAll(/'(approved\.(?:retire|activate))'/g)) codes.add(m[1]!);
      }
      // Written with a variable part: each value it takes.
      const expanded = [...codes].flatMap((code) =>
        code === 'approved.${decision}' ? ['approved.approve', 'approved.reject'] : code === 'approved.${decision}_refused' ? ['approved.approve_refused', 'approved.reject_refused'] : code === 'case.${op.type}' ? ['case.accept', 'case.decline', 'case.answer', 'case.close'] : [code],
      );
      expect(expanded.length).toBeGreaterThan(30);
      for (const code of [...expanded, 'console.login', 'console.login_password', 'case.assign']) expect(AUDIT_ACTIONS[code], code).toMatch(/[\u4e00-\u9fff]/);
    });

    it('states every password rule where a password is set', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');
      const page = (await client.get('/console/account')).body;
      for (const rule of PASSWORD_RULES) expect(page).toContain(rule.zh);
      expect(page).toContain('不能包含用户名');
      const refused = await client.post('/console/account/password', { current: PASSWORD, password: 'Admin1-glacier-violet-42', confirm: 'Admin1-glacier-violet-42' });
      expect(refused.body).toContain('密码不能包含用户名');
    });

    it('keeps the audit log append-only', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      await new Client(suite.env.app).login('admin1');
      await expect(suite.handle.db.execute(sql`update audit_log set action = 'x'`)).rejects.toThrow();
      await expect(suite.handle.db.execute(sql`delete from audit_log`)).rejects.toThrow();
      expect((await auditActions(suite.handle)).map((a) => a.action)).toEqual(['console.login_password', 'console.totp_enrolled', 'console.login']);
    });
  });
}
