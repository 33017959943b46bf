/**
 * The Feishu/Lark channel, translating only: `im.message.receive_v1` → IncomingMessage (a question, a reply
 * to a bot message) or Interaction (a text command: /help, /human, /privacy, /forget) → inbox; a card button
 * (`card.action.trigger`) → Interaction → inbox, then a toast; an OutgoingReply → `im.message.reply` with an
 * interactive card, or a PATCH of an earlier card. Events arrive over the long connection (WSClient, the default)
 * or the webhook (`registerFeishuWebhook`, which verifies every request itself); both hand the same
 * payloads to one EventDispatcher, so both paths run the same code.
 *
 * Exactly once: an event is acknowledged only after `inbox.accept()` has stored it (unique on the event id,
 * kept ≥ 24 h), so Feishu's re-pushes (15 s, 5 min, 1 h, 6 h) and replays after a reconnect are dropped;
 * each reply carries a `uuid` derived from its outbox row, so a re-send after a crash is dropped by Feishu.
 */
import { createHash } from 'node:crypto';
import * as lark from '@larksuiteoapi/node-sdk';
import type { FastifyInstance } from 'fastify';
import type { ChannelState } from '../channel-supervisor.js';
import type { ChannelPlugin } from './contract.js';
import type { Inbox, InboxItem } from '../queue/inbox.js';
import { DeliveryError } from '../queue/delivery-error.js';
import type { DeliveryReceipt, Deliverer, Interaction, OutgoingReply, SendLimit } from '../types.js';
import { commandAction, parseTextCommand } from './action-codec.js';
import { buildAnswerCard, buildNoticeCard, parseButtonValue, type CardContent } from './feishu-card.js';
import { feishuCardActionEvent, feishuMessageEvent, messageContent, parseEvent, type FeishuCardActionEvent, type FeishuMessageEvent } from './feishu-event.js';
import { createRedactingLogger, stderrSink, type LogSink } from './feishu-log.js';
import { registerFeishuWebhook } from './feishu-webhook.js';

export interface FeishuOptions {
  appId: string;
  appSecret: string;
  mode: 'ws' | 'webhook';
  /** Required in webhook mode. */
  encryptKey?: string;
  verificationToken?: string;
  /** `feishu` (open.feishu.cn), `lark` (open.larksuite.com) or a base URL without a trailing slash. */
  domain: string;
  /** Timeout of every open-API request (ms). */
  timeoutMs?: number;
  /** Messages per second to one chat (Feishu allows 5, shared by the bots in a group). */
  perChatPerSecond?: number;
  /** Messages per second for the whole app, across every instance (Feishu allows 50; FEISHU_APP_SENDS_PER_SECOND). */
  perAppPerSecond?: number;
  /** Token cache; a fresh one per client in tests (the SDK's default is process-global). */
  cache?: lark.Cache;
  /** The HTTP client underneath (tests record requests with it); the SDK's axios instance by default. */
  httpInstance?: lark.HttpInstance;
}

/** What the channel writes to: the inbox, for messages, commands and card buttons alike. */
export interface FeishuDeps {
  inbox: Pick<Inbox, 'accept'>;
}

export interface Toast {
  toast: { type: 'success' | 'info' | 'warning' | 'error'; content: string };
}

export const FEISHU_WEBHOOK_PATH = '/webhooks/feishu';
const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * Feishu counts sends per second on its side. A send leaves some milliseconds after its slot, and not always
 * the same number (event-loop and network delays), so that `limit` slots a second apart can arrive closer
 * together: the window is a tenth longer than Feishu's second (50 a second become 50 in any 1.1 s).
 */
export const FEISHU_LIMIT_WINDOW_MS = 1_100;

/** The SDK's domain for FEISHU_DOMAIN: its enum for the two public clouds, else the base URL itself. */
export function resolveFeishuDomain(domain: string): lark.Domain | string {
  if (domain === 'feishu') return lark.Domain.Feishu;
  if (domain === 'lark') return lark.Domain.Lark;
  return domain.replace(/\/+$/, '');
}

/** Idempotency key of a reply: the same for every attempt of one outbox row, at most 50 characters. */
export function replyUuid(reply: Pick<OutgoingReply, 'id' | 'chatId' | 'replyTo'>): string {
  // The row id alone could repeat across databases (staging and production sharing one app).
  const where = createHash('sha256').update(`${reply.chatId}\n${reply.replyTo ?? ''}`).digest('hex').slice(0, 16);
  return `ipcb-${reply.id}-${where}`;
}

