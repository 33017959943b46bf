/**
 * The three WeCom server APIs the 微信客服 channel calls: `gettoken` (the access token, cached until shortly
 * before it expires), `kf/sync_msg` (read messages after a cursor) and `kf/send_msg`. Every call answers HTTP
 * 200 with an `errcode`; a non-zero one becomes a `WecomApiError`. A call refused because the token expired
 * or was revoked (40014, 42001, 42009) fetches a new token and is tried once more, never in a loop.
 */
import { DeliveryError } from '../../queue/delivery-error.js';

export interface WecomApiOptions {
  /** Scheme and host, e.g. https://qyapi.weixin.qq.com (paths /cgi-bin/… follow). */
  apiRoot: string;
  corpId: string;
  /** The 微信客服 secret: only its tokens may call kf/*. */
  secret: string;
  /** Timeout of every request (ms). */
  timeoutMs?: number;
}

export class WecomApiError extends Error {
  constructor(
    readonly api: string,
    readonly errcode: number | undefined,
    readonly errmsg: string,
    readonly httpStatus?: number,
  ) {
    super(`wecom ${api} failed${httpStatus && httpStatus !== 200 ? ` (HTTP ${httpStatus})` : ''}${errcode !== undefined ? ` errcode ${errcode}` : ''}: ${errmsg}`);
    this.name = 'WecomApiError';
  }
}

/** One entry of `msg_list` as far as the channel reads it. */
export interface KfMessage {
  msgid: string;
  open_kfid?: string;
  external_userid?: string;
  send_time?: number;
  /** 3: the customer, 4: a system event, 5: a servicer in the WeCom app. */
  origin?: number;
  msgtype?: string;
  text?: { content?: string; menu_id?: string };
  event?: { event_type?: string; external_userid?: string; fail_msgid?: string; fail_type?: number };
}

export interface SyncResult {
  next_cursor: string;
  has_more: boolean;
  msg_list: KfMessage[];
}

export type MenuItem = { type: 'click'; click: { id: string; content: string } };

/** What kf/send_msg posts: text (≤ 2 048 bytes) or a menu whose clicks come back as messages. */
export type KfOutgoing =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'msgmenu'; msgmenu: { head_content?: string; list: MenuItem[]; tail_content?: string } };

/** The token is stale: fetch a new one and try once more. */
const TOKEN_EXPIRED = new Set([40014, 42001, 42009]);
/** Refresh a token this long before WeCom says it expires (it lasts 7 200 s). */
const TOKEN_MARGIN_MS = 5 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 10_000;

export class WecomApi {
  private token?: { value: string; expiresAt: number };
  private fetching?: Promise<string>;
  /** How many tokens were fetched (tests, metrics). */
  tokensFetched = 0;

  constructor(private readonly options: WecomApiOptions) {}

