/**
 * The WeChat channel: WeCom 微信客服, through which any WeChat user chats one to one with the service from a
 * link or QR code. Translating only:
 * - in: a verified callback (`kf_msg_or_event`, which names no message) is stored in the inbox as a row of
 *   the channel's own before WeCom gets its 200; when the worker reaches that row the channel reads the
 *   messages (`kf/sync_msg`, src/channels/wechat/pull.ts) and stores each as a question or an interaction;
 * - out: an OutgoingReply becomes at most as many `kf/send_msg` calls as WeCom still allows for the
 *   customer (5 per customer message, within 48 hours): text of at most 2 048 bytes, buttons as menus.
 *
 * Exactly once: a callback is stored under its Token (a redelivery is dropped), messages under their msgid,
 * and the read cursor moves in the transaction that stores them. Each message sent carries a msgid derived
 * from its outbox row and part, and the sender records the parts already posted, so a retry after a crash
 * posts only what is missing. A send WeCom refuses until the customer writes again is given up, not retried,
 * and queued again when they do (src/queue/outbox.ts `reviveIn`).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Inbox, InboxJob } from '../../queue/inbox.js';
import { DeliveryError } from '../../queue/delivery-error.js';
import type { DeliveryProgress, DeliveryReceipt, Deliverer, OutgoingReply, SendLimit } from '../../types.js';
import type { ChannelContext, ChannelPlugin } from '../contract.js';
import { WAITS_FOR_CUSTOMER, WecomApi, toDeliveryError, type KfMessage } from './api.js';
import { renderForWechat } from './format.js';
import { pullMessages } from './pull.js';
import { SendQuota } from './quota.js';
import { registerWechatWebhook } from './webhook.js';

export interface WechatOptions {
  corpId: string;
  secret: string;
  token: string;
  encodingAesKey: string;
  openKfId: string;
  apiRoot: string;
  /** Timeout of every API request (ms). */
  timeoutMs?: number;
  /** Accepted clock difference of a callback's timestamp. */
  maxSkewMs?: number;
  /** Calls to one API per minute for the corp (WeCom allows 2 000), across every instance on one Postgres. */
  callsPerMinute?: number;
}

/** Inbox rows the channel stores for itself (one per callback) sit in this chat of the account. */
const CALLBACK_CHAT = 'kf-callbacks';
const DEFAULT_CALLS_PER_MINUTE = 2_000;

/** The msgid of one message of a reply: stable across retries, unique per account, ≤ 32 bytes of [0-9a-zA-Z_-]. */
export function partMsgid(reply: Pick<OutgoingReply, 'id' | 'chatId'>, part: number): string {
  // The row id alone could repeat across databases (staging and production sharing one account).
  const where = createHash('sha256').update(reply.chatId).digest('hex').slice(0, 8);
  return `ipcb${reply.id}_${part}_${where}`.slice(0, 32);
}

/** The outbox row a msgid of ours was made from (`partMsgid`), or undefined for another sender's. */
export function outboxIdOfMsgid(msgid: string): number | undefined {
  const m = /^ipcb(\d+)_\d+_[0-9a-f]{1,8}$/.exec(msgid);
  return m ? Number(m[1]) : undefined;
}

export class WechatChannel implements ChannelPlugin, Deliverer {
  readonly name = 'wechat';
  readonly channel = 'wechat' as const;
  readonly api: WecomApi;
  private context?: ChannelContext;
  private quota?: SendQuota;
  private log: (level: 'info' | 'warn' | 'error', details: object, message: string) => void = (level, details, message) => console.error(level, message, details);

  constructor(readonly options: WechatOptions) {
    this.api = new WecomApi({ apiRoot: options.apiRoot, corpId: options.corpId, secret: options.secret, timeoutMs: options.timeoutMs });
  }

  get deliverer(): Deliverer {
    return this;
  }

  /** Adds `GET|POST /webhooks/wechat`; the context gives the channel its cursor and quota tables. */
  async register(app: FastifyInstance, inbox: Inbox, context: ChannelContext): Promise<void> {
    this.context = context;
    this.quota = new SendQuota(context.db, this.options.openKfId);
    this.log = (level, details, message) => app.log[level]({ channel: 'wechat', ...details }, message);
    await registerWechatWebhook(app, {
      keys: { token: this.options.token, encodingAesKey: this.options.encodingAesKey, corpId: this.options.corpId },
      maxSkewMs: this.options.maxSkewMs,
      accept: (fields) => this.onCallback(inbox, fields),
    });
  }

