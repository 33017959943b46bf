/**
 * The Telegram channel (grammY). Translates only:
 * - in: an Update becomes an IncomingMessage (a question, or a reply to one of the bot's messages) or an
 *   Interaction (a command, a button press), stored with `inbox.accept()` before Telegram is acknowledged.
 *   What they mean is decided in src/interactions/ and the answer path, never here.
 * - out: an OutgoingReply becomes one or more `sendMessage` calls (HTML, split at 4096 characters, citations,
 *   👍/👎/转人工 or the notice's own buttons on the last message), or an edit of an earlier message's buttons.
 *
 * Forum topics: the topic id travels in `replyTo` as `<message_id>:<message_thread_id>` (chatId stays the
 * plain Telegram chat id, as logged), and topics are separate conversations: `telegram:<chat>:<topic>`.
 */
import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler, type APIThrottlerOptions } from '@grammyjs/transformer-throttler';
import type { FastifyInstance } from 'fastify';
import { Bot, GrammyError, InlineKeyboard, webhookCallback, type Context } from 'grammy';
import type { Message, Update, UserFromGetMe } from 'grammy/types';
import type { ChannelState } from '../channel-supervisor.js';
import type { ChannelPlugin } from './contract.js';
import { deadline } from '../deadline.js';
import { DeliveryError } from '../queue/delivery-error.js';
import type { Inbox } from '../queue/inbox.js';
import type { DeliveryProgress, DeliveryReceipt, Deliverer, Envelope, IncomingMessage, Interaction, OutgoingReply, ReplyButton } from '../types.js';
import { commandAction, packAction, unpackAction } from './action-codec.js';
import { isParseError, renderReply, type RenderedMessage } from './telegram-format.js';
import { updateProblem } from './telegram-update.js';

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
  /** getMe, setMyCommands and deleteWebhook at start give up after this long (the start is then retried). */
  startTimeoutMs?: number;
  log?: ChannelLog;
}

/** What the channel writes to: the inbox, for messages and interactions alike. */
export interface TelegramServices {
  inbox: Pick<Inbox, 'accept'>;
}

/** A decoded update: what to store in the inbox, or nothing (ignored). */
export type Decoded = IncomingMessage | Interaction;

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
  const event: Envelope = {
    channel: 'telegram',
    botId: String(me.id),
    eventId: String(update.update_id),
    chatId: String(msg.chat.id),
    userId: String(msg.from.id),
    conversationId: thread === undefined ? `telegram:${msg.chat.id}` : `telegram:${msg.chat.id}:${thread}`,
    replyTo: thread === undefined ? String(msg.message_id) : `${msg.message_id}:${thread}`,
  };
  const quoted = msg.reply_to_message && msg.reply_to_message.from?.id === me.id ? String(msg.reply_to_message.message_id) : undefined;
  const question = (q: string): Decoded => ({ ...event, messageId: `${msg.chat.id}:${msg.message_id}`, text: q.trim(), ...(quoted ? { quoted } : {}) });
  const interaction = (action: Interaction['action']): Decoded => ({ ...event, action });

  const first = entities[0];
  if (first?.type === 'bot_command' && first.offset === 0) {
    const [, name = '', target] = /^\/([A-Za-z0-9_]+)(?:@(\w+))?$/.exec(text.slice(0, first.length)) ?? [];
    if (target && target.toLowerCase() !== me.username.toLowerCase()) return undefined; // another bot's
    const rest = text.slice(first.length).trim();
    const command = name.toLowerCase();
    if (command === 'ask') return rest ? question(stripMentions(rest, msg, me, first.length)) : interaction({ type: 'command', command: 'ask_usage' });
    const action = commandAction(command);
    if (action) return interaction(action);
    return isPrivate || target ? interaction({ type: 'command', command: 'help' }) : undefined;
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

/** 👍/👎/转人工 under an answer (callback data `fb:1:<uuid>`, `fb:-1:<uuid>`, `hu:<uuid>`); without 转人工 once it was used. */
export function feedbackKeyboard(consultationId: string, withReferral = true): InlineKeyboard {
  const keyboard = new InlineKeyboard().text('👍 有帮助', `fb:1:${consultationId}`).text('👎 没帮助', `fb:-1:${consultationId}`);
  return withReferral ? keyboard.text('转人工', `hu:${consultationId}`) : keyboard;
}

/** A notice's own buttons (consent, district, rating, accept/decline), one keyboard row per row. */
export function actionKeyboard(rows: ReplyButton[][]): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const row of rows) {
    for (const button of row) {
      const data = packAction(button.action);
      if (data) keyboard.text(button.label, data);
    }
    keyboard.row();
  }
  return keyboard;
}

