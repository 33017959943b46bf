/**
 * `npm run admin -- create-user --username NAME --role admin|reviewer|agency [--agency ID] [--display-name …]`
 * reads the password from standard input (one line) and creates a console account;
 * `npm run admin -- set-password --username NAME` sets a new password (stdin) and ends the account's sessions;
 * `npm run admin -- enrol-totp --username NAME` turns the second factor on and prints its secret, the
 * otpauth:// URI and ten recovery codes, for an account set up for someone else;
 * `npm run admin -- reset-totp --username NAME` removes it (lost phone: the next sign-in enrols again);
 * `npm run admin -- disable-user --username NAME` disables one and ends its sessions at once;
 * `npm run admin -- list-users` prints the accounts. Every change is written to the audit log.
 * Passwords follow the console's policy (console/password-policy.ts). Admins and reviewers without a
 * second factor are made to enrol one at their first sign-in.
 * An agency account names its agency by the registry id (AGENCIES_FILE); the registry is synced into the
 * database first, as the service does at start, so an account can be made before the service first ran.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openStore } from '../bootstrap.js';
import { usePrivateUmask } from '../store/file-modes.js';
import { PASSWORD_PROBLEMS, PASSWORD_RULES, passwordProblem } from '../console/password-policy.js';
import { hashPassword } from '../console/passwords.js';
import { newRecoveryCodes, newTotpSecret, totpUri } from '../console/totp.js';
import { ConfigError, loadConfig } from '../config.js';
import { appendAudit } from '../store/audit.js';
import { ConsoleAccounts, ROLES, validUsername, type Role } from '../store/console-accounts.js';
import { AgencyRegistryError, loadAgencies, syncAgencies } from '../escalation/agencies.js';

const USAGE = [
  'Usage:',
  '  npm run admin -- create-user --username NAME --role admin|reviewer|agency [--agency ID] [--display-name TEXT]   (password on stdin)',
  '  npm run admin -- set-password --username NAME   (password on stdin)',
  '  npm run admin -- enrol-totp --username NAME',
  '  npm run admin -- reset-totp --username NAME',
  '  npm run admin -- disable-user --username NAME',
  '  npm run admin -- list-users',
].join('\n');

class UsageError extends Error {}

async function readPassword(): Promise<string> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line.replace(/\r$/, '');
  }
  return '';
}

async function main(): Promise<number> {
  usePrivateUmask();
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { username: { type: 'string' }, role: { type: 'string' }, agency: { type: 'string' }, 'display-name': { type: 'string' }, help: { type: 'boolean' } },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if (!['create-user', 'set-password', 'enrol-totp', 'reset-totp', 'disable-user', 'list-users'].includes(command)) throw new UsageError(`unknown command ${command}`);
  const username = values.username?.trim() ?? '';
  if (command !== 'list-users' && !validUsername(username)) throw new UsageError('--username: 2–64 characters from A-Z a-z 0-9 . _ -');

  let role: Role | undefined;
  let password = '';
  if (command === 'create-user') {
    role = ROLES.find((r) => r === values.role);
    if (!role) throw new UsageError('--role: admin, reviewer or agency');
    if (role === 'agency' && !values.agency) throw new UsageError('--agency: required for role agency (the agency id in the registry)');
    if (role !== 'agency' && values.agency) throw new UsageError('--agency: only for role agency');
  }
  if (command === 'create-user' || command === 'set-password') {
    password = await readPassword();
    const problem = passwordProblem(password, username, values['display-name']?.trim());
    if (problem) throw new UsageError(`password (stdin): ${PASSWORD_PROBLEMS[problem].en}\npassword rules:\n${PASSWORD_RULES.map((r) => `  - ${r.en}`).join('\n')}`);
  }

  const config = loadConfig();
  const { database } = await openStore(config);
  const { db } = database;
  const accounts = new ConsoleAccounts(db);
  try {
    if (command === 'list-users') {
      for (const a of await accounts.list()) {
        console.log([a.username, a.role, a.agencyId ?? '-', a.disabledAt ? `disabled ${a.disabledAt.toISOString()}` : 'active', a.totpEnabledAt ? 'totp' : 'no-totp', a.displayName].join('\t'));
      }
      return 0;
    }
    if (command === 'create-user') {
      if (await accounts.byUsername(username)) throw new UsageError(`--username: ${username} exists already`);
      if (values.agency) {
        const registry = loadAgencies(config.cases.agenciesFile, process.env, config.cases.agenciesFileRequired);
        if (!registry.get(values.agency)) throw new UsageError(`--agency: no agency with id ${values.agency} in ${config.cases.agenciesFile} (AGENCIES_FILE)`);
        await syncAgencies(db, registry);
      }
      const account = await accounts.create({ username, role: role!, agencyId: values.agency ?? null, displayName: values['display-name']?.trim() || username, passwordHash: await hashPassword(password) });
      await appendAudit(db, { actor: 'cli:admin', action: 'user.create', targetType: 'staff_account', targetId: account.id, details: { username, role, agencyId: account.agencyId } });
      console.log(`created ${account.role} account ${account.username} (${account.id})`);
      return 0;
    }
    if (command === 'set-password') {
      const account = await accounts.byUsername(username);
      if (!account) throw new UsageError(`--username: no account ${username}`);
      const sessionsEnded = await accounts.setPassword(account.id, await hashPassword(password));
      await appendAudit(db, { actor: 'cli:admin', action: 'user.set_password', targetType: 'staff_account', targetId: account.id, details: { username, sessionsEnded } });
      console.log(`new password set for ${username}; ${sessionsEnded} session(s) ended`);
      return 0;
    }
    if (command === 'enrol-totp') {
      const account = await accounts.byUsername(username);
      if (!account) throw new UsageError(`--username: no account ${username}`);
      if (account.totpEnabledAt) throw new UsageError(`--username: ${username} has a second factor already (reset-totp first)`);
      const secret = await accounts.pendingTotpSecret(account.id, newTotpSecret());
      const { codes, hashes } = newRecoveryCodes();
      await accounts.enableTotp(account.id, 0, hashes);
      await appendAudit(db, { actor: 'cli:admin', action: 'user.enrol_totp', targetType: 'staff_account', targetId: account.id, details: { username, recoveryCodes: codes.length } });
      console.log([`second factor on for ${username}; hand these over in person:`, `secret: ${secret}`, `uri: ${totpUri(secret, username)}`, 'recovery codes:', ...codes.map((c) => `  ${c}`)].join('\n'));
      return 0;
    }
    if (command === 'reset-totp') {
      const reset = await accounts.resetTotp(username);
      if (!reset) throw new UsageError(`--username: no account ${username}`);
      await appendAudit(db, { actor: 'cli:admin', action: 'user.reset_totp', targetType: 'staff_account', targetId: reset.account.id, details: { username, sessionsEnded: reset.sessionsEnded } });
      console.log(`second factor removed for ${username}; ${reset.sessionsEnded} session(s) ended; the next sign-in enrols a new one`);
      return 0;
    }
    const disabled = await accounts.disable(username);
    if (!disabled) throw new UsageError(`--username: no account ${username}`);
    await appendAudit(db, { actor: 'cli:admin', action: 'user.disable', targetType: 'staff_account', targetId: disabled.account.id, details: { username, sessionsEnded: disabled.sessionsEnded } });
    console.log(`disabled ${username}; ${disabled.sessionsEnded} session(s) ended`);
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else if (error instanceof AgencyRegistryError) console.error(error.problems.map((p) => `AGENCIES_FILE: ${p}`).join('\n'));
    else if (error instanceof UsageError) console.error(`admin: ${error.message}\n${USAGE}`);
    else console.error(`admin failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
