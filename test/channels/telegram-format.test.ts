/** The pure parts of the Telegram channel: rendering, splitting, decoding updates, error mapping. */
import { GrammyError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { fromTelegramUpdate, parseReplyTo, toDeliveryError } from '../../src/channels/telegram.js';
import { escapeHtml, renderReply, splitPlainText } from '../../src/channels/telegram-format.js';
import { DeliveryError } from '../../src/queue/delivery-error.js';
import type { Citation } from '../../src/types.js';
import { BOT_USER, parseHtml, updates } from '../fakes/telegram-api.js';

const GROUP = { id: -1001, type: 'supergroup' as const };
const citation = (title: string): Citation => ({ documentId: 'd', title, section: '七、<推动>', article: '七', excerpt: '…', score: 1, docNumber: '淄市〔2023〕130号' });

describe('telegram rendering', () => {
  it('escapes every piece of text and keeps the markup parseable', () => {
    const [m] = renderReply('A<b>&', [citation('《T&C》<i>')]);
    expect(m!.html).toBe(`${escapeHtml('A<b>&')}\n\n<b>依据</b>\n${escapeHtml('1. 《《T&C》<i>》七、<推动>（淄市〔2023〕130号）')}`);
    expect(parseHtml(m!.html)).toEqual({ text: m!.plain });
  });

  it('splits on paragraph boundaries, never inside a surrogate pair, and loses nothing', () => {
    const text = `${'字'.repeat(4095)}😀${'字'.repeat(10)}`;
    const parts = splitPlainText(text);
    expect(parts.join('')).toBe(text);
    expect(parts[0]).toHaveLength(4095);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(splitPlainText(`${'a'.repeat(3000)}\n\n${'b'.repeat(3000)}`).map((p) => p.trim().length)).toEqual([3000, 3000]);
  });

  it('measures after parsing: 4096 ampersands make one message', () => {
    const messages = renderReply('&'.repeat(4096), []);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.html).toHaveLength(4096 * 5);
  });
});

describe('telegram updates', () => {
  const me = { ...BOT_USER };

  it('ignores commands for other bots, other people\'s mentions and bots', () => {
    expect(fromTelegramUpdate(updates.text(GROUP, 7, '/ask@other_bot 商标') as never, me)).toBeUndefined();
    expect(fromTelegramUpdate(updates.text(GROUP, 7, '@someone 商标') as never, me)).toBeUndefined();
    expect(fromTelegramUpdate(updates.text(GROUP, 7, '/frobnicate') as never, me)).toBeUndefined();
    const fromBot = updates.text({ id: 5, type: 'private' }, 7, '你好');
    (fromBot.message.from as { is_bot: boolean }).is_bot = true;
    expect(fromTelegramUpdate(fromBot as never, me)).toBeUndefined();
  });

  it('takes the mention out of the question and keys events by update id', () => {
    const u = updates.text(GROUP, 7, `商标 @${me.username.toUpperCase()} 被抢注了怎么办？`);
    const decoded = fromTelegramUpdate(u as never, me);
    expect(decoded).toMatchObject({ text: '商标 被抢注了怎么办？', eventId: String(u.update_id), botId: String(me.id), chatId: String(GROUP.id), userId: '7' });
  });

  it('recognises a text_mention of the bot and turns unknown commands in private chats into help', () => {
    const u = updates.text(GROUP, 7, 'IP 咨询 专利导航是什么', { entities: [{ type: 'text_mention', offset: 0, length: 5, user: BOT_USER }] });
    expect(fromTelegramUpdate(u as never, me)).toMatchObject({ text: '专利导航是什么' });
    expect(fromTelegramUpdate(updates.text({ id: 5, type: 'private' }, 5, '/frobnicate') as never, me)).toMatchObject({ action: { type: 'command', command: 'help' } });
    expect(fromTelegramUpdate(updates.text({ id: 5, type: 'private' }, 5, '/human') as never, me)).toMatchObject({ action: { type: 'refer' } });
  });

  it('round-trips the topic through replyTo', () => {
    expect(parseReplyTo('12:77')).toEqual({ messageId: 12, threadId: 77 });
    expect(parseReplyTo('12')).toEqual({ messageId: 12, threadId: undefined });
    expect(parseReplyTo(undefined)).toEqual({ messageId: undefined, threadId: undefined });
  });

  it('maps Bot API errors to what the sender should do', () => {
    const err = (code: number, parameters = {}) => new GrammyError('x', { ok: false, error_code: code, description: 'd', parameters }, 'sendMessage', {});
    expect(toDeliveryError(err(429, { retry_after: 30 }))).toMatchObject({ retryAfterMs: 30_000, permanent: false });
    expect(toDeliveryError(err(403))).toMatchObject({ permanent: true });
    const server = err(502);
    expect(toDeliveryError(server)).toBe(server);
    expect(toDeliveryError(server)).not.toBeInstanceOf(DeliveryError);
  });
});
