/**
 * A fake Telegram Bot API on 127.0.0.1 for the real grammY client (`client.apiRoot`). It parses
 * `/bot<token>/<method>`, records every call with its time, serves getUpdates by long polling from a
 * queue the test fills, checks sendMessage like Telegram does (≤ 4096 characters after entity parsing,
 * HTML that parses), and answers scripted errors (429 with retry_after, 400 can't parse entities …).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UserFromGetMe } from 'grammy/types';

export interface RecordedCall {
  method: string;
  payload: Record<string, any>;
  /** What the fake answered, e.g. the sent message with its message_id. */
  result?: any;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface ApiError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export const BOT_TOKEN = '123456:TEST-token';
export const BOT_USER: UserFromGetMe = {
  id: 123456,
  is_bot: true,
  first_name: 'IP 咨询',
  username: 'ip_consult_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

const TAGS = /<\/?(b|strong|i|em|u|ins|s|strike|del|code|pre|blockquote|tg-spoiler)>|<a href="[^"<>]*">|<\/a>/g;

/** Plain text Telegram would show for `html`, or the parse error it would answer. */
export function parseHtml(html: string): { text: string } | { error: string } {
  const stripped = html.replace(TAGS, '');
  const tag = /<[^>]*>?/.exec(stripped);
  if (tag) return { error: `Bad Request: can't parse entities: Unsupported start tag "${tag[0].slice(1, 20)}" at byte offset ${tag.index}` };
  const amp = /&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);)/i.exec(stripped);
  if (amp) return { error: `Bad Request: can't parse entities: Character entity expected at byte offset ${amp.index}` };
  return { text: stripped.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&') };
}

export class FakeTelegramApi {
  readonly calls: RecordedCall[] = [];
  private server?: Server;
  private readonly scripted = new Map<string, ApiError[]>();
  private readonly updates: any[] = [];
  private waiters: (() => void)[] = [];
  private nextMessageId = 1000;
  me = { ...BOT_USER };
  /** While true every call is recorded and left unanswered (a Bot API that is down but accepts connections). */
  hangAll = false;
  private readonly hung = new Set<ServerResponse>();

