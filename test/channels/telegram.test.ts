/**
 * The Telegram channel end to end: the real grammY client against a fake Bot API on 127.0.0.1, the real
 * queue (worker + sender) and the real store on PGlite, and on Postgres when TEST_DATABASE_URL is set.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import { TelegramChannel } from '../../src/channels/telegram.js';
import { BOT_TOKEN, BOT_USER, FakeTelegramApi, updates } from '../fakes/telegram-api.js';
import { count, settled as waitSettled, sleep } from '../queue/fixtures.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { deliverOne } from '../../src/queue/sender.js';
import { FAST_POLICY, SECRET, telegramRig } from './telegram-fixtures.js';

const PRIVATE = { id: 42, type: 'private' as const };
const GROUP = { id: -100500, type: 'supergroup' as const };
const QUESTION = '知识产权保险有哪些?';

describe.each(storeTargets())('telegram channel on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 60_000 }, () => {
    let handle: DatabaseHandle;
    let fake: FakeTelegramApi;
    let rig: Awaited<ReturnType<typeof telegramRig>>;

    beforeAll(() => target.setup(), 60_000);
    afterAll(() => target.teardown(), 60_000);
    beforeEach(async () => {
      handle = await target.fresh();
      fake = await new FakeTelegramApi().start();
      rig = await telegramRig(handle.db, fake);
    }, 60_000);
    afterEach(async () => {
      await rig.close();
      await fake.close();
      await handle.close();
    }, 60_000);

    const settled = () => waitSettled(handle.db);

    it('answers a private question with citations, buttons and a consultation-log entry', async () => {
      rig.run();
      const update = updates.text(PRIVATE, 42, QUESTION);
      const res = await rig.post(update);
      expect(res.statusCode).toBe(200);
      await fake.waitFor(() => fake.sent('sendMessage', 42).length === 1);
      const [call] = fake.sent('sendMessage', 42);
      expect(call!.payload.parse_mode).toBe('HTML');
      expect(call!.payload.text).toMatch(/<b>依据<\/b>\n1\. 《[^\n]+》/);
      expect(call!.payload.reply_parameters).toEqual({ message_id: update.message.message_id, allow_sending_without_reply: true });
      const buttons = call!.payload.reply_markup.inline_keyboard.flat() as { text: string; callback_data: string }[];
      expect(buttons.map((b) => b.text)).toEqual(['👍 有帮助', '👎 没帮助', '转人工']);
      for (const b of buttons) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
      const [logged] = (await rig.store.list()).items;
      expect(logged).toMatchObject({ channel: 'telegram', chatId: '42', userId: '42', conversationId: 'telegram:42', messageId: `42:${update.message.message_id}`, outcome: 'answered' });
      expect(buttons[0]!.callback_data).toBe(`fb:1:${logged!.id}`);
    });

    it('stays silent in a group unless mentioned, replied to or asked with /ask, and then replies to the asker', async () => {
      rig.run();
      await rig.post(updates.text(GROUP, 7, QUESTION));
      await rig.post(updates.text(GROUP, 7, `${QUESTION} @someone_else`));
      expect(await count(handle.db, 'inbox')).toBe(0);

      const mention = updates.text(GROUP, 7, `@${BOT_USER.username} ${QUESTION}`);
      const reply = updates.text(GROUP, 8, '商标被抢注了怎么办？', { reply_to_message: { message_id: 1, date: 0, chat: GROUP, from: BOT_USER, text: '…' } });
      const ask = updates.text(GROUP, 9, `/ask@${BOT_USER.username} 专利导航是什么?`);
      for (const u of [mention, reply, ask]) expect((await rig.post(u)).statusCode).toBe(200);
      await fake.waitFor(() => fake.sent('sendMessage', GROUP.id).length === 3);
      await settled();
      expect(fake.sent('sendMessage', GROUP.id).map((c) => c.payload.reply_parameters.message_id)).toEqual([mention, reply, ask].map((u) => u.message.message_id));
      const rows = await queryRows<{ user_id: string; question: string; conversation_id: string }>(handle.db, sql`select user_id, question, conversation_id from consultations order by seq`);
      expect(rows).toEqual([
        { user_id: '7', question: QUESTION, conversation_id: `telegram:${GROUP.id}` },
        { user_id: '8', question: '商标被抢注了怎么办？', conversation_id: `telegram:${GROUP.id}` },
        { user_id: '9', question: '专利导航是什么?', conversation_id: `telegram:${GROUP.id}` },
      ]);
    });

    it('replies in the same forum topic, which is its own conversation', async () => {
      rig.run();
      const u = updates.text(GROUP, 7, `@${BOT_USER.username} ${QUESTION}`, {
        is_topic_message: true,
        message_thread_id: 77,
        reply_to_message: { message_id: 77, date: 0, chat: GROUP, from: { id: 1, is_bot: false, first_name: 'admin' }, forum_topic_created: { name: '专利', icon_color: 1 } },
      });
      await rig.post(u);
      await fake.waitFor(() => fake.sent('sendMessage', GROUP.id).length === 1);
      expect(fake.sent('sendMessage', GROUP.id)[0]!.payload).toMatchObject({ message_thread_id: 77, reply_parameters: { message_id: u.message.message_id } });
      expect((await rig.store.list()).items[0]!.conversationId).toBe(`telegram:${GROUP.id}:77`);
    });

    it('answers an update delivered 30 times in sequence, 30 times at once and again after a restart exactly once', async () => {
      const update = updates.text(PRIVATE, 42, QUESTION);
      for (let i = 0; i < 30; i++) expect((await rig.post(update)).statusCode).toBe(200);
      const concurrent = await Promise.all(Array.from({ length: 30 }, () => rig.post(update)));
      expect(concurrent.every((r) => r.statusCode === 200)).toBe(true);
      // A restart: a new channel, worker and sender over the same database, and Telegram still redelivering.
      await rig.close();
      rig = await telegramRig(handle.db, fake);
      rig.run();
      for (let i = 0; i < 5; i++) await rig.post(update);
      await fake.waitFor(() => fake.sent('sendMessage', 42).length >= 1);
      await settled();
      await sleep(100);
      expect(fake.sent('sendMessage', 42)).toHaveLength(1);
      expect(await count(handle.db, 'inbox')).toBe(1);
      expect(await count(handle.db, 'consultations')).toBe(1);
    });

    it('refuses a webhook without the right secret with 401 and records nothing', async () => {
      const update = updates.text(PRIVATE, 42, QUESTION);
      for (const secret of [null, 'wrong', `${SECRET.slice(0, -1)}X`]) {
        const res = await rig.post(update, secret);
        expect(res.statusCode).toBe(401);
      }
      expect(await count(handle.db, 'inbox')).toBe(0);
      expect(await count(handle.db, 'processed_events')).toBe(0);
    });

    it('stores 👍 and 👎 through the inbox, lets only the asker open a case, and answers every callback at once', async () => {
      rig.run();
      await rig.post(updates.text(PRIVATE, 42, QUESTION));
      await fake.waitFor(() => fake.sent('sendMessage', 42).length === 1);
      const [c] = (await rig.store.list()).items;
      for (const u of [updates.callback(42, 42, `fb:1:${c!.id}`), updates.callback(42, 43, `fb:-1:${c!.id}`), updates.callback(42, 43, `hu:${c!.id}`), updates.callback(42, 42, `hu:${c!.id}`), updates.callback(42, 42, 'garbage')]) {
        expect((await rig.post(u)).statusCode).toBe(200);
      }
      await settled();
      const ratings = await queryRows<{ user_id: string; rating: number }>(handle.db, sql`select user_id, rating from feedback order by user_id`);
      expect(ratings).toEqual([{ user_id: '42', rating: 1 }, { user_id: '43', rating: -1 }]);
      expect(await count(handle.db, 'cases')).toBe(1);
      expect(await count(handle.db, 'inbox', "kind = 'interaction'")).toBe(4);
      const answers = fake.sent('answerCallbackQuery').map((call) => call.payload.text as string);
      expect(answers).toHaveLength(5);
      expect(answers[3]).toMatch(/转人工/);
      expect(answers[4]).toMatch(/失效/);
      const texts = fake.sent('sendMessage', 42).map((call) => call.payload.text as string);
      expect(texts.some((t) => t.includes('只有提问人本人可以为这个问题申请转人工'))).toBe(true);
      // The answer keeps 👍/👎 and loses 转人工 once it was used.
      const [edit] = fake.sent('editMessageReplyMarkup');
      expect(edit!.payload.reply_markup.inline_keyboard.flat().map((b: { text: string }) => b.text)).toEqual(['👍 有帮助', '👎 没帮助']);
    });

    it('runs /start, /privacy, /human and /forget once each, with their replies in order', async () => {
      rig.run();
      await rig.post(updates.text(PRIVATE, 42, QUESTION));
      await fake.waitFor(() => fake.sent('sendMessage', 42).length === 1);
      const start = updates.text(PRIVATE, 42, '/start');
      await rig.post(start);
      await rig.post(start); // redelivered: no second reply
      await rig.post(updates.text(PRIVATE, 42, '/privacy'));
      await rig.post(updates.text(PRIVATE, 42, '/human'));
      await rig.post(updates.text(PRIVATE, 42, '/forget'));
      await rig.post(updates.text(PRIVATE, 42, '/ask'));
      await fake.waitFor(() => fake.sent('sendMessage', 42).length === 6);
      await settled();
      const texts = fake.sent('sendMessage', 42).map((call) => call.payload.text as string);
      expect(texts.slice(1).map((t) => t.slice(0, 12))).toEqual([
        expect.stringMatching(/^您好/),
        expect.stringMatching(/^隐私说明/),
        expect.stringMatching(/^暂时没有能接手/), // 保险: no test agency offers it, so the staff queue
        expect.stringMatching(/^已删除您的 1 条/),
        expect.stringMatching(/^请在 \/ask/),
      ]);
      expect(texts[4]).toContain('已撤回 1 个进行中的转介');
      expect(await count(handle.db, 'consultations')).toBe(0);
      // The case is not deleted with the consultation: withdrawn, detached, its events kept.
      expect(await count(handle.db, 'cases', "status = 'cancelled' and consultation_id is null")).toBe(1);
      expect(await count(handle.db, 'case_events', "type = 'withdrawn'")).toBe(1);
    });

    it('splits a 10 000-character answer into messages of at most 4096 characters, escaped, buttons on the last', async () => {
      const body = Array.from({ length: 50 }, (_, i) => `第${i}段：A<B & C>D，` + '知识产权'.repeat(46)).join('\n\n');
      expect(body.length).toBeGreaterThan(10_000);
      await rig.channel.deliverer.send({ id: 1, channel: 'telegram', botId: String(BOT_USER.id), chatId: '42', replyTo: '5', text: body, citations: [], consultationId: '00000000-0000-4000-8000-000000000001', attempt: 1 });
      const calls = fake.sent('sendMessage', 42);
      expect(calls.length).toBeGreaterThanOrEqual(3);
      const shown = calls.map((c) => c.payload.text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') as string);
      for (const s of shown) expect(s.length).toBeLessThanOrEqual(4096);
      expect(shown.join('\n\n')).toBe(body);
      expect(calls[0]!.payload.reply_parameters).toBeDefined();
      expect(calls.slice(1).every((c) => c.payload.reply_parameters === undefined)).toBe(true);
      expect(calls.map((c) => Boolean(c.payload.reply_markup))).toEqual(calls.map((_, i) => i === calls.length - 1));
    });

    it('continues a split answer after a crash with the message that was in flight, not from the start', async () => {
      const body = Array.from({ length: 50 }, (_, i) => `第${i}段：` + '知识产权'.repeat(50)).join('\n\n');
      const [row] = await queryRows<{ id: number | string }>(
        handle.db,
        sql`insert into outbox (source, kind, channel, bot_id, chat_id, payload) values ('split-crash', 'answer', 'telegram', ${String(BOT_USER.id)}, '42', ${JSON.stringify({ text: body, citations: [] })}::jsonb) returning id`,
      );
      const sent = () => fake.sent('sendMessage', 42).map((c) => c.payload.text as string);
      // The process dies once the second message is posted, before that is stored (the sender's failpoint).
      let parts = 0;
      const dying = { outbox: rig.outbox, deliverers: [rig.channel.deliverer], onError: () => {}, failpoint: () => { if (++parts === 2) throw new Error('killed'); } };
      const [first] = await rig.outbox.claim(['telegram'], 1, 60_000);
      expect(first!.id).toBe(Number(row!.id));
      await deliverOne(dying, new Map([['telegram', rig.channel.deliverer]]), first!, FAST_POLICY);
      expect(sent()).toHaveLength(2);

      // The restarted process has none of the first one's memory: only what the row says.
      const restarted = new TelegramChannel({ token: BOT_TOKEN, apiRoot: fake.apiRoot, throttle: false, botInfo: BOT_USER });
      await sleep(50); // the row waits out its (short) retry delay
      const [again] = await rig.outbox.claim(['telegram'], 1, 60_000);
      expect(again!.partsSent).toBe(1);
      expect(await deliverOne({ outbox: rig.outbox, deliverers: [restarted.deliverer], onError: () => {} }, new Map([['telegram', restarted.deliverer]]), again!, FAST_POLICY)).toBe('sent');
      const texts = sent();
      const total = texts.length - 1; // the second message went out twice: Telegram has no idempotency key
      expect(texts[2]).toBe(texts[1]);
      expect(new Set(texts).size).toBe(total);
      expect(total).toBeGreaterThanOrEqual(3);
    });

    it('falls back to plain text when Telegram cannot parse the HTML', async () => {
      fake.fail('sendMessage', { error_code: 400, description: "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0" });
      await rig.channel.deliverer.send({ id: 2, channel: 'telegram', botId: '1', chatId: '42', text: '商标 <x> & 专利', citations: [], attempt: 1 });
      const [first, second] = fake.sent('sendMessage', 42);
      expect(first!.payload.parse_mode).toBe('HTML');
      expect(second!.payload).not.toHaveProperty('parse_mode');
      expect(second!.payload.text).toBe('商标 <x> & 专利');
    });

    it('waits out a short 429 in process and leaves a long one to the outbox with its retry_after', async () => {
      fake.fail('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
      await rig.channel.deliverer.send({ id: 3, channel: 'telegram', botId: '1', chatId: '42', text: '你好', citations: [], attempt: 1 });
      const [refused, accepted] = fake.sent('sendMessage', 42);
      expect(accepted!.at - refused!.at).toBeGreaterThanOrEqual(1000);

      // Longer than maxInlineRetrySeconds (5): the row waits in the database, not in the process.
      rig.run();
      fake.fail('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 120', parameters: { retry_after: 120 } });
      await rig.post(updates.text({ id: 43, type: 'private' }, 43, QUESTION));
      for (let i = 0; i < 1000 && !(await count(handle.db, 'outbox', "status = 'pending' and attempts = 1 and last_error is not null")); i++) await sleep(10);
      const [row] = await queryRows<{ wait: number | string; last_error: string }>(handle.db, sql`select extract(epoch from next_attempt_at - now()) as wait, last_error from outbox`);
      expect(Number(row!.wait)).toBeGreaterThan(110);
      expect(row!.last_error).toMatch(/429/);
      expect(fake.sent('sendMessage', 43)).toHaveLength(1); // the refused attempt only
    });

    it('maps a blocked bot to a permanent failure and keeps answering the chat afterwards', async () => {
      rig.run();
      fake.fail('sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
      await rig.post(updates.text(PRIVATE, 42, QUESTION));
      await rig.post(updates.text(PRIVATE, 42, '商标被抢注了怎么办？'));
      await fake.waitFor(() => fake.sent('sendMessage', 42).length === 2);
      await settled();
      expect(await count(handle.db, 'outbox', "status = 'dead'")).toBe(1);
      expect(await count(handle.db, 'outbox', "status = 'sent'")).toBe(1);
    });

    it('long-polls: acknowledges an update only after storing it, and answers it', async () => {
      rig.run();
      await rig.channel.startPolling();
      const u = updates.text({ id: 44, type: 'private' }, 44, QUESTION);
      fake.pushUpdate(u);
      await fake.waitFor(() => fake.sent('sendMessage', 44).length === 1);
      expect(fake.sent('deleteWebhook')).toHaveLength(1);
      await rig.channel.stop();
      expect(await count(handle.db, 'inbox')).toBe(1);
    });
  });
});

describe('telegram outbound limits', () => {
  it('spaces the parts of a long reply to one chat by the throttler (≤ 1 message per second per chat)', async () => {
    const fake = await new FakeTelegramApi().start();
    try {
      const channel = new TelegramChannel({ token: BOT_TOKEN, apiRoot: fake.apiRoot, botInfo: BOT_USER }); // default limits
      await channel.deliverer.send({ id: 1, channel: 'telegram', botId: '1', chatId: '42', text: `${'甲'.repeat(4000)}\n\n${'乙'.repeat(4000)}`, citations: [], attempt: 1 });
      const [a, b] = fake.sent('sendMessage', 42);
      // Bottleneck spaces job starts by 1000 ms; arrival adds a loopback round trip of jitter at most.
      expect(b!.at - a!.at).toBeGreaterThanOrEqual(950);
    } finally {
      await fake.close();
    }
  });
});
