/**
 * The requests of `npm run bench:load`, prepared before each step so that building, encrypting and signing
 * them costs the load client nothing while it sends: Telegram updates with the webhook secret, Feishu
 * events encrypted and signed as Feishu pushes them, WeCom 微信客服 callbacks encrypted and signed as WeCom
 * sends them (their messages put in the fake WeCom API beforehand), API questions, and agencies' signed case callbacks
 * (accept, answer, close) on cases opened over the API beforehand.
 */
import { FEISHU_WEBHOOK_PATH } from '../src/channels/feishu.js';
import { signDelivery } from '../src/escalation/webhook-signing.js';
import { messageEvent, signed } from '../test/channels/feishu-fixtures.js';
import { updates } from '../test/fakes/telegram-api.js';
import { FakeWecomApi } from '../test/fakes/wecom-api.js';
import type { PreparedRequest } from './open-loop.js';

export type Kind = 'telegram' | 'feishu' | 'wechat' | 'api' | 'case';
export const KINDS: Kind[] = ['telegram', 'feishu', 'wechat', 'api', 'case'];
/** Webhook kinds: their latency is the acknowledgement; an API question's is the whole answer. */
export const WEBHOOK_KINDS: Kind[] = ['telegram', 'feishu', 'wechat', 'case'];

export const TELEGRAM_SECRET = 'bench-load-secret_0123456789abcdef';
export const AGENCY_SECRET = `whsec_${Buffer.from('bench-load-agency-secret-0123456').toString('base64')}`;
export const AGENCY_ID = 'bench-webhook-agency';
/** A question the router sends to a trademark litigation agency, as in test/escalation/api-flow.test.ts. */
const REFERRAL_QUESTION = '我们公司的商标被人恶意抢注了，想找律师起诉对方';
const QUESTIONS = ['知识产权保险有哪些?', '商标被抢注了怎么办？', '版权示范企业创建有什么要求?', '专利导航服务有什么支持?', '知识产权质押融资有补贴吗', '知识产权服务机构如何培育?', '那责任单位是谁?', '你好'];

/** An agency registry (AGENCIES_FILE) with the one webhook agency that takes every case. */
export function agenciesYaml(webhookUrl: string): string {
  return `agencies:
  - id: ${AGENCY_ID}
    name: 压测知识产权服务中心
    fields: [patent, trademark, copyright, trade_secret, geographical_indication, plant_variety, ic_layout]
    services: [agency, litigation, mediation_arbitration, valuation_finance, overseas, consulting]
    districts: all
    capacity: 10000
    contact: 压测中心 0533-0000000
    channel: {type: webhook, url: "${webhookUrl}", secret: "${AGENCY_SECRET}"}
`;
}

/** `count` kinds in `mix` proportions, interleaved evenly (smooth weighted round robin). */
export function schedule(mix: Record<Kind, number>, count: number): Kind[] {
  const total = KINDS.reduce((s, k) => s + mix[k], 0);
  const current = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  const out: Kind[] = [];
  for (let i = 0; i < count; i++) {
    for (const k of KINDS) current[k] += mix[k];
    const pick = KINDS.reduce((best, k) => (current[k] > current[best] ? k : best));
    current[pick] -= total;
    out.push(pick);
  }
  return out;
}

const json = (body: unknown, headers: Record<string, string> = {}): PreparedRequest => ({ headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

let serial = 0;

export function telegramRequest(): PreparedRequest {
  const i = serial++;
  const user = 700_000 + (i % 300);
  return { path: '/webhooks/telegram', ...json(updates.text({ id: user, type: 'private' }, user, QUESTIONS[i % QUESTIONS.length]!), { 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET }) };
}

export function feishuRequest(): PreparedRequest {
  const i = serial++;
  const user = `ou_load_${i % 300}`;
  return { path: FEISHU_WEBHOOK_PATH, ...signed(messageEvent({ chatId: `oc_load_${i % 300}`, openId: user, text: QUESTIONS[i % QUESTIONS.length]! })) };
}

/** Builds WeCom callbacks (encrypted and signed with the fake's keys); never started, it serves no requests. */
const wecom = new FakeWecomApi();

/**
 * A WeChat customer's message and WeCom's callback for it: the message is put in the fake WeCom API (in its
 * own process) now, while the step is prepared; the callback, which names no message, is what the step sends.
 */
export async function wechatRequests(fakeWecom: string, count: number): Promise<PreparedRequest[]> {
  const out: PreparedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const n = serial++;
    const res = await fetch(new URL('/fake/customer-says', fakeWecom), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: `wx_load_${n % 300}`, text: QUESTIONS[n % QUESTIONS.length] }) });
    if (res.status !== 200) throw new Error(`fake WeCom: ${res.status}`);
    const callback = wecom.callbackRequest();
    out.push({ path: `/webhooks/wechat?${callback.query}`, headers: { 'content-type': 'text/xml' }, body: callback.body });
  }
  return out;
}

export function apiRequest(): PreparedRequest {
  const i = serial++;
  return { path: '/api/v1/ask', ...json({ question: QUESTIONS[i % QUESTIONS.length], userId: `load-user-${i % 200}`, conversationId: `load-conv-${i % 200}` }) };
}

/**
 * Opens `count` cases the way a user does over the API (a question, the referral, consent), `concurrency`
 * at a time, and returns their ids: each then waits for its agency's callbacks.
 */
export async function openCases(base: string, count: number, concurrency = 4): Promise<string[]> {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(new URL(path, base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = (await res.json()) as Record<string, any>;
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const ids: string[] = [];
  let next = 0;
  const one = async () => {
    while (next < count) {
      const userId = `load-referrer-${serial++}`;
      next++;
      const asked = await call('/api/v1/ask', { question: REFERRAL_QUESTION, userId, conversationId: `${userId}-conv` });
      const offered = await call('/api/v1/referral', { consultationId: asked.id, userId });
      if (offered.status !== 'awaiting_consent') throw new Error(`referral: expected awaiting_consent, got ${offered.status}`);
      const consented = await call(`/api/v1/cases/${offered.id}/consent`, { userId, consent: true, contact: '13800138000', consentId: offered.consent.consentId });
      if (consented.status !== 'requested') throw new Error(`consent: expected requested, got ${consented.status}`);
      ids.push(offered.id as string);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  return ids;
}

const CALLBACKS = [{ type: 'accept' }, { type: 'answer', text: '已收到，建议先提出商标无效宣告，我们会电话联系您。' }, { type: 'close' }];

/**
 * `count` agency callbacks over `caseIds`: every case is accepted first, then each answered, then each
 * closed, so one case's callbacks are a whole pass apart and never race each other. Signed now: the
 * timestamps stay within the service's five-minute window for the step.
 */
export function caseRequests(caseIds: string[], count: number): PreparedRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const caseId = caseIds[i % caseIds.length]!;
    const body = JSON.stringify(CALLBACKS[Math.floor(i / caseIds.length)]);
    const headers = { 'content-type': 'application/json', ...signDelivery(AGENCY_SECRET, `evt_load_${serial++}`, body) };
    return { path: `/api/v1/agency/cases/${caseId}/events`, headers, body };
  });
}
