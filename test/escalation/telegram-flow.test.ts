/**
 * A referral end to end in Telegram: the real grammY client against the fake Bot API, the real queue and
 * store (PGlite, and Postgres when TEST_DATABASE_URL is set). The user asks for a lawyer about an
 * infringement, consents, the agency is told in its group and accepts there, answers by replying to the
 * bot, closes; the user sees each step in their own chat and rates the case.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import { FakeTelegramApi, updates, type RecordedCall } from '../fakes/telegram-api.js';
import { count, settled as waitSettled, sleep } from '../queue/fixtures.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { telegramRig } from '../channels/telegram-fixtures.js';
import { registryOf } from './fixtures.js';

const USER = 42;
const AGENCY_A = { id: -100771, type: 'supergroup' as const };
const AGENCY_B = { id: -100772, type: 'supergroup' as const };
const STAFF_MEMBER = 9001;

const registry = () =>
  registryOf([
    { id: 'a-firm', name: '甲律师事务所', services: ['litigation'], contact: '甲所 0533-1111111', channel: { type: 'telegram', chatId: AGENCY_A.id } },
    { id: 'b-firm', name: '乙律师事务所', services: ['litigation'], contact: '乙所 0533-2222222', channel: { type: 'telegram', chatId: AGENCY_B.id } },
  ]);

describe.each(storeTargets())('referral in Telegram on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 90_000 }, () => {
    let handle: DatabaseHandle;
    let fake: FakeTelegramApi;
    let rig: Awaited<ReturnType<typeof telegramRig>>;

    beforeAll(() => target.setup(), 60_000);
    afterAll(() => target.teardown(), 60_000);
    beforeEach(async () => {
      handle = await target.fresh();
      fake = await new FakeTelegramApi().start();
      rig = (await telegramRig(handle.db, fake, {}, undefined, { registry: registry(), bots: { telegram: '123456' } })).run();
    }, 60_000);
    afterEach(async () => {
      await rig.close();
      await fake.close();
      await handle.close();
    }, 60_000);

    const settled = () => waitSettled(handle.db);
    const sentTo = (chat: number) => fake.sent('sendMessage', chat);
    const buttonsOf = (call: RecordedCall) => (call.payload.reply_markup?.inline_keyboard ?? []).flat() as { text: string; callback_data: string }[];
    const press = async (chat: number, from: number, call: RecordedCall, label: string) => {
      const button = buttonsOf(call).find((b) => b.text === label);
      if (!button) throw new Error(`no button ${label} in ${JSON.stringify(buttonsOf(call))}`);
      expect((await rig.post(updates.callback(chat, from, button.callback_data, call.result.message_id))).statusCode).toBe(200);
      await settled();
    };
    const say = async (text: string) => {
      expect((await rig.post(updates.text({ id: USER, type: 'private' }, USER, text))).statusCode).toBe(200);
      await settled();
    };

    it('asks, refers with consent, the agency accepts, answers and closes in its group, the user rates', async () => {
      await say('我们的专利被同行侵权了，想找律师起诉他们');
      const [answer] = sentTo(USER);
      expect(buttonsOf(answer!).map((b) => b.text)).toContain('转人工');
      await press(USER, USER, answer!, '转人工');

      const notice = sentTo(USER).at(-1)!;
      expect(notice.payload.text).toMatch(/转介前需要您的单独同意[\s\S]*甲律师事务所[\s\S]*甲所 0533-1111111[\s\S]*用途[\s\S]*提供的信息/);
      expect(buttonsOf(notice).map((b) => b.text)).toEqual(['同意转介', '不同意']);
      expect(sentTo(AGENCY_A.id)).toHaveLength(0); // nothing leaves before consent

      await say('联系方式 13800138000');
      expect(sentTo(USER).at(-1)!.payload.text).toContain('已记下您的联系方式（138****8000）');
      expect(await count(handle.db, 'consultations')).toBe(1); // the contact is not a question

      await press(USER, USER, notice, '同意转介');
      expect(sentTo(USER).at(-1)!.payload.text).toContain('已将您的问题转交甲律师事务所');
      const request = sentTo(AGENCY_A.id).at(-1)!;
      expect(request.payload.text).toMatch(/新转介案件[\s\S]*专利[\s\S]*起诉[\s\S]*13800138000/);
      expect(buttonsOf(request).map((b) => b.text)).toEqual(['接受', '拒绝']);

      // A double click: two presses, one transition.
      const accept = buttonsOf(request).find((b) => b.text === '接受')!.callback_data;
      await Promise.all([rig.post(updates.callback(AGENCY_A.id, STAFF_MEMBER, accept, request.result.message_id)), rig.post(updates.callback(AGENCY_A.id, STAFF_MEMBER, accept, request.result.message_id))]);
      await settled();
      expect(await count(handle.db, 'case_events', "type = 'accepted'")).toBe(1);
      expect(sentTo(USER).at(-1)!.payload.text).toMatch(/甲律师事务所已接受您的案件[\s\S]*留下的联系方式/);
      const acceptedNote = sentTo(AGENCY_A.id).at(-1)!;
      expect(acceptedNote.payload.text).toContain('请直接回复本消息');

      // The agency answers by replying to the bot's message in its group; the case finds the message in a
      // table of its own, so the queue's sent rows may be purged meanwhile.
      await settled();
      await handle.db.execute(sql`delete from outbox where status = 'sent'`);
      await rig.post(updates.reply(AGENCY_A, STAFF_MEMBER, '您好，建议先保全侵权证据，我们明天上午联系您。', acceptedNote.result.message_id));
      await settled();
      expect(sentTo(USER).at(-1)!.payload.text).toMatch(/【甲律师事务所答复】\n您好，建议先保全侵权证据/);

      await press(AGENCY_A.id, STAFF_MEMBER, acceptedNote, '结案');
      const closed = sentTo(USER).at(-1)!;
      expect(closed.payload.text).toContain('已办结您的案件');
      await press(USER, USER, closed, '已解决');
      await press(USER, USER, sentTo(USER).at(-1)!, '5 分');
      expect(sentTo(USER).at(-1)!.payload.text).toContain('感谢您的评价');
      const [stored] = await queryRows<{ status: string; rating: number; resolved: boolean; agency_id: string; contact_cipher: string | null }>(handle.db, sql`select status, rating, resolved, agency_id, contact_cipher from cases`);
      expect(stored).toEqual({ status: 'completed', rating: 5, resolved: true, agency_id: 'a-firm', contact_cipher: null });
      expect(rig.errors).toEqual([]);
    });

    it('without consent no agency hears of it; after a decline the next agency is named under a new consent', async () => {
      await say('商标被人抢注了，想找律师打官司');
      await press(USER, USER, sentTo(USER)[0]!, '转人工');
      const first = sentTo(USER).at(-1)!;
      await press(USER, USER, first, '不同意');
      expect(sentTo(USER).at(-1)!.payload.text).toContain('不会向任何机构提供您的信息');
      expect(sentTo(AGENCY_A.id).length + sentTo(AGENCY_B.id).length).toBe(0);
      expect(await count(handle.db, 'cases', "status = 'cancelled'")).toBe(1);

      await say('版权被侵权了，要找律师起诉');
      await press(USER, USER, sentTo(USER).at(-1)!, '转人工');
      await press(USER, USER, sentTo(USER).at(-1)!, '同意转介');
      const request = sentTo(AGENCY_A.id).at(-1)!;
      await press(AGENCY_A.id, STAFF_MEMBER, request, '拒绝');
      const renewed = sentTo(USER).at(-1)!;
      expect(renewed.payload.text).toMatch(/乙律师事务所/);
      expect(sentTo(USER).at(-2)!.payload.text).toMatch(/甲律师事务所暂时无法接手/);
      expect(sentTo(AGENCY_B.id)).toHaveLength(0); // the new agency waits for the new consent
      await press(USER, USER, renewed, '同意转介');
      expect(sentTo(AGENCY_B.id)).toHaveLength(1);
      // The old notice's buttons name the first agency: pressing them changes nothing.
      await press(USER, USER, first, '同意转介');
      expect(sentTo(AGENCY_B.id)).toHaveLength(1);
    });

    it('/privacy lists open cases with a withdraw button; withdrawing tells the agency', async () => {
      await say('专利侵权想找律师起诉');
      await press(USER, USER, sentTo(USER).at(-1)!, '转人工');
      await press(USER, USER, sentTo(USER).at(-1)!, '同意转介');
      await say('/privacy');
      const privacy = sentTo(USER).at(-1)!;
      expect(privacy.payload.text).toMatch(/隐私说明[\s\S]*进行中的转介案件/);
      await press(USER, USER, privacy, '撤回 1');
      expect(sentTo(USER).at(-1)!.payload.text).toContain('已通知机构删除您的联系方式');
      expect(sentTo(AGENCY_A.id).at(-1)!.payload.text).toContain('用户已撤回转介');
      expect(await count(handle.db, 'cases', "status = 'cancelled'")).toBe(1);
    });
  });
});
