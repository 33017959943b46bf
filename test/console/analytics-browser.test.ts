/**
 * The analytics page in Debian's Chromium against the real server, at a laptop's 1366×768 and a tablet's
 * 820×1180: the charts draw (an SVG with shapes in each), the page's content security policy is never
 * violated (a `securitypolicyviolation` listener installed before any script runs), and a range without
 * consultations shows the empty state instead of empty axes. Screenshots of analytics, the audit log, the
 * account page (password rules) and a consultation at both sizes go to SHOTS_DIR (default test-results/words).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, SCREENSHOTS, hasChromium, launchChromium, pageTestResources } from '../web/browser.js';
import { login, serveWithAccounts } from './browser-steps.js';

const SHOTS = process.env.SHOTS_DIR ?? path.join(SCREENSHOTS, 'words');
const SIZES = [
  { name: 'laptop', width: 1366, height: 768 },
  { name: 'tablet', width: 820, height: 1180 },
] as const;

if (!hasChromium) console.warn(`[console] analytics browser test SKIPPED: ${CHROMIUM} is missing`);

/** A page that records every CSP violation from its first script on. */
async function watchedPage(browser: Browser, size: { width: number; height: number }): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, locale: 'zh-CN' });
  // A script string: the test is compiled without the DOM's types.
  await context.addInitScript({
    content: `window.__cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));`,
  });
  const page = await context.newPage();
  const fromConsole: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) fromConsole.push(m.text());
  });
  return { page, violations: async () => [...fromConsole, ...((await page.evaluate('window.__cspViolations')) as string[])] };
}

describe.skipIf(!hasChromium)('analytics in Chromium', () => {
  const held = pageTestResources();

  it('draws the charts under the CSP at both sizes, and shows an empty range as such', { timeout: 240_000 }, async () => {
    const url = await serveWithAccounts(held, 'ipcb-analytics-', [{ username: 'admin1', role: 'admin', name: '张审核' }]);
    for (const [i, question] of ['商标被别人抢注了怎么办？', '知识产权保险有哪些?', '专利质押融资有什么支持?', '今天天气怎么样', '青岛的专利资助怎么申请?'].entries()) {
      const res = await fetch(`${url}/api/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question, userId: 'u1', conversationId: `c-${i}` }) });
      expect(res.status, await res.text()).toBe(200);
    }
    const browser = (held.browser = await launchChromium());
    await mkdir(SHOTS, { recursive: true });

    for (const size of SIZES) {
      const { page, violations } = await watchedPage(browser, size);
      await login(page, url, 'admin1');

      await page.goto(`${url}/console/analytics`);
      await page.waitForSelector('#analytics[data-ready]');
      expect(await page.getAttribute('#analytics', 'data-ready')).toBe('true');
      for (const id of ['chart-daily', 'chart-outcomes', 'chart-topics', 'chart-cited']) {
        // Drawn: an SVG with shapes in it, and the chart has room on the page.
        const shapes = await page.locator(`#${id} svg path, #${id} svg rect`).count();
        expect(shapes, id).toBeGreaterThan(3);
        const box = await page.locator(`#${id} svg`).boundingBox();
        expect(box!.width, id).toBeGreaterThan(200);
        expect(box!.height, id).toBeGreaterThan(100);
      }
      // Tooltips too: ECharts writes them as HTML with style attributes unless told otherwise.
      for (const id of ['chart-daily', 'chart-outcomes', 'chart-topics', 'chart-cited']) {
        const box = (await page.locator(`#${id}`).boundingBox())!;
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.move(box.x + box.width / 2 + 5, box.y + box.height / 2 + 5);
      }
      await page.locator('#chart-outcomes svg').hover();
      expect(await violations()).toEqual([]);
      // The tooltip of today's bar (the last one) is drawn inside the chart: the day appears in the SVG's text.
      const daily = (await page.locator('#chart-daily').boundingBox())!;
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
      await page.mouse.move(daily.x + daily.width - 22, daily.y + daily.height - 50);
      await expect.poll(async () => (await page.locator('#chart-daily svg text').allTextContents()).join(' ')).toContain(today);
      await page.locator('#chart-daily').screenshot({ path: path.join(SHOTS, `analytics-tooltip-${size.name}.png`) });
      expect(await page.isVisible('#analytics-empty')).toBe(false);
      // The last 30 days are all on the daily axis, quiet ones too.
      expect(await page.locator('#chart-daily svg text').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^\d\d-\d\d$/)]));
      await page.screenshot({ path: path.join(SHOTS, `analytics-${size.name}.png`), fullPage: true });

      await page.goto(`${url}/console/analytics?from=2020-01-01&to=2020-01-31`);
      await page.waitForSelector('#analytics[data-ready]');
      expect(await page.isVisible('#analytics-empty')).toBe(true);
      expect(await page.textContent('#analytics-empty')).toContain('没有咨询');
      expect(await page.isVisible('#chart-daily')).toBe(false);
      expect(await page.isVisible('#kpis')).toBe(false);
      await page.screenshot({ path: path.join(SHOTS, `analytics-empty-${size.name}.png`), fullPage: true });

      await page.goto(`${url}/console/audit`);
      expect(await page.locator('select[name="action"] option').count()).toBeGreaterThan(20);
      await page.screenshot({ path: path.join(SHOTS, `audit-${size.name}.png`), fullPage: true });

      await page.goto(`${url}/console/account`);
      expect(await page.textContent('#password-rules')).toContain('不能包含用户名');
      await page.screenshot({ path: path.join(SHOTS, `account-${size.name}.png`), fullPage: true });
      await page.goto(`${url}/console/consultations`);
      await page.click('table.list tbody tr:first-child a');
      await page.waitForSelector('dl.meta');
      await page.screenshot({ path: path.join(SHOTS, `consultation-${size.name}.png`), fullPage: true });

      expect(await violations()).toEqual([]);
      await page.context().close();
    }
  });
});
