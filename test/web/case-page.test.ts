/**
 * A referral in the chat page, in Debian's Chromium against the real server (`src/main.ts`) and a webhook
 * agency on loopback: 转人工 → the consent notice naming the agency → a contact and consent → the agency is
 * notified, accepts, answers and closes through signed callbacks → the page shows each step → the user rates.
 * Leaves test-results/case-page.png.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeAgencyWebhook } from '../fakes/agency-webhook.js';
import { WEBHOOK_SECRET } from '../escalation/fixtures.js';
import { CHROMIUM, SCREENSHOTS, hasChromium, launchChromium, startServer } from './browser.js';

describe.skipIf(!hasChromium)(hasChromium ? 'referral in the chat page' : `referral in the chat page (SKIPPED: ${CHROMIUM} is missing)`, () => {
  let browser: Browser | undefined;
  let server: ChildProcess | undefined;
  let agency: FakeAgencyWebhook | undefined;
  let dataDir = '';

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await agency?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows consent, the agency accepting and answering, and takes a rating', { timeout: 120_000 }, async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-case-page-'));
    agency = await new FakeAgencyWebhook(WEBHOOK_SECRET).start();
    const registry = path.join(dataDir, 'agencies.yaml');
    await writeFile(
      registry,
      `agencies:\n  - id: page-firm\n    name: 页面测试律师事务所\n    fields: [trademark, patent]\n    services: [litigation]\n    districts: all\n    capacity: 5\n    contact: 0533-7654321\n    channel: {type: webhook, url: "${agency.url}", secret: "${WEBHOOK_SECRET}"}\n`,
    );
    const started = await startServer(dataDir, { AGENCIES_FILE: registry, CASE_CALENDAR: '24x7' });
    server = started.child;
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await page.goto(started.url);

    await page.fill('#question', '我们公司的商标被人恶意抢注了，想找律师起诉对方');
    await page.click('#send');
    await page.locator('article.msg.bot').first().waitFor();
    await page.click('button[data-action="referral"]');
    const card = page.locator('section.case');
    await card.locator('.case-notice', { hasText: '页面测试律师事务所' }).waitFor();
    expect(await card.locator('.case-notice').textContent()).toMatch(/用途[\s\S]*提供的信息/);
    expect(agency.deliveries).toHaveLength(0);

    await card.locator('input.case-contact').fill('13800138000');
    await card.locator('button', { hasText: '同意转介' }).click();
    await card.locator('h3', { hasText: '等待机构接受' }).waitFor();
    await agency.waitFor((d) => d.length === 1);
    const request = agency.deliveries[0]!.event!;
    expect(request).toMatchObject({ type: 'case.requested', data: { contact: '13800138000', field: 'trademark' } });

    const act = async (body: object, id: string) => {
      const raw = JSON.stringify(body);
      const res = await fetch(`${started.url}/api/v1/agency/cases/${request.data.caseId}/events`, { method: 'POST', headers: agency!.sign(raw, id), body: raw });
      expect(res.status).toBe(200);
    };
    await act({ type: 'accept' }, 'evt-page-1');
    await act({ type: 'answer', text: '您好，请准备好商标注册证和对方的使用证据，我们会尽快联系您。' }, 'evt-page-2');
    await card.locator('.case-message.from-agency', { hasText: '商标注册证' }).waitFor({ timeout: 20_000 });
    await act({ type: 'close' }, 'evt-page-3');
    await card.locator('.case-rating').waitFor({ timeout: 20_000 });
    await card.locator('button', { hasText: '已解决' }).click();
    await card.locator('button', { hasText: '5 分' }).click();
    await card.locator('p', { hasText: '您的评价：5 分' }).waitFor();

    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'case-page.png'), fullPage: false });
  });
});
