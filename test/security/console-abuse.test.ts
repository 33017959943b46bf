/**
 * What an outside probe did to the console and the HTTP service, each now refused without harm:
 * - a password typed into the username field reached the audit log; now only names of accounts are kept;
 * - a crafted list cursor gave a 500 whose log line carried the query's parameters; now a 400, and a failed
 *   query is logged without its parameters;
 * - a non-Latin-1 `next` after login gave a 500 after the session was made; now it is replaced first;
 * - five wrong passwords from anywhere locked the owner out; now only the failing address is paused, with
 *   a pause that doubles;
 * - 300 cross-site POSTs wrote 300 audit rows; now a few a minute per address, then 429;
 * - the agency webhook route had no rate limit;
 * - a body trickled in slowly held its connection for good; now the request times out.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeNext } from '../../src/console/auth.js';
import { loggableError } from '../../src/http/log-error.js';
import { lockMsAfter } from '../../src/store/console-accounts.js';
import { queryRows, openDatabase, type DatabaseHandle } from '../../src/store/db.js';
import { AUDITED_REFUSALS_PER_MINUTE } from '../../src/console/refusals.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { sampleConsultation } from '../store/sample.js';
import { Client, PASSWORD, consoleApp, consoleTestEnv, createAccount } from '../console/fixtures.js';
import { testApp } from '../http/fixtures.js';

const TYPED_PASSWORD = 'password1234'; // a valid-looking username, typed where the username goes

const login = (app: Client['app'], username: string, password: string, remoteAddress: string, next?: string) =>
  app.inject({
    method: 'POST',
    url: '/console/login',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    payload: new URLSearchParams({ username, password, ...(next === undefined ? {} : { next }) }).toString(),
  });

/** Where a sign-in goes once complete: the `next` of the second-factor step it was sent to first. */
const nextOf = (location: string) => new URL(location, 'http://x').searchParams.get('next') ?? '/console';

for (const target of storeTargets()) {
  describe.skipIf(Boolean(target.skipReason))(`console abuse on ${targetTitle(target)}`, { timeout: 120_000 }, () => {
    const suite = consoleTestEnv(target);
    const auditText = async () => JSON.stringify(await queryRows(suite.handle.db, sql`select actor, action, target_id, details from audit_log order by id`));

    it('writes down a typed username only when it names an account', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      expect((await login(suite.env.app, TYPED_PASSWORD, 'whatever', '203.0.113.5')).statusCode).toBe(401);
      expect((await login(suite.env.app, `${TYPED_PASSWORD}!`, 'whatever', '203.0.113.5')).statusCode).toBe(401);
      expect((await login(suite.env.app, 'admin1', TYPED_PASSWORD, '203.0.113.5')).statusCode).toBe(401);
      const audit = await auditText();
      expect(audit).not.toContain(TYPED_PASSWORD);
      expect(audit).toContain('username:(unknown)');
      expect(audit).toContain('username:admin1');
      const attempts = JSON.stringify(await queryRows(suite.handle.db, sql`select * from console_login_attempts`));
      expect(attempts).not.toContain(TYPED_PASSWORD);
      // The login page shown again keeps a known name only.
      const again = await login(suite.env.app, TYPED_PASSWORD, 'whatever', '203.0.113.6');
      expect(again.body).not.toContain(TYPED_PASSWORD);
    });

    it('answers a malformed list cursor with 400, and logs nothing of the filter', async () => {
      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      await suite.env.store.record(sampleConsultation({ question: '商标被抢注了怎么办？' }));
      const client = new Client(suite.env.app);
      await client.login('rev1');
      const cursor = (text: string) => Buffer.from(text).toString('base64url');
      for (const after of [cursor('2024-13-45 99:99:99|1'), cursor('2024-02-30 10:00:00|1'), cursor('2024-03-01 04:00:00|99999999999999999999'), cursor('2024-03-01 04:00:00|1|2'), 'not base64 !', cursor('x'.repeat(300))]) {
        const res = await client.get(`/console/consultations?${new URLSearchParams({ q: '抢注 13912345678', after })}`);
        expect(res.statusCode, after).toBe(400);
        expect(res.body).toContain('翻页参数不正确');
      }
      const good = await client.get(`/console/consultations?${new URLSearchParams({ q: '抢注', after: cursor('2024-03-01 04:00:00|1') })}`);
      expect(good.statusCode).toBe(200);
    });

    it('replaces a `next` a Location header cannot carry before any session is made', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      for (const next of ['/console/consultations?q=商标', '/console/商标', '//evil.example/console', '/console/../api/v1/ask', '/console/%2e%2e/metrics', '/console/./x', 'https://evil.example/console', '/console\\evil', '/console?x=%E0%A4%A']) {
        const res = await login(suite.env.app, 'admin1', PASSWORD, '198.51.100.20', next);
        expect(res.statusCode, next).toBe(303);
        expect(nextOf(res.headers.location as string), next).toBe('/console');
      }
      const kept = await login(suite.env.app, 'admin1', PASSWORD, '198.51.100.20', '/console/cases?after=abc_-&x=%E5%95%86');
      expect(nextOf(kept.headers.location as string)).toBe('/console/cases?after=abc_-&x=%E5%95%86');
      expect(safeNext('/console/review')).toBe('/console/review');
    });

    it('pauses only the failing address, with a pause that doubles, and never locks the owner out', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const attacker = '203.0.113.9';
      for (let i = 0; i < 5; i++) expect((await login(suite.env.app, 'admin1', 'wrong password!!', attacker)).statusCode).toBe(401);
      // The attacker's address is paused, even for the right password ...
      expect((await login(suite.env.app, 'admin1', PASSWORD, attacker)).statusCode).toBe(429);
      // ... and the owner, elsewhere, signs in as ever.
      expect((await login(suite.env.app, 'admin1', PASSWORD, '198.51.100.7')).statusCode).toBe(303);

      const pause = async () =>
        (await queryRows<{ seconds: number }>(suite.handle.db, sql`select extract(epoch from locked_until - last_failure_at)::float8 as seconds from console_login_attempts where address = ${attacker}`))[0]!.seconds;
      const pauses = [await pause()];
      for (let i = 0; i < 2; i++) {
        await suite.handle.db.execute(sql`update console_login_attempts set locked_until = now() where address = ${attacker}`);
        expect((await login(suite.env.app, 'admin1', 'wrong password!!', attacker)).statusCode).toBe(401);
        pauses.push(await pause());
      }
      expect(pauses.map((s) => Math.round(s / 10) * 10)).toEqual([60, 120, 240]);
      expect(lockMsAfter(4)).toBe(0);
      expect(lockMsAfter(50)).toBe(15 * 60_000);
    });

    it('audits a bounded number of refused requests per address, then answers 429 without a row', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');
      const statuses: number[] = [];
      for (let i = 0; i < 300; i++) statuses.push((await client.post('/console/review/next', {}, { headers: { 'sec-fetch-site': 'cross-site' } })).statusCode);
      // The budget is per clock minute: a run that spans a minute's turn may spend two.
      const budget = 2 * AUDITED_REFUSALS_PER_MINUTE;
      expect(statuses.slice(0, AUDITED_REFUSALS_PER_MINUTE).every((s) => s === 403)).toBe(true);
      expect(statuses.filter((s) => s === 403).length).toBeLessThanOrEqual(budget);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(300 - budget);
      const rows = await queryRows<{ n: number }>(suite.handle.db, sql`select count(*)::int as n from audit_log where action = 'console.csrf_refused'`);
      expect(rows[0]!.n).toBeLessThanOrEqual(budget);
      // The same budget covers pages a role may not see.
      const agency = await consoleApp(suite.handle);
      try {
        await createAccount(agency.accounts, 'agency1', 'agency', 'jia-ip-firm');
        const probe = new Client(agency.app);
        await probe.login('agency1');
        const denied: number[] = [];
        for (let i = 0; i < 60; i++) denied.push((await probe.get('/console/audit')).statusCode);
        expect(denied.filter((s) => s === 403).length).toBeGreaterThanOrEqual(AUDITED_REFUSALS_PER_MINUTE);
        expect(denied.filter((s) => s === 403).length).toBeLessThanOrEqual(budget);
        expect(denied).toContain(429);
      } finally {
        await agency.app.close();
      }
    });
  });
}

