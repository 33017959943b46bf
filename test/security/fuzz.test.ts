/**
 * Fuzzing in CI: every HTTP entry point of the whole service (test/security/fuzz-targets.ts) gets
 * FUZZ_TEST_RUNS generated malformed requests (100 by default, fixed seed) and must answer each without a
 * 5xx or a hang, stay healthy, and log no secret, token or unmasked personal data. `npm run bench:fuzz`
 * runs 10 000 per entry point. Below, the inputs the fuzzer found, kept as plain regression tests.
 */
import { sql } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/store/db.js';
import { messageEvent, signed } from '../channels/feishu-fixtures.js';
import { SECRET as TELEGRAM_SECRET } from '../channels/telegram-fixtures.js';
import { updates } from '../fakes/telegram-api.js';
import { SEED_ID } from '../helpers.js';
import { logProblems, runTarget } from './fuzz-run.js';
import { PLANTED_PII, startFuzzService, type FuzzService } from './fuzz-service.js';
import { TARGETS } from './fuzz-targets.js';

const RUNS = Number(process.env.FUZZ_TEST_RUNS ?? 100);
const SEED = 20261202;

let f: FuzzService;
beforeAll(async () => {
  f = await startFuzzService();
}, 120_000);
afterAll(async () => {
  await f?.stop();
});

/** The routes the service registers, from fastify's route tree: `GET /api/v1/cases/:id`, … */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const parents: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S*) \(([^)]+)\)/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (parents[depth - 1] ?? '') + m[2]!;
    parents[depth] = path;
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes;
}

describe('fuzzing every HTTP entry point', () => {
  it('has a target for every route the service registers', () => {
    const routes = registeredRoutes(f.service.app.printRoutes({ commonPrefix: false }));
    expect(routes.length).toBeGreaterThan(40);
    const covered = (route: string) => TARGETS.some((t) => t.route === route || (t.route.endsWith('/*') && route.startsWith(t.route.slice(0, -1).replace(/\/$/, ''))));
    expect(routes.filter((r) => !covered(r))).toEqual([]);
  });

  it.each(TARGETS.map((t) => [t.route, t] as const))(`%s: ${RUNS} malformed requests, no 5xx, nothing unmasked in the logs`, { timeout: 120_000 }, async (_, target) => {
    const result = await runTarget(f, target, { runs: RUNS, seed: SEED });
    expect(result.failure, JSON.stringify(result.failure, null, 2)).toBeUndefined();
    expect(result.runs).toBe(RUNS);
  });
});