  /** Stores a `kf_msg_or_event` callback for the worker to read its messages; other callbacks are not ours. */
  private async onCallback(inbox: Inbox, fields: Record<string, string>): Promise<void> {
    if (fields.MsgType !== 'event' || fields.Event !== 'kf_msg_or_event' || !fields.Token) return;
    const openKfId = fields.OpenKfId || this.options.openKfId;
    if (openKfId !== this.options.openKfId) {
      this.log('warn', { openKfId }, 'wechat callback for another customer-service account ignored');
      return;
    }
    const fresh = await inbox.accept({
      channel: 'wechat',
      botId: openKfId,
      // WeCom repeats a callback it got no answer to with the same Token: one row, however often it comes.
      eventId: `callback:${createHash('sha256').update(fields.Token).digest('hex').slice(0, 32)}`,
      chatId: CALLBACK_CHAT,
      userId: 'wecom',
      conversationId: `wechat:${openKfId}:${CALLBACK_CHAT}`,
      text: '',
      raw: { token: fields.Token },
    });
    if (fresh) this.context?.wakeWorker();
  }

  /** Works a callback row: reads the messages it announces and completes the row with the last page. */
  async handleInbound(job: InboxJob): Promise<boolean> {
    if (job.channel !== 'wechat' || job.chatId !== CALLBACK_CHAT) return false;
    const context = this.requireContext();
    const token = typeof (job.raw as { token?: unknown } | undefined)?.token === 'string' ? (job.raw as { token: string }).token : undefined;
    // Callbacks stored before this read began announce messages WeCom already had: the read stores them too,
    // so their rows are done with this one instead of each reading again (a burst costs one read, not one each).
    const chat = { channel: 'wechat' as const, botId: job.botId, chatId: CALLBACK_CHAT };
    const covered = (await context.inbox.lastOpenIdOfChat(chat)) ?? job.id;
    const stored = await pullMessages(
      { db: context.db, inbox: context.inbox, outbox: context.outbox, api: this.api, quota: this.quota!, openKfId: job.botId, onSendFailed: (m) => this.onSendFailed(m) },
      token,
      async (tx) => {
        await context.inbox.completeIn(tx, job.id);
        await context.inbox.completeQueuedOfChatIn(tx, chat, covered, `read with callback row ${job.id}`);
      },
    );
    if (stored) context.wakeWorker();
    return true;
  }

  /**
   * WeCom accepted a send and delivered it later, or not: `msg_send_fail` (the customer refused messages,
   * the session ended). The reply's outbox row is marked dead with WeCom's reason, so it shows as failed.
   */
  private async onSendFailed(message: KfMessage): Promise<void> {
    const failMsgid = message.event?.fail_msgid ?? '';
    const failType = message.event?.fail_type;
    this.log('warn', { failMsgid, failType }, 'wechat: WeCom could not deliver a message it had accepted');
    const id = outboxIdOfMsgid(failMsgid);
    if (id !== undefined) await this.requireContext().outbox.markUndelivered(id, 'wechat', `wecom reported it undelivered after the send (msg_send_fail, fail_type ${failType ?? '?'})`);
  }

  private requireContext(): ChannelContext {
    if (!this.context || !this.quota) throw new Error('WechatChannel: register() first');
    return this.context;
  }

  /** WeCom's frequency limit is per corp and API: one key for kf/send_msg, shared across instances. */
  sendLimits(): SendLimit[] {
    return [{ key: `wechat:send_msg:${this.options.corpId}`, limit: this.options.callsPerMinute ?? DEFAULT_CALLS_PER_MINUTE, windowMs: 60_000 }];
  }

  /** Deliverer: posts one outbox row as at most the messages WeCom still allows for the customer. */
  async send(reply: OutgoingReply, progress?: DeliveryProgress): Promise<DeliveryReceipt | void> {
    // WeChat messages cannot be edited (a card update has nothing to change), and the callback rows' chat is
    // no customer (an apology for a callback that could not be read has no one to go to).
    if (reply.kind === 'card_update' || reply.chatId === CALLBACK_CHAT) return;
    this.requireContext();
    const budget = await this.quota!.reserve(reply.chatId, reply.id, (allowed) => renderForWechat(reply, allowed).length);
    if (budget === undefined) throw new DeliveryError(`${WAITS_FOR_CUSTOMER}: no message of theirs in the last 48 hours, or its 5 messages are used`, { permanent: true });
    const messages = renderForWechat(reply, budget);
    let last: string | undefined;
    for (let i = reply.partsSent ?? 0; i < messages.length; i++) {
      try {
        last = await this.api.sendMsg({ toUser: reply.chatId, openKfId: reply.botId, msgid: partMsgid(reply, i), message: messages[i]! });
      } catch (error) {
        throw toDeliveryError(error);
      }
      if (i < messages.length - 1) await progress?.partSent(i + 1);
    }
    return last ? { messageId: last } : undefined;
  }
}
