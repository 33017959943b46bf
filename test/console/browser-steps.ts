/** Steps the console's page tests share: accounts made with `npm run admin`, and logging in through the form. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { totpCode } from '../../src/console/totp.js';
import { ROOT, runTsx } from '../helpers.js';
import { startServer, type pageTestResources } from '../web/browser.js';

export const PASSWORD = 'correct horse battery staple';

/** Accounts made with the admin command on the embedded database in `env.DATA_DIR`, before the server takes it. */
export async function createAccounts(env: NodeJS.ProcessEnv, accounts: { username: string; role: string; agency?: string; name: string }[]) {
  for (const a of accounts) {
    const made = await runTsx(path.join(ROOT, 'src/cli/admin.ts'), ['create-user', '--username', a.username, '--role', a.role, ...(a.agency ? ['--agency', a.agency] : []), '--display-name', a.name], { env, input: `${PASSWORD}\n` });
    expect(made.code, made.stderr).toBe(0);
  }
}

/**
 * The real server on a fresh embedded database in a temp folder named `prefix…`, with the accounts made
 * first; the folder and the process go into `held`, which removes them after the tests. Returns its URL.
 */
export async function serveWithAccounts(held: ReturnType<typeof pageTestResources>, prefix: string, accounts: Parameters<typeof createAccounts>[1]): Promise<string> {
  held.dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: held.dataDir };
  delete env.DATABASE_URL;
  await createAccounts(env, accounts);
  const started = await startServer(held.dataDir);
  held.server = started.child;
  return started.url;
}

/** Recovery codes shown at each account's enrolment, used up one per later sign-in. */
const recoveryCodes = new Map<string, string[]>();

/**
 * Signs in through the form, then the second factor: the first time an admin or reviewer signs in, the
 * enrolment (the secret read off the page, the code made as an authenticator app would); later, one of
 * the recovery codes shown then (two sign-ins inside one 30-second step cannot both use a TOTP code).
 */
export async function login(page: Page, url: string, username: string) {
  await page.goto(`${url}/console/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(/\/console\/(consultations|cases|account\/totp|login\/totp)/), page.click('button[type="submit"]')]);
  if (page.url().includes('/console/account/totp')) {
    const secret = (await page.getAttribute('#totp-secret', 'data-secret'))!;
    await page.fill('input[name="code"]', totpCode(secret));
    await Promise.all([page.waitForSelector('ol.recovery-codes'), page.click('main button[type="submit"]')]);
    recoveryCodes.set(username, await page.locator('ol.recovery-codes code').allTextContents());
    await Promise.all([page.waitForURL(/\/console\/(consultations|cases)/), page.click('main a.button')]);
  } else if (page.url().includes('/console/login/totp')) {
    await page.fill('input[name="code"]', recoveryCodes.get(username)!.shift()!);
    await Promise.all([page.waitForURL(/\/console\/(consultations|cases)/), page.click('main button[type="submit"]')]);
  }
}

/** How the page tests call the public HTTP API: POST with a JSON body when one is given, else GET; the parsed reply. */
export type Api = <T>(route: string, body?: object) => Promise<T>;

/** A user asks, asks for an agency (in 张店区) and consents, with a contact when given: the case as the API shows it after. */
export async function referOverApi<V extends { id: string; status: string; consent: { consentId?: number } }>(api: Api, userId: string, question: string, contact?: string): Promise<V & { userId: string }> {
  const asked = await api<{ id: string }>('/api/v1/ask', { question, userId, conversationId: `web:${userId}` });
  const offered = await api<V>('/api/v1/referral', { consultationId: asked.id, userId, district: '张店区' });
  if (offered.status !== 'awaiting_consent') return { ...offered, userId };
  const consented = await api<V>(`/api/v1/cases/${offered.id}/consent`, { userId, consent: true, contact, consentId: offered.consent.consentId });
  return { ...consented, userId };
}
