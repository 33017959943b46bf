/**
 * The signed-in account's own security (ASVS 5 V6): enrolling the TOTP second factor (forced at the first
 * sign-in of admins and reviewers, optional for agencies), changing the password (current one required,
 * strength checked, other sessions ended), and, for admins, resetting another account's second factor
 * after a lost phone (that account enrols again at its next sign-in). Every step is audited.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../http/http-error.js';
import { validUsername } from '../../store/console-accounts.js';
import { completeSignIn, safeNext } from '../auth.js';
import { ADMIN, ANYONE, audit, sessionOf, type ConsoleDeps } from '../context.js';
import { day } from '../format.js';
import { html } from '../html.js';
import { csrfField, page } from '../layout.js';
import { passwordProblem, PASSWORD_PROBLEMS, PASSWORD_RULES } from '../password-policy.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import { newRecoveryCodes, newTotpSecret, totpStep, totpUri } from '../totp.js';

interface PasswordForm {
  current?: string;
  password?: string;
  confirm?: string;
}

export async function accountRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const now = () => (deps.settings.now ?? Date.now)();

  app.get<{ Querystring: { done?: string } }>('/console/account', { config: { roles: ANYONE } }, async (request, reply) => {
    const session = sessionOf(request);
    const { account } = session;
    const notice = { password: '密码已修改，其他设备上的登录已退出。', reset: '已重置该账户的两步验证，其下次登录时须重新绑定。' }[request.query.done ?? ''];
    const body = html`<main>
      <h1>账户安全</h1>
      ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
      <section class="card">
        <h2>两步验证</h2>
        ${account.totpEnabledAt
          ? html`<p>已启用（${day(account.totpEnabledAt)}），剩余恢复码 <strong id="recovery-left">${account.recoveryCodesLeft}</strong> 个。手机丢失时请用恢复码登录，并请管理员重置。</p>`
          : html`<p>尚未启用。<a class="button" href="/console/account/totp">现在启用</a></p>`}
      </section>
      <section class="card">
        <h2>修改密码</h2>
        <form method="post" action="/console/account/password">
          ${csrfField(session)}
          <label>当前密码 <input name="current" type="password" autocomplete="current-password" required maxlength="256"></label>
          <div class="password-rules" id="password-rules"><p>新密码的要求：</p><ul>${PASSWORD_RULES.map((r) => html`<li>${r.zh}</li>`)}</ul></div>
          <label>新密码 <input aria-describedby="password-rules" name="password" type="password" autocomplete="new-password" required minlength="12" maxlength="256"></label>
          <label>再输入一次 <input name="confirm" type="password" autocomplete="new-password" required maxlength="256"></label>
          <button type="submit">修改密码</button>
        </form>
      </section>
      ${account.role === 'admin'
        ? html`<section class="card">
            <h2>重置他人的两步验证</h2>
            <form method="post" action="/console/account/reset-totp">
              ${csrfField(session)}
              <label>用户名 <input name="username" required maxlength="64" autocomplete="off"></label>
              <button type="submit" class="secondary">重置</button>
            </form>
          </section>`
        : ''}
    </main>`;
    return reply.type('text/html; charset=utf-8').send(page({ title: '账户安全', session, active: '/console/account', body }));
  });

  app.post<{ Body: PasswordForm }>('/console/account/password', { config: { roles: ANYONE } }, async (request, reply) => {
    const session = sessionOf(request);
    const { account } = session;
    const form = request.body ?? {};
    const password = String(form.password ?? '');
    const stored = await deps.accounts.byUsername(account.username);
    const problem = !(await verifyPassword(String(form.current ?? ''), stored?.passwordHash ?? null))
      ? '当前密码不正确。'
      : password !== String(form.confirm ?? '')
        ? '两次输入的新密码不一致。'
        : (() => {
            const found = passwordProblem(password, account.username, account.displayName);
            return found && PASSWORD_PROBLEMS[found].zh;
          })();
    if (problem) {
      await audit(deps.db, request, { action: 'console.password_change_refused', targetType: 'staff_account', targetId: account.id, details: { reason: problem.slice(0, 40) } });
      throw new HttpError(400, 'input_invalid', problem);
    }
    const sessionsEnded = await deps.accounts.setPassword(account.id, await hashPassword(password), session.id);
    await audit(deps.db, request, { action: 'console.password_changed', targetType: 'staff_account', targetId: account.id, details: { sessionsEnded } });
    return reply.redirect('/console/account?done=password', 303);
  });

  app.get<{ Querystring: { next?: string } }>('/console/account/totp', { config: { roles: ANYONE, stages: ['enrol', 'full'] } }, async (request, reply) => {
    const session = sessionOf(request);
    if (session.account.totpEnabledAt) return reply.redirect('/console/account', 303);
    const secret = await deps.accounts.pendingTotpSecret(session.account.id, newTotpSecret());
    return reply.type('text/html; charset=utf-8').send(enrolPage(session, secret, safeNext(request.query.next)));
  });

  app.post<{ Body: { code?: string; next?: string } }>(
    '/console/account/totp',
    { config: { roles: ANYONE, stages: ['enrol', 'full'], rateLimit: { max: 10, timeWindow: 60_000, keyGenerator: (req) => `console-enrol:${req.ip}` } } },
    async (request, reply) => {
      const session = sessionOf(request);
      const { account } = session;
      const next = safeNext(request.body?.next);
      if (account.totpEnabledAt) return reply.redirect('/console/account', 303);
      const secret = await deps.accounts.totpSecret(account.id);
      const step = secret ? totpStep(secret, String(request.body?.code ?? '').trim(), now()) : undefined;
      if (!secret || step === undefined) {
        await audit(deps.db, request, { action: 'console.totp_enrol_failed', targetType: 'staff_account', targetId: account.id });
        return reply.status(400).type('text/html; charset=utf-8').send(enrolPage(session, secret ?? (await deps.accounts.pendingTotpSecret(account.id, newTotpSecret())), next, '验证码不正确，请确认手机时间准确后输入验证器上的最新 6 位数字。'));
      }
      const { codes, hashes } = newRecoveryCodes();
      if (!(await deps.accounts.enableTotp(account.id, step, hashes))) return reply.redirect('/console/account', 303);
      await audit(deps.db, request, { action: 'console.totp_enrolled', targetType: 'staff_account', targetId: account.id, details: { recoveryCodes: codes.length } });
      if (session.stage === 'enrol') await completeSignIn(deps, request, reply);
      const continueTo = account.role === 'agency' && next === '/console' ? '/console/cases' : next;
      const body = html`<main class="login">
        <h1>两步验证已启用</h1>
        <section class="card">
          <p>请把下面的恢复码抄下或打印，保存在安全的地方。手机丢失时，每个恢复码可代替验证码登录一次。它们只显示这一次。</p>
          <ol class="recovery-codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
          <p><a class="button" href="${continueTo}">我已保存，继续</a></p>
        </section>
      </main>`;
      return reply.type('text/html; charset=utf-8').send(page({ title: '两步验证已启用', body }));
    },
  );

  app.post<{ Body: { username?: string } }>('/console/account/reset-totp', { config: { roles: ADMIN } }, async (request, reply) => {
    const username = String(request.body?.username ?? '').trim();
    const reset = validUsername(username) ? await deps.accounts.resetTotp(username) : undefined;
    if (!reset) throw new HttpError(404, 'not_found', '没有这个用户名的账户。');
    await audit(deps.db, request, { action: 'console.totp_reset', targetType: 'staff_account', targetId: reset.account.id, details: { target: reset.account.username, sessionsEnded: reset.sessionsEnded } });
    return reply.redirect('/console/account?done=reset', 303);
  });
}

function enrolPage(session: Parameters<typeof csrfField>[0], secret: string, next: string, message?: string): string {
  const grouped = secret.replace(/(.{4})(?=.)/g, '$1 ');
  return page({
    title: '启用两步验证',
    session,
    body: html`<main class="login">
      <h1>启用两步验证</h1>
      <form method="post" action="/console/account/totp" class="card">
        ${message ? html`<p class="error" role="alert">${message}</p>` : ''}
        <p>${session.stage === 'enrol' ? '管理员和审核员账户必须启用两步验证后才能使用管理台。' : ''}在手机验证器（如 Microsoft Authenticator、Google 身份验证器、FreeOTP）中添加账户，输入下面的密钥（基于时间），再填写它显示的 6 位验证码。</p>
        <p>密钥：<code id="totp-secret" data-secret="${secret}">${grouped}</code></p>
        <p class="hint">或在验证器中导入：<code>${totpUri(secret, session.account.username)}</code></p>
        <label>验证码 <input name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" required maxlength="6" autofocus></label>
        ${csrfField(session)}
        <input type="hidden" name="next" value="${next}">
        <button type="submit">启用</button>
      </form>
    </main>`,
  });
}
