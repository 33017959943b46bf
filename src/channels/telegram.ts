/**
 * The Telegram channel (grammY). Translates only:
 * - in: an Update becomes an IncomingMessage for `inbox.accept()` (questions), a chat command for
 *   `ChatCommands` (fixed replies, /forget, /human), or a button press for the feedback / referral store.
 *   Webhook and poller persist and acknowledge; answers come later from the queue.
 * - out: an OutgoingReply becomes one or more `sendMessage` calls (HTML, split at 4096 characters, citations,
 *   👍/👎/转人工 buttons on the last message).
 *
 * Forum topics: the topic id travels in `replyTo` as `<message_id>:<message_thread_id>` (chatId stays the
 * plain Telegram chat id, as logged), and topics are separate conversations: `telegram:<chat>:<topic>`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler, type APIThrottlerOptions } from '@grammyjs/transformer-throttler';
import type { FastifyInstance } from 'fastify';
import { Bot, GrammyError, InlineKeyboard, webhookCallback, type Context } from 'grammy';
import type { Message, Update, UserFromGetMe } from 'grammy/types';
import { AppError } from '../errors.js';
import { DeliveryError } from '../queue/delivery-error.js';
import type { Inbox } from '../queue/inbox.js';
import type { ConsultationStore } from '../store/consultations.js';
import type { ReferralStore } from '../store/referrals.js';
import type { Deliverer, IncomingMessage, OutgoingReply } from '../types.js';
import { ASK_USAGE, type ChatCommand, type ChatCommands, type CommandEvent } from './chat-commands.js';
import { isParseError, renderReply, type RenderedMessage } from './telegram-format.js';

/** The commands registered with setMyCommands, with their Chinese descriptions. */
export const TELEGRAM_COMMANDS: { command: string; description: string }[] = [
  { command: 'ask', description: '提问（群聊中使用：/ask 问题）' },
  { command: 'human', description: '申请转人工（知识产权服务机构）' },
  { command: 'forget', description: '删除我的咨询记录' },
  { command: 'privacy', description: '隐私说明：保存什么、保存多久、如何撤回同意' },
  { command: 'help', description: '使用说明' },
  { command: 'start', description: '开始使用' },
];

/** Only these update types are asked for; edits, reactions and the rest are not questions. */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** pino-compatible logging. */
export interface ChannelLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface TelegramOptions {
  token: string;
  /** Long polling (default) or `POST /webhooks/telegram`, which requires `webhookSecret`. */
  mode?: 'polling' | 'webhook';
  webhookSecret?: string;
  /** Self-hosted Bot API server or a test fake, without a trailing slash. */
  apiRoot?: string;
  /** Skips getMe (tests); otherwise `init()` reads it. */
  botInfo?: UserFromGetMe;
  /** Outbound limits; the plugin's defaults are Telegram's (1/s per chat, 20/min per group, 30/s). `false` turns them off (tests). */
  throttle?: APIThrottlerOptions | false;
  /**
   * A 429 whose retry_after is at most this many seconds is waited out in process (auto-retry); a longer
   * one fails the send with `DeliveryError.retryAfterMs`, and the outbox row waits in the database instead.
   */
  maxInlineRetrySeconds?: number;
  /** A send (throttler queue included) that takes longer is abandoned and retried by the sender. */
  sendTimeoutMs?: number;
  /** Long-polling timeout of getUpdates. */
  pollTimeoutSeconds?: number;
  log?: ChannelLog;
}

/** What the channel writes to: the inbox for questions, commands and the stores for buttons. */
export interface TelegramServices {
  inbox: Inbox;
  commands: ChatCommands;
  store: ConsultationStore;
  referrals: ReferralStore;
}

/** A decoded update: a question to queue, a command to run, fixed text to reply, or nothing (ignored). */
export type Decoded =
  | { kind: 'question'; message: IncomingMessage }
  | { kind: 'command'; command: ChatCommand; event: CommandEvent }
  | { kind: 'reply'; text: string; event: CommandEvent };

