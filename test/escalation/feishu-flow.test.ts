/**
 * A referral end to end in Feishu: the real Lark SDK against the fake open API (which refuses bot messages
 * carrying a phone number or an e-mail address with 230028, like Feishu's content audit), the real queue and
 * store on PGlite and Postgres. The agency works in its own Feishu group: card buttons, and answers by
 * replying to the bot's card. Its contact details reach the user in a form Feishu accepts.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FEISHU_WEBHOOK_PATH, type FeishuChannel } from '../../src/channels/feishu.js';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import { FakeFeishuApi, type PostedMessage } from '../fakes/feishu-api.js';
import { buttonValue, cardActionEvent, channelFor, drainQueue, messageEvent, signed, type SignedRequest } from '../channels/feishu-fixtures.js';
import { count, queueParts } from '../queue/fixtures.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { FEISHU_AGENCY_CHAT, registryOf } from './fixtures.js';

const USER_CHAT = 'oc_chat_p2p_alice';
const LAWYER = 'ou_lawyer_li';

describe.each(storeTargets())('referral in Feishu on $name', (target) => {
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
      const registry = registryOf([{ id: 'feishu-firm', name: '丙律师事务所', services: ['litigation'], contact: '丙所 0533-3333333', channel: { type: 'feishu', chatId: FEISHU_AGENCY_CHAT } }]);
      parts = await queueParts(handle.db, undefined, { registry });
      channel = channelFor(api);
      app = Fastify({ logger: false });
      await channel.register(app, parts.inbox);
      await app.ready();
    }, 60_000);
    afterEach(async () => {
      await app.close();
      await handle.close();
    }, 60_000);

    const post = async (request: SignedRequest) => {
      const res = await app.inject({ method: 'POST', url: FEISHU_WEBHOOK_PATH, headers: request.headers, payload: request.body });
      expect(res.statusCode).toBe(200);
      await drain();
      return res;
    };
    const drain = () => drainQueue(parts, channel);
    const postedTo = (chat: string) => api.posted.filter((m) => m.chatId === chat || (m.replyTo && api.posted.some((q) => q.messageId === m.replyTo && q.chatId === chat)) || (chat === USER_CHAT && m.replyTo?.startsWith('om_q_')));
    const last = (predicate: (m: PostedMessage) => boolean) => [...api.posted].reverse().find(predicate)!;

    it('refers with consent; the agency accepts, answers with its phone and e-mail, closes; the user rates', async () => {
      await post(signed(messageEvent({ text: '我们的外观设计专利被仿冒了，想找律师起诉' })));
      const answer = api.posted[0]!;
      await post(signed(cardActionEvent(buttonValue(answer, '转人工'), { messageId: answer.messageId })));
      const notice = last((m) => m.text.includes('转介前需要您的单独同意'));
      expect(notice.text).toMatch(/丙律师事务所[\s\S]*用途[\s\S]*提供的信息/);
      expect(api.posted.filter((m) => m.chatId === FEISHU_AGENCY_CHAT)).toHaveLength(0);
      expect(api.patches[0]!.messageId).toBe(answer.messageId); // the answer card shows the referral, through the outbox

      await post(signed(messageEvent({ text: '联系方式 13900139000' })));
      await post(signed(cardActionEvent(buttonValue(notice, '同意转介'), { messageId: notice.messageId })));
      const request = last((m) => m.chatId === FEISHU_AGENCY_CHAT);
      expect(request.text).toMatch(/新转介案件[\s\S]*外观设计|专利/);
      expect(request.text).toContain('139 0013 9000'); // the consented contact, legible and not refused by the audit
      expect(parts.errors).toEqual([]);

      await post(signed(cardActionEvent(buttonValue(request, '接受'), { chatId: FEISHU_AGENCY_CHAT, openId: LAWYER, messageId: request.messageId })));
      await post(signed(cardActionEvent(buttonValue(request, '接受'), { chatId: FEISHU_AGENCY_CHAT, openId: LAWYER, messageId: request.messageId })));
      expect(await count(handle.db, 'case_events', "type = 'accepted'")).toBe(1);
      expect(last((m) => m.text.includes('已接受您的案件')).text).toContain('丙所 0533-3333333');
      const acceptedNote = last((m) => m.chatId === FEISHU_AGENCY_CHAT);

      // The agency replies to the bot's card (with an @mention, as Feishu groups require) with contact details.
      const botMention = [{ key: '@_user_1', openId: api.botOpenId, name: 'IP 咨询' }];
      await post(signed(messageEvent({ chatType: 'group', chatId: FEISHU_AGENCY_CHAT, openId: LAWYER, parentId: acceptedNote.messageId, mentions: botMention, text: '@_user_1 您好，请致电 13800138000 或发邮件至 lawyer@example.com，我们帮您准备起诉材料。' })));
      const relayed = last((m) => m.text.includes('【丙律师事务所答复】'));
      expect(relayed.text).toContain('138 0013 8000');
      expect(relayed.text).toContain('lawyer [at] example.com');
      expect(await count(handle.db, 'outbox', "status = 'dead'")).toBe(0); // nothing refused with 230028

      await post(signed(cardActionEvent(buttonValue(acceptedNote, '结案'), { chatId: FEISHU_AGENCY_CHAT, openId: LAWYER, messageId: acceptedNote.messageId })));
      const closed = last((m) => m.text.includes('已办结您的案件'));
      await post(signed(cardActionEvent(buttonValue(closed, '已解决'), { messageId: closed.messageId })));
      const ask = last((m) => m.text.includes('请为这次服务打分'));
      await post(signed(cardActionEvent(buttonValue(ask, '4 分'), { messageId: ask.messageId })));
      const [stored] = await queryRows<{ status: string; rating: number; resolved: boolean }>(handle.db, sql`select status, rating, resolved from cases`);
      expect(stored).toEqual({ status: 'completed', rating: 4, resolved: true });
      void postedTo;
    });

    it('gets the same commands as Telegram: /help, /human, /privacy, /forget', async () => {
      await post(signed(messageEvent({ text: '/help' })));
      expect(api.posted.at(-1)!.text).toContain('/human');
      await post(signed(messageEvent({ text: '/human' })));
      expect(api.posted.at(-1)!.text).toContain('请先提出您的问题');
      await post(signed(messageEvent({ text: '商标侵权，想找律师维权' })));
      await post(signed(messageEvent({ text: '/human' })));
      expect(api.posted.at(-1)!.text).toContain('转介前需要您的单独同意');
      await post(signed(messageEvent({ text: '/privacy' })));
      expect(api.posted.at(-1)!.text).toMatch(/隐私说明[\s\S]*进行中的转介案件/);
      await post(signed(messageEvent({ text: '/forget' })));
      expect(api.posted.at(-1)!.text).toMatch(/已删除您的 1 条[\s\S]*已撤回 1 个/);
      expect(await count(handle.db, 'cases', "status = 'cancelled'")).toBe(1);
    });
  });
});
