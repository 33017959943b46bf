/** The Feishu channel's parts without a database: crypto, translation, sending, limits, domain, logging. */
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildAnswerCard } from '../../src/channels/feishu-card.js';
import { redact } from '../../src/channels/feishu-log.js';
import { decryptFeishu, encryptFeishu, feishuSignature, verifyFeishuRequest } from '../../src/channels/feishu-verify.js';
import { FeishuChannel, fromFeishuMessage, replyUuid, resolveFeishuDomain } from '../../src/channels/feishu.js';
import { MemorySendLimiter } from '../../src/queue/send-limits.js';
import { DeliveryError } from '../../src/queue/delivery-error.js';
import type { Citation, OutgoingReply } from '../../src/types.js';
import { FakeFeishuApi, UUID_WINDOW_MS } from '../fakes/feishu-api.js';
import { APP_ID, APP_SECRET, channelFor, KEYS, messageEvent } from './feishu-fixtures.js';

const citation: Citation = {
  documentId: 'zibo-ip-service-opinions-2023',
  title: '淄博市关于加快知识产权服务业发展的实施意见',
  docNumber: '淄市监知促字〔2023〕130号',
  section: '七、推动知识产权服务业优化升级',
  article: '七',
  excerpt: '……',
  score: 0.9,
};

let nextReply = 1000;
function reply(overrides: Partial<OutgoingReply> = {}): OutgoingReply {
  return { id: ++nextReply, channel: 'feishu', botId: APP_ID, chatId: 'oc_chat_1', replyTo: 'om_question_1', text: '可以申请知识产权保险补贴。', outcome: 'answered', citations: [citation], answerer: 'llm', consultationId: '11111111-1111-4111-8111-111111111111', attempt: 1, ...overrides };
}

function flatten(event: ReturnType<typeof messageEvent>) {
  return { ...event.header, ...event.event };
}