const COMMANDS: readonly ChatCommand[] = ['start', 'help', 'privacy', 'forget', 'human'];
const SILENT: ChannelLog = { info() {}, warn() {}, error() {} };
/** grammY types its signal parameter with the abort-controller shim; Node's AbortSignal is what it uses. */
type ApiSignal = Parameters<Bot['api']['getUpdates']>[1];
const apiSignal = (signal: AbortSignal) => signal as unknown as ApiSignal;

/**
 * Decodes a message update. Private chats: every text is a question. Groups: only a mention of the bot by
 * username, a reply to the bot or `/ask …` (and the bot's own commands) count; anything else is undefined.
 */
export function fromTelegramUpdate(update: Update, me: UserFromGetMe): Decoded | undefined {
  const msg = update.message;
  if (!msg?.from || msg.from.is_bot) return undefined;
  const text = msg.text ?? msg.caption ?? '';
  const entities = msg.entities ?? msg.caption_entities ?? [];
  const isPrivate = msg.chat.type === 'private';
  const thread = msg.is_topic_message ? msg.message_thread_id : undefined;
  const event: CommandEvent = {
    channel: 'telegram',
    botId: String(me.id),
    eventId: String(update.update_id),
    chatId: String(msg.chat.id),
    userId: String(msg.from.id),
    conversationId: thread === undefined ? `telegram:${msg.chat.id}` : `telegram:${msg.chat.id}:${thread}`,
    replyTo: thread === undefined ? String(msg.message_id) : `${msg.message_id}:${thread}`,
  };
  const question = (q: string): Decoded => ({ kind: 'question', message: { ...event, messageId: `${msg.chat.id}:${msg.message_id}`, text: q.trim() } });

  const first = entities[0];
  if (first?.type === 'bot_command' && first.offset === 0) {
    const [, name = '', target] = /^\/([A-Za-z0-9_]+)(?:@(\w+))?$/.exec(text.slice(0, first.length)) ?? [];
    if (target && target.toLowerCase() !== me.username.toLowerCase()) return undefined; // another bot's
    const rest = text.slice(first.length).trim();
    const command = name.toLowerCase();
    if (command === 'ask') return rest ? question(stripMentions(rest, msg, me, first.length)) : { kind: 'reply', text: ASK_USAGE, event };
    if ((COMMANDS as readonly string[]).includes(command)) return { kind: 'command', command: command as ChatCommand, event };
    return isPrivate || target ? { kind: 'command', command: 'help', event } : undefined;
  }
  if (isPrivate) return question(text);
  const mentioned = entities.some(
    (e) => (e.type === 'mention' && text.slice(e.offset, e.offset + e.length).toLowerCase() === `@${me.username.toLowerCase()}`) || (e.type === 'text_mention' && e.user.id === me.id),
  );
  if (!mentioned && !repliesToBot(msg, me)) return undefined;
  return question(stripMentions(text, msg, me, 0));
}

/** A reply to one of the bot's messages (in a forum topic every message "replies" to the topic's first one). */
function repliesToBot(msg: Message, me: UserFromGetMe): boolean {
  const target = msg.reply_to_message;
  if (!target || target.from?.id !== me.id) return false;
  return !(msg.is_topic_message && target.message_id === msg.message_thread_id);
}

/** `text` (which starts at `offset` in the message) without the @mentions of the bot. */
function stripMentions(text: string, msg: Message, me: UserFromGetMe, offset: number): string {
  const full = msg.text ?? msg.caption ?? '';
  const entities = (msg.entities ?? msg.caption_entities ?? []).filter(
    (e) => (e.type === 'mention' && full.slice(e.offset, e.offset + e.length).toLowerCase() === `@${me.username.toLowerCase()}`) || (e.type === 'text_mention' && e.user.id === me.id),
  );
  let result = full;
  for (const e of [...entities].sort((a, b) => b.offset - a.offset)) result = result.slice(0, e.offset) + ' ' + result.slice(e.offset + e.length);
  const tail = result.slice(offset).replace(/\s+/g, ' ').trim();
  return tail || text.trim();
}

