/**
 * The HTTP app with the console over a test database: the shipped knowledge, approved answers refreshed on
 * every question (refreshMs 0), accounts made directly in the store, and a logged-in client over `inject`
 * that keeps the session cookie and reads the CSRF token from the pages it gets.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createGuard } from '../../src/answer/guard.js';
import { ApprovedAnswers } from '../../src/approved/approved-answers.js';
import type { ConsoleDeps } from '../../src/console/context.js';
import { hashPassword } from '../../src/console/passwords.js';
import { totpCode } from '../../src/console/totp.js';
import { createConsult } from '../../src/consult.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { Outbox } from '../../src/queue/outbox.js';
import { createResponder } from '../../src/queue/respond.js';
import { ApprovedAnswerStore } from '../../src/store/approved-answers.js';
import { ConsoleAccounts, type Role } from '../../src/store/console-accounts.js';
import { ConsultationStore } from '../../src/store/consultations.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import type { StoreTarget } from '../store/targets.js';
import { registryOf, testCases } from '../escalation/fixtures.js';
import { shippedKnowledge } from '../helpers.js';

/** Two agencies without a channel: they work their cases in the console only. */
export const CONSOLE_AGENCIES = registryOf([
  { id: 'jia-ip-firm', name: '甲知识产权代理所', contact: '甲所 0533-1111111' },
  { id: 'yi-law-firm', name: '乙律师事务所', contact: '乙所 0533-2222222' },
]);

export const PASSWORD = 'correct horse battery staple';

/** The second factors the test clients enrolled, by username (each test starts on a fresh database). */
export const TOTP_SECRETS = new Map<string, string>();
/**
 * The time TOTP codes are made and checked at: each sign-in 30 s after the one before, as if the staff
 * member came back later. A code is good once, so two sign-ins of one account in one real 30-second step
 * would otherwise share a code.
 */
export const TOTP_CLOCK = {
  offsetMs: 0,
  now: () => Date.now() + TOTP_CLOCK.offsetMs,
  next: () => {
    TOTP_CLOCK.offsetMs += 30_000;
    return TOTP_CLOCK.now();
  },
};

export async function consoleApp(handle: DatabaseHandle, settings: Partial<ConsoleDeps['settings']> = {}, options: Partial<AppOptions> = {}) {
  const { db } = handle;
  const kb = await shippedKnowledge();
  const store = new ConsultationStore(db);
  const analyze = (t: string) => kb.analyze(t);
  const approved = new ApprovedAnswers(new ApprovedAnswerStore(db), () => analyze, { refreshMs: 0 });
  const consult = createConsult({ kb, guard: createGuard(kb.vocabulary), approved });
  const accounts = new ConsoleAccounts(db);
  const cases = await testCases(db, new Outbox(db), { registry: CONSOLE_AGENCIES });
  const metrics = createMetrics();
  const app = await buildApp(
    {
      respond: createResponder({ db, store, consult }),
      store,
      db,
      cases,
      registry: cases.registry,
      metrics,
      readiness: async () => ({ database: true, knowledge: true }),
      console: { db, store, accounts, cases, registry: cases.registry, knowledge: () => kb, approved, settings: { sessionIdleMs: 30 * 60_000, sessionMaxMs: 12 * 3_600_000, cookieSecure: 'auto', now: TOTP_CLOCK.now, ...settings } },
    },
    { rateLimit: { perUserPerMinute: 1000, perIpPerMinute: 1000 }, logLevel: process.env.CONSOLE_TEST_LOG ?? 'silent', ...options },
  );
  return { app, store, accounts, approved, db, cases };
}

export type ConsoleEnv = Awaited<ReturnType<typeof consoleApp>>;

/** Inside a describe: a fresh database and console app for every test, closed after it. */
export function consoleTestEnv(target: StoreTarget): { readonly handle: DatabaseHandle; readonly env: ConsoleEnv } {
  let handle: DatabaseHandle | undefined;
  let env: ConsoleEnv | undefined;
  beforeAll(() => target.setup());
  afterAll(() => target.teardown());
  beforeEach(async () => {
    handle = await target.fresh();
    env = await consoleApp(handle);
  });
  afterEach(async () => {
    await env?.app.close();
    await handle?.close();
  });
  return {
    get handle() {
      return handle!;
    },
    get env() {
      return env!;
    },
  };
}

export async function createAccount(accounts: ConsoleAccounts, username: string, role: Role, agencyId: string | null = null) {
  return accounts.create({ username, displayName: `${username} 名`, role, agencyId, passwordHash: await hashPassword(PASSWORD) });
}

/** A browser-like client over inject: keeps cookies, sends Origin-less same-origin requests, remembers the CSRF token. */
export class Client {
  cookie = '';
  csrf = '';
  constructor(readonly app: FastifyInstance) {}

  private remember(res: { headers: Record<string, unknown>; body: string }) {
    const set = res.headers['set-cookie'];
    for (const c of [set ?? []].flat() as string[]) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=');
      if (name?.includes('ipcb_console')) this.cookie = value ? `${name}=${value}` : '';
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (token) this.csrf = token;
  }

  async get(url: string, headers: Record<string, string> = {}) {
    const res = await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookie, ...headers } });
    this.remember(res);
    return res;
  }

  async post(url: string, form: Record<string, string | string[]>, options: { csrf?: boolean; headers?: Record<string, string> } = {}) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) params.append(k, one);
    if (options.csrf !== false && this.csrf) params.set('_csrf', this.csrf);
    const res = await this.app.inject({
      method: 'POST',
      url,
      headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...options.headers },
      payload: params.toString(),
    });
    this.remember(res);
    return res;
  }

  /**
   * Signs in as a person would: the password, then the second factor: enrolled at the first sign-in of an
   * admin or reviewer (the secret read off the page, as an authenticator app would), a code later.
   */
  async login(username: string, password = PASSWORD) {
    const res = await this.post('/console/login', { username, password }, { csrf: false });
    let next = res;
    for (let hops = 0; next.statusCode === 303 && hops < 5; hops++) {
      const location = next.headers.location as string;
      next = await this.get(location);
      const enrol = location.startsWith('/console/account/totp');
      if (enrol || location.startsWith('/console/login/totp')) {
        if (enrol) TOTP_SECRETS.set(username, /data-secret="([A-Z2-7]+)"/.exec(next.body)![1]!);
        const code = totpCode(TOTP_SECRETS.get(username)!, TOTP_CLOCK.next());
        next = await this.post(enrol ? '/console/account/totp' : '/console/login/totp', { code, next: new URL(location, 'http://x').searchParams.get('next') ?? '/console' });
        // The enrolment page lists the recovery codes and a link on.
        if (enrol && next.statusCode === 200) next = await this.get(/class="button" href="([^"]+)"/.exec(next.body)![1]!);
      }
    }
    return res;
  }
}