describe('feishu crypto', () => {
  it('decrypts the documented vector and refuses a wrong key, truncated input and bad padding', () => {
    expect(decryptFeishu('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')).toBe('hello world');
    expect(() => decryptFeishu('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'other key')).toThrow();
    expect(() => decryptFeishu('P37w+VZImNgPEO1RBhJ6RtKl', 'test key')).toThrow();
    expect(() => decryptFeishu(Buffer.alloc(48, 1).toString('base64'), 'test key')).toThrow();
    expect(decryptFeishu(encryptFeishu('你好 {"a":1}', 'k'), 'k')).toBe('你好 {"a":1}');
  });
});

/**
 * A request as Feishu signs it, computed outside this code base (so a mistake shared by the verifier and the
 * test fixtures cannot hide): AES-256-CBC with key sha256("test key") and IV 00…0f by `openssl enc`, then
 * `printf '%s' "$timestamp$nonce$encryptKey$body" | openssl dgst -sha256`.
 */
/** The vector's signing time, as the verifier's clock (it refuses events signed over a day before now). */
const AT_SIGNING = 1_700_000_000_000;

const KNOWN = {
  keys: { encryptKey: 'test key', verificationToken: 'kat-verification-token' },
  timestamp: '1700000000',
  nonce: 'kat-nonce-1',
  body: '{"encrypt":"AAECAwQFBgcICQoLDA0ODzksK1XHDGhxTlKJKwLymcMyd1nZHD+oH9xjSv/KOaKKBsOGYgt3d3I0KP9NqSluK1QpPMxXMlUM+3jG6rwYFlI5rMZx3upr1K83w0OSE+o/JHGNeartlHyycbJcj7BFn41MrRugzNR5zQUhecPeadLfhI1xn0vJwJrbXf9Qm3PmZrRYXXKaD8pwKWU880Alpw=="}',
  signature: '5e5990803c981daa714f15b8e3223379c93fe70034cae839a318fbdcf282f9a1',
};

describe('feishu signature, known answers', () => {
  const headers = (signature = KNOWN.signature) => ({ 'x-lark-request-timestamp': KNOWN.timestamp, 'x-lark-request-nonce': KNOWN.nonce, 'x-lark-signature': signature });

  it('computes the signature of the vector', () => {
    expect(feishuSignature(KNOWN.timestamp, KNOWN.nonce, KNOWN.keys.encryptKey, KNOWN.body)).toBe(KNOWN.signature);
  });

  it('accepts the signed vector and reads its event; refuses it with one byte changed anywhere', () => {
    // Verified at the time it was signed: an event signed more than a day ago is refused as a replay.
    const verified = verifyFeishuRequest(Buffer.from(KNOWN.body), headers(), KNOWN.keys, AT_SIGNING);
    expect(verified).toMatchObject({ ok: true, payload: { header: { event_id: 'ev-kat-1', event_type: 'im.message.receive_v1' } } });
    expect(verifyFeishuRequest(Buffer.from(KNOWN.body), headers(KNOWN.signature.toUpperCase()), KNOWN.keys, AT_SIGNING).ok).toBe(true);
    const flipped = `${KNOWN.signature.slice(0, -1)}${KNOWN.signature.endsWith('0') ? '1' : '0'}`;
    expect(verifyFeishuRequest(Buffer.from(KNOWN.body), headers(flipped), KNOWN.keys, AT_SIGNING)).toMatchObject({ ok: false, status: 401 });
    expect(verifyFeishuRequest(Buffer.from(KNOWN.body.replace('AAEC', 'AAED')), headers(), KNOWN.keys, AT_SIGNING)).toMatchObject({ ok: false, status: 401 });
    expect(verifyFeishuRequest(Buffer.from(KNOWN.body), { ...headers(), 'x-lark-request-nonce': 'kat-nonce-2' }, KNOWN.keys, AT_SIGNING)).toMatchObject({ ok: false, status: 401 });
    expect(verifyFeishuRequest(Buffer.from(KNOWN.body), headers(), { ...KNOWN.keys, verificationToken: 'other' }, AT_SIGNING)).toMatchObject({ ok: false, status: 401 });
  });
});

describe('feishu message translation', () => {
  it('strips the bot mention, names other mentions and keys history per user in a group', () => {
    const event = messageEvent({
      chatType: 'group',
      chatId: 'oc_g',
      openId: 'ou_carol',
      text: '@_user_1 请问 @_user_2 说的质押融资补助怎么申请？',
      mentions: [
        { key: '@_user_1', openId: 'ou_bot', name: 'IP 咨询' },
        { key: '@_user_2', openId: 'ou_dave', name: '李四' },
      ],
    });
    const message = fromFeishuMessage(flatten(event), { appId: APP_ID, botOpenId: 'ou_bot' });
    expect(message).toMatchObject({ channel: 'feishu', botId: APP_ID, chatId: 'oc_g', userId: 'ou_carol', conversationId: 'feishu:oc_g', text: '请问 @李四 说的质押融资补助怎么申请？' });
    expect(message!.replyTo).toBe(event.event.message.message_id);
    expect(fromFeishuMessage(flatten(event), { appId: APP_ID, botOpenId: 'ou_other_bot' })).toBeUndefined();
  });

  it('ignores messages from bots and reads post (rich text) messages', () => {
    const fromBot = messageEvent();
    fromBot.event.sender.sender_type = 'app';
    expect(fromFeishuMessage(flatten(fromBot), { appId: APP_ID })).toBeUndefined();
    const post = messageEvent();
    Object.assign(post.event.message, { message_type: 'post', content: JSON.stringify({ title: '咨询', content: [[{ tag: 'text', text: '专利导航' }, { tag: 'text', text: '有补贴吗' }]] }) });
    expect(fromFeishuMessage(flatten(post), { appId: APP_ID })).toMatchObject({ text: '咨询\n专利导航有补贴吗' });
  });
});

describe('feishu card', () => {
  it('labels generated answers, masks phones and e-mails, and stays under 30 KB for a long answer', () => {
    const card = JSON.stringify(buildAnswerCard({ text: `请致电13800138000或写信给 a.b@example.com。${'长'.repeat(20_000)}`, citations: Array(20).fill(citation), answerer: 'llm', consultationId: 'c1' }));
    expect(card).toContain('AI 生成');
    expect(card).not.toContain('13800138000');
    expect(card).not.toContain('a.b@example.com');
    expect(Buffer.byteLength(card)).toBeLessThan(30 * 1024);
    expect(JSON.stringify(buildAnswerCard({ text: '抱歉', citations: [] }))).not.toContain('button');
  });
});

describe('feishu send limits', () => {
  it('lets 5 messages a second into one chat and makes the sixth wait for the window', () => {
    const limiter = new MemorySendLimiter();
    const chat = (key: string) => ({ key, limit: 5, windowMs: 1_000 });
    const waits = Array.from({ length: 7 }, () => limiter.reserveAt(chat('oc_1'), 10_000));
    expect(waits).toEqual([0, 0, 0, 0, 0, 1_000, 1_000]);
    expect(limiter.reserveAt(chat('oc_2'), 10_000)).toBe(0); // other chats are not held back
    // At 11.5 s the two slots reserved for 11 s still count: three are free, the fourth waits for 12 s.
    expect(Array.from({ length: 4 }, () => limiter.reserveAt(chat('oc_1'), 11_500))).toEqual([0, 0, 0, 500]);
  });
});

describe('feishu sending against the fake open API', () => {
  let api: FakeFeishuApi;
  let channel: FeishuChannel;
  const logs: string[] = [];

  beforeAll(async () => {
    api = await new FakeFeishuApi().start();
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    api.posted.length = 0;
    api.calls.length = 0;
    api.sendScript = [];
    api.deduplicated = 0;
    logs.length = 0;
    channel = channelFor(api, { timeoutMs: 300 });
    channel.attach({ inbox: { accept: async () => true } }, (level, message) => logs.push(`${level} ${message}`));
  });

  it('re-sends a reply with the same uuid, which Feishu drops (crash between send and mark-sent)', async () => {
    const r = reply();
    await channel.send(r);
    await channel.send({ ...r, attempt: 2 });
    expect(api.callsTo('reply').map((c) => c.body.uuid)).toEqual([replyUuid(r), replyUuid(r)]);
    expect(replyUuid(r).length).toBeLessThanOrEqual(50);
    expect(api.posted).toHaveLength(1);
    expect(api.deduplicated).toBe(1);
  });

  it('is posted again when the same uuid comes back after Feishu forgot it (an hour later)', async () => {
    const r = reply();
    await channel.send(r);
    const clock = api.now;
    api.now = () => clock() + UUID_WINDOW_MS;
    try {
      await channel.send({ ...r, attempt: 2 });
    } finally {
      api.now = clock;
    }
    expect(api.posted).toHaveLength(2);
  });

  it('turns a 429 into a DeliveryError that waits for x-ogw-ratelimit-reset', async () => {
    api.sendScript = [{ status: 429, resetSeconds: 3 }];
    const error = await channel.send(reply()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ retryAfterMs: 3_000, permanent: false });
  });

  it('gives up on content Feishu rejects (230028) and retries after a timeout', async () => {
    api.sendScript = [{ status: 400, code: 230028, msg: 'message contains sensitive information' }];
    expect(await channel.send(reply()).catch((e: unknown) => e)).toMatchObject({ permanent: true });
    api.sendScript = [{ hang: true }];
    const started = Date.now();
    const timeout = await channel.send(reply()).catch((e: unknown) => e);
    expect(timeout).toMatchObject({ permanent: false });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('masks phone numbers and e-mail addresses in what it posts', async () => {
    await channel.send(reply({ text: '联系人电话 13912345678，邮箱 someone@corp.cn。', citations: [] }));
    const content = JSON.stringify(api.posted[0]!.content);
    expect(content).not.toContain('13912345678');
    expect(content).not.toContain('someone@corp.cn');
    expect(content).toContain('139****5678');
  });

  it('posts into the chat when there is no message to reply to', async () => {
    await channel.send(reply({ replyTo: undefined }));
    expect(api.callsTo('create')[0]!.query).toEqual({ receive_id_type: 'chat_id' });
    expect(api.posted[0]!.chatId).toBe('oc_chat_1');
  });

  it('never logs the app secret, the keys or tokens, even for failed requests', async () => {
    api.sendScript = [{ status: 429, resetSeconds: 1 }, { status: 500, code: 1, msg: 'boom' }];
    await channel.send(reply()).catch(() => {});
    await channel.send(reply()).catch(() => {});
    const dead = new FeishuChannel({ appId: APP_ID, appSecret: APP_SECRET, mode: 'ws', domain: 'http://127.0.0.1:1', timeoutMs: 300, cache: new lark.DefaultCache() });
    dead.attach({ inbox: { accept: async () => true } }, (level, message) => logs.push(`${level} ${message}`));
    await dead.send(reply()).catch(() => {}); // the token request itself fails: the SDK logs it with its body
    expect(logs.length).toBeGreaterThan(0);
    const all = logs.join('\n');
    for (const secret of [APP_SECRET, KEYS.encryptKey, KEYS.verificationToken, api.token, 'Bearer t-']) expect(all).not.toContain(secret);
    expect(redact(`{"app_secret":"x1","Authorization":"Bearer t-abcdefghijk"}`, [])).not.toMatch(/x1|t-abcdefghijk/);
  });
});

describe('feishu domain and start-up', () => {
  it('reaches the Lark host with FEISHU_DOMAIN=lark', async () => {
    expect(resolveFeishuDomain('lark')).toBe(lark.Domain.Lark);
    expect(resolveFeishuDomain('http://127.0.0.1:9/')).toBe('http://127.0.0.1:9');
    const urls: string[] = [];
    const recorder: lark.HttpInstance = {
      request: async (opts) => (urls.push(String(opts.url)), { code: 0, bot: { open_id: 'ou_lark_bot' } }) as never,
      get: async () => ({}) as never,
      delete: async () => ({}) as never,
      head: async () => ({}) as never,
      options: async () => ({}) as never,
      post: async (url) => (urls.push(url), { code: 0, tenant_access_token: 't-recorded', expire: 7200 }) as never,
      put: async () => ({}) as never,
      patch: async () => ({}) as never,
    };
    const channel = new FeishuChannel({ appId: APP_ID, appSecret: APP_SECRET, mode: 'ws', domain: 'lark', cache: new lark.DefaultCache(), httpInstance: recorder });
    expect(channel.client.domain).toBe('https://open.larksuite.com');
    expect(await channel.botOpenId()).toBe('ou_lark_bot');
    expect(urls).toEqual(['https://open.larksuite.com/open-apis/auth/v3/tenant_access_token/internal', 'https://open.larksuite.com/open-apis/bot/v3/info']);
    expect(new FeishuChannel({ appId: APP_ID, appSecret: APP_SECRET, mode: 'ws', domain: 'feishu', cache: new lark.DefaultCache() }).client.domain).toBe('https://open.feishu.cn');
  });

  it('refuses to start webhook mode without the encrypt key and verification token', () => {
    expect(() => new FeishuChannel({ appId: APP_ID, appSecret: APP_SECRET, mode: 'webhook', domain: 'feishu' })).toThrow(/FEISHU_ENCRYPT_KEY/);
    expect(() => new FeishuChannel({ appId: APP_ID, appSecret: APP_SECRET, mode: 'webhook', domain: 'feishu', encryptKey: 'k' })).toThrow();
    const env = { FEISHU_APP_ID: APP_ID, FEISHU_APP_SECRET: APP_SECRET, FEISHU_MODE: 'webhook' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/FEISHU_ENCRYPT_KEY[\s\S]*FEISHU_VERIFICATION_TOKEN/);
  });
});
