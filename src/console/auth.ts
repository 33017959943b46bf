/**
 * Console authentication (OWASP ASVS 5 V3, V6, V7):
 * - Sessions live in Postgres; the cookie holds a 256-bit random token (HttpOnly, SameSite=Strict, Path=/;
 *   Secure with the `__Host-` prefix over TLS). Login always issues a new token; logout, idle timeout,
 *   absolute timeout and disabling the account end the session on the server.
 * - CSRF: every state-changing request carries the session's synchronizer token (form field `_csrf` or
 *   header `x-csrf-token`), compared in constant time, AND must not come from another site (Sec-Fetch-Site,
 *   Origin). A synchronizer token needs no second cookie or secret, since the session row already exists;
 *   @fastify/csrf-protection would add both. The login form, which has no session yet, relies on the
 *   fetch-metadata check: every browser that can be tricked into posting it sends those headers.
 * - Login: per-address rate limit, back-off per username and address after repeated failures (also for
 *   unknown names, which answer as slowly as wrong passwords), every success and failure audited; what
 *   was typed as a username is written down only when it names an account.
 * - Second factor (totp.ts): after the password a session is only half made (`totp`: the code is due;
 *   `enrol`: an admin or reviewer without one sets it up first) and reaches nothing but that step and
 *   logout; completing it replaces the session with a full one under a new token.
 * - Refusals are audited within a per-address budget (refusals.ts).
 * State is never changed by GET.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http/http-error.js';
import { loggedPath } from '../http/log-path.js';
import { routePath } from '../http/route-path.js';
import { validUsername, type Session, type SessionStage, type StaffAccount } from '../store/console-accounts.js';
import { ANYONE, audit, sessionOf, type ConsoleDeps } from './context.js';
import { html } from './html.js';
import { csrfField, page } from './layout.js';
import { verifyPassword } from './passwords.js';
import { RefusalBudget } from './refusals.js';
import { SECOND_FACTOR_REQUIRED, recoveryHash, totpStep } from './totp.js';

const COOKIE = 'ipcb_console';
/** The session is written "used" at most this often; the idle timeout is therefore exact to a minute. */
const TOUCH_EVERY_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSecure(request: FastifyRequest, setting: ConsoleDeps['settings']['cookieSecure']): boolean {
  return setting === 'auto' ? request.protocol === 'https' : setting;
}

function cookieName(secure: boolean): string {
  return secure ? `__Host-${COOKIE}` : COOKIE;
}

function setSessionCookie(reply: FastifyReply, secure: boolean, token: string, maxAgeMs: number) {
  reply.setCookie(cookieName(secure), token, { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: Math.floor(maxAgeMs / 1000) });
}

function clearSessionCookie(reply: FastifyReply, secure: boolean) {
  reply.clearCookie(cookieName(secure), { path: '/', httpOnly: true, sameSite: 'strict', secure });
}

/** Path segments of the console (no `.` or `..`, which a browser resolves, also when written %2e). */
const NEXT_PATH = /^\/console(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9_~.-]*)*$/;
/** A query in URL characters only: a Location header carries no others, and a header error would come after the session was made. */
const NEXT_QUERY = /^[A-Za-z0-9_~.\-=&+%]*$/;

/** Where to go after login: a console path of this site (no open redirect), checked before anything is done. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 1000) return '/console';
  const [path = '', query, extra] = next.split('?');
  if (extra !== undefined || !NEXT_PATH.test(path)) return '/console';
  if (query === undefined) return path;
  try {
    decodeURIComponent(query);
  } catch {
    return '/console';
  }
  return NEXT_QUERY.test(query) ? next : '/console';
}

function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  // Compared as bytes: a token of the right length in characters may be longer in UTF-8.
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A request sent by a page of another site; `none` is the user typing the address or a bookmark. */
function crossSite(request: FastifyRequest): string | undefined {
  const site = request.headers['sec-fetch-site'];
  // Fetch metadata when the browser sends it (all current ones); Origin for older browsers.
  if (typeof site === 'string' && site) return site === 'same-origin' || site === 'none' ? undefined : `sec-fetch-site ${site}`;
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== `${request.protocol}://${request.host}`) return 'origin mismatch';
  return undefined;
}