  /** A valid access token: the cached one, or one fetched now (one request however many callers wait). */
  accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return Promise.resolve(this.token.value);
    this.fetching ??= this.fetchToken().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetchToken(): Promise<string> {
    const url = `${this.options.apiRoot}/cgi-bin/gettoken?corpid=${encodeURIComponent(this.options.corpId)}&corpsecret=${encodeURIComponent(this.options.secret)}`;
    const body = await this.request('gettoken', url);
    const token = body.access_token;
    if (typeof token !== 'string' || !token) throw new WecomApiError('gettoken', undefined, 'no access_token in the answer');
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 7200) * 1000;
    this.tokensFetched++;
    this.token = { value: token, expiresAt: Date.now() + Math.max(lifetimeMs - TOKEN_MARGIN_MS, lifetimeMs / 2) };
    return token;
  }

  /** Reads up to `limit` messages after `cursor`; `token` is the callback's (valid 10 minutes), else omitted. */
  async syncMsg(params: { cursor: string; token?: string; openKfId: string; limit?: number }): Promise<SyncResult> {
    const body = await this.call('kf/sync_msg', {
      ...(params.cursor ? { cursor: params.cursor } : {}),
      ...(params.token ? { token: params.token } : {}),
      limit: params.limit ?? 1000,
      open_kfid: params.openKfId,
    });
    return {
      next_cursor: typeof body.next_cursor === 'string' ? body.next_cursor : params.cursor,
      has_more: body.has_more === 1 || body.has_more === true,
      msg_list: Array.isArray(body.msg_list) ? (body.msg_list as KfMessage[]).filter((m) => m && typeof m.msgid === 'string') : [],
    };
  }

  /** Posts one message to a customer; `msgid` (≤ 32 bytes of [0-9a-zA-Z_-]) is ours, for idempotency. */
  async sendMsg(params: { toUser: string; openKfId: string; msgid: string; message: KfOutgoing }): Promise<string> {
    const body = await this.call('kf/send_msg', { touser: params.toUser, open_kfid: params.openKfId, msgid: params.msgid, ...params.message });
    return typeof body.msgid === 'string' ? body.msgid : params.msgid;
  }

  /** POSTs to a token-authenticated API; a stale token is replaced once. */
  private async call(api: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      try {
        return await this.request(api, `${this.options.apiRoot}/cgi-bin/${api}?access_token=${encodeURIComponent(token)}`, payload);
      } catch (error) {
        if (attempt === 0 && error instanceof WecomApiError && error.errcode !== undefined && TOKEN_EXPIRED.has(error.errcode)) {
          if (this.token?.value === token) this.token = undefined; // a concurrent caller may have replaced it already
          continue;
        }
        throw error;
      }
    }
  }

  private async request(api: string, url: string, payload?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await fetch(url, {
      method: payload ? 'POST' : 'GET',
      headers: payload ? { 'content-type': 'application/json' } : undefined,
      body: payload ? JSON.stringify(payload) : undefined,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new WecomApiError(api, undefined, `not JSON: ${text.slice(0, 120)}`, res.status);
    }
    if (!res.ok) throw new WecomApiError(api, typeof body.errcode === 'number' ? body.errcode : undefined, String(body.errmsg ?? res.statusText), res.status);
    const errcode = typeof body.errcode === 'number' ? body.errcode : 0;
    if (errcode !== 0) throw new WecomApiError(api, errcode, String(body.errmsg ?? ''), res.status);
    return body;
  }
}

/** A send WeCom takes only after the customer writes again: the outbox revives such rows on their next message. */
export const WAITS_FOR_CUSTOMER = 'waits for the customer to write';

/**
 * WeCom codes after which a send cannot succeed until the customer writes again: the 5 messages a customer
 * message allows are used up (95001), its 48 hours have passed (95002), the session ended (95013) or is not
 * in a state that lets the API send, e.g. handed to a person in the WeCom app (95018).
 */
const CUSTOMER_MUST_WRITE = new Set([95001, 95002, 95013, 95018]);
/** API call frequency over WeCom's limit (45009: per corp and API, 2 000 a minute): wait a minute. */
const RATE_LIMITED = new Set([45009, 45033]);
/** Codes that no retry can fix: a bad secret, account, user or message. */
const PERMANENT = new Set([40001, 40003, 40008, 40058, 41001, 44004, 45002, 48002, 60020, 95000, 95004, 95016, 95017]);

/** A WeCom failure as the sender understands it: wait and retry, retry, or give up. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (!(error instanceof WecomApiError)) {
    // Timeouts and connection errors: retry.
    return new DeliveryError(`wecom send failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const code = error.errcode;
  if (code !== undefined && CUSTOMER_MUST_WRITE.has(code)) return new DeliveryError(`${WAITS_FOR_CUSTOMER}: ${error.message}`, { permanent: true, cause: error });
  if (code !== undefined && RATE_LIMITED.has(code)) return new DeliveryError(error.message, { retryAfterMs: 60_000, cause: error });
  if (code !== undefined && (PERMANENT.has(code) || (code >= 95000 && code < 96000))) return new DeliveryError(error.message, { permanent: true, cause: error });
  return new DeliveryError(error.message, { cause: error }); // -1 (busy), 5xx, unknown codes: retry, bounded by the outbox policy
}
