/**
 * Every HTTP entry point of the service, each with a generator of malformed requests aimed at it. A target
 * names the route it exercises (method and the registered URL), so the fuzz test can check that no route
 * is left out. Console targets mostly carry a valid session and CSRF token of a random role, so the inputs
 * reach the handlers and not only the login redirect.
 */
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { cardActionEvent, messageEvent, signBody, signed } from '../channels/feishu-fixtures.js';
import { SECRET as TELEGRAM_SECRET } from '../channels/telegram-fixtures.js';
import { OTHER_SECRET } from '../escalation/fixtures.js';
import { updates } from '../fakes/telegram-api.js';
import { signedCallback } from '../fakes/wecom-api.js';
import { SEED_ID } from '../helpers.js';
import { brokenBody, enc, encodeForm, formFields, hostileHeaders, junk, mutated, nastyString, queryString, segment } from './fuzz-inputs.js';
import type { FuzzService } from './fuzz-service.js';

export type FuzzRequest = InjectOptions & { method: string; url: string };

export interface FuzzTarget {
  /** The route as registered: `POST /api/v1/cases/:id/consent`. */
  route: string;
  request(f: FuzzService): fc.Arbitrary<FuzzRequest>;
  /** Each run gets a session of its own, made just before it (logout ends the one it is given). */
  freshSession?: boolean;
}

/** Replaced by the runner with a session made for the run (targets with freshSession). */
export const FRESH = { cookie: 'ipcb_console=FRESH-SESSION', csrf: 'FRESH-CSRF' };

const json = (value: unknown) => JSON.stringify(value) ?? 'null';

/** A JSON body: the sample broken in places (mostly), or bytes that are not JSON at all. */
function jsonBody<T>(sample: fc.Arbitrary<T>): fc.Arbitrary<string | Buffer> {
  return fc.oneof({ weight: 5, arbitrary: mutated(sample).map(json) }, { weight: 1, arbitrary: sample.map(json) }, { weight: 2, arbitrary: brokenBody });
}

/** Headers for a JSON request: the right content type, mostly, and sometimes hostile extras. */
const jsonHeaders = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ 'content-type': 'application/json' } as Record<string, string>) },
  { weight: 1, arbitrary: hostileHeaders },
);

const getMethod = fc.constantFrom('GET', 'GET', 'GET', 'HEAD');

function api(route: string, url: (f: FuzzService) => fc.Arbitrary<string>, sample: (f: FuzzService) => fc.Arbitrary<unknown>): FuzzTarget {
  return {
    route,
    request: (f) => fc.record({ method: fc.constant('POST'), url: fc.tuple(url(f), queryString).map(([u, q]) => u + q), payload: jsonBody(sample(f)), headers: jsonHeaders }),
  };
}

function get(route: string, url: (f: FuzzService) => fc.Arbitrary<string>, auth = false): FuzzTarget {
  return {
    route,
    request: (f) =>
      fc.record({
        method: getMethod,
        url: fc.tuple(url(f), queryString).map(([u, q]) => u + q),
        headers: auth ? consoleAuth(f).map((a) => ({ ...a.headers, ...(a.csrf ? { 'x-csrf-token': a.csrf } : {}) })) : fc.oneof(fc.constant({}), hostileHeaders),
      }),
  };
}

interface Auth {
  headers: Record<string, string>;
  csrf?: string;
}