const budgets = new WeakMap<ConsoleDeps, RefusalBudget>();

/** Audits a refusal while the sender's budget lasts (refusals.ts); past it, a 429 and no row. */
async function auditRefusal(deps: ConsoleDeps, request: FastifyRequest, entry: Parameters<typeof audit>[2]): Promise<void> {
  let budget = budgets.get(deps);
  if (!budget) budgets.set(deps, (budget = new RefusalBudget()));
  if (!budget.take(request.ip)) throw new HttpError(429, 'rate_limited', '被拒绝的请求过多，请稍后再试。', 60);
  await audit(deps.db, request, entry);
}

async function refuse(deps: ConsoleDeps, request: FastifyRequest, reason: string): Promise<never> {
  await auditRefusal(deps, request, { action: 'console.csrf_refused', targetType: 'route', targetId: `${request.method} ${routePath(request)}`, details: { reason } });
  throw new HttpError(403, 'csrf', '请求被拒绝：缺少或无效的安全令牌，请刷新页面后重试。');
}

/** Checks the CSRF token of a state-changing request; multipart routes call it with the field they read. */
export async function checkCsrf(deps: ConsoleDeps, request: FastifyRequest, token?: unknown): Promise<void> {
  const session = request.consoleSession;
  const given = token ?? request.headers['x-csrf-token'] ?? (request.body as { _csrf?: unknown } | undefined)?._csrf;
  if (!session || !sameToken(given, session.csrfToken)) await refuse(deps, request, 'token missing or wrong');
}

/**
 * Hooks for every console route: the session from the cookie (login page when there is none), the role
 * check (403, audited), the cross-site and CSRF checks for anything but GET.
 */
export function sessionHooks(app: FastifyInstance, deps: ConsoleDeps) {
  app.addHook('preHandler', async (request, reply) => {
    const roles = request.routeOptions.config.roles;
    if (!SAFE_METHODS.has(request.method)) {
      const why = crossSite(request);
      if (why) await refuse(deps, request, why);
    }
    if (!roles) return;
    const secure = isSecure(request, deps.settings.cookieSecure);
    const token = request.cookies[cookieName(secure)];
    const session = token ? await deps.accounts.session(token, deps.settings.sessionIdleMs) : undefined;
    if (!session) {
      if (token) clearSessionCookie(reply, secure);
      if (request.method === 'GET') return reply.redirect(`/console/login?next=${encodeURIComponent(request.url)}`, 303);
      throw new HttpError(401, 'unauthenticated', '登录已过期，请重新登录。');
    }
    request.consoleSession = session;
    if (Date.now() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) await deps.accounts.touch(session.id);
    // A sign-in half done (password given, second factor not yet) reaches its own next step and logout only.
    if (!(request.routeOptions.config.stages ?? FULL_ONLY).includes(session.stage)) {
      if (request.method === 'GET') return reply.redirect(stagePage(session.stage, safeNext(request.url)), 303);
      throw new HttpError(401, 'second_factor', '请先完成两步验证。');
    }
    if (!roles.includes(session.account.role)) {
      await auditRefusal(deps, request, { action: 'console.denied', targetType: 'route', targetId: `${request.method} ${routePath(request)}`, details: { path: loggedPath(request.url) } });
      throw new HttpError(403, 'forbidden', '您的账户无权访问此页面。');
    }
    if (!SAFE_METHODS.has(request.method) && !request.routeOptions.config.csrfInHandler) await checkCsrf(deps, request);
  });
}

interface LoginBody {
  username?: string;
  password?: string;
  next?: string;
}

function loginPage(message?: string, next = '/console', username = ''): string {
  return page({
    title: '登录',
    body: html`<main class="login">
      <h1>知识产权咨询服务 · 管理台</h1>
      <form method="post" action="/console/login" class="card">
        ${message ? html`<p class="error" role="alert">${message}</p>` : ''}
        <label>用户名 <input name="username" autocomplete="username" required maxlength="64" value="${username}"></label>
        <label>密码 <input name="password" type="password" autocomplete="current-password" required maxlength="256"></label>
        <input type="hidden" name="next" value="${next}">
        <button type="submit">登录</button>
      </form>
    </main>`,
  });
}

