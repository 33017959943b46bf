/**
 * Staff sign-in at ASVS level 2: passwords scored by zxcvbn-ts (`aaaaaaaaaaaa` and `password1234` refused),
 * password change, and a TOTP second factor with recovery codes: enrolled at the first sign-in of admins
 * and reviewers (nothing else is reachable until then), optional for agencies, a code good once, reset by
 * an admin in the console or with `npm run admin`. Every step is in the audit log.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { passwordProblem } from '../../src/console/password-policy.js';
import { totpCode } from '../../src/console/totp.js';
import { openDatabase, queryRows } from '../../src/store/db.js';
import { runTsx } from '../helpers.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { Client, PASSWORD, TOTP_CLOCK, TOTP_SECRETS, consoleTestEnv, createAccount } from '../console/fixtures.js';

const ADMIN_CLI = fileURLToPath(new URL('../../src/cli/admin.ts', import.meta.url));

describe('password policy', () => {
  it.each([
    ['aaaaaaaaaaaa', 'guessable'],
    ['password1234', 'guessable'],
    ['qwertyuiop12', 'guessable'],
    ['123456789012', 'guessable'],
    ['short1!', 'short'],
    ['wang.li-correct-horse', 'contains_username'],
    ['correct horse battery staple', undefined],
    ['知识产权咨询服务平台管理员', undefined],
  ])('%s → %s', (password, problem) => {
    expect(passwordProblem(password, 'wang.li')).toBe(problem);
  });
});

for (const target of storeTargets()) {
  describe.skipIf(Boolean(target.skipReason))(`staff sign-in on ${targetTitle(target)}`, { timeout: 120_000 }, () => {
    const suite = consoleTestEnv(target);
    const actions = async () => (await queryRows<{ action: string }>(suite.handle.db, sql`select action from audit_log order by id`)).map((r) => r.action);
    const passwordStep = (client: Client, username: string, password = PASSWORD) => client.post('/console/login', { username, password }, { csrf: false });

    it('makes an admin enrol a second factor at the first sign-in before anything else', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      const first = await passwordStep(client, 'admin1');
      expect(first.statusCode).toBe(303);
      expect(first.headers.location).toBe('/console/account/totp');
      const pendingCookie = client.cookie;
      // Half signed in: every page sends back to enrolment, every change is refused.
      expect((await client.get('/console/consultations')).headers.location).toBe('/console/account/totp?next=%2Fconsole%2Fconsultations');
      const enrol = await client.get('/console/account/totp');
      expect(enrol.statusCode).toBe(200);
      expect((await client.post('/console/review/next', {})).statusCode).toBe(401);
      const secret = /data-secret="([A-Z2-7]+)"/.exec(enrol.body)![1]!;
      expect(enrol.body).toContain('otpauth://totp/ip-consult-bot:admin1?');

      expect((await client.post('/console/account/totp', { code: '000000' })).statusCode).toBe(400);
      const done = await client.post('/console/account/totp', { code: totpCode(secret, TOTP_CLOCK.next()) });
      expect(done.statusCode).toBe(200);
      const recovery = [...done.body.matchAll(/<code>([a-z2-7]{5}-[a-z2-7]{5})<\/code>/g)].map((m) => m[1]!);
      expect(recovery).toHaveLength(10);
      // A new session token once the sign-in is complete.
      expect(client.cookie).not.toBe(pendingCookie);
      expect((await client.get('/console/consultations')).statusCode).toBe(200);
      expect((await suite.env.app.inject({ method: 'GET', url: '/console/consultations', headers: { cookie: pendingCookie } })).statusCode).toBe(303);
      expect(await actions()).toEqual(['console.login_password', 'console.totp_enrol_failed', 'console.totp_enrolled', 'console.login']);

      // The next sign-in asks for a code: a wrong one and a used one are refused, a recovery code works once.
      const again = new Client(suite.env.app);
      expect((await passwordStep(again, 'admin1')).headers.location).toBe('/console/login/totp');
      await again.get('/console/login/totp');
      expect((await again.post('/console/login/totp', { code: '123456' })).statusCode).toBe(401);
      const at = TOTP_CLOCK.next();
      expect((await again.post('/console/login/totp', { code: totpCode(secret, at) })).statusCode).toBe(303);
      expect((await again.get('/console/consultations')).statusCode).toBe(200);
      const replay = new Client(suite.env.app);
      await passwordStep(replay, 'admin1');
      await replay.get('/console/login/totp');
      expect((await replay.post('/console/login/totp', { code: totpCode(secret, at) })).statusCode).toBe(401);
      expect((await replay.post('/console/login/totp', { code: recovery[0]!.toUpperCase() })).statusCode).toBe(303);
      const reuse = new Client(suite.env.app);
      await passwordStep(reuse, 'admin1');
      await reuse.get('/console/login/totp');
      expect((await reuse.post('/console/login/totp', { code: recovery[0]! })).statusCode).toBe(401);
      expect(await actions()).toEqual(expect.arrayContaining(['console.totp_failed', 'console.recovery_code_used']));
      expect((await replay.get('/console/account')).body).toMatch(/<strong id="recovery-left">9<\/strong>/);
    });

    it('leaves the second factor optional for agencies, and asks for it once enrolled', async () => {
      await createAccount(suite.env.accounts, 'agency1', 'agency', 'jia-ip-firm');
      const client = new Client(suite.env.app);
      expect((await passwordStep(client, 'agency1')).headers.location).toBe('/console/cases');
      const enrol = await client.get('/console/account/totp');
      const secret = /data-secret="([A-Z2-7]+)"/.exec(enrol.body)![1]!;
      expect((await client.post('/console/account/totp', { code: totpCode(secret, TOTP_CLOCK.next()) })).statusCode).toBe(200);
      expect((await passwordStep(new Client(suite.env.app), 'agency1')).headers.location).toBe('/console/login/totp');
    });

    it('changes a password: the current one is needed, weak ones are refused, other sessions end', async () => {
      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      const client = new Client(suite.env.app);
      await client.login('rev1');
      const other = new Client(suite.env.app);
      await other.login('rev1');
      await client.get('/console/account');
      const change = (form: Record<string, string>) => client.post('/console/account/password', form);
      expect((await change({ current: 'not it at all!!', password: 'plum orchard quietly sings', confirm: 'plum orchard quietly sings' })).statusCode).toBe(400);
      for (const weak of ['aaaaaaaaaaaa', 'password1234']) {
        const res = await change({ current: PASSWORD, password: weak, confirm: weak });
        expect(res.statusCode, weak).toBe(400);
        expect(res.body).toContain('太容易被猜中');
      }
      expect((await change({ current: PASSWORD, password: 'plum orchard quietly sings', confirm: 'plum orchard quietly sing' })).statusCode).toBe(400);
      const ok = await change({ current: PASSWORD, password: 'plum orchard quietly sings', confirm: 'plum orchard quietly sings' });
      expect(ok.statusCode).toBe(303);
      expect((await client.get('/console/review')).statusCode).toBe(200);
      expect((await other.get('/console/review')).statusCode).toBe(303);
      expect((await passwordStep(new Client(suite.env.app), 'rev1')).statusCode).toBe(401);
      expect((await passwordStep(new Client(suite.env.app), 'rev1', 'plum orchard quietly sings')).statusCode).toBe(303);
      expect(await actions()).toEqual(expect.arrayContaining(['console.password_change_refused', 'console.password_changed']));
    });

    it('lets an admin reset another account’s second factor; that account enrols again', async () => {
      await createAccount(suite.env.accounts, 'admin1', 'admin');
      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      const reviewer = new Client(suite.env.app);
      await reviewer.login('rev1');
      const admin = new Client(suite.env.app);
      await admin.login('admin1');
      await admin.get('/console/account');
      expect((await admin.post('/console/account/reset-totp', { username: 'nobody' })).statusCode).toBe(404);
      expect((await admin.post('/console/account/reset-totp', { username: 'rev1' })).statusCode).toBe(303);
      expect((await reviewer.get('/console/review')).statusCode).toBe(303); // its sessions ended
      expect((await passwordStep(new Client(suite.env.app), 'rev1')).headers.location).toBe('/console/account/totp');
      // A reviewer may not reset anyone's.
      await reviewer.login('rev1');
      await reviewer.get('/console/account');
      expect((await reviewer.post('/console/account/reset-totp', { username: 'admin1' })).statusCode).toBe(403);
      expect(await actions()).toContain('console.totp_reset');
      TOTP_SECRETS.delete('rev1');
    });
  });
}

describe('npm run admin: passwords and the second factor', { timeout: 180_000 }, () => {
  it('refuses guessable passwords, sets a new one, enrols and resets TOTP, all audited', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-signin-'));
    const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' };
    try {
      const weak = await runTsx(ADMIN_CLI, ['create-user', '--username', 'zhao', '--role', 'admin'], { env, input: 'password1234\n' });
      expect(weak.code).toBe(1);
      expect(weak.stderr).toContain('too easy to guess');
      expect((await runTsx(ADMIN_CLI, ['create-user', '--username', 'zhao', '--role', 'admin'], { env, input: `${PASSWORD}\n` })).code).toBe(0);
      const set = await runTsx(ADMIN_CLI, ['set-password', '--username', 'zhao'], { env, input: 'plum orchard quietly sings\n' });
      expect(set.stderr).toBe('');
      const enrolled = await runTsx(ADMIN_CLI, ['enrol-totp', '--username', 'zhao'], { env });
      expect(enrolled.stdout).toMatch(/secret: [A-Z2-7]{32}/);
      expect(enrolled.stdout).toMatch(/uri: otpauth:\/\/totp\/ip-consult-bot:zhao\?/);
      expect(enrolled.stdout.match(/^ {2}[a-z2-7]{5}-[a-z2-7]{5}$/gm)).toHaveLength(10);
      expect((await runTsx(ADMIN_CLI, ['enrol-totp', '--username', 'zhao'], { env })).stderr).toContain('reset-totp first');
      const reset = await runTsx(ADMIN_CLI, ['reset-totp', '--username', 'zhao'], { env });
      expect(reset.stdout).toContain('second factor removed for zhao');
      const handle = await openDatabase({ dataDir });
      try {
        const audit = await queryRows<{ action: string }>(handle.db, sql`select action from audit_log order by id`);
        expect(audit.map((a) => a.action)).toEqual(['user.create', 'user.set_password', 'user.enrol_totp', 'user.reset_totp']);
        const [row] = await queryRows<{ totp_secret: string | null }>(handle.db, sql`select totp_secret from staff_accounts`);
        expect(row!.totp_secret).toBeNull();
      } finally {
        await handle.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
