/** Steps the console's page tests share: accounts made with `npm run admin`, and logging in through the form. */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT, runTsx } from '../helpers.js';

export const PASSWORD = 'correct horse battery staple';

/** Accounts made with the admin command on the embedded database in `env.DATA_DIR`, before the server takes it. */
export async function createAccounts(env: NodeJS.ProcessEnv, accounts: { username: string; role: string; agency?: string; name: string }[]) {
  for (const a of accounts) {
    const made = await runTsx(path.join(ROOT, 'src/cli/admin.ts'), ['create-user', '--username', a.username, '--role', a.role, ...(a.agency ? ['--agency', a.agency] : []), '--display-name', a.name], { env, input: `${PASSWORD}\n` });
    expect(made.code, made.stderr).toBe(0);
  }
}

export async function login(page: Page, url: string, username: string) {
  await page.goto(`${url}/console/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(/\/console\/(consultations|cases)/), page.click('button[type="submit"]')]);
}