/** Mostly a valid session of a random role with its CSRF token; sometimes none, garbage, or the wrong token. */
function consoleAuth(f: FuzzService, fresh = false): fc.Arbitrary<Auth> {
  const sessions = fresh ? [FRESH] : Object.values(f.sessions);
  const valid = fc.constantFrom(...sessions).map((s): Auth => ({ headers: { cookie: s.cookie, 'sec-fetch-site': 'same-origin' }, csrf: s.csrf }));
  return fc.oneof(
    { weight: 8, arbitrary: valid },
    { weight: 1, arbitrary: fc.constant<Auth>({ headers: {} }) },
    { weight: 1, arbitrary: fc.tuple(valid, nastyString).map(([a, csrf]): Auth => ({ headers: a.headers, csrf })) },
    { weight: 1, arbitrary: fc.tuple(valid, hostileHeaders).map(([a, h]): Auth => ({ headers: { ...a.headers, ...h }, csrf: a.csrf })) },
    { weight: 1, arbitrary: nastyString.map((c): Auth => ({ headers: { cookie: `ipcb_console=${enc(c)}`, 'sec-fetch-site': 'same-origin' }, csrf: c })) },
  );
}

/** A console form: urlencoded fields (mostly), or a JSON object of any types, as a script might post. */
function form(route: string, url: (f: FuzzService) => fc.Arbitrary<string>, fields: string[], options: { freshSession?: boolean; extra?: Record<string, fc.Arbitrary<string>> } = {}): FuzzTarget {
  return {
    route,
    freshSession: options.freshSession,
    request: (f) =>
      fc.tuple(url(f), queryString, consoleAuth(f, options.freshSession), formFields(fields, options.extra), fields.length ? fc.dictionary(fc.constantFrom(...fields), junk, { maxKeys: fields.length }) : fc.constant({}), fc.nat(9)).map(
        ([u, q, auth, pairs, object, how]): FuzzRequest => {
          if (how < 7) {
            const withToken: [string, string][] = auth.csrf !== undefined && how < 6 ? [['_csrf', auth.csrf], ...pairs] : pairs;
            return { method: 'POST', url: u + q, headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth.headers }, payload: encodeForm(withToken) };
          }
          const body = how === 9 ? '{"verdict":' : json({ ...object, _csrf: auth.csrf });
          return { method: 'POST', url: u + q, headers: { 'content-type': 'application/json', ...auth.headers, ...(auth.csrf ? { 'x-csrf-token': auth.csrf } : {}) }, payload: body };
        },
      ),
  };
}

// Samples the entry points accept, to be broken by the generators.

const telegramUpdate = fc.oneof(
  fc.tuple(fc.constantFrom(-1001234567890, 42, 7), nastyString).map(([chat, text]) => updates.text(chat > 0 ? { id: chat, type: 'private' } : { id: chat, type: 'supergroup' }, 42, text)),
  fc.constant(updates.text({ id: 42, type: 'private' }, 42, '商标被抢注了怎么办？')),
  fc.constant(updates.text({ id: -1001234567890, type: 'supergroup' }, 43, '@ip_consult_bot 专利费用减缴怎么申请')),
  fc.constantFrom('consent:yes', 'case:accept:x', 'fb:up:x', 'x').map((data) => updates.callback(42, 42, data)),
  fc.constant({ update_id: 1, edited_message: updates.text({ id: 42, type: 'private' }, 42, '改了').message }),
  fc.constant({ update_id: 2, my_chat_member: { chat: { id: -100, type: 'group', title: 't' }, from: { id: 1, is_bot: false, first_name: 'a' }, date: 0, old_chat_member: { status: 'left' }, new_chat_member: { status: 'member' } } }),
  fc.constant(updates.reply({ id: -1001234567890, type: 'supergroup' }, 43, '已受理', 999)),
);

