/**
 * The cases board over inject on both drivers: an agency account sees and works only its own cases (403
 * on any other, audited), sees the contact only while consent stands, keeps dates and its own steps of a
 * case it declined; staff see every case without the contact, assign from the staff queue by hand (audited),
 * see breaches highlighted and per-agency response times, and export exactly the filtered cases.
 */
import { sql } from 'drizzle-orm';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { time } from '../../src/console/format.js';
import { agencyPerformance, listCases, type CaseCursor } from '../../src/store/console-cases.js';
import { queryRows } from '../../src/store/db.js';
import { sampleConsultation } from '../store/sample.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { Client, consoleTestEnv, createAccount } from './fixtures.js';
import { expectPagingBothWays } from './keyset.js';

const CONTACT = '13912345678';

for (const target of storeTargets()) {
  describe.skipIf(Boolean(target.skipReason))(`cases board on ${targetTitle(target)}`, { timeout: 120_000 }, () => {
    const suite = consoleTestEnv(target);

    let users = 0;
    /** A web user's referral, consented (with a contact when given): it goes to the least busy agency. */
    const referral = async (question: string, contact?: string) => {
      const userId = `web-user-${++users}`;
      const consultation = await suite.env.store.record(sampleConsultation({ channel: 'web', chatId: null, userId, conversationId: `web:${userId}`, question, outcome: 'escalation_offered' }));
      const offered = await suite.env.cases.refer({ consultation, district: '张店区' });
      expect(offered.status).toBe('awaiting_consent');
      const requested = await suite.env.cases.consent(offered.id, { channel: 'web', userId }, { consent: true, contact, consentId: offered.consent.consentId, via: 'test' });
      expect(requested.status).toBe('requested');
      return { id: requested.id, agencyId: requested.agency!.id, userId, asker: { channel: 'web' as const, userId }, consultationId: consultation.id };
    };
    const audit = async () => queryRows<{ action: string; actor: string; target_id: string | null; details: Record<string, unknown> | null }>(suite.handle.db, sql`select action, actor, target_id, details from audit_log order by id`);
    const events = async (caseId: string) => queryRows<{ type: string; actor: string }>(suite.handle.db, sql`select type, actor from case_events where case_id = ${caseId} order by id`);

    it('lets an agency account see and work only its own cases; any other case is a 403 in the audit log', async () => {
      const mine = await referral('我们的专利被侵权了，想找律师起诉对方', CONTACT);
      const theirs = await referral('商标被人抢注，想请代理机构提异议');
      expect(mine.agencyId).toBe('jia-ip-firm');
      expect(theirs.agencyId).toBe('yi-law-firm');
      const jia = await createAccount(suite.env.accounts, 'jia1', 'agency', 'jia-ip-firm');
      const client = new Client(suite.env.app);
      await client.login('jia1');

      const board = await client.get('/console/cases');
      expect(board.statusCode).toBe(200);
      expect(board.body).toContain(mine.id.slice(0, 8));
      expect(board.body).toContain('专利被侵权');
      expect(board.body).not.toContain(theirs.id.slice(0, 8));
      expect(board.body).not.toContain('商标被人抢注');

      const detail = await client.get(`/console/cases/${mine.id}`);
      expect(detail.statusCode).toBe(200);
      expect(detail.body).toContain(CONTACT); // consented for this agency
      expect(detail.body).toContain('接受案件');

      // Another agency's case, a made-up id and a malformed one: 403 each, audited; the body tells nothing.
      for (const id of [theirs.id, '00000000-0000-4000-8000-000000000000', 'not-a-case']) {
        const res = await client.get(`/console/cases/${id}`);
        expect(res.statusCode, id).toBe(403);
        expect(res.body).not.toContain('商标');
      }
      const acting = await client.post(`/console/cases/${theirs.id}/agency`, { op: 'accept' });
      expect(acting.statusCode).toBe(403);
      const denied = (await audit()).filter((a) => a.action === 'case.denied');
      expect(denied.map((d) => d.target_id)).toEqual([theirs.id, '00000000-0000-4000-8000-000000000000', 'not-a-case', theirs.id]);
      expect(denied.every((d) => d.actor === jia.id && d.details?.agencyId === 'jia-ip-firm')).toBe(true);
      expect((await events(theirs.id)).map((e) => e.type)).not.toContain('accepted');
      // Staff-only routes stay closed to it.
      expect((await client.post('/console/cases/export?format=csv', {})).statusCode).toBe(403);
      expect((await client.post(`/console/cases/${theirs.id}/assign`, { agency: 'jia-ip-firm' })).statusCode).toBe(403);

      // Accept, answer, close: each through the case service, as this account, audited.
      expect((await client.post(`/console/cases/${mine.id}/agency`, { op: 'accept' })).headers.location).toBe(`/console/cases/${mine.id}?done=accept`);
      const twice = await client.post(`/console/cases/${mine.id}/agency`, { op: 'accept' });
      expect(twice.statusCode).toBe(409); // a double click changes nothing
      expect((await client.post(`/console/cases/${mine.id}/agency`, { op: 'answer', text: '' })).statusCode).toBe(400);
      expect((await client.post(`/console/cases/${mine.id}/agency`, { op: 'answer', text: '建议先固定侵权证据，我所律师明天联系您。' })).statusCode).toBe(303);
      expect((await client.post(`/console/cases/${mine.id}/agency`, { op: 'close', text: '已面谈，办结。', confirmed: '1' })).statusCode).toBe(303);
      const view = await suite.env.cases.view(mine.id, mine.asker);
      expect(view!.status).toBe('completed');
      expect(view!.messages.filter((m) => m.from === 'agency').map((m) => m.text).join('\n')).toContain('建议先固定侵权证据');
      expect(await events(mine.id)).toEqual(
        expect.arrayContaining([
          { type: 'accepted', actor: `staff:${jia.id}` },
          { type: 'answered', actor: `staff:${jia.id}` },
          { type: 'completed', actor: `staff:${jia.id}` },
        ]),
      );
      expect((await audit()).filter((a) => a.target_id === mine.id).map((a) => a.action)).toEqual(['case.view', 'case.accept', 'case.answer', 'case.close']);
      // Closed: the question stays visible to the agency that closed it, the contact is gone.
      const closed = await client.get(`/console/cases/${mine.id}`);
      expect(closed.statusCode).toBe(200);
      expect(closed.body).toContain('专利被侵权');
      expect(closed.body).not.toContain(CONTACT);
      expect(closed.body).not.toContain('接受案件');
    });

    it('keeps only dates and its own steps of a case the agency declined', async () => {
      const c = await referral('我们的专利被侵权了，想找律师起诉对方', CONTACT);
      await createAccount(suite.env.accounts, 'jia1', 'agency', 'jia-ip-firm');
      const client = new Client(suite.env.app);
      await client.login('jia1');
      await client.get(`/console/cases/${c.id}`);
      expect((await client.post(`/console/cases/${c.id}/agency`, { op: 'decline', reason: '利益冲突', confirmed: '1' })).statusCode).toBe(303);
      const [row] = await queryRows<{ status: string; agency_id: string }>(suite.handle.db, sql`select status, agency_id from cases where id = ${c.id}`);
      expect(row).toEqual({ status: 'awaiting_consent', agency_id: 'yi-law-firm' });

      const board = await client.get('/console/cases');
      expect(board.body).toContain(c.id.slice(0, 8));
      expect(board.body).toContain('本机构已拒绝');
      expect(board.body).not.toContain('专利被侵权');
      const past = await client.get(`/console/cases/${c.id}`);
      expect(past.statusCode).toBe(200);
      expect(past.body).toContain('机构拒绝');
      expect(past.body).not.toContain('专利被侵权');
      expect(past.body).not.toContain(CONTACT);
      expect((await client.post(`/console/cases/${c.id}/agency`, { op: 'accept' })).statusCode).toBe(403);
      // The next agency sees nothing before the user consents to it.
      await createAccount(suite.env.accounts, 'yi1', 'agency', 'yi-law-firm');
      const yi = new Client(suite.env.app);
      await yi.login('yi1');
      expect((await yi.get(`/console/cases/${c.id}`)).statusCode).toBe(403);
      expect((await yi.get('/console/cases')).body).not.toContain(c.id.slice(0, 8));
    });

    it('says what became of a contact and a consent, and shows an agency when the case reached it', async () => {
      const moved = await referral('我们的专利被侵权了，想找律师起诉对方', CONTACT);
      expect(moved.agencyId).toBe('jia-ip-firm');
      // The case began two days before it reached the second agency.
      await suite.handle.db.execute(sql`update cases set created_at = now() - interval '2 days' where id = ${moved.id}`);
      const began = (await queryRows<{ created_at: Date }>(suite.handle.db, sql`select created_at from cases where id = ${moved.id}`))[0]!.created_at;
      await suite.env.cases.agencyAction(moved.id, 'jia-ip-firm', { type: 'decline' });
      const offered = (await suite.env.cases.view(moved.id, moved.asker))!;
      await suite.env.cases.consent(moved.id, moved.asker, { consent: true, consentId: offered.consent.consentId, via: 'test' });
      const closed = await referral('商标被人抢注，想请代理机构提异议', CONTACT);
      expect(closed.agencyId).toBe('jia-ip-firm');
      await suite.env.cases.agencyAction(closed.id, 'jia-ip-firm', { type: 'accept' });
      await suite.env.cases.agencyAction(closed.id, 'jia-ip-firm', { type: 'close' });

      await createAccount(suite.env.accounts, 'yi1', 'agency', 'yi-law-firm');
      const yi = new Client(suite.env.app);
      await yi.login('yi1');
      const board = await yi.get('/console/cases');
      expect(board.body).toContain(moved.id.slice(0, 8));
      expect(board.body).not.toContain(time(new Date(began))); // not when the case began, but when it reached this agency
      const yiDetail = await yi.get(`/console/cases/${moved.id}`);
      expect(yiDetail.body).not.toContain(time(new Date(began)));
      expect(yiDetail.body).toContain('用户未留联系方式'); // the contact was given for the first agency only
      expect(yiDetail.body).not.toContain(CONTACT);

      await createAccount(suite.env.accounts, 'jia1', 'agency', 'jia-ip-firm');
      const jia = new Client(suite.env.app);
      await jia.login('jia1');
      expect((await jia.get(`/console/cases/${closed.id}`)).body).toMatch(/用户联系方式<\/dt><dd>已删除/);

      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const admin = new Client(suite.env.app);
      await admin.login('admin1');
      const staffView = await admin.get(`/console/cases/${moved.id}`);
      expect(staffView.body).toMatch(/联系方式<\/dt><dd>已删除/);
      expect(staffView.body).toContain('机构拒绝'); // the consent to the first agency ended by its decline, not a withdrawal
      expect(staffView.body).not.toContain('用户撤回');
      const csv = (await admin.post('/console/cases/export?format=csv', {})).body;
      // Every field is quoted in the export: read it with a CSV parser, as a spreadsheet would.
      const [header, ...rows] = parseCsv(csv.replace(/^\ufeff/, '')) as string[][];
      const column = header!.indexOf('留有联系方式');
      const contactOf = (id: string) => rows.find((r) => r.some((cell) => cell.includes(id)))![column];
      expect([contactOf(moved.id), contactOf(closed.id)]).toEqual(['已删除', '已删除']);
    });

    it('shows staff every case without the contact, highlights breaches, and assigns from the staff queue', async () => {
      const late = await referral('我们的专利被侵权了，想找律师起诉对方', CONTACT);
      // The accept timer is past due and not fired yet: the board shows the breach.
      await suite.handle.db.execute(sql`update case_timers set due_at = now() - interval '2 hours' where case_id = ${late.id}`);
      const queued = await referral('商标被人抢注，想请代理机构提异议');
      await suite.env.cases.agencyAction(queued.id, 'yi-law-firm', { type: 'decline' });
      const again = await suite.env.cases.view(queued.id, queued.asker);
      await suite.env.cases.consent(queued.id, queued.asker, { consent: true, consentId: again!.consent.consentId, via: 'test' });
      await suite.env.cases.agencyAction(queued.id, 'jia-ip-firm', { type: 'decline' });
      expect((await suite.env.cases.view(queued.id, queued.asker))!.status).toBe('staff_queue');

      const admin = await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');
      const board = await client.get('/console/cases');
      expect(board.statusCode).toBe(200);
      expect(board.body).toMatch(/<tr class="late">[\s\S]*?已超时/);
      // The assign form comes before the question, so it stays in view on a tablet.
      expect(board.body).toMatch(/id="staff-queue"[\s\S]*?action="\/console\/cases\/[0-9a-f-]+\/assign"[\s\S]*?商标被人抢注/);
      expect(board.body).not.toContain(CONTACT);
      const detail = await client.get(`/console/cases/${late.id}`);
      expect(detail.statusCode).toBe(200);
      expect(detail.body).toContain('已提供（仅承办机构可见）');
      expect(detail.body).not.toContain(CONTACT);
      expect(detail.body).toMatch(/接受时限[\s\S]*?已超时/);

      expect((await client.post(`/console/cases/${queued.id}/assign`, { agency: 'no-such-agency' })).statusCode).toBe(400);
      const assigned = await client.post(`/console/cases/${queued.id}/assign`, { agency: 'jia-ip-firm', confirmed: '1' });
      expect(assigned.headers.location).toBe(`/console/cases/${queued.id}?done=assign`);
      const view = await suite.env.cases.view(queued.id, queued.asker);
      expect(view).toMatchObject({ status: 'awaiting_consent', agency: { id: 'jia-ip-firm' }, consent: { required: true } });
      expect((await events(queued.id)).find((e) => e.type === 'assigned')).toEqual({ type: 'assigned', actor: `staff:${admin.id}` });
      expect((await audit()).find((a) => a.action === 'case.assign')).toMatchObject({ actor: admin.id, target_id: queued.id, details: { agencyId: 'jia-ip-firm', status: 'awaiting_consent' } });
      expect((await client.post(`/console/cases/${queued.id}/assign`, { agency: 'yi-law-firm', confirmed: '1' }, { csrf: false })).statusCode).toBe(403);
      // A reviewer may look but not act for an agency.
      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      const reviewer = new Client(suite.env.app);
      await reviewer.login('rev1');
      expect((await reviewer.get('/console/cases')).statusCode).toBe(200);
      expect((await reviewer.post(`/console/cases/${late.id}/agency`, { op: 'accept' })).statusCode).toBe(403);
    });

    it('measures per-agency response times, acceptance and SLA met from the case events', async () => {
      const fast = await referral('我们的专利被侵权了，想找律师起诉对方');
      const slow = await referral('商标被人抢注，想请代理机构提异议');
      await suite.env.cases.agencyAction(fast.id, 'jia-ip-firm', { type: 'accept' });
      await suite.env.cases.agencyAction(fast.id, 'jia-ip-firm', { type: 'answer', text: '答复' });
      await suite.env.cases.agencyAction(slow.id, 'yi-law-firm', { type: 'decline' });
      // Spread the first case out: requested 3 h ago, accepted 2 h ago, answered 1 h ago.
      const shift = async (type: string, hours: number) =>
        suite.handle.db.execute(sql`update case_events set created_at = now() - make_interval(hours => ${hours}) where case_id = ${fast.id} and type = ${type}`);
      await shift('consent_given', 3);
      await shift('accepted', 2);
      await shift('answered', 1);
      await suite.handle.db.execute(sql`update case_timers set created_at = now() - interval '3 hours', due_at = now() - interval '150 minutes' where case_id = ${fast.id} and kind = 'accept'`);
      await suite.handle.db.execute(sql`update case_timers set created_at = now() - interval '2 hours', due_at = now() where case_id = ${fast.id} and kind = 'answer'`);

      const stats = await agencyPerformance(suite.handle.db, { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 60_000) });
      const jia = stats.find((s) => s.agencyId === 'jia-ip-firm')!;
      // The case yi declined is offered to jia again, but needs the user's consent first: not yet a request.
      expect(jia).toMatchObject({ requested: 1, accepted: 1, declined: 0, acceptBreached: 0, open: 1 });
      expect(jia.acceptMs.median).toBeCloseTo(3_600_000, -4);
      expect(jia.answerMs.median).toBeCloseTo(3_600_000, -4);
      // Accepted half an hour after its due time (missed); answered before its due time (met).
      expect(jia.sla).toEqual({ met: 1, missed: 1 });
      const yi = stats.find((s) => s.agencyId === 'yi-law-firm')!;
      expect(yi).toMatchObject({ requested: 1, accepted: 0, declined: 1, acceptanceRate: 0, sla: { met: 1, missed: 0 } });
      expect(jia.acceptanceRate).toBe(1);

      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');
      const board = await client.get('/console/cases');
      expect(board.body).toMatch(/id="agency-performance"[\s\S]*?甲知识产权代理所[\s\S]*?1 小时/);

      // Ratings are stored per agency (the one that closed the case) and shown with the analytics.
      await suite.env.cases.agencyAction(fast.id, 'jia-ip-firm', { type: 'close' });
      await suite.env.cases.rate(fast.id, fast.asker, { rating: 4, resolved: true });
      const data = (await client.get('/console/analytics/data', { accept: 'application/json' })).json() as { agencies: { agencyId: string; requested: number; ratings: unknown; acceptText: string }[] };
      expect(data.agencies.find((a) => a.agencyId === 'jia-ip-firm')).toMatchObject({ requested: 1, ratings: { count: 1, average: 4 }, acceptText: '1 小时 / 1 小时' });
      expect(data.agencies.find((a) => a.agencyId === 'yi-law-firm')).toMatchObject({ requested: 1, ratings: { count: 0, average: null } });
    });

    it('pages the case list both ways by keyset: back from page 3 is page 2, then page 1', async () => {
      for (let i = 0; i < 5; i++) await referral(`想找代理机构办商标注册（${i}）`);
      await expectPagingBothWays<CaseCursor>((place) => listCases(suite.handle.db, {}, place));
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');
      const board = await client.get('/console/cases?status=requested');
      // Five cases fit on one page of the board: no paging links.
      expect(board.body).not.toContain('rel="next"');
      expect(board.body).not.toContain('第 1 页');
    });

    it('exports exactly the filtered cases as CSV, without contacts, audited; marks the consultation referred', async () => {
      const a = await referral('我们的专利被侵权了，想找律师起诉对方', CONTACT);
      const b = await referral('商标被人抢注，想请代理机构提异议');
      await suite.env.cases.agencyAction(b.id, 'yi-law-firm', { type: 'accept' });
      const admin = await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');
      await client.get('/console/cases');
      const csv = await client.post('/console/cases/export?format=csv', { status: 'accepted' });
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toMatch(/text\/csv/);
      const lines = csv.body.replace(/^\ufeff/, '').trim().split('\r\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain(b.id);
      expect(csv.body).not.toContain(a.id);
      const all = await client.post('/console/cases/export?format=csv', {});
      expect(all.body.replace(/^\ufeff/, '').trim().split('\r\n')).toHaveLength(3);
      expect(all.body).not.toContain(CONTACT);
      const xlsx = await client.post('/console/cases/export?format=xlsx', { agency: 'jia-ip-firm' });
      expect(xlsx.statusCode).toBe(200);
      expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');
      expect((await audit()).filter((e) => e.action === 'case.export').map((e) => [e.actor, e.details?.format])).toEqual([
        [admin.id, 'csv'],
        [admin.id, 'csv'],
        [admin.id, 'xlsx'],
      ]);
      expect((await client.post('/console/cases/export?format=csv', { status: 'bogus' })).statusCode).toBe(400);

      // The consultation list's "referred" filter and the detail's case link read the cases.
      await suite.env.store.record(sampleConsultation({ question: '没有转介的问题' }));
      const referred = await client.get('/console/consultations?referred=yes');
      expect(referred.body).toMatch(/<strong id="total">2<\/strong>/);
      const notReferred = await client.get('/console/consultations?referred=no');
      expect(notReferred.body).toMatch(/<strong id="total">1<\/strong>/);
      const consultation = await client.get(`/console/consultations/${b.consultationId}`);
      expect(consultation.body).toContain(`/console/cases/${b.id}`);
    });
  });
}
