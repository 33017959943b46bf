import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encrypt, getSignature } from '@wecom/crypto';
import { LoopbackServer } from './loopback-server.js';

/**
 * A fake WeCom server API on 127.0.0.1 and the callbacks WeCom would make, as its documentation describes
 * them:
 * - `GET /cgi-bin/gettoken` hands out access tokens (7 200 s); `expireTokens()` makes those handed out so
 *   far answer 42001, as an expired token does;
 * - `POST /cgi-bin/kf/sync_msg` returns the customers' messages after a cursor, `pageSize` at a time with
 *   `has_more`, and checks the callback token it is given (10 minutes, else 95007);
 * - `POST /cgi-bin/kf/send_msg` posts to a customer only within 48 hours of their last message and at most 5
 *   times per message (else 95002 / 95001), text of at most 2 048 bytes, menus of at most 10 items, and a
 *   msgid used before is refused (WeCom: "若指定msgid，开发者需确保客服账号内唯一，否则接口返回错误"; the code
 *   for it is not documented, this fake uses 95099);
 * - `callback()` posts a `kf_msg_or_event` to the service, encrypted and signed as WeCom does.
 * The clock (`now`) can be moved. Every request is recorded.
 */
export const CORP_ID = 'ww0123456789abcdef';
export const KF_SECRET = 'kf-secret-for-tests-0123456789';
export const CALLBACK_TOKEN = 'QDG6eKtest';
export const ENCODING_AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
export const OPEN_KFID = 'wkAbCdEf0123456789';

export const DUPLICATE_MSGID = 95099;

export interface PostedKfMessage {
  touser: string;
  open_kfid: string;
  msgid: string;
  msgtype: string;
  text?: { content: string };
  msgmenu?: { head_content?: string; list: { type: string; click: { id: string; content: string } }[]; tail_content?: string };
}

interface StoredMessage {
  msgid: string;
  open_kfid: string;
  external_userid: string;
  send_time: number;
  origin: number;
  msgtype: string;
  text?: { content: string; menu_id?: string };
  event?: Record<string, unknown>;
}

export function wechatEnv(apiRoot: string): Record<string, string> {
  return { WECOM_CORP_ID: CORP_ID, WECOM_KF_SECRET: KF_SECRET, WECOM_TOKEN: CALLBACK_TOKEN, WECOM_ENCODING_AES_KEY: ENCODING_AES_KEY, WECOM_OPEN_KFID: OPEN_KFID, WECOM_API_ROOT: apiRoot };
}

/**
 * A callback as WeCom sends it: `plaintext` encrypted for `corpId` with the EncodingAESKey, the ciphertext
 * signed with the callback Token; the query string and the XML body.
 */
export function signedCallback(plaintext: string, options: { timestamp?: number; nonce?: string; corpId?: string; token?: string; encodingAesKey?: string } = {}): { query: string; body: string } {
  const ciphertext = encrypt(options.encodingAesKey ?? ENCODING_AES_KEY, plaintext, options.corpId ?? CORP_ID);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9));
  const signature = getSignature(options.token ?? CALLBACK_TOKEN, timestamp, nonce, ciphertext);
  return { query: `msg_signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`, body: `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><Encrypt><![CDATA[${ciphertext}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>` };
}

export class FakeWecomApi extends LoopbackServer {
  /** Every API request, in order. */
  readonly calls: { path: string; body: any }[] = [];
  /** Messages posted to customers (refused sends are not here). */
  readonly posted: PostedKfMessage[] = [];
  /** Sends refused, with the errcode given. */
  readonly refused: { msgid: string; errcode: number }[] = [];
  readonly messages: StoredMessage[] = [];
  pageSize = 1000;
  /** Milliseconds added to the real clock. */
  clockOffsetMs = 0;
  /**
   * Whether sync_msg checks the callback token (issued by `callbackRequest()` of this instance). The load
   * benchmark builds callbacks in another process and turns it off.
   */
  checkEventTokens = true;
  /** Called after a sync_msg answer is computed (tests add a message "meanwhile"). */
  afterSync?: () => void;
  tokensIssued = 0;
  /** Every access token is refused as expired, even a fresh one (a client must not loop on it). */
  rejectTokens = false;
  private readonly validTokens = new Set<string>();
  private readonly eventTokens = new Map<string, number>();
  private readonly sessions = new Map<string, { lastAt: number; sent: number }>();
  private readonly msgids = new Set<string>();
  private nextMsg = 1;