const telegramHeaders = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET }) },
  { weight: 1, arbitrary: nastyString.map((s) => ({ 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': s.replace(/[^\x20-\x7e]/g, '') })) },
  { weight: 1, arbitrary: fc.constant({ 'content-type': 'application/json' }) },
  { weight: 1, arbitrary: hostileHeaders.map((h) => ({ ...h, 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET })) },
);

const feishuEvent = fc.oneof(
  nastyString.map((text) => messageEvent({ text })),
  fc.constant(messageEvent({ text: '商标被抢注了怎么办？' })),
  fc.constant(messageEvent({ text: '@_user_1 专利怎么申请', chatType: 'group', mentions: [{ key: '@_user_1', openId: 'ou_bot', name: 'bot' }] })),
  fc.constantFrom({ op: 'consent', v: 'yes' }, { op: 'accept', caseId: 'x' }, 'garbage', null).map((value) => cardActionEvent(value)),
  fc.constant({ type: 'url_verification', challenge: 'c-1', token: 'verification-token-DO-NOT-LOG' }),
);

const feishuRequest = fc.oneof(
  { weight: 5, arbitrary: mutated(feishuEvent).map((p) => signed(p)) },
  { weight: 1, arbitrary: feishuEvent.map((p) => signed(p)) },
  { weight: 1, arbitrary: brokenBody.map((b) => signBody(b.toString())) },
  { weight: 1, arbitrary: mutated(feishuEvent).map((p) => signBody(json(p))) },
  { weight: 1, arbitrary: mutated(feishuEvent).map((p) => signed(p, { encryptKey: 'wrong-key', verificationToken: 'wrong' })) },
  { weight: 1, arbitrary: fc.tuple(jsonBody(feishuEvent), hostileHeaders).map(([body, headers]) => ({ body: body.toString(), headers })) },
);

/** A WeCom callback's plaintext: the kf event with hostile fields, or XML and bytes of any shape. */
const wecomPlaintext = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(nastyString, nastyString, fc.constantFrom('kf_msg_or_event', 'enter_agent', '')).map(([token, kf, event]) => `<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event><Token><![CDATA[${token}]]></Token><OpenKfId><![CDATA[${kf}]]></OpenKfId></xml>`) },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: brokenBody.map((b) => b.toString()) },
);

/** WeCom callbacks: signed as WeCom signs (mostly), for another corp, with the wrong key, an hour old, or not signed at all. */
const wechatRequest = fc.oneof(
  { weight: 4, arbitrary: wecomPlaintext.map((p) => signedCallback(p)) },
  { weight: 1, arbitrary: wecomPlaintext.map((p) => signedCallback(p, { corpId: 'ww-someone-else' })) },
  { weight: 1, arbitrary: wecomPlaintext.map((p) => signedCallback(p, { token: 'wrong-token' })) },
  { weight: 1, arbitrary: wecomPlaintext.map((p) => signedCallback(p, { timestamp: Math.floor(Date.now() / 1000) - 3600 })) },
  { weight: 1, arbitrary: fc.tuple(brokenBody, queryString).map(([body, q]) => ({ query: q.replace(/^\?/, ''), body: body.toString() })) },
);

const agencyEvent = fc.oneof(
  fc.constant({ type: 'accept' }),
  nastyString.map((reason) => ({ type: 'decline', reason })),
  nastyString.map((text) => ({ type: 'answer', text })),
  fc.constant({ type: 'close', text: '已办结' }),
);

/** Signed as the agency signs (how: 1 an hour old, 2 another agency's secret, 3 and 4 broken headers). */
function agencySigned(f: FuzzService, body: string, how: number, id: string): Record<string, string> {
  const at = how === 1 ? new Date(Date.now() - 3_600_000) : new Date();
  const headers = f.agency.sign(body, id, at, how === 2 ? OTHER_SECRET : undefined);
  if (how === 3) headers['webhook-timestamp'] = 'soon';
  if (how === 4) headers['webhook-signature'] = 'v1,';
  return headers;
}

const caseUrl = (f: FuzzService, tail = '') => segment(f.ids.caseId).map((id) => `/api/v1/cases/${id}${tail}`);
const userId = (f: FuzzService) => fc.oneof({ weight: 3, arbitrary: fc.constant(f.ids.userId) }, { weight: 1, arbitrary: nastyString });