/** Text of a text or post message with mention placeholders resolved: the bot's removed, others' named. */
export function messageText(message: NonNullable<FeishuMessageEvent['message']>, botOpenId?: string): string {
  let content: unknown;
  try {
    content = JSON.parse(message.content ?? '{}');
  } catch {
    return '';
  }
  let text = '';
  if (message.message_type === 'text') {
    const parsed = messageContent.text.safeParse(content);
    text = parsed.success ? parsed.data.text : '';
  } else if (message.message_type === 'post') {
    const parsed = messageContent.post.safeParse(content);
    const post = parsed.success ? parsed.data : {};
    const lines = (post.content ?? []).map((line) => line.map((el) => (el.tag === 'text' || el.tag === 'a' ? (el.text ?? '') : el.tag === 'at' ? (el.user_id ?? '') : '')).join(''));
    text = [post.title ?? '', ...lines].filter(Boolean).join('\n');
  }
  for (const mention of message.mentions ?? []) {
    if (!mention.key) continue;
    const name = mention.id?.open_id === botOpenId ? '' : `@${mention.name ?? ''}`;
    text = text.split(mention.key).join(name);
  }
  return text.replace(/@_user_\d+/g, '').replace(/[ \t]+/g, ' ').trim();
}

/**
 * What a message event stores: a question (with the bot message it replies to, if any) or, for `/help`,
 * `/human`, `/privacy`, `/forget`, an interaction. Undefined when the bot should stay silent: messages
 * from bots, and group messages that do not @-mention it. History is kept per user, also within a group.
 */
export function fromFeishuMessage(event: FeishuMessageEvent, context: { appId: string; botOpenId?: string }): InboxItem | undefined {
  const message = event.message;
  const sender = event.sender?.sender_id?.open_id;
  if (!message?.message_id || !message.chat_id || !event.event_id || !sender) return undefined;
  if (event.sender?.sender_type && event.sender.sender_type !== 'user') return undefined;
  if (message.chat_type !== 'p2p') {
    const mentioned = context.botOpenId !== undefined && (message.mentions ?? []).some((m) => m.id?.open_id === context.botOpenId);
    if (!mentioned) return undefined;
  }
  const envelope = { channel: 'feishu' as const, botId: context.appId, eventId: event.event_id, chatId: message.chat_id, userId: sender, conversationId: `feishu:${message.chat_id}`, replyTo: message.message_id };
  const text = messageText(message, context.botOpenId);
  const command = parseTextCommand(text);
  if (command) {
    if (command.command === 'ask') {
      if (!command.rest) return { ...envelope, action: { type: 'command', command: 'ask_usage' } };
    } else {
      return { ...envelope, action: commandAction(command.command) ?? { type: 'command', command: 'help' } };
    }
  }
  return {
    ...envelope,
    messageId: message.message_id,
    text: command?.command === 'ask' ? command.rest : text,
    ...(message.parent_id ? { quoted: message.parent_id } : {}),
    raw: { chatType: message.chat_type, messageType: message.message_type, rootId: message.root_id, threadId: message.thread_id },
  };
}

/** Feishu codes after which the same request can never succeed. */
const PERMANENT_CODES = new Set([
  230001, // invalid parameters
  230002, // the bot is not in the chat
  230028, // message rejected for containing personal information (masking should prevent it)
  99991401, // not permitted (IP allow-list)
]);
const RATE_LIMIT_CODES = new Set([99991400]);

