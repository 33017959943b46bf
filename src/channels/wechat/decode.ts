/**
 * What the WeChat channel stores for each entry `kf/sync_msg` returns: a customer's text becomes a question,
 * a command word (转人工, 隐私, 删除我的记录, 帮助 or the slash commands) an interaction, a menu click the
 * action its menu id packs; anything else a customer sends (a picture, a voice message) an empty message,
 * which the worker answers with why it cannot be read. Servicers' messages and system events are not ours.
 *
 * A customer is a chat of their own (their external_userid), one conversation per account and customer.
 */
import type { InboxItem } from '../../queue/inbox.js';
import type { InteractionAction } from '../../types.js';
import { commandAction, parseTextCommand, unpackAction } from '../action-codec.js';
import type { KfMessage } from './api.js';

/** `origin` of a message the customer sent (3), as opposed to a system event (4) or a servicer (5). */
const FROM_CUSTOMER = 3;

/** Words a WeChat user types instead of slash commands (there is no command menu in 微信客服). */
const WORDS: Record<string, InteractionAction> = {
  转人工: { type: 'refer' },
  人工: { type: 'refer' },
  人工客服: { type: 'refer' },
  隐私: { type: 'command', command: 'privacy' },
  隐私说明: { type: 'command', command: 'privacy' },
  删除我的记录: { type: 'command', command: 'forget' },
  帮助: { type: 'command', command: 'help' },
};

/** The conversation of one customer with one account: follow-ups are read with its history. */
export const conversationOf = (openKfId: string, externalUserId: string) => `wechat:${openKfId}:${externalUserId}`;

export function fromKfMessage(message: KfMessage, openKfId: string): InboxItem | undefined {
  const user = message.external_userid;
  if (message.origin !== FROM_CUSTOMER || !user || (message.open_kfid && message.open_kfid !== openKfId)) return undefined;
  const envelope = { channel: 'wechat' as const, botId: openKfId, eventId: message.msgid, chatId: user, userId: user, conversationId: conversationOf(openKfId, user), messageId: message.msgid };
  if (message.msgtype !== 'text') return { ...envelope, text: '', raw: { msgtype: message.msgtype } };
  const text = (message.text?.content ?? '').trim();
  const clicked = message.text?.menu_id ? unpackAction(message.text.menu_id) : undefined;
  if (clicked) return { ...envelope, action: clicked };
  const word = WORDS[text.replace(/[\s。！!？?]+$/u, '')];
  if (word) return { ...envelope, action: word };
  const command = parseTextCommand(text);
  if (command && command.command !== 'ask') return { ...envelope, action: commandAction(command.command) ?? { type: 'command', command: 'help' } };
  return { ...envelope, text: command?.command === 'ask' ? command.rest : text };
}