export const TARGETS: FuzzTarget[] = [
  // Platform webhooks
  {
    route: 'POST /webhooks/telegram',
    request: () => fc.record({ method: fc.constant('POST'), url: queryString.map((q) => `/webhooks/telegram${q}`), headers: telegramHeaders, payload: jsonBody(telegramUpdate) }),
  },
  {
    route: 'POST /webhooks/feishu',
    request: () => fc.tuple(feishuRequest, queryString).map(([r, q]) => ({ method: 'POST', url: `/webhooks/feishu${q}`, headers: r.headers, payload: r.body })),
  },
  {
    route: 'POST /webhooks/wechat',
    request: () => fc.tuple(wechatRequest, fc.oneof(fc.constant({ 'content-type': 'text/xml' } as Record<string, string>), hostileHeaders)).map(([r, headers]) => ({ method: 'POST', url: `/webhooks/wechat?${r.query}`, headers, payload: r.body })),
  },
  {
    route: 'GET /webhooks/wechat',
    request: () =>
      fc.tuple(wecomPlaintext, fc.nat(3), queryString).map(([text, how, q]) => {
        const signed = signedCallback(text, how === 1 ? { token: 'wrong-token' } : how === 2 ? { corpId: 'ww-someone-else' } : {});
        const echostr = /<Encrypt><!\[CDATA\[([^\]]*)\]\]>/.exec(signed.body)?.[1] ?? '';
        return { method: 'GET', url: how === 3 ? `/webhooks/wechat${q}` : `/webhooks/wechat?${signed.query}&echostr=${encodeURIComponent(echostr)}` };
      }),
  },
  {
    route: 'POST /api/v1/agency/cases/:id/events',
    request: (f) =>
      fc.tuple(segment(f.ids.caseId), jsonBody(agencyEvent), fc.nat(6), fc.oneof(fc.uuid().map((u) => `msg_${u}`), nastyString.map((s) => s.replace(/[^\x20-\x7e]/g, ''))), hostileHeaders).map(([id, body, how, msgId, hostile]) => ({
        method: 'POST',
        url: `/api/v1/agency/cases/${id}/events`,
        headers: how === 5 ? hostile : how === 6 ? {} : agencySigned(f, body.toString(), how, msgId),
        payload: body,
      })),
  },
  // The JSON API
  api('POST /api/v1/ask', () => fc.constant('/api/v1/ask'), (f) => fc.record({ question: nastyString, userId: fc.constant(f.ids.userId), conversationId: fc.constant('conv-fuzz') }, { requiredKeys: ['question'] })),
  api('POST /api/v1/feedback', () => fc.constant('/api/v1/feedback'), (f) => fc.record({ consultationId: fc.constant(f.ids.consultation), userId: userId(f), rating: fc.constantFrom('up', 'down', 1, -1), comment: nastyString })),
  api('POST /api/v1/referral', () => fc.constant('/api/v1/referral'), (f) => fc.record({ consultationId: fc.constant(f.ids.consultation), userId: userId(f), district: nastyString })),
  get('GET /api/v1/cases/:id', (f) => fc.tuple(caseUrl(f), userId(f)).map(([u, who]) => `${u}?userId=${enc(who)}`)),
  api('POST /api/v1/cases/:id/intake', (f) => caseUrl(f, '/intake'), (f) => fc.record({ userId: userId(f), slot: fc.constantFrom('district', 'field'), value: nastyString })),
  api('POST /api/v1/cases/:id/consent', (f) => caseUrl(f, '/consent'), (f) => fc.record({ userId: userId(f), consent: fc.boolean(), contact: nastyString, consentId: fc.oneof(fc.nat(10), fc.constant(99999999999999999999)) })),
  api('POST /api/v1/cases/:id/withdraw', (f) => caseUrl(f, '/withdraw'), (f) => fc.record({ userId: userId(f) })),
  api('POST /api/v1/cases/:id/rating', (f) => caseUrl(f, '/rating'), (f) => fc.record({ userId: userId(f), resolved: fc.boolean(), rating: fc.integer({ min: 0, max: 6 }), comment: nastyString })),
  get('GET /api/v1/articles/:documentId/:article', () => fc.tuple(segment(SEED_ID), segment('三')).map(([d, a]) => `/api/v1/articles/${d}/${a}`)),
  // Operations, the chat page and the API documentation
  get('GET /healthz', () => fc.constant('/healthz')),
  get('GET /readyz', () => fc.constant('/readyz')),
  get('GET /metrics', () => fc.constant('/metrics')),
  get('GET /*', () => fc.oneof(fc.constantFrom('/', '/index.html', '/app.js', '/case.js', '/style.css'), segment('index.html').map((s) => `/${s}`), fc.array(segment('..'), { maxLength: 4 }).map((s) => `/${s.join('/')}`))),
  get('GET /docs/*', () => fc.oneof(fc.constantFrom('/docs', '/docs/', '/docs/json', '/docs/yaml', '/docs/static/index.html', '/docs/static/swagger-initializer.js'), segment('x').map((s) => `/docs/static/${s}`))),
  // The console
  get('GET /console', () => fc.constant('/console'), true),
  get('GET /console/*', () => fc.oneof(fc.constantFrom('/console/static/console.css', '/console/static/analytics.js'), segment('console.js').map((s) => `/console/static/${s}`), segment('x').map((s) => `/console/${s}`)), true),
  get('GET /console/login', () => fc.constant('/console/login'), true),
  get('GET /console/review', () => fc.constant('/console/review'), true),
  get('GET /console/consultations', () => fc.constant('/console/consultations'), true),
  get('GET /console/consultations/:id', (f) => segment(f.ids.consultation).map((id) => `/console/consultations/${id}`), true),
  get('GET /console/cases', () => fc.constant('/console/cases'), true),
  get('GET /console/cases/:id', (f) => segment(f.ids.caseId).map((id) => `/console/cases/${id}`), true),
  get('GET /console/approved', () => fc.constant('/console/approved'), true),
  get('GET /console/approved/export.csv', () => fc.constant('/console/approved/export.csv'), true),
  get('GET /console/approved/:id', (f) => segment(f.ids.approved).map((id) => `/console/approved/${id}`), true),
  get('GET /console/analytics', () => fc.constant('/console/analytics'), true),
  get('GET /console/analytics/data', () => fc.constant('/console/analytics/data'), true),
  get('GET /console/audit', () => fc.constant('/console/audit'), true),
  {
    route: 'POST /console/login',
    request: () =>
      fc.tuple(formFields(['username', 'password', 'next'], { username: fc.constantFrom('fuzz-admin', 'fuzz-agency', 'nobody') }), fc.ipV4(), fc.nat(5), junk).map(([pairs, ip, how, object]) => ({
        method: 'POST',
        url: '/console/login',
        remoteAddress: ip,
        headers: { 'content-type': how === 5 ? 'application/json' : 'application/x-www-form-urlencoded' },
        payload: how === 5 ? json(object) : encodeForm(pairs),
      })),
  },
  form('POST /console/logout', () => fc.constant('/console/logout'), [], { freshSession: true }),
  // Sign-in steps after the password: the second factor, its enrolment, password change, an admin's reset.
  get('GET /console/login/totp', () => fc.constantFrom('/console/login/totp', '/console/login/totp?next=%2Fconsole%2Fcases'), true),
  form('POST /console/login/totp', () => fc.constant('/console/login/totp'), ['code', 'next'], { extra: { code: fc.oneof(fc.stringMatching(/^\d{6}$/), fc.stringMatching(/^[a-z2-7]{5}-[a-z2-7]{5}$/)) } }),
  get('GET /console/account', () => fc.constantFrom('/console/account', '/console/account?done=password'), true),
  get('GET /console/account/totp', () => fc.constant('/console/account/totp'), true),
  form('POST /console/account/totp', () => fc.constant('/console/account/totp'), ['code', 'next'], { extra: { code: fc.stringMatching(/^\d{6}$/) } }),
  form('POST /console/account/password', () => fc.constant('/console/account/password'), ['current', 'password', 'confirm']),
  form('POST /console/account/reset-totp', () => fc.constant('/console/account/reset-totp'), ['username'], { freshSession: true, extra: { username: fc.constantFrom('nobody', 'x') } }),
  form('POST /console/review/next', () => fc.constant('/console/review/next'), []),
  form('POST /console/consultations', () => fc.constant('/console/consultations'), ['from', 'to', 'channel', 'outcome', 'topic', 'feedback', 'referred', 'reviewed', 'verdict', 'below', 'q', 'after']),
  form('POST /console/consultations/export', () => fc.constantFrom('/console/consultations/export', '/console/consultations/export?format=xlsx', '/console/consultations/export?format=csv'), ['from', 'to', 'channel', 'outcome', 'q', 'after']),
  form('POST /console/consultations/:id/review', (f) => segment(f.ids.consultation).map((id) => `/console/consultations/${id}/review`), ['verdict', 'note', 'corrected', 'question', 'cite', 'intent', 'find', 'back'], {
    extra: { verdict: fc.constantFrom('correct', 'incorrect', 'partial', 'unclear'), intent: fc.constantFrom('find', 'submit', 'x') },
  }),
  form('POST /console/cases/export', () => fc.constantFrom('/console/cases/export', '/console/cases/export?format=xlsx'), ['status', 'agency', 'from', 'to', 'breached', 'after']),
  form('POST /console/cases/:id/agency', (f) => segment(f.ids.caseId).map((id) => `/console/cases/${id}/agency`), ['op', 'text', 'reason'], { extra: { op: fc.constantFrom('accept', 'decline', 'answer', 'close') } }),
  form('POST /console/cases/:id/assign', (f) => segment(f.ids.caseId).map((id) => `/console/cases/${id}/assign`), ['agency'], { extra: { agency: fc.constantFrom('fuzz-webhook-firm', 'nobody') } }),
  form('POST /console/approved/:id/versions/:version/approve', (f) => fc.tuple(segment(f.ids.approved), segment(String(f.ids.approvedVersion))).map(([id, v]) => `/console/approved/${id}/versions/${v}/approve`), []),
  form('POST /console/approved/:id/versions/:version/reject', (f) => fc.tuple(segment(f.ids.approved), segment(String(f.ids.approvedVersion))).map(([id, v]) => `/console/approved/${id}/versions/${v}/reject`), []),
  form('POST /console/approved/:id/versions', (f) => segment(f.ids.approved).map((id) => `/console/approved/${id}/versions`), ['question', 'answer', 'cite', 'intent', 'find'], { extra: { intent: fc.constantFrom('find', 'submit') } }),
  form('POST /console/approved/:id/state', (f) => segment(f.ids.approved).map((id) => `/console/approved/${id}/state`), ['state'], { extra: { state: fc.constantFrom('active', 'retired') } }),
  {
    route: 'POST /console/approved/import',
    request: (f) =>
      fc.tuple(consoleAuth(f), fc.array(fc.array(nastyString, { maxLength: 5 }), { maxLength: 5 }), fc.nat(5), brokenBody).map(([auth, rows, how, junkBody]) => {
        const csv = ['question,answer,articles,id', ...rows.map((r) => r.map((c) => (how % 2 ? `"${c.replace(/"/g, '""')}"` : c)).join(','))].join('\n');
        const part = (name: string, value: string, file = false) =>
          `------fuzz\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="answers.csv"\r\nContent-Type: text/csv' : ''}\r\n\r\n${value}\r\n`;
        const token = part('_csrf', auth.csrf ?? '');
        const file = part('file', how === 4 ? junkBody.toString() : csv, true);
        const body = how === 5 ? file + token : token + file + (how === 3 ? '' : '------fuzz--\r\n');
        return { method: 'POST', url: '/console/approved/import', headers: { ...auth.headers, 'content-type': 'multipart/form-data; boundary=----fuzz' }, payload: body };
      }),
  },
];