/** A Feishu failure as the sender understands it: wait and retry, retry, or give up. */
export function toDeliveryError(error: unknown, responseCode?: number, responseMsg?: string): DeliveryError {
  const e = error as { response?: { status?: number; headers?: Record<string, unknown>; data?: { code?: unknown; msg?: unknown } }; code?: unknown; message?: string } | undefined;
  const status = e?.response?.status;
  const code = responseCode ?? (typeof e?.response?.data?.code === 'number' ? e.response.data.code : undefined);
  const msg = responseMsg ?? (typeof e?.response?.data?.msg === 'string' ? e.response.data.msg : e?.message ?? 'unknown error');
  const description = `feishu send failed${status ? ` (HTTP ${status})` : ''}${code !== undefined ? ` code ${code}` : ''}: ${msg}`;
  if (status === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code))) {
    const reset = Number(e?.response?.headers?.['x-ogw-ratelimit-reset']);
    return new DeliveryError(description, { retryAfterMs: Number.isFinite(reset) && reset > 0 ? reset * 1000 : 1_000, cause: error });
  }
  if (code !== undefined && PERMANENT_CODES.has(code)) return new DeliveryError(description, { permanent: true, cause: error });
  if (status !== undefined && status >= 400 && status < 500) return new DeliveryError(description, { permanent: true, cause: error });
  return new DeliveryError(description, { cause: error }); // 5xx, timeouts, connection errors: retry
}

/** Wraps an HTTP instance so that every request has a timeout (the SDK's default axios has none). */
export function withTimeout(base: lark.HttpInstance, timeoutMs: number): lark.HttpInstance {
  const t = <O extends { timeout?: number }>(opts?: O) => ({ ...(opts ?? {}), timeout: opts?.timeout || timeoutMs }) as O;
  return {
    request: (opts) => base.request(t(opts)),
    get: (url, opts) => base.get(url, t(opts)),
    delete: (url, opts) => base.delete(url, t(opts)),
    head: (url, opts) => base.head(url, t(opts)),
    options: (url, opts) => base.options(url, t(opts)),
    post: (url, data, opts) => base.post(url, data, t(opts)),
    put: (url, data, opts) => base.put(url, data, t(opts)),
    patch: (url, data, opts) => base.patch(url, data, t(opts)),
  };
}

interface ApiResult {
  code?: number;
  msg?: string;
  data?: { message_id?: string };
}

export class FeishuChannel implements ChannelPlugin, Deliverer {
  readonly channel = 'feishu' as const;
  readonly name = 'feishu';
  readonly client: lark.Client;
  /** Both transports feed this dispatcher; tests call `dispatcher.invoke(event, { needCheck: false })`. */
  readonly dispatcher: lark.EventDispatcher;
  private readonly sdkLogger: lark.Logger;
  private readonly httpInstance: lark.HttpInstance;
  private deps?: FeishuDeps;
  private sink: LogSink = stderrSink;
  private botOpenIdPromise?: Promise<string>;
  private ws?: lark.WSClient;