  /** `http://127.0.0.1:<port>`: the bot's apiRoot. */
  apiRoot = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (this.hangAll) {
        this.calls.push({ method: /\/(\w+)$/.exec(req.url ?? '')?.[1] ?? '?', payload: {}, at: Date.now() });
        this.hung.add(res);
        return;
      }
      void this.handle(req).then(
        (body) => {
          res.writeHead(body.ok ? 200 : (body as ApiError).error_code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, error_code: 500, description: String(error) }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.apiRoot = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.waiters.forEach((w) => w());
    for (const res of this.hung) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next `times` calls of `method` fail with `error`. */
  fail(method: string, error: ApiError, times = 1): void {
    const queue = this.scripted.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.scripted.set(method, queue);
  }

  /** Queues an update for getUpdates (long polling). */
  pushUpdate(update: unknown): void {
    this.updates.push(update);
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  /** Recorded calls of `method`, optionally only those to `chatId`. */
  sent(method = 'sendMessage', chatId?: number | string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && (chatId === undefined || String(c.payload.chat_id) === String(chatId)));
  }

  /** Resolves once `predicate` holds over the recorded calls (polled every 10 ms), or rejects after `timeoutMs`. */
  async waitFor(predicate: (calls: RecordedCall[]) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.calls)) {
      if (Date.now() > deadline) throw new Error(`fake Telegram: condition not met in ${timeoutMs} ms; calls: ${this.calls.map((c) => c.method).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async handle(req: IncomingMessage): Promise<{ ok: true; result: unknown } | ({ ok: false } & ApiError)> {
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    const payload = await readJson(req);
    if (!match) return { ok: false, error_code: 404, description: 'Not Found' };
    const [, token, method] = match as unknown as [string, string, string];
    const call: RecordedCall = { method, payload, at: Date.now() };
    if (method !== 'getUpdates') this.calls.push(call);
    if (token !== BOT_TOKEN) return { ok: false, error_code: 401, description: 'Unauthorized' };
    const scripted = this.scripted.get(method)?.shift();
    if (scripted) return { ok: false, ...scripted };
    switch (method) {
      case 'getMe':
        return { ok: true, result: this.me };
      case 'getUpdates':
        return { ok: true, result: await this.getUpdates(payload) };
      case 'sendMessage': {
        const answer = this.sendMessage(payload);
        if (answer.ok) call.result = answer.result;
        return answer;
      }
      default:
        return { ok: true, result: true };
    }
  }

  private sendMessage(payload: Record<string, any>): { ok: true; result: unknown } | ({ ok: false } & ApiError) {
    let text = String(payload.text ?? '');
    if (payload.parse_mode === 'HTML') {
      const parsed = parseHtml(text);
      if ('error' in parsed) return { ok: false, error_code: 400, description: parsed.error };
      text = parsed.text;
    }
    if (!text.trim()) return { ok: false, error_code: 400, description: 'Bad Request: message text is empty' };
    if (text.length > 4096) return { ok: false, error_code: 400, description: 'Bad Request: message is too long' };
    return { ok: true, result: { message_id: this.nextMessageId++, date: Math.floor(Date.now() / 1000), chat: { id: Number(payload.chat_id), type: 'private' }, text } };
  }

  private async getUpdates(payload: Record<string, any>): Promise<unknown[]> {
    const offset = Number(payload.offset ?? 0);
    // Confirmed updates are forgotten, as on Telegram.
    while (this.updates.length && this.updates[0].update_id < offset) this.updates.shift();
    if (!this.updates.length && Number(payload.timeout ?? 0) > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(Number(payload.timeout), 2) * 1000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.updates.filter((u) => u.update_id >= offset).slice(0, Number(payload.limit ?? 100));
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, any>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  if (!body) return {};
  return (req.headers['content-type'] ?? '').includes('json') ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(body));
}

let nextUpdateId = 5000;
let nextMessageId = 1;

/** Builders of updates as Telegram sends them. */
export const updates = {
  text(chat: { id: number; type: 'private' | 'group' | 'supergroup' }, from: number, text: string, extra: Record<string, unknown> = {}) {
    const entities: any[] = [];
    const command = /^\/\w+(@\w+)?/.exec(text);
    if (command) entities.push({ type: 'bot_command', offset: 0, length: command[0].length });
    for (const m of text.matchAll(/@\w+/g)) if (!(command && m.index === command[0].indexOf('@') && m.index > 0)) entities.push({ type: 'mention', offset: m.index, length: m[0].length });
    return {
      update_id: nextUpdateId++,
      message: {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: chat.type === 'private' ? { id: chat.id, type: 'private', first_name: 'User' } : { id: chat.id, type: chat.type, title: '企业群' },
        from: { id: from, is_bot: false, first_name: `用户${from}` },
        text,
        ...(entities.length ? { entities } : {}),
        ...extra,
      },
    };
  },
  callback(chatId: number, from: number, data: string, messageId = 999) {
    return {
      update_id: nextUpdateId++,
      callback_query: {
        id: `cb-${nextUpdateId}`,
        from: { id: from, is_bot: false, first_name: `用户${from}` },
        chat_instance: 'ci',
        message: { message_id: messageId, date: 0, chat: chatId > 0 ? { id: chatId, type: 'private', first_name: 'User' } : { id: chatId, type: 'supergroup', title: '机构群' }, from: BOT_USER, text: '…' },
        data,
      },
    };
  },
  /** A reply to one of the bot's messages (`messageId`) in a group. */
  reply(chat: { id: number; type: 'group' | 'supergroup' }, from: number, text: string, messageId: number) {
    return updates.text(chat, from, text, { reply_to_message: { message_id: messageId, date: 0, chat: { id: chat.id, type: chat.type, title: '机构群' }, from: BOT_USER, text: '…' } });
  },
};
