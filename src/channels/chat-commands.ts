/**
 * What the chat commands do, whichever platform they came from: /start, /help, /privacy answer with fixed
 * text; /forget deletes the user's history; /human records a referral request for the user's last question.
 * Each runs once per platform event: the dedupe key, the effect and the reply's outbox row commit together,
 * so a redelivered command neither repeats its effect nor its reply. Replies leave through the sender.
 */
import type { Outbox } from '../queue/outbox.js';
import type { ConsultationStore } from '../store/consultations.js';
import type { Database } from '../store/db.js';
import { ReferralStore } from '../store/referrals.js';
import type { Consultation, IncomingMessage } from '../types.js';

export type ChatCommand = 'start' | 'help' | 'privacy' | 'forget' | 'human';

/** Where a command came from and where its reply goes: an IncomingMessage without its text. */
export type CommandEvent = Pick<IncomingMessage, 'channel' | 'botId' | 'eventId' | 'chatId' | 'userId' | 'conversationId' | 'replyTo'>;

export interface ChatCommandDeps {
  db: Database;
  store: ConsultationStore;
  outbox: Outbox;
  /** Told after a reply was queued, so the sender can run at once. */
  onQueued?: () => void;
}

export const HELP_TEXT = [
  '您好！我是知识产权政策咨询助手，根据已收录的政策文件回答企业知识产权问题，并注明出处（文件和条款）。',
  '',
  '用法：',
  '• 私聊：直接发送问题。',
  '• 群聊：@我 提问、回复我的消息，或发送 /ask 问题。',
  '',
  '命令：',
  '/ask 问题 — 提问',
  '/human — 申请转人工（知识产权服务机构）',
  '/forget — 删除我的咨询记录',
  '/privacy — 隐私说明',
  '/help — 显示本说明',
  '',
  '回答仅供参考，不构成法律意见。',
].join('\n');

export const PRIVACY_TEXT = [
  '隐私说明',
  '• 保存的内容：您的问题和回答（手机号、身份证号、邮箱、银行卡号等会先打码）、引用的条款、您的平台用户 ID 和会话 ID、您对回答的评价。',
  '• 用途：回答追问、改进回答质量、供主管部门审阅咨询记录。',
  '• 保存期限：到期自动删除（默认 180 天）。',
  '• 转人工：只有在您另行同意、并告知具体机构、用途和所提供的信息后，才会把您的问题交给知识产权服务机构。',
  '• 撤回同意：发送 /forget 即删除您在本平台的全部咨询记录和评价；之后您也可随时停止使用。',
].join('\n');

export const ASK_USAGE = '请在 /ask 后面写上您的问题，例如：/ask 知识产权质押融资有哪些支持政策？';

export class ChatCommands {
  constructor(private readonly deps: ChatCommandDeps) {}

  /** Runs `command` for `event` unless that event was seen before; true when it ran now. */
  async run(event: CommandEvent, command: ChatCommand): Promise<boolean> {
    // Read before the transaction: PGlite has one connection, which the transaction holds.
    const last = command === 'human' ? (await this.deps.store.history(event.conversationId, event.userId, 1))[0] : undefined;
    return this.once(event, (tx) => this.effect(tx, event, command, last));
  }

  /** Replies with fixed text once per event (e.g. `/ask` without a question). */
  reply(event: CommandEvent, text: string): Promise<boolean> {
    return this.once(event, async () => text);
  }

  private async once(event: CommandEvent, produce: (tx: Database) => Promise<string>): Promise<boolean> {
    const ran = await this.deps.db.transaction(async (tx) => {
      if (!(await this.deps.store.markEventProcessed(event.channel, event.botId, event.eventId, tx))) return false;
      const text = await produce(tx);
      await this.deps.outbox.enqueueIn(tx, { channel: event.channel, botId: event.botId, chatId: event.chatId, replyTo: event.replyTo, payload: { text, citations: [] } });
      return true;
    });
    if (ran) this.deps.onQueued?.();
    return ran;
  }

  /** What the command does inside the transaction; returns the reply. */
  private async effect(tx: Database, event: CommandEvent, command: ChatCommand, last?: Consultation): Promise<string> {
    switch (command) {
      case 'start':
      case 'help':
        return HELP_TEXT;
      case 'privacy':
        return PRIVACY_TEXT;
      case 'forget': {
        const n = await this.deps.store.forgetUser(event.channel, event.userId, tx);
        return n ? `已删除您的 ${n} 条咨询记录及相关评价。之后的提问将不再参考以前的对话。` : '没有您的咨询记录需要删除。';
      }
      case 'human': {
        if (!last) return '请先提出您的问题，再发送 /human 申请转人工。';
        const request = await new ReferralStore(tx).request(last.id, last.topics[0]);
        return request.created
          ? `已记录您的转人工申请（问题：“${last.question.slice(0, 60)}”）。在把您的问题交给知识产权服务机构之前，我们会告知具体机构、用途和所提供的信息，并征得您的同意。`
          : '您对这个问题的转人工申请已经记录过了，请耐心等待。';
      }
    }
  }
}
