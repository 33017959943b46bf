import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/** One request the fake received. */
export interface FeishuCall {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: any;
}

/** A message the fake "posted" (a reply, a new message); a uuid seen before posts nothing new. */
export interface PostedMessage {
  messageId: string;
  /** The message replied to, or undefined for a new message in a chat. */
  replyTo?: string;
  chatId?: string;
  msgType: string;
  content: any;
  /** Every text of the card (plain_text and markdown contents), joined by newlines. */
  text: string;
  uuid?: string;
}

/** Text contents of a card, in order. */
export function cardText(content: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if ((o.tag === 'plain_text' || o.tag === 'markdown' || o.tag === 'lark_md') && typeof o.content === 'string') out.push(o.content);
      for (const [key, value] of Object.entries(o)) if (key !== 'behaviors') walk(value);
    }
  };
  walk(content);
  return out.join('\n');
}

/** Like Feishu's content audit: a bot message with a mobile number or an e-mail address is refused (code 230028). */
const AUDITED = /(?<!\d)1[3-9]\d{9}(?!\d)|[\w.+-]+@[\w-]+\.[\w.-]+/;

/** What the fake does with the next send (reply/create) instead of posting it. */
export type SendBehaviour =
  | { status: 429; resetSeconds: number }
  | { status: number; code: number; msg?: string }
  | { code: number; msg?: string }
  | { hang: true };

/** How long Feishu remembers a send's `uuid`: "持有相同 uuid 的请求 1 小时内至多成功发送一条消息" (im/v1/messages). */
export const UUID_WINDOW_MS = 60 * 60 * 1000;

/**
 * A fake Feishu open API on 127.0.0.1 for the real Lark SDK client: tenant token, bot info, message reply
 * and create, card PATCH. A send's `uuid` (at most 50 characters, as documented, else a field-validation
 * error) posts at most one message within an hour; a repeat in that hour posts nothing and is answered with
 * the first message, a repeat after it posts again. The clock (`now`) can be moved. Every request is recorded;
 * `sendScript` makes the next sends fail (429 with `x-ogw-ratelimit-reset`, a business code, a hang).
 * `GET /_fake/stats` reports the counts, for a fake running in another process (the benchmark).
 */
export class FakeFeishuApi extends LoopbackServer {
  readonly calls: FeishuCall[] = [];
  readonly posted: PostedMessage[] = [];
  readonly patches: { messageId: string; content: any }[] = [];
  /** Behaviours for the next sends, used up in order. */
  sendScript: SendBehaviour[] = [];
  readonly token = 't-fake-tenant-token-0123456789';
  botOpenId = 'ou_bot_0001';
  /** While true every request is recorded and left unanswered (an open API that is down but accepts connections). */
  hangAll = false;
  /** Reactions on messages as they stand (added, not yet removed). */
  readonly reactions = new Map<string, { messageId: string; emoji: string }>();
  /** The fake's clock, for the uuid window. */
  now: () => number = Date.now;
  /** Sends that repeated a uuid within its hour: dropped, as Feishu drops them. */
  deduplicated = 0;
  private readonly byUuid = new Map<string, { messageId: string; at: number }>();
  private nextMessage = 0;

  get baseUrl(): string {
    return `${this.origin}`;
  }