  constructor(readonly options: FeishuOptions) {
    if (options.mode === 'webhook' && (!options.encryptKey || !options.verificationToken)) {
      throw new Error('Feishu webhook mode needs FEISHU_ENCRYPT_KEY and FEISHU_VERIFICATION_TOKEN: unverified webhooks are refused');
    }
    const secrets = [options.appSecret, options.encryptKey ?? '', options.verificationToken ?? ''];
    this.sdkLogger = createRedactingLogger(() => this.sink, secrets);
    this.httpInstance = withTimeout(options.httpInstance ?? (lark.defaultHttpInstance as unknown as lark.HttpInstance), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    // LoggerLevel.fatal is 0 and the SDK falls back to info for it; warn keeps the noise down.
    const common = { appId: options.appId, appSecret: options.appSecret, domain: resolveFeishuDomain(options.domain), logger: this.sdkLogger, loggerLevel: lark.LoggerLevel.warn };
    this.client = new lark.Client({ ...common, httpInstance: this.httpInstance, ...(options.cache ? { cache: options.cache } : {}) });
    this.dispatcher = new lark.EventDispatcher({ logger: this.sdkLogger, loggerLevel: lark.LoggerLevel.warn }).register({
      'im.message.receive_v1': (data: unknown) => this.onMessage(parseEvent(feishuMessageEvent, data)),
      'card.action.trigger': (data: unknown) => this.onCardAction(parseEvent(feishuCardActionEvent, data)),
    } as lark.EventHandles);
  }

  /** The channel posts its own replies (the service's ChannelPlugin shape). */
  get deliverer(): Deliverer {
    return this;
  }

  /** Where events and card clicks are written; set by `register`/`start` or directly in tests. */
  attach(deps: FeishuDeps, sink?: LogSink): void {
    this.deps = deps;
    if (sink) this.sink = sink;
  }

  /** Webhook mode: adds `POST /webhooks/feishu` (events and card callbacks). Long-connection mode: nothing. */
  async register(app: FastifyInstance, inbox: FeishuDeps['inbox']): Promise<void> {
    this.attach({ inbox }, (level, message) => app.log[level]({ channel: 'feishu' }, message));
    if (this.options.mode !== 'webhook') return;
    await registerFeishuWebhook(app, {
      path: FEISHU_WEBHOOK_PATH,
      keys: { encryptKey: this.options.encryptKey!, verificationToken: this.options.verificationToken! },
      dispatch: (payload) => this.dispatch(payload),
    });
  }

  /**
   * Learns the bot's open_id and, in long-connection mode, opens the connection; resolves once connected and
   * throws when the open API cannot be reached (the service retries with back-off). `report` hears of the
   * long connection dropping and coming back afterwards.
   */
  async start(inbox: FeishuDeps['inbox'], report: (state: ChannelState) => void = () => {}): Promise<void> {
    this.deps ??= { inbox };
    await this.botOpenId();
    if (this.options.mode !== 'ws') return;
    this.ws?.close({ force: true });
    await new Promise<void>((resolve, reject) => {
      let connected = false;
      this.ws = new lark.WSClient({
        appId: this.options.appId,
        appSecret: this.options.appSecret,
        domain: resolveFeishuDomain(this.options.domain),
        logger: this.sdkLogger,
        loggerLevel: lark.LoggerLevel.warn,
        httpInstance: this.httpInstance,
        onReady: () => {
          connected = true;
          report('ready');
          resolve();
        },
        onReconnecting: () => report('connecting'),
        onReconnected: () => report('ready'),
        onError: (error: Error) => {
          if (!connected) reject(error);
          else report(`failed: long connection: ${error.message.slice(0, 160)}`);
        },
      });
      void this.ws.start({ eventDispatcher: this.dispatcher });
    });
  }

  async stop(): Promise<void> {
    this.ws?.close({ force: true });
    this.ws = undefined;
  }

  /**
   * While a generated answer is drafted: a 敲键盘 (Typing) reaction on the question, so that the asker sees
   * the bot is on it; removed once the draft is done (the answer follows from the outbox at once).
   * Best effort: a failure only means no indicator.
   */
  drafting(question: { messageId?: string }): () => void {
    const messageId = question.messageId;
    if (!messageId) return () => {};
    const reaction = this.client.im.messageReaction
      .create({ path: { message_id: messageId }, data: { reaction_type: { emoji_type: 'Typing' } } })
      .then((res) => (res.code === 0 ? res.data?.reaction_id : undefined))
      .catch((error: unknown) => {
        this.sink('warn', `typing reaction not added: ${describe(error)}`);
        return undefined;
      });
    return () => {
      void reaction.then((reactionId) =>
        reactionId
          ? this.client.im.messageReaction.delete({ path: { message_id: messageId, reaction_id: reactionId } }).catch(() => undefined)
          : undefined,
      );
    };
  }

  /** Runs a verified, decrypted payload through the dispatcher; the result is the HTTP/WS response body. */
  async dispatch(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result: unknown = await this.dispatcher.invoke(payload, { needCheck: false });
    return result && typeof result === 'object' ? (result as Record<string, unknown>) : {};
  }

  /** The bot's open_id (GET /open-apis/bot/v3/info), fetched once; a failure is retried on the next call. */
  botOpenId(): Promise<string> {
    this.botOpenIdPromise ??= this.client
      .request<{ code?: number; msg?: string; bot?: { open_id?: string } }>({ method: 'GET', url: '/open-apis/bot/v3/info' })
      .then((res) => {
        if (res.code !== 0 || !res.bot?.open_id) throw new Error(`bot info: code ${res.code} ${res.msg ?? ''}`);
        return res.bot.open_id;
      })
      .catch((error: unknown) => {
        this.botOpenIdPromise = undefined;
        throw error;
      });
    return this.botOpenIdPromise;
  }

  private requireDeps(): FeishuDeps {
    if (!this.deps) throw new Error('FeishuChannel: attach() or register() first');
    return this.deps;
  }

  /** Stores the message (or drops a redelivery) and returns; the answer comes later from the queue. */
  private async onMessage(event: FeishuMessageEvent): Promise<void> {
    const deps = this.requireDeps();
    const group = event.message?.chat_type !== 'p2p';
    // Feishu wants its answer within 3 s: a group message that cannot be read yet fails, and is pushed again.
    const botOpenId = group ? await withinMs(this.botOpenId(), 2_500, 'bot info not available yet') : undefined;
    const message = fromFeishuMessage(event, { appId: this.options.appId, botOpenId });
    if (message) await deps.inbox.accept(message);
  }

  /**
   * A card button: stored in the inbox (keyed by the callback's event id) before the toast goes back, since
   * Feishu does not re-push callbacks; what it does happens from the inbox, in chat order.
   */
  private async onCardAction(event: FeishuCardActionEvent): Promise<Toast> {
    const deps = this.requireDeps();
    const action = parseButtonValue(event.action?.value);
    const operator = event.operator?.open_id;
    const chatId = event.context?.open_chat_id;
    const eventId = event.event_id ?? event.token;
    if (!action || !operator || !chatId || !eventId) return toast('info', '无法识别的操作。');
    const messageId = event.context?.open_message_id;
    const interaction: Interaction = {
      channel: 'feishu',
      botId: this.options.appId,
      eventId,
      chatId,
      userId: operator,
      conversationId: `feishu:${chatId}`,
      ...(messageId ? { replyTo: messageId, messageId } : {}),
      action,
    };
    try {
      await deps.inbox.accept(interaction);
    } catch (error) {
      this.sink('error', `card action not stored: ${describe(error)}`);
      return toast('error', '暂时无法记录，请稍后再试。');
    }
    if (action.type === 'feedback') return toast('success', action.rating === 1 ? '感谢您的反馈！' : '感谢反馈，我们会改进回答。如需帮助，可点击「转人工」。');
    if (action.type === 'refer') return toast('success', '正在为您办理转人工…');
    return toast('success', '已收到。');
  }

  /**
   * Feishu's limits for a message or card update: per chat (shared by every bot in a group, hence keyed by
   * the chat alone), then per app, the tighter shared one, taken last so that its slot is used at once.
   */
  sendLimits(reply: OutgoingReply): SendLimit[] {
    return [
      { key: `feishu:chat:${reply.chatId}`, limit: this.options.perChatPerSecond ?? 5, windowMs: FEISHU_LIMIT_WINDOW_MS },
      { key: `feishu:app:${this.options.appId}`, limit: this.options.perAppPerSecond ?? 50, windowMs: FEISHU_LIMIT_WINDOW_MS },
    ];
  }

  /** Deliverer: posts one outbox row as a card (in the thread of the question when there is one), or updates one. */
  async send(reply: OutgoingReply): Promise<DeliveryReceipt | void> {
    if (reply.kind === 'card_update') return this.updateCard(reply);
    const card = JSON.stringify(
      reply.consultationId || reply.outcome
        ? buildAnswerCard({ text: reply.text, citations: reply.citations, answerer: reply.answerer, consultationId: reply.consultationId } satisfies CardContent)
        : buildNoticeCard(reply.text, reply.buttons, reply.contacts),
    );
    const uuid = replyUuid(reply);
    let res: ApiResult;
    try {
      res = reply.replyTo
        ? await this.client.im.message.reply({ path: { message_id: reply.replyTo }, data: { msg_type: 'interactive', content: card, uuid } })
        : await this.client.im.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: reply.chatId, msg_type: 'interactive', content: card, uuid } });
    } catch (error) {
      throw toDeliveryError(error);
    }
    if (res.code !== 0) throw toDeliveryError(undefined, res.code, res.msg);
    return res.data?.message_id ? { messageId: res.data.message_id } : undefined;
  }

  /** Redraws an answer card with a status line in place of its buttons, for everyone in the chat. */
  private async updateCard(reply: OutgoingReply): Promise<void> {
    if (!reply.target || !reply.card) return;
    const card = buildAnswerCard({ ...reply.card, consultationId: reply.consultationId, status: reply.text });
    let res: ApiResult;
    try {
      res = (await this.client.im.message.patch({ path: { message_id: reply.target }, data: { content: JSON.stringify(card) } })) as ApiResult;
    } catch (error) {
      throw toDeliveryError(error);
    }
    if (res.code !== 0) throw toDeliveryError(undefined, res.code, res.msg);
  }
}

function toast(type: Toast['toast']['type'], content: string): Toast {
  return { toast: { type, content } };
}

function withinMs<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