  get apiRoot(): string {
    return this.origin;
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** A customer sends text (or clicks a menu item: `menuId`); returns the message's msgid. */
  customerSays(user: string, content: string, options: { menuId?: string; msgtype?: string } = {}): string {
    const msgid = `msg${this.nextMsg++}_${randomBytes(4).toString('hex')}`;
    const sendTime = Math.floor(this.now() / 1000);
    this.messages.push({
      msgid,
      open_kfid: OPEN_KFID,
      external_userid: user,
      send_time: sendTime,
      origin: 3,
      msgtype: options.msgtype ?? 'text',
      ...((options.msgtype ?? 'text') === 'text' ? { text: { content, ...(options.menuId ? { menu_id: options.menuId } : {}) } } : {}),
    });
    this.sessions.set(user, { lastAt: this.now(), sent: 0 });
    return msgid;
  }

  /** WeCom reports a message it had accepted as not delivered (`msg_send_fail`, e.g. the customer refused it). */
  sendFailed(msgid: string, failType: number): void {
    const posted = this.posted.find((p) => p.msgid === msgid);
    this.messages.push({
      msgid: `evt${this.nextMsg++}_${randomBytes(4).toString('hex')}`,
      open_kfid: OPEN_KFID,
      external_userid: posted?.touser ?? '',
      send_time: Math.floor(this.now() / 1000),
      origin: 4,
      msgtype: 'event',
      event: { event_type: 'msg_send_fail', open_kfid: OPEN_KFID, external_userid: posted?.touser ?? '', fail_msgid: msgid, fail_type: failType },
    });
  }

  /** Tokens handed out so far now answer 42001 (expired). */
  expireTokens(): void {
    this.validTokens.clear();
  }

  postedTo(user: string): PostedKfMessage[] {
    return this.posted.filter((p) => p.touser === user);
  }

  /** The callback WeCom makes when a customer wrote: its request, encrypted and signed. */
  callbackRequest(options: { timestamp?: number; token?: string; nonce?: string } = {}): { query: string; body: string; token: string } {
    const token = options.token ?? `ENC${randomBytes(12).toString('hex')}`;
    this.eventTokens.set(token, this.now());
    const created = Math.floor(this.now() / 1000);
    const xml = `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><CreateTime>${created}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[${token}]]></Token><OpenKfId><![CDATA[${OPEN_KFID}]]></OpenKfId></xml>`;
    return { ...signedCallback(xml, { timestamp: options.timestamp ?? created, nonce: options.nonce }), token };
  }

  /** Posts a callback to `serviceUrl` (or the one given); returns the HTTP status. */
  async callback(serviceUrl: string, request = this.callbackRequest()): Promise<number> {
    const res = await fetch(`${serviceUrl}/webhooks/wechat?${request.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: request.body });
    await res.text();
    return res.status;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? JSON.parse(raw) : undefined;
    this.calls.push({ path: url.pathname, body });
    const send = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    // Not WeCom's: lets a load client in another process have a customer write.
    if (url.pathname === '/fake/customer-says') return send({ msgid: this.customerSays(String(body?.user), String(body?.text)) });
    if (url.pathname === '/cgi-bin/gettoken') {
      if (url.searchParams.get('corpid') !== CORP_ID || url.searchParams.get('corpsecret') !== KF_SECRET) return send({ errcode: 40001, errmsg: 'invalid credential' });
      const token = `at_${randomBytes(16).toString('hex')}`;
      this.validTokens.add(token);
      this.tokensIssued++;
      return send({ errcode: 0, errmsg: 'ok', access_token: token, expires_in: 7200 });
    }
    if (this.rejectTokens || !this.validTokens.has(url.searchParams.get('access_token') ?? '')) return send({ errcode: 42001, errmsg: 'access_token expired' });
    if (url.pathname === '/cgi-bin/kf/sync_msg') return send(this.sync(body));
    if (url.pathname === '/cgi-bin/kf/send_msg') return send(this.sendMsg(body));
    res.writeHead(404).end();
  }

  private sync(body: { cursor?: string; token?: string; limit?: number; open_kfid?: string }) {
    if (body.open_kfid !== OPEN_KFID) return { errcode: 95000, errmsg: 'invalid open_kfid' };
    if (body.token !== undefined && this.checkEventTokens) {
      const issued = this.eventTokens.get(body.token);
      if (issued === undefined || this.now() - issued > 10 * 60 * 1000) return { errcode: 95007, errmsg: 'invalid msg token' };
    }
    const from = body.cursor ? Number(Buffer.from(body.cursor, 'base64url').toString()) : 0;
    const limit = Math.min(body.limit ?? 1000, this.pageSize);
    const page = this.messages.slice(from, from + limit);
    const next = from + page.length;
    const answer = { errcode: 0, errmsg: 'ok', next_cursor: Buffer.from(String(next)).toString('base64url'), has_more: next < this.messages.length ? 1 : 0, msg_list: page };
    this.afterSync?.();
    return answer;
  }

  private sendMsg(body: PostedKfMessage) {
    const refuse = (errcode: number, errmsg: string) => {
      this.refused.push({ msgid: body.msgid, errcode });
      return { errcode, errmsg };
    };
    if (body.open_kfid !== OPEN_KFID) return refuse(95000, 'invalid open_kfid');
    if (!/^[0-9a-zA-Z_-]{1,32}$/.test(body.msgid ?? '')) return refuse(40058, 'invalid msgid');
    if (this.msgids.has(body.msgid)) return refuse(DUPLICATE_MSGID, 'msgid already used');
    if (body.msgtype === 'text' && Buffer.byteLength(body.text?.content ?? '') > 2048) return refuse(45002, 'content size out of limit');
    if (body.msgtype === 'msgmenu') {
      const menu = body.msgmenu!;
      if (menu.list.length > 10 || Buffer.byteLength(menu.head_content ?? '') > 1024 || Buffer.byteLength(menu.tail_content ?? '') > 1024) return refuse(40058, 'invalid msgmenu');
      if (menu.list.some((i) => Buffer.byteLength(i.click.id) > 64 || Buffer.byteLength(i.click.content) > 128)) return refuse(40058, 'invalid menu item');
    }
    const session = this.sessions.get(body.touser);
    if (!session || this.now() - session.lastAt > 48 * 3600 * 1000) return refuse(95002, 'send msg out of time limit');
    if (session.sent >= 5) return refuse(95001, 'send msg count limit');
    session.sent++;
    this.msgids.add(body.msgid);
    this.posted.push(body);
    return { errcode: 0, errmsg: 'ok', msgid: body.msgid };
  }
}