  /** Calls to one endpoint kind. */
  callsTo(kind: 'token' | 'bot' | 'reply' | 'create' | 'patch'): FeishuCall[] {
    return this.calls.filter((c) => kindOf(c) === kind);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: any;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      return send(res, 400, { code: 9499, msg: 'bad json' });
    }
    const call: FeishuCall = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body };
    this.calls.push(call);
    if (this.hangAll) {
      this.hanging.add(res);
      return;
    }
    const kind = kindOf(call);
    if (call.path === '/_fake/stats') return send(res, 200, { posted: this.posted.length, sends: this.callsTo('reply').length + this.callsTo('create').length, deduplicated: this.deduplicated });
    if (kind === 'token') {
      return send(res, 200, { code: 0, msg: 'ok', tenant_access_token: this.token, expire: 7200 });
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(res, 401, { code: 99991663, msg: 'Invalid access token for authorization.' });
    if (kind === 'bot') return send(res, 200, { code: 0, msg: 'ok', bot: { activate_status: 2, app_name: 'IP 咨询', open_id: this.botOpenId } });
    const reaction = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reactions(?:\/([^/]+))?$/.exec(call.path);
    if (reaction && call.method === 'POST') {
      const id = `rc_${this.calls.length}`;
      this.reactions.set(id, { messageId: reaction[1]!, emoji: body?.reaction_type?.emoji_type });
      return send(res, 200, { code: 0, msg: 'success', data: { reaction_id: id, reaction_type: body?.reaction_type } });
    }
    if (reaction && call.method === 'DELETE') {
      this.reactions.delete(reaction[2] ?? '');
      return send(res, 200, { code: 0, msg: 'success', data: { reaction_id: reaction[2] } });
    }
    if (kind === 'patch') {
      const messageId = url.pathname.split('/')[5]!;
      this.patches.push({ messageId, content: JSON.parse(body?.content ?? 'null') });
      return send(res, 200, { code: 0, msg: 'success', data: {} });
    }
    if (kind === 'reply' || kind === 'create') {
      const behaviour = this.sendScript.shift();
      if (behaviour && 'hang' in behaviour) {
        this.hanging.add(res);
        return;
      }
      if (behaviour && 'resetSeconds' in behaviour) {
        return send(res, 429, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-limit': '5', 'x-ogw-ratelimit-reset': String(behaviour.resetSeconds) });
      }
      if (behaviour) return send(res, 'status' in behaviour ? behaviour.status : 200, { code: behaviour.code, msg: behaviour.msg ?? 'error' });
      const uuid: string | undefined = typeof body?.uuid === 'string' ? body.uuid : undefined;
      if (body?.uuid !== undefined && (uuid === undefined || uuid.length > 50)) return send(res, 400, { code: 99992402, msg: 'field validation failed: uuid longer than 50 characters' });
      const content = JSON.parse(body?.content ?? 'null');
      const text = cardText(content);
      if (AUDITED.test(text)) return send(res, 200, { code: 230028, msg: 'The messages do NOT pass the audit, ext=contains contact information' });
      const known = uuid ? this.byUuid.get(uuid) : undefined;
      if (known && this.now() - known.at < UUID_WINDOW_MS) {
        this.deduplicated++;
        return send(res, 200, { code: 0, msg: 'success', data: { message_id: known.messageId } });
      }
      const messageId = `om_fake_${++this.nextMessage}`;
      if (uuid) this.byUuid.set(uuid, { messageId, at: this.now() });
      this.posted.push({
        messageId,
        replyTo: kind === 'reply' ? url.pathname.split('/')[5] : undefined,
        chatId: kind === 'create' ? body?.receive_id : undefined,
        msgType: body?.msg_type,
        content,
        text,
        uuid,
      });
      return send(res, 200, { code: 0, msg: 'success', data: { message_id: messageId } });
    }
    return send(res, 404, { code: 404, msg: `fake has no ${call.method} ${call.path}` });
  }
}

function kindOf(call: FeishuCall): 'token' | 'bot' | 'reply' | 'create' | 'patch' | 'other' {
  if (call.method === 'POST' && call.path === '/open-apis/auth/v3/tenant_access_token/internal') return 'token';
  if (call.method === 'GET' && call.path === '/open-apis/bot/v3/info') return 'bot';
  if (call.method === 'POST' && /^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/.test(call.path)) return 'reply';
  if (call.method === 'POST' && call.path === '/open-apis/im/v1/messages') return 'create';
  if (call.method === 'PATCH' && /^\/open-apis\/im\/v1\/messages\/[^/]+$/.test(call.path)) return 'patch';
  return 'other';
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