describe('the HTTP service under abuse', { timeout: 120_000 }, () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openDatabase({});
  }, 60_000);
  afterAll(() => handle?.close());

  it('rate-limits the agency webhook route per address', async () => {
    const { app } = await testApp(handle, { rateLimit: { perUserPerMinute: 1000, perIpPerMinute: 5 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/agency/cases/00000000-0000-4000-8000-000000000000/events', remoteAddress: '203.0.113.30', headers: { 'content-type': 'application/json' }, payload: '{"type":"accept"}' });
        statuses.push(res.statusCode);
      }
      expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      // Another address is not affected.
      const other = await app.inject({ method: 'POST', url: '/api/v1/agency/cases/00000000-0000-4000-8000-000000000000/events', remoteAddress: '198.51.100.30', headers: { 'content-type': 'application/json' }, payload: '{"type":"accept"}' });
      expect(other.statusCode).not.toBe(429);
    } finally {
      await app.close();
    }
  });

  it('ends a request whose body is trickled in too slowly', async () => {
    const { app } = await testApp(handle, { requestTimeoutMs: 1_000, connectionTimeoutMs: 5_000 });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as net.AddressInfo;
      const socket = net.connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write('POST /api/v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"question":"');
      // One byte at a time, far slower than the whole request may take; stops when the server gives up.
      const trickle = setInterval(() => socket.writable && socket.write('a'), 200);
      // Without a request timeout the connection would stay open: give up waiting long before the test's own limit.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      clearInterval(trickle);
      socket.destroy();
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await app.close();
    }
  });

  it('logs a failed query without its parameters', async () => {
    const { app, logs } = await testApp(handle);
    const secret = '商标 13912345678 staff-search-term';
    app.get('/test-only/failing-query', async () => {
      await handle.db.execute(sql`select ${secret}::timestamp`);
      return {};
    });
    const res = await app.inject({ method: 'GET', url: '/test-only/failing-query' });
    expect(res.statusCode).toBe(500);
    const text = logs.join('');
    expect(text).toContain('request failed');
    expect(text).not.toContain('staff-search-term');
    expect(text).not.toContain('13912345678');
    await app.close();

    // The serializer itself, on the error a real query gives.
    const error = await handle.db.execute(sql`select ${secret}::int`).then(() => undefined, (e: unknown) => e);
    const lines: string[] = [];
    const logger = pino({ serializers: { err: loggableError } }, new Writable({ write: (chunk: Buffer, _e, done) => { lines.push(chunk.toString()); done(); } }));
    logger.error({ err: error }, 'failed');
    expect(lines.join('')).toMatch(/Failed query: select \$1::int/);
    expect(lines.join('')).not.toContain('staff-search-term');
  });
});