/** Splits `replyTo` back into the message to quote and the forum topic. */
export function parseReplyTo(replyTo: string | undefined): { messageId?: number; threadId?: number } {
  const [m, t] = (replyTo ?? '').split(':');
  const num = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : undefined);
  return { messageId: num(m), threadId: num(t) };
}

/** Callback data (≤ 64 bytes): `fb:1:<uuid>`, `fb:-1:<uuid>`, `hu:<uuid>` (41 bytes at most). */
export function feedbackKeyboard(consultationId: string): InlineKeyboard {
  return new InlineKeyboard().text('👍', `fb:1:${consultationId}`).text('👎', `fb:-1:${consultationId}`).text('转人工', `hu:${consultationId}`);
}

const CALLBACK = /^(?:fb:(1|-1)|hu):([0-9a-f-]{36})$/i;

/** Maps a Bot API failure to what the sender should do with the outbox row. */
export function toDeliveryError(error: unknown): unknown {
  if (!(error instanceof GrammyError)) return error; // network, timeout: retry with back-off
  const message = `Telegram ${error.method}: ${error.error_code} ${error.description}`;
  if (error.error_code === 429) return new DeliveryError(message, { retryAfterMs: (error.parameters.retry_after ?? 1) * 1000, cause: error });
  // 400 (chat not found, bad request) and 403 (blocked, kicked): the same request cannot succeed later.
  if (error.error_code === 400 || error.error_code === 403) return new DeliveryError(message, { permanent: true, cause: error });
  return error;
}

export class TelegramChannel {
  readonly bot: Bot;
  readonly deliverer: Deliverer;
  private services?: TelegramServices;
  private readonly log: ChannelLog;
  private readonly options: TelegramOptions;
  /** Parts of a split reply already sent, so that a retry continues instead of starting over. */
  private readonly progress = new Map<number, number>();
  private poller?: { abort: AbortController; done: Promise<void> };

  constructor(options: TelegramOptions) {
    this.options = options;
    this.log = options.log ?? SILENT;
    this.bot = new Bot(options.token, { botInfo: options.botInfo, client: options.apiRoot ? { apiRoot: options.apiRoot } : undefined });
    if (options.throttle !== false) this.bot.api.config.use(apiThrottler(options.throttle ?? {}));
    // Installed last, so it runs outermost: a waited-out 429 goes through the throttler again.
    this.bot.api.config.use(
      autoRetry({
        maxDelaySeconds: options.maxInlineRetrySeconds ?? 5,
        maxRetryAttempts: 2,
        // Network errors and 5xx go back to the outbox, whose back-off is durable and bounded.
        rethrowHttpErrors: true,
        rethrowInternalServerErrors: true,
      }),
    );
    this.bot.on('callback_query:data', (ctx) => this.onCallback(ctx));
    this.bot.on('message', (ctx) => this.onMessage(ctx));
    this.deliverer = { channel: 'telegram', send: (reply) => this.send(reply) };
  }

  /** Gives the channel the stores it writes to; required before updates arrive. */
  connect(services: TelegramServices): void {
    this.services = services;
  }

  /** The service's ChannelPlugin: in webhook mode, adds the route (refused without a secret). */
  register(app: FastifyInstance, inbox: Inbox, stores: Omit<TelegramServices, 'inbox'>): void {
    this.connect({ inbox, ...stores });
    if (this.options.mode === 'webhook') registerTelegramWebhook(app, this, this.options.webhookSecret ?? '');
  }

  /** The service's ChannelPlugin: reads getMe and registers the commands; in polling mode, starts polling. */
  async start(inbox: Inbox, stores: Omit<TelegramServices, 'inbox'>): Promise<void> {
    this.connect({ inbox, ...stores });
    if (this.options.mode === 'webhook') {
      await this.init();
      this.log.info({}, 'telegram webhook at POST /webhooks/telegram; register it with setWebhook(url, { secret_token }) from the public address');
    } else {
      await this.startPolling();
    }
  }

