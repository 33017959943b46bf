/**
 * The cases board in Debian's Chromium against the real server (`src/main.ts`, embedded database, two
 * console-only agencies in a registry file, the 24x7 calendar, a 35 s accept SLA): users refer and consent
 * over the HTTP API; an agency account sees its case (with the contact) and not the other agency's, gets a
 * 403 on that one (and the attempt is in the audit log), accepts, answers and closes its case; the other
 * agency lets its time pass, so the case moves on; an admin sees the board with the staff queue, the breach
 * and the response times, and assigns a queued case by hand. Leaves test-results/console-cases*.png.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, SCREENSHOTS, hasChromium, launchChromium, pageTestResources, startServer } from '../web/browser.js';
import { createAccounts, login, referOverApi } from './browser-steps.js';
const CONTACT = '13912345678';
const REGISTRY = `agencies:
  - id: jia-ip-firm
    name: 甲知识产权代理所
    fields: [patent, trademark]
    services: [agency, litigation, consulting]
    districts: all
    capacity: 5
    contact: 甲所 0533-1111111
  - id: yi-law-firm
    name: 乙律师事务所
    fields: [patent, trademark]
    services: [agency, litigation, consulting]
    districts: all
    capacity: 5
    contact: 乙所 0533-2222222
`;

describe.skipIf(!hasChromium)(hasChromium ? 'cases board in Chromium' : `cases board in Chromium (SKIPPED: ${CHROMIUM} is missing)`, () => {
  const held = pageTestResources();

  it('an agency works its own cases and gets a 403, audited, on another; staff see the board and assign', { timeout: 240_000 }, async () => {
    held.dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-cases-'));
    const registry = path.join(held.dataDir, 'agencies.yaml');
    await writeFile(registry, REGISTRY);
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: held.dataDir, AGENCIES_FILE: registry };
    delete env.DATABASE_URL;
    await createAccounts(env, [
      { username: 'admin1', role: 'admin', name: '张主任' },
      { username: 'jia1', role: 'agency', agency: 'jia-ip-firm', name: '甲所 王律师' },
    ]);
    const started = await startServer(held.dataDir, { AGENCIES_FILE: registry, CASE_CALENDAR: '24x7', CASE_ACCEPT_SLA: '35s' });
    held.server = started.child;
    const { url } = started;
    const api = async <T>(route: string, body?: object): Promise<T> => {
      const res = await fetch(`${url}${route}`, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
      expect(res.status, `${route}: ${res.status}`).toBe(200);
      return (await res.json()) as T;
    };
    type View = { id: string; status: string; agency: { id: string } | null; consent: { consentId?: number }; events: { type: string }[] };
    let n = 0;
    const refer = (question: string, contact?: string) => referOverApi<View>(api, `web-user-${++n}`, question, contact);
    const mine = await refer('我们的专利被侵权了，想找律师起诉对方', CONTACT);
    const theirs = await refer('我们的商标被人抢注了，想找律师起诉');
    const queuedA = await refer('我们的软件著作权被盗版了，想找律师起诉');
    const queuedB = await refer('我们的地理标志产品被人冒用，想找律师维权');
    expect([mine.agency?.id, theirs.agency?.id, queuedA.status, queuedB.status]).toEqual(['jia-ip-firm', 'yi-law-firm', 'staff_queue', 'staff_queue']);

    const browser = (held.browser = await launchChromium());
    await mkdir(SCREENSHOTS, { recursive: true });
    const external: string[] = [];
    const watch = (page: Page) =>
      page.on('request', (r) => {
        if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) external.push(r.url());
      });

    // The agency: its case with the consented contact, not the other agency's.
    const agencyPage = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })).newPage();
    watch(agencyPage);
    await login(agencyPage, url, 'jia1');
    expect(agencyPage.url()).toBe(`${url}/console/cases`);
    await expect(agencyPage.locator('table.cases tbody tr').count()).resolves.toBe(1);
    expect(await agencyPage.content()).not.toContain(theirs.id.slice(0, 8));
    await agencyPage.screenshot({ path: path.join(SCREENSHOTS, 'console-cases-agency.png'), fullPage: true });
    await Promise.all([agencyPage.waitForURL(`${url}/console/cases/${mine.id}`), agencyPage.click(`a[href="/console/cases/${mine.id}"]`)]);
    await expect(agencyPage.locator('strong.contact').textContent()).resolves.toBe(CONTACT);
    await expect(agencyPage.locator('.question').textContent()).resolves.toBe('我们的专利被侵权了，想找律师起诉对方');

    const denied = await agencyPage.goto(`${url}/console/cases/${theirs.id}`);
    expect(denied!.status()).toBe(403);
    await expect(agencyPage.locator('main h1').textContent()).resolves.toBe('无权访问');
    expect(await agencyPage.content()).not.toContain('商标被人抢注');

    await agencyPage.goto(`${url}/console/cases/${mine.id}`);
    await Promise.all([agencyPage.waitForURL(/done=accept/), agencyPage.click('button:has-text("接受案件")')]);
    await agencyPage.fill('form:has(input[value="answer"]) textarea[name="text"]', '您好，请先保存侵权产品的购买凭证和网页截图，我所王律师明天上午致电您。');
    await Promise.all([agencyPage.waitForURL(/done=answer/), agencyPage.click('button:has-text("发送答复")')]);
    await agencyPage.screenshot({ path: path.join(SCREENSHOTS, 'console-case-agency.png'), fullPage: true });
    // Closing asks first (static/confirm.js); the agency says yes.
    agencyPage.once('dialog', (d) => void d.accept());
    await Promise.all([agencyPage.waitForURL(/done=close/), agencyPage.click('button:has-text("办结案件")')]);
    const closed = await api<View & { messages: { from: string; text: string }[] }>(`/api/v1/cases/${mine.id}?userId=${mine.userId}`);
    expect(closed.status).toBe('completed');
    expect(closed.messages.some((m) => m.from === 'agency' && m.text.includes('购买凭证'))).toBe(true);
    await api(`/api/v1/cases/${mine.id}/rating`, { userId: mine.userId, resolved: true, rating: 5 });

    // Staff: the attempt in the audit log; a queued case assigned by hand.
    const admin = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })).newPage();
    watch(admin);
    await login(admin, url, 'admin1');
    await admin.goto(`${url}/console/audit?action=case.denied`);
    const entry = admin.locator('table.audit tbody tr').first();
    // The case id is shortened on the page, whole in the tooltip.
    await expect(entry.textContent()).resolves.toContain(theirs.id.slice(0, 8));
    await expect(entry.locator(`[title="${theirs.id}"]`).count()).resolves.toBe(1);
    await expect(entry.textContent()).resolves.toContain('jia1');
    await admin.goto(`${url}/console/cases`);
    await expect(admin.locator('#staff-queue table.queue tbody tr').count()).resolves.toBe(2);
    await admin.selectOption(`#assign-${queuedA.id}`, 'yi-law-firm');
    admin.once('dialog', (d) => void d.accept());
    await Promise.all([admin.waitForURL(/done=assign/), admin.click(`form[action="/console/cases/${queuedA.id}/assign"] button`)]);
    const assigned = await api<View>(`/api/v1/cases/${queuedA.id}?userId=${queuedA.userId}`);
    expect(assigned).toMatchObject({ status: 'awaiting_consent', agency: { id: 'yi-law-firm' } });
    await admin.screenshot({ path: path.join(SCREENSHOTS, 'console-case-detail.png'), fullPage: true });
    expect(await admin.content()).not.toContain(CONTACT);

    // The other agency never answers: once its time is up the case moves on (to jia, under new consent).
    const deadline = Date.now() + 120_000;
    let moved: View | undefined;
    while (Date.now() < deadline) {
      moved = await api<View>(`/api/v1/cases/${theirs.id}?userId=${theirs.userId}`);
      if (moved.events.some((e) => e.type === 'sla_breached')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(moved!.status).toBe('awaiting_consent');
    expect(moved!.agency!.id).toBe('jia-ip-firm');
    await api(`/api/v1/cases/${theirs.id}/consent`, { userId: theirs.userId, consent: true, consentId: moved!.consent.consentId });

    // The board: states, the one case left in the staff queue, the breach, the response times.
    await admin.goto(`${url}/console/cases`);
    await expect(admin.locator('#staff-queue table.queue tbody tr').count()).resolves.toBe(1);
    const theirsRow = admin.locator(`table.cases tbody tr:has(a[href="/console/cases/${theirs.id}"])`);
    await expect(theirsRow.textContent()).resolves.toContain('曾超时 1 次');
    expect(await admin.content()).not.toContain(CONTACT);
    await expect(admin.locator('#agency-performance').textContent()).resolves.toMatch(/乙律师事务所[\s\S]*0%/);
    await admin.screenshot({ path: path.join(SCREENSHOTS, 'console-cases.png'), fullPage: true });

    // Analytics show the referrals per agency.
    await admin.goto(`${url}/console/analytics`);
    await admin.waitForSelector('#analytics[data-ready="true"]', { timeout: 30_000 });
    await expect(admin.locator('#agencies table tbody tr').count()).resolves.toBe(2);
    expect(await admin.locator('#chart-agencies svg').count()).toBe(1);
    await admin.waitForTimeout(300);
    await admin.locator('#agencies').scrollIntoViewIfNeeded();
    await admin.screenshot({ path: path.join(SCREENSHOTS, 'console-analytics-agencies.png'), fullPage: true });
    expect(external).toEqual([]);
  });
});
