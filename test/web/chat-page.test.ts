/**
 * The chat page in Debian's Chromium against the real server (`src/main.ts`, embedded database in a temp
 * DATA_DIR): ask, see a cited answer, open a citation, press 👎, stop the server with SIGTERM and find
 * the feedback in the database. Leaves a screenshot in test-results/.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/store/db.js';
import { CHROMIUM, SCREENSHOTS, hasChromium, launchChromium, startServer } from './browser.js';

if (!hasChromium) console.warn(`[web] browser test SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)(hasChromium ? 'chat page in Chromium' : `chat page in Chromium (SKIPPED: ${CHROMIUM} is missing)`, () => {
  let browser: Browser | undefined;
  let server: ChildProcess | undefined;
  let dataDir = '';

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('asks, shows a cited answer, takes 👎, and the feedback is in the database', { timeout: 120_000 }, async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-web-'));
    const started = await startServer(dataDir);
    server = started.child;

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' }); // a phone
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(started.url);
    await expect(page.title()).resolves.toBe('知识产权政策咨询');

    await page.fill('#question', '知识产权保险有哪些?');
    await page.click('#send');
    const answer = page.locator('article.msg.bot').first();
    await answer.locator('.answer').waitFor({ timeout: 30_000 });
    expect(await answer.getAttribute('data-outcome')).toBe('answered');
    expect(await answer.locator('.answer').textContent()).toContain('七、推动知识产权服务业优化升级');

    const citation = answer.locator('.citation').first();
    await citation.locator('summary').click();
    expect(await citation.locator('summary').textContent()).toMatch(/^\[1\] 七、/);
    expect(await citation.locator('.excerpt').isVisible()).toBe(true);
    expect(await citation.locator('.source').textContent()).toContain('文号：淄市监知促字〔2023〕130号');
    expect(await citation.locator('.source').textContent()).toContain('条款：七、');

    await answer.locator('button[data-rating="down"]').click();
    await page.locator('.status', { hasText: '感谢您的反馈！' }).waitFor();
    expect(await answer.locator('button[data-rating="down"]').getAttribute('aria-pressed')).toBe('true');

    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'chat-page.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
    await browser.close();
    browser = undefined;

    // Graceful shutdown releases the embedded database, so the test can open it.
    const exitCode = await new Promise<number | null>((resolve) => {
      server!.on('exit', resolve);
      server!.kill('SIGTERM');
    });
    expect(exitCode).toBe(0);

    const handle = await openDatabase({ dataDir });
    try {
      const rows = await queryRows<{ rating: number; channel: string; question: string; outcome: string }>(
        handle.db,
        sql`select f.rating, c.channel, c.question, c.outcome from feedback f join consultations c on c.id = f.consultation_id`,
      );
      expect(rows).toEqual([{ rating: -1, channel: 'web', question: '知识产权保险有哪些?', outcome: 'answered' }]);
    } finally {
      await handle.close();
    }
  });
});