  /** Reads getMe (once), registers the commands and explains privacy mode when it hides group messages. */
  async init(): Promise<UserFromGetMe> {
    await this.bot.init();
    const me = this.bot.botInfo;
    this.log.info({ username: me.username, id: me.id }, 'telegram bot ready');
    if (!me.can_read_all_group_messages) {
      this.log.warn(
        { username: me.username },
        `Telegram privacy mode is on: in groups the bot receives only /commands, replies to its messages and (per BotFather) @${me.username} mentions. ` +
          'That is all it answers; if mentions go unanswered, disable privacy with BotFather /setprivacy → Disable and remove and re-add the bot to each group, or make it a group admin.',
      );
    }
    await this.bot.api.setMyCommands(TELEGRAM_COMMANDS);
    return me;
  }

  /** Handles one update: persists it (or runs the command) and returns; throws when it could not be stored. */
  handleUpdate(update: Update): Promise<void> {
    return this.bot.handleUpdate(update);
  }

  /**
   * Long polling. An update is acknowledged (the offset moves past it) only once it was handled; one that
   * keeps failing is retried with back-off and, after `maxTries`, logged and skipped so later ones flow.
   */
  async startPolling(maxTries = 10): Promise<void> {
    if (this.poller) return;
    await this.init();
    await this.bot.api.deleteWebhook();
    const abort = new AbortController();
    const timeout = this.options.pollTimeoutSeconds ?? 30;
    const pause = (ms: number) => sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);
    const done = (async () => {
      let offset = 0;
      let failures = 0;
      while (!abort.signal.aborted) {
        let updates: Update[];
        try {
          updates = await this.bot.api.getUpdates({ offset, timeout, allowed_updates: [...ALLOWED_UPDATES] }, apiSignal(abort.signal));
          failures = 0;
        } catch (error) {
          if (abort.signal.aborted) break;
          if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 409)) {
            this.log.error({ err: error }, 'telegram polling stopped (wrong token, or another poller / a webhook is active)');
            break;
          }
          failures++;
          this.log.warn({ err: error }, 'telegram getUpdates failed; retrying');
          await pause(Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)));
          continue;
        }
        for (const update of updates) {
          for (let attempt = 1; !abort.signal.aborted; attempt++) {
            try {
              await this.handleUpdate(update);
              break;
            } catch (error) {
              this.log.error({ err: error, updateId: update.update_id, attempt }, 'telegram update not stored');
              if (attempt >= maxTries) break;
              await pause(Math.min(30_000, 250 * 2 ** attempt));
            }
          }
          if (abort.signal.aborted) return; // not acknowledged: redelivered after a restart, deduplicated then
          offset = update.update_id + 1;
        }
      }
    })();
    this.poller = { abort, done };
  }

  /** Stops polling (the pending getUpdates is cancelled; unacknowledged updates come again next time). */
  async stop(): Promise<void> {
    const poller = this.poller;
    this.poller = undefined;
    if (!poller) return;
    poller.abort.abort();
    await poller.done;
  }

  private need(): TelegramServices {
    if (!this.services) throw new Error('TelegramChannel.connect() was not called');
    return this.services;
  }

  private async onMessage(ctx: Context): Promise<void> {
    const decoded = fromTelegramUpdate(ctx.update, ctx.me);
    if (!decoded) return;
    const services = this.need();
    if (decoded.kind === 'question') await services.inbox.accept(decoded.message);
    else if (decoded.kind === 'command') await services.commands.run(decoded.event, decoded.command);
    else await services.commands.reply(decoded.event, decoded.text);
  }

  /** Button presses: 👍/👎 store feedback, 转人工 records a referral request (the asker only). Always answered. */
  private async onCallback(ctx: Context): Promise<void> {
    const query = ctx.callbackQuery!;
    const match = CALLBACK.exec(query.data ?? '');
    let text = '这个按钮已失效。';
    try {
      if (match) text = await this.pressed(match[1], match[2]!, String(query.from.id));
    } catch (error) {
      const gone = error instanceof AppError && error.code === 'input_invalid';
      text = gone ? '这条回答已不存在（可能已被删除）。' : '暂时无法处理，请稍后再试。';
      if (!gone) throw error; // not stored: the webhook answers 500 and Telegram delivers the press again
    } finally {
      await ctx.answerCallbackQuery({ text, show_alert: text.length > 40 }).catch((error: unknown) => this.log.warn({ err: error }, 'answerCallbackQuery failed'));
    }
  }

  private async pressed(rating: string | undefined, consultationId: string, userId: string): Promise<string> {
    const services = this.need();
    if (rating) {
      await services.store.feedback(consultationId, userId, rating === '1' ? 1 : -1);
      return rating === '1' ? '感谢您的肯定！' : '感谢反馈，我们会改进。';
    }
    const consultation = await services.store.get(consultationId);
    if (!consultation || consultation.channel !== 'telegram') return '这条回答已不存在（可能已被删除）。';
    if (consultation.userId !== userId) return '只有提问的人可以为这个问题申请转人工。';
    const request = await services.referrals.request(consultation.id, consultation.topics[0]);
    return request.created
      ? '已记录您的转人工申请。在把您的问题交给知识产权服务机构之前，我们会告知具体机构、用途和所提供的信息，并征得您的同意。'
      : '这个问题的转人工申请已经记录过了。';
  }

  private async send(reply: OutgoingReply): Promise<void> {
    const messages = renderReply(reply.text, reply.citations);
    const { messageId, threadId } = parseReplyTo(reply.replyTo);
    const signal = AbortSignal.timeout(this.options.sendTimeoutMs ?? 25_000);
    try {
      for (let i = this.progress.get(reply.id) ?? 0; i < messages.length; i++) {
        const last = i === messages.length - 1;
        await this.sendOne(reply.chatId, messages[i]!, {
          message_thread_id: threadId,
          reply_parameters: i === 0 && messageId !== undefined ? { message_id: messageId, allow_sending_without_reply: true } : undefined,
          reply_markup: last && reply.consultationId ? feedbackKeyboard(reply.consultationId) : undefined,
          link_preview_options: { is_disabled: true },
        }, signal);
        this.progress.set(reply.id, i + 1);
      }
      this.progress.delete(reply.id);
    } catch (error) {
      const mapped = toDeliveryError(error);
      if (mapped instanceof DeliveryError && mapped.permanent) this.progress.delete(reply.id);
      if (this.progress.size > 10_000) this.progress.clear(); // rows buried by the sender never come back
      throw mapped;
    }
  }

  /** Sends one message as HTML; if Telegram cannot parse it, the same text goes out plain. */
  private async sendOne(chatId: string, message: RenderedMessage, other: Parameters<Bot['api']['sendMessage']>[2], signal: AbortSignal): Promise<void> {
    try {
      await this.bot.api.sendMessage(chatId, message.html, { ...other, parse_mode: 'HTML' }, apiSignal(signal));
    } catch (error) {
      if (!(error instanceof GrammyError && error.error_code === 400 && isParseError(error.description))) throw error;
      this.log.warn({ chatId, description: error.description }, 'telegram refused the HTML; sending plain text');
      await this.bot.api.sendMessage(chatId, message.plain, other, apiSignal(signal));
    }
  }
}

/**
 * `POST /webhooks/telegram`: grammY checks `X-Telegram-Bot-Api-Secret-Token` in constant time (401 on a
 * wrong or missing one, before anything is stored), then the update is persisted and 200 returned. A
 * storage failure becomes a 500, so Telegram delivers the update again. Refuses to register without a secret.
 */
export function registerTelegramWebhook(app: FastifyInstance, channel: TelegramChannel, secret: string): void {
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(secret)) throw new Error('registerTelegramWebhook: a secret of 1–256 characters [A-Za-z0-9_-] is required');
  const handle = webhookCallback(channel.bot, 'fastify', { secretToken: secret });
  app.post('/webhooks/telegram', (request, reply) => handle(request, reply));
}
