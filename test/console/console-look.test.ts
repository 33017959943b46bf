/**
 * What the console looks like to people who work in it all day, over inject on both drivers: the counts of
 * what waits for the account in the menu bar (review and staff queue for staff, new cases for an agency),
 * feedback in words with drawn thumbs and no emoji anywhere, the favicon, and the confirmation before an
 * action that cannot be undone (decline, close, assign, approve): a POST without `confirmed=1` gets a
 * confirmation page carrying the same fields and changes nothing.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ApprovedAnswerStore } from '../../src/store/approved-answers.js';
import { queryRows } from '../../src/store/db.js';
import { sampleConsultation } from '../store/sample.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { Client, consoleTestEnv, createAccount } from './fixtures.js';

/** Emoji and pictographs, and the variation selector that asks for emoji presentation. */
const EMOJI = /[\p{Extended_Pictographic}\u{FE0F}]/u;

/** The menu-bar count next to a nav entry, or undefined when none is shown. */
function badge(body: string, href: string): { n: number; say: string } | undefined {
  const nav = /<nav aria-label="主菜单">([\s\S]*?)<\/nav>/.exec(body)?.[1] ?? '';
  const entry = new RegExp(`<a href="${href}"[^>]*>[^<]*(<span class="badge"[\\s\\S]*?</span></span>)?</a>`).exec(nav);
  if (!entry) throw new Error(`no nav entry ${href}`);
  const m = entry[1] && /data-count="(\d+)"[\s\S]*?<span class="sr-only">（([^）]+)）<\/span>/.exec(entry[1]);
  return m ? { n: Number(m[1]), say: m[2]! } : undefined;
}

