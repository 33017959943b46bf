/**
 * The case workflow through its service, on PGlite and on Postgres: intake, consent naming the agency,
 * routing, accept/decline/answer/close, SLA breach, staff queue, withdrawal, retention.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALWAYS } from '../../src/escalation/calendar.js';
import type { CaseService } from '../../src/escalation/case-service.js';
import { CaseConflict } from '../../src/cases/core.js';
import { Outbox } from '../../src/queue/outbox.js';
import { ConsultationStore } from '../../src/store/consultations.js';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import type { Consultation } from '../../src/types.js';
import { purgeExpired } from '../../src/retention-purge.js';
import { sampleConsultation } from '../store/sample.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { litigationRegistry, registryOf, testCases, TELEGRAM_AGENCY_CHAT } from './fixtures.js';

const U42 = { channel: 'telegram' as const, userId: 'u42' };
const TELEGRAM_USER = { channel: 'telegram' as const, botId: '123456', chatId: '42', replyTo: '7' };

describe.each(storeTargets())('case service on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 60_000 }, () => {
    let handle: DatabaseHandle;
    let store: ConsultationStore;
    let outbox: Outbox;
    let cases: CaseService;

    beforeAll(() => target.setup(), 60_000);
    afterAll(() => target.teardown(), 60_000);
    beforeEach(async () => {
      handle = await target.fresh();
      store = new ConsultationStore(handle.db);
      outbox = new Outbox(handle.db);
      cases = await testCases(handle.db, outbox);
    });
    afterEach(() => handle.close());

    const consultation = (question = '我们的专利被侵权了，想找律师起诉对方', overrides: Partial<Parameters<ConsultationStore['record']>[0]> = {}): Promise<Consultation> =>
      store.record(sampleConsultation({ channel: 'telegram', chatId: '42', userId: 'u42', conversationId: 'telegram:42', question, outcome: 'escalation_offered', ...overrides }));
    const outboxRows = () => queryRows<{ chat_id: string; channel: string; kind: string; payload: { text?: string; event?: { type: string }; agencyCase?: unknown } }>(handle.db, sql`select chat_id, channel, kind, payload from outbox order by id`);
    const events = async (caseId: string) => (await queryRows<{ type: string }>(handle.db, sql`select type from case_events where case_id = ${caseId} order by id`)).map((e) => e.type);

    it('names the agency and asks for consent before anything is shared; consent sends the case to its chat', async () => {
      const c = await consultation();
      const offered = await cases.refer({ consultation: c, envelope: TELEGRAM_USER });
      expect(offered.status).toBe('awaiting_consent');
      expect(offered.agency).toMatchObject({ id: 'a-telegram-firm', name: '甲律师事务所', contact: '甲所 0533-1111111' });
      expect(offered.consent).toMatchObject({ required: true, data: ['question', 'conversation', 'contact'] });
      expect(offered.consent.text).toMatch(/甲律师事务所[\s\S]*用途[\s\S]*提供的信息/);
      // Nothing went to any agency yet: the only message is the notice to the user.
      expect((await outboxRows()).map((r) => r.chat_id)).toEqual(['42']);

      const contact = '13800138000';
      const requested = await cases.consent(offered.id, U42, { consent: true, contact, consentId: offered.consent.consentId, via: 'test' });
      expect(requested.status).toBe('requested');
      const rows = await outboxRows();
      const toAgency = rows.filter((r) => r.chat_id === TELEGRAM_AGENCY_CHAT);
      expect(toAgency).toHaveLength(1);
      // The queue holds no copy of the contact: it names the case, and the sender fills the contact in.
      expect(JSON.stringify(toAgency[0]!.payload)).not.toContain(contact);
      expect(toAgency[0]!.payload).toMatchObject({ agencyCase: { caseId: offered.id, agencyId: 'a-telegram-firm', contact: true } });
      const [claimed] = (await outbox.claim(['telegram'], 10, 60_000)).filter((r) => r.chatId === TELEGRAM_AGENCY_CHAT);
      expect((await cases.deliveryHooks().prepare!(claimed!)).text).toMatch(new RegExp(`联系方式：${contact}`)); // the consented contact reaches the agency
      const [stored] = await queryRows<{ contact_cipher: string }>(handle.db, sql`select contact_cipher from cases`);
      expect(stored!.contact_cipher).toMatch(/^v1\./);
      expect(stored!.contact_cipher).not.toContain('138');
      const [consent] = await queryRows<{ decision: string; notice_hash: string; data: string[] }>(handle.db, sql`select decision, notice_hash, data from case_consents`);
      expect(consent).toMatchObject({ decision: 'given', notice_hash: expect.stringMatching(/^[0-9a-f]{64}$/), data: ['question', 'conversation', 'contact'] });
      expect(await events(offered.id)).toEqual(['offered', 'consent_requested', 'consent_given']);
    });

    it('shares nothing when consent is refused, and the case is cancelled', async () => {
      const offered = await cases.refer({ consultation: await consultation(), envelope: TELEGRAM_USER });
      const refused = await cases.consent(offered.id, U42, { consent: false, via: 'test' });
      expect(refused.status).toBe('cancelled');
      expect((await outboxRows()).every((r) => r.chat_id === '42')).toBe(true);
      expect(await events(offered.id)).toEqual(['offered', 'consent_requested', 'consent_refused']);
    });

    it('after a decline offers the next agency under a new consent; a stale consent button is refused', async () => {
      const offered = await cases.refer({ consultation: await consultation(), envelope: TELEGRAM_USER });
      await cases.consent(offered.id, U42, { consent: true, consentId: offered.consent.consentId, via: 'test' });
      const next = await cases.agencyAction(offered.id, 'a-telegram-firm', { type: 'decline', reason: '利益冲突' });
      expect(next.status).toBe('awaiting_consent');
      expect(next.agency!.id).toBe('b-feishu-firm');
      expect(next.consent.consentId).not.toBe(offered.consent.consentId);
      await expect(cases.consent(offered.id, U42, { consent: true, consentId: offered.consent.consentId, via: 'old button' })).rejects.toBeInstanceOf(CaseConflict);
      const again = await cases.consent(offered.id, U42, { consent: true, consentId: next.consent.consentId, via: 'test' });
      expect(again).toMatchObject({ status: 'requested', agency: { id: 'b-feishu-firm' } });
      expect(await events(offered.id)).toEqual(['offered', 'consent_requested', 'consent_given', 'declined', 'consent_requested', 'consent_given']);
    });

    it('accepts once, relays answers, closes, and takes one rating', async () => {
      const offered = await cases.refer({ consultation: await consultation(), envelope: TELEGRAM_USER });
      await cases.consent(offered.id, U42, { consent: true, contact: 'boss@example.com', via: 'test' });
      expect((await cases.agencyAction(offered.id, 'a-telegram-firm', { type: 'accept' })).status).toBe('accepted');
      await expect(cases.agencyAction(offered.id, 'a-telegram-firm', { type: 'accept' })).rejects.toBeInstanceOf(CaseConflict);
      await expect(cases.agencyAction(offered.id, 'b-feishu-firm', { type: 'accept' })).rejects.toThrow(/no such case/);
      expect(await cases.forAgency(offered.id, 'a-telegram-firm')).toMatchObject({ contact: 'boss@example.com' });
      expect(await cases.forAgency(offered.id, 'b-feishu-firm')).toBeUndefined();
      const answered = await cases.agencyAction(offered.id, 'a-telegram-firm', { type: 'answer', text: '建议先固定证据，可来电 0533-1111111 详谈。' });
      expect(answered.messages.at(-1)).toMatchObject({ from: 'agency', text: expect.stringContaining('建议先固定证据') });
      const closed = await cases.agencyAction(offered.id, 'a-telegram-firm', { type: 'close' });
      expect(closed.status).toBe('completed');
      const [row] = await queryRows<{ contact_cipher: string | null }>(handle.db, sql`select contact_cipher from cases`);
      expect(row!.contact_cipher).toBeNull(); // deleted when the case closes
      await cases.resolve(offered.id, U42, true);
      expect((await cases.rate(offered.id, U42, { rating: 5 })).rating).toEqual({ resolved: true, rating: 5 });
      // One rating per case: a second is refused and changes nothing.
      await expect(cases.rate(offered.id, U42, { rating: 1 })).rejects.toBeInstanceOf(CaseConflict);
      expect((await cases.view(offered.id, U42))!.rating).toEqual({ resolved: true, rating: 5 });
      await expect(cases.rate(offered.id, { channel: 'telegram', userId: 'someone-else' }, { rating: 1 })).rejects.toThrow(/no such case/);
      const view = await cases.view(offered.id, U42);
      expect(view!.events.map((e) => e.type)).toEqual(['offered', 'consent_requested', 'consent_given', 'accepted', 'answered', 'completed', 'resolved', 'rated']);
      expect(await cases.view(offered.id, { channel: 'telegram', userId: 'intruder' })).toBeUndefined();
    });

    it('moves a case past an SLA to the next agency, and to the staff queue when none is left', async () => {
      // One clock for due times and firing: the test moves it instead of waiting.
      let clock = new Date('2026-03-02T02:00:00Z');
      cases = await testCases(handle.db, outbox, { acceptSlaMs: 3_600_000, calendar: ALWAYS, now: () => clock });
      const offered = await cases.refer({ consultation: await consultation(), envelope: TELEGRAM_USER });
      let view = offered;
      for (const agency of ['a-telegram-firm', 'b-feishu-firm', 'c-webhook-firm']) {
        expect(view.agency!.id).toBe(agency);
        await cases.consent(view.id, U42, { consent: true, via: 'test' });
        clock = new Date(clock.getTime() + 3_600_000 - 1);
        expect(await cases.fireDueTimers()).toBe(0); // a millisecond before the deadline
        clock = new Date(clock.getTime() + 1);
        expect(await cases.fireDueTimers()).toBe(1);
        if (agency === 'a-telegram-firm') {
          // 24x7 counts every hour, but the user is told the time in Beijing: 03:00 UTC is 11:00.
          expect((await outboxRows()).map((r) => r.payload.text ?? '').find((t) => t.includes('已将您的问题转交'))).toContain('3月2日 11:00前');
        }
        view = (await cases.view(offered.id, U42))!;
      }
      expect(view.status).toBe('staff_queue');
      expect(await cases.fireDueTimers()).toBe(0);
      const breaches = (await events(offered.id)).filter((t) => t === 'sla_breached');
      expect(breaches).toHaveLength(3);
      const webhookEvents = (await outboxRows()).filter((r) => r.channel === 'webhook').map((r) => r.payload.event!.type);
      expect(webhookEvents).toEqual(['case.requested', 'case.withdrawn']);
      // Staff can give it to an agency by hand: consent is asked again, naming it.
      const assigned = await cases.assign(offered.id, 'a-telegram-firm', 'staff-1');
      expect(assigned).toMatchObject({ status: 'awaiting_consent', agency: { id: 'a-telegram-firm' }, consent: { required: true } });
    });

    it('asks the district when the agencies that fit differ by it, and routes by the answer', async () => {
      cases = await testCases(handle.db, outbox, {
        registry: registryOf([
          { id: 'zhangdian', name: '张店代理所', services: ['agency'], districts: ['张店区'] },
          { id: 'citywide', name: '全市代理所', services: ['agency'], districts: 'all' },
        ]),
      });
      const offered = await cases.refer({ consultation: await consultation('帮我们申请一个发明专利') , envelope: TELEGRAM_USER });
      expect(offered).toMatchObject({ status: 'offered', intake: { ask: 'district', options: ['张店区', '-'] } });
      const routed = await cases.choose(offered.id, U42, 'district', '张店区');
      expect(routed).toMatchObject({ status: 'awaiting_consent', agency: { id: 'zhangdian' } });
    });

    it('takes the district and field already named in the conversation instead of asking', async () => {
      cases = await testCases(handle.db, outbox, {
        registry: registryOf([
          { id: 'zhangdian', name: '张店代理所', services: ['agency'], fields: ['patent'], districts: ['张店区'] },
          { id: 'zhoucun', name: '周村代理所', services: ['agency'], fields: ['patent'], districts: ['周村区'] },
          { id: 'marks', name: '商标事务所', services: ['agency'], fields: ['trademark'], districts: 'all' },
        ]),
      });
      await consultation('我们是张店的一家企业，想申请发明专利', { messageId: 'm-earlier' });
      const offered = await cases.refer({ consultation: await consultation('代理费用大概多少？', { messageId: 'm-now' }), envelope: TELEGRAM_USER });
      expect(offered).toMatchObject({ status: 'awaiting_consent', agency: { id: 'zhangdian' } });
      expect(offered.intake).toBeUndefined();
    });

    it('never moves a general request to an agency that only mediates, after a decline either', async () => {
      cases = await testCases(handle.db, outbox, {
        registry: registryOf([
          { id: 'a-firm', name: '甲所', services: ['consulting', 'litigation'] },
          { id: 'b-arbitration', name: '仲裁院', services: ['mediation_arbitration'] },
        ]),
      });
      const offered = await cases.refer({ consultation: await consultation('商标被别人抢先用了怎么办'), envelope: TELEGRAM_USER });
      expect(offered.agency!.id).toBe('a-firm');
      await cases.consent(offered.id, U42, { consent: true, via: 'test' });
      expect(await cases.agencyAction(offered.id, 'a-firm', { type: 'decline' })).toMatchObject({ status: 'staff_queue', agency: null });
    });

    it('balances by open cases under capacity, and one open case per consultation', async () => {
      cases = await testCases(handle.db, outbox, { registry: registryOf([{ id: 'one', name: '一所', capacity: 1 }, { id: 'two', name: '二所', capacity: 1 }]) });
      const first = await cases.refer({ consultation: await consultation('想找律师起诉侵权', { messageId: 'm1' }), envelope: TELEGRAM_USER });
      expect(first.agency!.id).toBe('one');
      expect((await cases.refer({ consultation: (await store.history('telegram:42', 'u42', 1))[0]!, envelope: TELEGRAM_USER })).id).toBe(first.id);
      await cases.consent(first.id, U42, { consent: true, via: 'test' });
      const second = await cases.refer({ consultation: await consultation('商标侵权找律师', { messageId: 'm2' }), envelope: TELEGRAM_USER });
      expect(second.agency!.id).toBe('two');
      await cases.consent(second.id, U42, { consent: true, via: 'test' });
      const third = await cases.refer({ consultation: await consultation('版权侵权找律师', { messageId: 'm3' }), envelope: TELEGRAM_USER });
      expect(third.status).toBe('staff_queue'); // both at capacity
    });

    it('withdrawal tells an agency that had the case and erases the contact; the events stay', async () => {
      const offered = await cases.refer({ consultation: await consultation(), envelope: TELEGRAM_USER });
      await cases.consent(offered.id, U42, { consent: true, contact: '13900139000', via: 'test' });
      const withdrawn = await cases.withdraw(offered.id, U42, 'user', 'test');
      expect(withdrawn.status).toBe('cancelled');
      const toAgency = (await outboxRows()).filter((r) => r.chat_id === TELEGRAM_AGENCY_CHAT).map((r) => r.payload.text!);
      expect(toAgency.at(-1)).toMatch(/已撤回转介/);
      const [row] = await queryRows<{ contact_cipher: string | null }>(handle.db, sql`select contact_cipher from cases`);
      expect(row!.contact_cipher).toBeNull();
      expect(await events(offered.id)).toEqual(['offered', 'consent_requested', 'consent_given', 'withdrawn']);
      const [consent] = await queryRows<{ withdrawn_at: Date | null }>(handle.db, sql`select withdrawn_at from case_consents`);
      expect(consent!.withdrawn_at).not.toBeNull();
    });

    it('retention withdraws an open case (the agency is told) and erases what closed cases shared; events stay', async () => {
      const longAgo = new Date(Date.now() - 200 * 86_400_000);
      const open = await cases.refer({ consultation: await consultation('专利侵权想找律师起诉', { createdAt: longAgo, messageId: 'old-1' }), envelope: TELEGRAM_USER });
      await cases.consent(open.id, U42, { consent: true, contact: '13700137000', via: 'test' });
      const closed = await cases.refer({ consultation: await consultation('商标侵权想找律师', { createdAt: longAgo, messageId: 'old-2' }), envelope: TELEGRAM_USER });
      await cases.consent(closed.id, U42, { consent: true, via: 'test' });
      await cases.agencyAction(closed.id, closed.agency!.id, { type: 'accept' });
      await cases.agencyAction(closed.id, closed.agency!.id, { type: 'close', text: '已电话沟通' });
      await handle.db.execute(sql`update cases set closed_at = ${longAgo.toISOString()}::timestamptz where id = ${closed.id}`);

      const result = await purgeExpired({ db: handle.db, store, cases }, new Date(Date.now() - 180 * 86_400_000), 'test');
      expect(result.cases).toEqual({ withdrawn: 1, erased: 2 });
      expect(result.log.consultations).toBe(2);
      const rows = await queryRows<{ id: string; status: string; question: string | null; contact_cipher: string | null; consultation_id: string | null }>(handle.db, sql`select id, status, question, contact_cipher, consultation_id from cases order by created_at`);
      expect(rows.map((r) => ({ status: r.status, question: r.question, contact: r.contact_cipher, consultation: r.consultation_id }))).toEqual([
        { status: 'cancelled', question: null, contact: null, consultation: null },
        { status: 'completed', question: null, contact: null, consultation: null },
      ]);
      expect(await events(open.id)).toEqual(['offered', 'consent_requested', 'consent_given', 'withdrawn']);
      const toAgency = (await outboxRows()).filter((r) => r.chat_id === TELEGRAM_AGENCY_CHAT).map((r) => r.payload.text!);
      expect(toAgency.filter((t) => t.includes('用户已撤回转介'))).toHaveLength(1);
      const [messages] = await queryRows<{ n: number | string }>(handle.db, sql`select count(*) as n from case_messages`);
      expect(Number(messages!.n)).toBe(0);
    });
  });
});

void litigationRegistry;