export async function loginRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  app.get<{ Querystring: { next?: string } }>('/console/login', async (request, reply) => {
    return reply.type('text/html; charset=utf-8').send(loginPage(undefined, safeNext(request.query.next)));
  });

  app.post<{ Body: LoginBody }>(
    '/console/login',
    { config: { rateLimit: { max: 10, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `console-login:${req.ip}` } } },
    async (request, reply) => {
      const username = String(request.body?.username ?? '').trim();
      const password = String(request.body?.password ?? '');
      const next = safeNext(request.body?.next);
      const account = validUsername(username) ? await deps.accounts.byUsername(username) : undefined;
      // What was typed is written down (audit log, attempt counts) only when it names an account: a password
      // typed into the username field must land nowhere.
      const actor = `username:${account ? account.username : '(unknown)'}`;
      const key = { username: account ? account.username : unknownNameKey(username), address: request.ip };
      const fail = (status: number, message: string) => reply.status(status).type('text/html; charset=utf-8').send(loginPage(message, next, account ? account.username : ''));
      const locked = await deps.accounts.lockedUntil(key);
      if (locked) {
        await audit(deps.db, request, { actor, action: 'console.login_locked', details: { until: locked.toISOString() } });
        return fail(429, lockedMessage(locked));
      }
      const valid = await verifyPassword(password, account && !account.disabledAt ? account.passwordHash : null);
      if (!account || account.disabledAt || !valid) {
        const lockedNow = await deps.accounts.recordFailure(key);
        await audit(deps.db, request, { actor, action: 'console.login_failed', details: { locked: Boolean(lockedNow) } });
        return fail(401, lockedNow ? lockedMessage(lockedNow) : '用户名或密码不正确。');
      }
      await deps.accounts.clearFailures(key);
      // The second factor next: its code, or (admins and reviewers without one) its enrolment first.
      const stage: SessionStage = account.totpEnabledAt ? 'totp' : SECOND_FACTOR_REQUIRED.has(account.role) ? 'enrol' : 'full';
      await startSignedIn(deps, request, reply, account, stage);
      return reply.redirect(stage === 'full' ? landing(account, next) : stagePage(stage, next), 303);
    },
  );

  app.get<{ Querystring: { next?: string } }>('/console/login/totp', { config: { roles: ANYONE, stages: ['totp'] } }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(totpPage(sessionOf(request), safeNext(request.query.next))),
  );

  app.post<{ Body: { code?: string; next?: string } }>(
    '/console/login/totp',
    { config: { roles: ANYONE, stages: ['totp'], rateLimit: { max: 10, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `console-totp:${req.ip}` } } },
    async (request, reply) => {
      const session = sessionOf(request);
      const { account } = session;
      const next = safeNext(request.body?.next);
      const code = String(request.body?.code ?? '').trim();
      const key = { username: account.username, address: request.ip };
      const fail = (status: number, message: string) => reply.status(status).type('text/html; charset=utf-8').send(totpPage(session, next, message));
      const locked = await deps.accounts.lockedUntil(key);
      if (locked) {
        await audit(deps.db, request, { action: 'console.login_locked', details: { until: locked.toISOString(), step: 'totp' } });
        return fail(429, lockedMessage(locked));
      }
      const used = await secondFactor(deps, account.id, code);
      if (!used) {
        const lockedNow = await deps.accounts.recordFailure(key);
        await audit(deps.db, request, { action: 'console.totp_failed', details: { locked: Boolean(lockedNow) } });
        return fail(401, lockedNow ? lockedMessage(lockedNow) : '验证码不正确或已使用过，请输入验证器上的最新验证码，或一个未用过的恢复码。');
      }
      await deps.accounts.clearFailures(key);
      if (used === 'recovery') await audit(deps.db, request, { action: 'console.recovery_code_used', details: { left: Math.max(0, account.recoveryCodesLeft - 1) } });
      await completeSignIn(deps, request, reply);
      return reply.redirect(landing(account, next), 303);
    },
  );

  app.post('/console/logout', { config: { roles: ANYONE, stages: ['full', 'totp', 'enrol'] } }, async (request, reply) => {
    const secure = isSecure(request, deps.settings.cookieSecure);
    const token = request.cookies[cookieName(secure)];
    if (token) await deps.accounts.endSession(token);
    clearSessionCookie(reply, secure);
    await audit(deps.db, request, { action: 'console.logout' });
    return reply.redirect('/console/login', 303);
  });
}