/** What the toast says right away; the effect follows from the inbox. */
function toastFor(action: Interaction['action']): string {
  if (action.type === 'feedback') return action.rating === 1 ? '感谢您的肯定！' : '感谢反馈，我们会改进。';
  if (action.type === 'refer') return '正在为您办理转人工…';
  return '已收到。';
}

/** Maps a Bot API failure to what the sender should do with the outbox row. */
export function toDeliveryError(error: unknown): unknown {
  if (!(error instanceof GrammyError)) return error; // network, timeout: retry with back-off
  const message = `Telegram ${error.method}: ${error.error_code} ${error.description}`;
  if (error.error_code === 429) return new DeliveryError(message, { retryAfterMs: (error.parameters.retry_after ?? 1) * 1000, cause: error });
  // 400 (chat not found, bad request) and 403 (blocked, kicked): the same request cannot succeed later.
  if (error.error_code === 400 || error.error_code === 403) return new DeliveryError(message, { permanent: true, cause: error });
  return error;
}

export class TelegramChannel implements ChannelPlugin {
  readonly name = 'telegram';
  readonly bot: Bot;
  readonly deliverer: Deliverer;
  private services?: TelegramServices;
  private readonly log: ChannelLog;
  private readonly options: TelegramOptions;
  /** Parts of a split reply already sent, so that a retry continues instead of starting over. */
  private readonly progress = new Map<number, number>();
  private poller?: { abort: AbortController; done: Promise<void> };
  /** Cancels a start in progress when the channel is stopped. */
  private stopping = new AbortController();