describe('inputs the fuzzer found', () => {
  const inject = (options: InjectOptions) => f.service.app.inject(options);
  const inboxCount = async () => Number((await queryRows<{ n: number }>(f.service.db, sql`select count(*)::int as n from inbox`))[0]!.n);
  const telegram = (update: unknown) => inject({ method: 'POST', url: '/webhooks/telegram', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET }, payload: JSON.stringify(update) });
  const feishu = (event: unknown) => {
    const { headers, body } = signed(event);
    return inject({ method: 'POST', url: '/webhooks/feishu', headers, payload: body });
  };
  const admin = () => ({ cookie: f.sessions.admin.cookie, 'sec-fetch-site': 'same-origin', 'x-csrf-token': f.sessions.admin.csrf });

  it('refuses a Telegram update of the wrong shape with a 400 and stores nothing; a good one still goes in', async () => {
    const before = await inboxCount();
    const good = updates.text({ id: 42, type: 'private' }, 42, '商标被抢注了怎么办？');
    for (const broken of [
      { ...good, message: { ...good.message, entities: '[{"type":"mention"}]', text: [{}] } },
      { ...good, message: { ...good.message, chat: { id: { nested: 1 }, type: 'private' } } },
      { ...good, update_id: 'one' },
      [good],
    ]) {
      const res = await telegram(broken);
      expect(res.statusCode, res.body).toBe(400);
    }
    expect(await inboxCount()).toBe(before);
    expect((await telegram(good)).statusCode).toBe(200);
    expect(await inboxCount()).toBe(before + 1);
  });

  it('refuses a verified Feishu event of the wrong shape with a 400; a message with odd content is read as empty', async () => {
    const event = messageEvent({ text: '专利怎么申请' });
    const broken = { ...event, event: { ...event.event, message: { ...event.event.message, mentions: 2147483648 } } };
    expect((await feishu(broken)).statusCode).toBe(400);
    const odd = messageEvent();
    (odd.event.message as { content: string }).content = JSON.stringify({ text: { not: 'text' } });
    expect((await feishu(odd)).statusCode).toBe(200);
  });

  it('stores text with NUL characters (U+FFFD in their place) instead of failing the insert', async () => {
    const res = await inject({ method: 'POST', url: '/api/v1/feedback', payload: { consultationId: f.ids.consultation, userId: f.ids.userId, rating: 'up', comment: 'a\u0000b' } });
    expect(res.statusCode, res.body).toBe(200);
    const [row] = await queryRows<{ comment: string }>(f.service.db, sql`select comment from feedback where consultation_id = ${f.ids.consultation}`);
    expect(row!.comment).toBe('a\uFFFDb');
    const event = messageEvent({ text: '商标\u0000怎么注册' });
    expect((await feishu(event)).statusCode).toBe(200);
    const [stored] = await queryRows<{ text: string }>(f.service.db, sql`select text from inbox where event_id = ${event.header.event_id}`);
    expect(stored!.text).toBe('商标\uFFFD怎么注册');
  });

  it('answers a deeply nested JSON body with a 400, and a 300 000-character article key with a 4xx', async () => {
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    for (const url of ['/api/v1/ask', '/api/v1/feedback', '/api/v1/referral']) expect((await inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: deep })).statusCode).toBe(400);
    // Past the router's parameter length the route does not match; the static files answer, refusing.
    const long = await inject({ method: 'GET', url: `/api/v1/articles/${SEED_ID}/${'k'.repeat(300_000)}` });
    expect(long.statusCode).toBeGreaterThanOrEqual(400);
    expect(long.statusCode).toBeLessThan(500);
  });

  it('refuses console input that is not a single text value per field', async () => {
    const review = `/console/consultations/${f.ids.consultation}/review`;
    const asJson = await inject({ method: 'POST', url: review, headers: { ...admin(), 'content-type': 'application/json' }, payload: JSON.stringify({ verdict: { correct: true }, note: 5 }) });
    expect(asJson.statusCode).toBe(400);
    const repeated = await inject({ method: 'POST', url: '/console/consultations', headers: { ...admin(), 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${f.sessions.admin.csrf}&after=a&after=b` });
    expect(repeated.statusCode).toBe(400);
    // Ticked checkboxes repeat by design.
    const cited = await inject({ method: 'POST', url: review, headers: { ...admin(), 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${f.sessions.admin.csrf}&verdict=correct&cite=a&cite=b` });
    expect(cited.statusCode).toBeLessThan(500);
    expect(cited.statusCode).not.toBe(400);
  });

  it('refuses a CSRF token of the right length in characters but not in bytes with a 403', async () => {
    const token = '中'.repeat(f.sessions.admin.csrf.length);
    const res = await inject({ method: 'POST', url: `/console/approved/${f.ids.approved}/state`, headers: { ...admin(), 'x-csrf-token': token, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'state=retired' });
    // 429 once the fuzzing above has spent this address's audited refusals (console/refusals.ts).
    expect([403, 429]).toContain(res.statusCode);
  });

  it('treats numbers beyond the database types as no such record', async () => {
    expect((await inject({ method: 'GET', url: '/console/audit?before=100000000000000000000', headers: admin() })).statusCode).toBe(200);
    for (const decision of ['approve', 'reject']) {
      const res = await inject({ method: 'POST', url: `/console/approved/${f.ids.approved}/versions/99999999999999999999/${decision}`, headers: { ...admin(), 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${f.sessions.admin.csrf}` });
      expect(res.statusCode).toBe(404);
    }
    const consent = await inject({ method: 'POST', url: `/api/v1/cases/${f.ids.caseId}/consent`, payload: { userId: f.ids.userId, consent: true, consentId: 99999999999999999999 } });
    expect(consent.statusCode).toBe(400);
  });

  it('audits a denied case id holding a NUL, and answers a multipart body cut short with a 400', async () => {
    expect((await inject({ method: 'GET', url: '/console/cases/%00', headers: { cookie: f.sessions.agency.cookie } })).statusCode).toBe(403);
    const audited = await queryRows<{ target_id: string }>(f.service.db, sql`select target_id from audit_log where action = 'case.denied' order by id desc limit 1`);
    expect(audited[0]!.target_id).toBe('\uFFFD');
    const cut = `------fuzz\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${f.sessions.admin.csrf}\r\n------fuzz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nquestion,answer,articles\r\n`;
    const res = await inject({ method: 'POST', url: '/console/approved/import', headers: { ...admin(), 'content-type': 'multipart/form-data; boundary=----fuzz' }, payload: cut });
    expect(res.statusCode).toBe(400);
  });

  it('logs paths with personal data masked, and replaces a request id that carries some', async () => {
    f.logs.splice(0);
    await inject({ method: 'GET', url: `/console/cases/${PLANTED_PII[0]}`, headers: { 'x-request-id': PLANTED_PII[2]! } });
    await inject({ method: 'GET', url: `/api/v1/articles/${SEED_ID}/${PLANTED_PII[2]}99999999`, headers: { 'x-request-id': `${PLANTED_PII[3]}-2026-13-45` } });
    const lines = f.logs.splice(0);
    expect(lines.some((l) => l.includes('/console/cases/139****5678'))).toBe(true);
    expect(logProblems(lines, f.secrets)).toEqual([]);
    // An ordinary proxy id is kept for correlation.
    await inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-abc-12345678' } });
    expect(f.logs.splice(0).some((l) => l.includes('"reqId":"req-abc-12345678"'))).toBe(true);
  });
});