const FULL_ONLY: readonly SessionStage[] = ['full'];
/** A half-done sign-in lasts this long: time to find the phone, not a working day. */
const PENDING_SIGN_IN_MS = 10 * 60_000;

/** Where a session of `stage` goes on; `next` rides along. */
export function stagePage(stage: SessionStage, next: string): string {
  const page = stage === 'totp' ? '/console/login/totp' : stage === 'enrol' ? '/console/account/totp' : next;
  return stage === 'full' || next === '/console' ? page : `${page}?next=${encodeURIComponent(next)}`;
}

function landing(account: StaffAccount, next: string): string {
  return account.role === 'agency' && next === '/console' ? '/console/cases' : next;
}

/** A new session (a new token: never one from before the password) at `stage`, audited as a sign-in step. */
async function startSignedIn(deps: ConsoleDeps, request: FastifyRequest, reply: FastifyReply, account: StaffAccount, stage: SessionStage): Promise<void> {
  const maxMs = stage === 'full' ? deps.settings.sessionMaxMs : PENDING_SIGN_IN_MS;
  const { token } = await deps.accounts.startSession(account.id, maxMs, stage);
  setSessionCookie(reply, isSecure(request, deps.settings.cookieSecure), token, maxMs);
  await audit(deps.db, request, { actor: account.id, action: stage === 'full' ? 'console.login' : 'console.login_password', details: { username: account.username, role: account.role, ...(stage === 'full' ? {} : { next: stage }) } });
}

/** The second factor done: the half-done session ends and a full one (new token) takes its place. */
export async function completeSignIn(deps: ConsoleDeps, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const session = sessionOf(request);
  await deps.accounts.endSession(request.cookies[cookieName(isSecure(request, deps.settings.cookieSecure))] ?? '');
  await startSignedIn(deps, request, reply, session.account, 'full');
}

/** Checks a TOTP code or a recovery code of the account and uses it up; which kind it was, or undefined. */
async function secondFactor(deps: ConsoleDeps, accountId: string, code: string): Promise<'totp' | 'recovery' | undefined> {
  const secret = await deps.accounts.totpSecret(accountId);
  if (!secret) return undefined;
  if (/^\d{6}$/.test(code)) {
    const step = totpStep(secret, code, (deps.settings.now ?? Date.now)());
    return step !== undefined && (await deps.accounts.useTotpStep(accountId, step)) ? 'totp' : undefined;
  }
  return code.length <= 40 && (await deps.accounts.useRecoveryCode(accountId, recoveryHash(code))) ? 'recovery' : undefined;
}

function totpPage(session: Session, next: string, message?: string): string {
  return page({
    title: '两步验证',
    session,
    body: html`<main class="login">
      <h1>两步验证</h1>
      <form method="post" action="/console/login/totp" class="card">
        ${message ? html`<p class="error" role="alert">${message}</p>` : ''}
        <label>验证码（验证器上的 6 位数字，或一个恢复码） <input name="code" autocomplete="one-time-code" inputmode="numeric" required maxlength="40" autofocus></label>
        ${csrfField(session)}
        <input type="hidden" name="next" value="${next}">
        <button type="submit">验证</button>
      </form>
    </main>`,
  });
}

function lockedMessage(until: Date): string {
  return `登录失败次数过多，此地址已暂时锁定，请于 ${Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000))} 分钟后再试。`;
}

/** A per-process key: names that are no account are counted without being stored as typed. */
const UNKNOWN_NAME_KEY = randomBytes(32);

function unknownNameKey(typed: string): string {
  return `?${createHmac('sha256', UNKNOWN_NAME_KEY).update(typed).digest('base64url')}`;
}