  constructor(options: TelegramOptions) {
    this.options = options;
    this.log = options.log ?? SILENT;
    // Every call ends by this timeout (grammY's default is 500 s): the long poll's own timeout plus a margin.
    const timeoutSeconds = (options.pollTimeoutSeconds ?? 30) + 15;
    this.bot = new Bot(options.token, { botInfo: options.botInfo, client: { timeoutSeconds, ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}) } });
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
    this.deliverer = { channel: 'telegram', send: (reply, progress) => this.send(reply, progress) };
  }

  /** Gives the channel the stores it writes to; required before updates arrive. */
  connect(services: TelegramServices): void {
    this.services = services;
  }

  /** The service's ChannelPlugin: in webhook mode, adds the route (refused without a secret). */
  register(app: FastifyInstance, inbox: Inbox): void {
    this.connect({ inbox });
    if (this.options.mode === 'webhook') registerTelegramWebhook(app, this, this.options.webhookSecret ?? '');
  }

  /**
   * The service's ChannelPlugin: reads getMe and registers the commands; in polling mode, starts polling.
   * Throws when Telegram cannot be reached within `startTimeoutMs` (the service retries); `report` hears
   * of polling failures and recoveries afterwards.
   */
  async start(inbox: Inbox, report: (state: ChannelState) => void = () => {}): Promise<void> {
    this.connect({ inbox });
    if (this.options.mode === 'webhook') {
      await this.init();
      this.log.info({}, 'telegram webhook at POST /webhooks/telegram; register it with setWebhook(url, { secret_token }) from the public address');
    } else {
      await this.startPolling(10, report);
    }
  }

  /** Reads getMe (once), registers the commands and explains privacy mode when it hides group messages. */
  async init(): Promise<UserFromGetMe> {
    const { signal, clear } = this.startDeadline();
    try {
      // getMe directly rather than bot.init(), which retries a network error by itself until the signal ends.
      if (!this.bot.isInited()) this.bot.botInfo = await this.bot.api.getMe(apiSignal(signal));
      await this.bot.api.setMyCommands(TELEGRAM_COMMANDS, undefined, apiSignal(signal));
    } finally {
      clear();
    }
    const me = this.bot.botInfo;
    this.log.info({ username: me.username, id: me.id }, 'telegram bot ready');
    if (!me.can_read_all_group_messages) {
      this.log.warn(
        { username: me.username },
        `Telegram privacy mode is on: in groups the bot receives only /commands, replies to its messages and (per BotFather) @${me.username} mentions. ` +
          'That is all it answers; if mentions go unanswered, disable privacy with BotFather /setprivacy → Disable and remove and re-add the bot to each group, or make it a group admin.',
      );
    }
    return me;
  }

  /** Aborted after `startTimeoutMs` or when the channel stops. */
  private startDeadline() {
    const ms = this.options.startTimeoutMs ?? 10_000;
    return deadline(ms, `Telegram did not answer within ${ms} ms`, this.stopping.signal);
  }

  /**
   * While a generated answer is drafted: "typing…" in the chat, renewed every 4 s (Telegram shows it for
   * 5 s or until the bot's next message). Best effort: a failure only means no indicator.
   */
  drafting(question: { chatId?: string; replyTo?: string }): () => void {
    const { chatId } = question;
    if (!chatId) return () => {};
    const { threadId } = parseReplyTo(question.replyTo);
    const type = () =>
      void this.bot.api
        .sendChatAction(chatId, 'typing', threadId === undefined ? undefined : { message_thread_id: threadId }, apiSignal(AbortSignal.timeout(3_000)))
        .catch((error: unknown) => this.log.warn({ err: error }, 'telegram typing action failed'));
    type();
    const timer = setInterval(type, 4_000);
    return () => clearInterval(timer);
  }

  /** Handles one update: persists it (or runs the command) and returns; throws when it could not be stored. */
  handleUpdate(update: Update): Promise<void> {
    return this.bot.handleUpdate(update);
  }

  /**
   * Long polling. An update is acknowledged (the offset moves past it) only once it was handled; one that
   * keeps failing is retried with back-off and, after `maxTries`, logged and skipped so later ones flow.
   */
  async startPolling(maxTries = 10, report: (state: ChannelState) => void = () => {}): Promise<void> {
    if (this.poller) return;
    await this.init();
    const started = this.startDeadline();
    await this.bot.api.deleteWebhook(undefined, apiSignal(started.signal)).finally(started.clear);
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
          report('ready');
        } catch (error) {
          if (abort.signal.aborted) break;
          if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 409)) {
            this.log.error({ err: error }, 'telegram polling stopped (wrong token, or another poller / a webhook is active)');
            report(`failed: polling stopped: ${error.error_code} ${error.description}`);
            break;
          }
          failures++;
          report(`failed: getUpdates: ${error instanceof Error ? error.message.slice(0, 120) : String(error)}`);
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
    this.stopping.abort();
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
    if (decoded) await this.need().inbox.accept(decoded);
  }

  /**
   * A button press is stored like a message (its update id is the dedupe key) and answered with a toast at
   * once; what it does happens from the inbox, in chat order. A press that cannot be stored answers 500, so
   * Telegram delivers it again.
   */
  private async onCallback(ctx: Context): Promise<void> {
    const query = ctx.callbackQuery!;
    const action = unpackAction(query.data ?? '');
    const message = query.message;
    let text = '这个按钮已失效。';
    try {
      if (action && message) {
        const thread = 'is_topic_message' in message && message.is_topic_message ? message.message_thread_id : undefined;
        await this.need().inbox.accept({
          channel: 'telegram',
          botId: String(ctx.me.id),
          eventId: String(ctx.update.update_id),
          chatId: String(message.chat.id),
          userId: String(query.from.id),
          conversationId: thread === undefined ? `telegram:${message.chat.id}` : `telegram:${message.chat.id}:${thread}`,
          replyTo: thread === undefined ? String(message.message_id) : `${message.message_id}:${thread}`,
          messageId: String(message.message_id),
          action,
        });
        text = toastFor(action);
      }
    } catch (error) {
      text = '暂时无法处理，请稍后再试。';
      throw error;
    } finally {
      await ctx.answerCallbackQuery({ text, show_alert: false }).catch((error: unknown) => this.log.warn({ err: error }, 'answerCallbackQuery failed'));
    }
  }

  /**
   * Posts the reply's messages after those already posted: by this process (`progress`, for a retry after an
   * error) or by one that died (`reply.partsSent`, stored after each message but the last). Telegram has no
   * idempotency key, so a crash re-posts at most the one message that was in flight.
   */
  private async send(reply: OutgoingReply, stored?: DeliveryProgress): Promise<DeliveryReceipt | void> {
    const signal = AbortSignal.timeout(this.options.sendTimeoutMs ?? 25_000);
    if (reply.kind === 'card_update') return this.updateButtons(reply, signal);
    const messages = renderReply(reply.text, reply.citations);
    const { messageId, threadId } = parseReplyTo(reply.replyTo);
    const keyboard = reply.consultationId ? feedbackKeyboard(reply.consultationId) : reply.buttons?.length ? actionKeyboard(reply.buttons) : undefined;
    let sent: number | undefined;
    try {
      for (let i = Math.max(this.progress.get(reply.id) ?? 0, reply.partsSent ?? 0); i < messages.length; i++) {
        const last = i === messages.length - 1;
        sent = await this.sendOne(reply.chatId, messages[i]!, {
          message_thread_id: threadId,
          reply_parameters: i === 0 && messageId !== undefined ? { message_id: messageId, allow_sending_without_reply: true } : undefined,
          reply_markup: last ? keyboard : undefined,
          link_preview_options: { is_disabled: true },
        }, signal);
        this.progress.set(reply.id, i + 1);
        if (!last) await stored?.partSent(i + 1);
      }
      this.progress.delete(reply.id);
      return sent === undefined ? undefined : { messageId: String(sent) };
    } catch (error) {
      const mapped = toDeliveryError(error);
      if (mapped instanceof DeliveryError && mapped.permanent) this.progress.delete(reply.id);
      if (this.progress.size > 10_000) this.progress.clear(); // rows buried by the sender never come back
      throw mapped;
    }
  }

  /** Sends one message as HTML; if Telegram cannot parse it, the same text goes out plain. Returns its message_id. */
  private async sendOne(chatId: string, message: RenderedMessage, other: Parameters<Bot['api']['sendMessage']>[2], signal: AbortSignal): Promise<number> {
    try {
      return (await this.bot.api.sendMessage(chatId, message.html, { ...other, parse_mode: 'HTML' }, apiSignal(signal))).message_id;
    } catch (error) {
      if (!(error instanceof GrammyError && error.error_code === 400 && isParseError(error.description))) throw error;
      this.log.warn({ chatId, description: error.description }, 'telegram refused the HTML; sending plain text');
      return (await this.bot.api.sendMessage(chatId, message.plain, other, apiSignal(signal))).message_id;
    }
  }

  /** After 转人工 was used: the answer keeps 👍/👎 and loses the 转人工 button. A message already edited is fine. */
  private async updateButtons(reply: OutgoingReply, signal: AbortSignal): Promise<void> {
    const target = Number(reply.target);
    if (!Number.isInteger(target) || !reply.consultationId) return;
    try {
      await this.bot.api.editMessageReplyMarkup(reply.chatId, target, { reply_markup: feedbackKeyboard(reply.consultationId, false) }, apiSignal(signal));
    } catch (error) {
      if (error instanceof GrammyError && error.error_code === 400 && /not modified/i.test(error.description)) return;
      throw toDeliveryError(error);
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
  const expected = Buffer.from(secret);
  app.post('/webhooks/telegram', (request, reply) => {
    // Checked here as well as by grammY, so that a wrong secret gets its 401 at once even while getMe is
    // still pending (grammY would wait for it first).
    const given = Buffer.from(String(request.headers['x-telegram-bot-api-secret-token'] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.code(401).send({ error: 'unauthorized', message: 'secret token is wrong' });
    const problem = updateProblem(request.body);
    if (problem) return reply.code(400).send({ error: 'input_invalid', message: `not a Telegram update: ${problem}` });
    // Until the bot knows who it is (getMe), updates cannot be read; Telegram delivers them again later.
    if (!channel.bot.isInited()) return reply.code(503).header('retry-after', '10').send({ error: 'unavailable', message: 'the Telegram channel is still connecting' });
    return handle(request, reply);
  });
}