for (const target of storeTargets()) {
  describe.skipIf(Boolean(target.skipReason))(`console look and confirmations on ${targetTitle(target)}`, { timeout: 120_000 }, () => {
    const suite = consoleTestEnv(target);

    let users = 0;
    const referral = async (question: string) => {
      const userId = `web-user-${++users}`;
      const consultation = await suite.env.store.record(sampleConsultation({ channel: 'web', chatId: null, userId, conversationId: `web:${userId}`, question, outcome: 'escalation_offered' }));
      const offered = await suite.env.cases.refer({ consultation, district: '张店区' });
      const requested = await suite.env.cases.consent(offered.id, { channel: 'web', userId }, { consent: true, consentId: offered.consent.consentId, via: 'test' });
      expect(requested.status).toBe('requested');
      return { id: requested.id, agencyId: requested.agency!.id, asker: { channel: 'web' as const, userId } };
    };
    /** Declined by both agencies: the case waits in the staff queue. */
    const toStaffQueue = async (c: Awaited<ReturnType<typeof referral>>) => {
      await suite.env.cases.agencyAction(c.id, c.agencyId, { type: 'decline' });
      const again = await suite.env.cases.view(c.id, c.asker);
      await suite.env.cases.consent(c.id, c.asker, { consent: true, consentId: again!.consent.consentId, via: 'test' });
      await suite.env.cases.agencyAction(c.id, again!.agency!.id, { type: 'decline' });
      expect((await suite.env.cases.view(c.id, c.asker))!.status).toBe('staff_queue');
    };
    const statusOf = async (id: string) => (await queryRows<{ status: string }>(suite.handle.db, sql`select status from cases where id = ${id}`))[0]?.status;

    it('counts what waits for the account next to its menu entries, with words for screen readers', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      await createAccount(suite.env.accounts, 'jia1', 'agency', 'jia-ip-firm');
      const admin = new Client(suite.env.app);
      await admin.login('admin1');
      const jia = new Client(suite.env.app);
      await jia.login('jia1');

      let page = (await admin.get('/console/consultations')).body;
      expect(badge(page, '/console/review')).toBeUndefined();
      expect(badge(page, '/console/cases')).toBeUndefined();
      expect(badge((await jia.get('/console/cases')).body, '/console/cases')).toBeUndefined();

      // Two consultations for review (one not covered, one with a thumbs-down); a reviewed one does not count.
      await suite.env.store.record(sampleConsultation({ outcome: 'not_covered' }));
      const disliked = await suite.env.store.record(sampleConsultation());
      await suite.env.store.feedback(disliked.id, 'user-a', -1);
      const done = await suite.env.store.record(sampleConsultation({ outcome: 'not_covered' }));
      await suite.handle.db.execute(sql`update consultations set reviewed_at = now() where id = ${done.id}`);

      const first = await referral('我们的专利被侵权了，想找律师起诉对方');
      const second = await referral('商标被人抢注，想请代理机构提异议');
      expect([first.agencyId, second.agencyId].sort()).toEqual(['jia-ip-firm', 'yi-law-firm']);
      // Referred consultations wait for review too (escalation_offered): four in all.
      page = (await admin.get('/console/consultations')).body;
      expect(badge(page, '/console/review')).toEqual({ n: 4, say: '4 条待审核' });
      expect(badge(page, '/console/cases')).toBeUndefined();
      expect(badge((await jia.get('/console/account')).body, '/console/cases')).toEqual({ n: 1, say: '1 件新案件待接受' });

      await toStaffQueue(first);
      page = (await admin.get('/console/cases')).body;
      expect(badge(page, '/console/cases')).toEqual({ n: 1, say: '1 件待人工分派' });
      // The agency declined its one: nothing waits for it now.
      expect(badge((await jia.get('/console/cases')).body, '/console/cases')).toBeUndefined();
      // Every page shows them, not only the board.
      expect((await admin.get('/console/analytics')).body).toContain('1 件待人工分派');
    });

    it('shows feedback in words with drawn thumbs, and no emoji on any page', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');
      const liked = await suite.env.store.record(sampleConsultation({ question: '专利年费怎么缴？' }));
      await suite.env.store.feedback(liked.id, 'user-a', 1);
      await suite.env.store.feedback(liked.id, 'user-b', 1);
      const disliked = await suite.env.store.record(sampleConsultation({ question: '商标怎么续展？' }));
      await suite.env.store.feedback(disliked.id, 'user-a', -1);

      const list = (await client.get('/console/consultations')).body;
      const row = (question: string) => new RegExp(`<tr>(?:(?!</tr>)[\\s\\S])*?${question}[\\s\\S]*?</tr>`).exec(list)![0];
      expect(row('专利年费怎么缴')).toMatch(/<span class="fb fb-up" title="好评 2 条"><svg[^>]*aria-hidden="true"[\s\S]*?<\/svg>好评 2<\/span>/);
      expect(row('专利年费怎么缴')).not.toContain('差评');
      expect(row('商标怎么续展')).toMatch(/class="fb fb-down" title="差评 1 条">[\s\S]*?差评 1<\/span>/);
      expect(row('商标怎么续展')).not.toContain('好评');

      const detail = (await client.get(`/console/consultations/${liked.id}`)).body;
      expect(detail).toMatch(/好评 2<\/span>[\s\S]*?差评 0<\/span>/);
      const review = (await client.get('/console/review')).body;
      expect(review).toMatch(/data-kind="thumbs_down">1<\/div><div><svg[\s\S]*?<\/svg>用户差评<\/div>/);

      for (const url of ['/console/consultations', `/console/consultations/${liked.id}`, '/console/review', '/console/approved', '/console/cases', '/console/analytics', '/console/audit', '/console/account']) {
        const res = await client.get(url);
        expect(res.statusCode, url).toBe(200);
        expect(EMOJI.exec(res.body)?.[0], url).toBeUndefined();
      }
      for (const asset of ['analytics.js', 'confirm.js', 'console.css']) {
        const res = await suite.env.app.inject({ method: 'GET', url: `/console/assets/${asset}` });
        expect(EMOJI.exec(res.body)?.[0], asset).toBeUndefined();
      }
    });

    it('serves an icon at /favicon.ico and links one from every console page', async () => {
      const ico = await suite.env.app.inject({ method: 'GET', url: '/favicon.ico' });
      expect(ico.statusCode).toBe(200);
      expect(ico.rawPayload.subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0])); // an ICO header
      const login = await suite.env.app.inject({ method: 'GET', url: '/console/login' });
      const href = /<link rel="icon" href="([^"]+)" type="image\/svg\+xml">/.exec(login.body)![1]!;
      const svg = await suite.env.app.inject({ method: 'GET', url: href });
      expect(svg.statusCode).toBe(200);
      expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    });

    it('asks before an agency declines or closes a case; the confirmation page carries the same fields', async () => {
      const c = await referral('我们的专利被侵权了，想找律师起诉对方');
      const other = await referral('商标被人抢注，想请代理机构提异议');
      const username = `${c.agencyId}-1`;
      await createAccount(suite.env.accounts, username, 'agency', c.agencyId);
      const client = new Client(suite.env.app);
      await client.login(username);

      const detail = (await client.get(`/console/cases/${c.id}`)).body;
      expect(detail).toMatch(/<form [^>]*data-confirm="确定拒绝此案件吗？[^"]*"[^>]*>[\s\S]*?name="op" value="decline"/);
      expect(detail).toContain('<script src="/console/assets/confirm.js" defer></script>');

      // One POST without confirmation: a page that asks, the reason carried along, nothing changed.
      const asked = await client.post(`/console/cases/${c.id}/agency`, { op: 'decline', reason: '利益冲突<b>' });
      expect(asked.statusCode).toBe(200);
      expect(asked.body).toContain('确认拒绝');
      expect(asked.body).toContain('<input type="hidden" name="reason" value="利益冲突&lt;b&gt;">');
      expect(asked.body).toContain('<input type="hidden" name="confirmed" value="1">');
      expect(asked.body).toContain(`<a class="button secondary" href="/console/cases/${c.id}">`);
      expect(await statusOf(c.id)).toBe('requested');
      // Another agency's case is a 403 before any question is asked.
      expect((await client.post(`/console/cases/${other.id}/agency`, { op: 'decline' })).statusCode).toBe(403);
      // Accepting is not final: no question.
      expect((await client.post(`/console/cases/${c.id}/agency`, { op: 'accept' })).statusCode).toBe(303);

      const closing = await client.post(`/console/cases/${c.id}/agency`, { op: 'close', text: '已电话沟通。' });
      expect(closing.statusCode).toBe(200);
      expect(closing.body).toContain('确定办结此案件吗');
      expect(closing.body).toContain('<input type="hidden" name="text" value="已电话沟通。">');
      expect(await statusOf(c.id)).toBe('accepted');
      // Pressing the page's button posts the same fields with confirmed=1: now it acts.
      const fields = Object.fromEntries([...closing.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
      expect(fields).toMatchObject({ op: 'close', text: '已电话沟通。', confirmed: '1' });
      expect((await client.post(`/console/cases/${c.id}/agency`, fields)).headers.location).toBe(`/console/cases/${c.id}?done=close`);
      expect(await statusOf(c.id)).toBe('completed');
    });

    it('asks before staff assign a queued case and before an admin approves an answer', async () => {
      const c = await referral('我们的专利被侵权了，想找律师起诉对方');
      await toStaffQueue(c);
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const author = await createAccount(suite.env.accounts, 'admin2', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');

      const board = (await client.get('/console/cases')).body;
      expect(board).toMatch(new RegExp(`<form method="post" action="/console/cases/${c.id}/assign" class="assign" data-confirm="确定把此案件分派给所选机构吗？`));
      const asked = await client.post(`/console/cases/${c.id}/assign`, { agency: 'jia-ip-firm' });
      expect(asked.statusCode).toBe(200);
      expect(asked.body).toContain('确认分派给 甲知识产权代理所');
      expect(asked.body).toContain('<input type="hidden" name="agency" value="jia-ip-firm">');
      // The confirmation page keeps the menu-bar counts of every other page.
      expect(badge(asked.body, '/console/cases')).toEqual({ n: 1, say: '1 件待人工分派' });
      expect(await statusOf(c.id)).toBe('staff_queue');
      expect((await client.post(`/console/cases/${c.id}/assign`, { agency: 'jia-ip-firm', confirmed: '1' })).statusCode).toBe(303);
      expect(await statusOf(c.id)).toBe('awaiting_consent');

      const proposed = await new ApprovedAnswerStore(suite.handle.db).propose({ question: '商标被别人抢注了怎么办？', answer: '可在公告期内提出异议。', citations: [], authorId: author.id });
      const approvedPage = (await client.get('/console/approved')).body;
      expect(approvedPage).toMatch(/action="\/console\/approved\/[^"]+\/versions\/1\/approve" data-confirm="确定批准此版本吗？/);
      const url = `/console/approved/${proposed.answerId}/versions/${proposed.version}/approve`;
      const confirmPage = await client.post(url, {});
      expect(confirmPage.statusCode).toBe(200);
      expect(confirmPage.body).toContain('可在公告期内提出异议。');
      const status = async () => (await queryRows<{ status: string }>(suite.handle.db, sql`select status from approved_answer_versions where answer_id = ${proposed.answerId}`))[0]!.status;
      expect(await status()).toBe('proposed');
      expect((await client.post(url, { confirmed: '1' })).statusCode).toBe(303);
      expect(await status()).toBe('approved');
      // Decided already: refused at once, no question first.
      expect((await client.post(url, {})).statusCode).toBe(409);
    });
  });
}
