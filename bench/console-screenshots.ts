/**
 * `npm run screenshots:console -- [DIR]`: every console page as an admin, a reviewer and an agency sees it,
 * at a laptop's 1366×768 and a tablet's 820×1180, saved as PNG files in DIR (default /tmp/console-shots),
 * to look at after a change of layout. Runs the real server on a fresh embedded database in a temp
 * directory, seeded as the layout test seeds it (test/console/seeded-console.ts), with Debian's Chromium.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { login } from '../test/console/browser-steps.js';
import { proposeCorrection, seededConsole, seedTraffic } from '../test/console/seeded-console.js';
import { CHROMIUM, hasChromium, launchChromium } from '../test/web/browser.js';

const SIZES = [
  { name: '1366x768', width: 1366, height: 768 },
  { name: '820x1180', width: 820, height: 1180 },
];

const outDir = path.resolve(process.argv[2] ?? '/tmp/console-shots');
if (!hasChromium) {
  console.error(`${CHROMIUM} is missing (apt-get install -y chromium)`);
  process.exit(1);
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-shots-'));
const seeded = await seededConsole(dataDir);
let browser: Browser | undefined;
try {
  const { url } = seeded;
  const { cases } = await seedTraffic(seeded);
  const [patent, , queued] = cases;
  const wrong = await seeded.ask('商标被别人抢注了怎么办？');
  await seeded.feedback(wrong, 'down', '没说怎么提异议');
  // A patent case the agency accepts and answers, so its page shows the whole exchange.
  const held = await seeded.refer('我们的发明专利被仿冒了，想请律师维权', '13800001111');
  await mkdir(outDir, { recursive: true });
  browser = await launchChromium();
  const open = async (username: string) => {
    const page = await (await browser!.newContext({ viewport: SIZES[0]!, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    await login(page, url, username);
    return page;
  };
  const admin = await open('admin1');
  const reviewer = await open('rev1');
  const agency = await open('jia1');
  const anonymous = await (await browser.newContext({ viewport: SIZES[0]!, locale: 'zh-CN' })).newPage();

  await proposeCorrection(reviewer, url, wrong.id, '发现商标被抢注，可在初审公告期内提出异议，公告期满后可请求宣告无效。');
  await agency.goto(`${url}/console/cases/${held.id}`);
  await Promise.all([agency.waitForURL(/done=accept/), agency.click('button:has-text("接受案件")')]);
  await agency.fill('form:has(input[value="answer"]) textarea[name="text"]', '您好，请先保存侵权产品的购买凭证和网页截图，我所王律师明天上午致电您。');
  await Promise.all([agency.waitForURL(/done=answer/), agency.click('button:has-text("发送答复")')]);
  await admin.goto(`${url}/console/approved`);
  const approvedId = await admin.locator('article.version').first().getAttribute('data-answer');

  const saved: string[] = [];
  const shoot = async (page: Page, size: (typeof SIZES)[number], name: string, route: string, ready?: (page: Page) => Promise<unknown>) => {
    await page.goto(`${url}${route}`);
    await ready?.(page);
    const file = path.join(outDir, `${name}-${size.name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    saved.push(file);
  };
  const analyticsReady = (page: Page) => page.waitForSelector('#analytics[data-ready]', { timeout: 30_000 });

  for (const size of SIZES) {
    for (const page of [admin, reviewer, agency, anonymous]) await page.setViewportSize({ width: size.width, height: size.height });
    await shoot(anonymous, size, 'login', '/console/login');

    await shoot(admin, size, 'admin-consultations', '/console/consultations');
    await shoot(admin, size, 'admin-consultation', `/console/consultations/${wrong.id}`);
    await shoot(admin, size, 'admin-review', '/console/review');
    await shoot(admin, size, 'admin-approved', '/console/approved');
    if (approvedId) await shoot(admin, size, 'admin-approved-answer', `/console/approved/${approvedId}`);
    await shoot(admin, size, 'admin-cases', '/console/cases');
    await shoot(admin, size, 'admin-case', `/console/cases/${patent!.id}`);
    await shoot(admin, size, 'admin-analytics', '/console/analytics', analyticsReady);
    await shoot(admin, size, 'admin-audit', '/console/audit');
    await shoot(admin, size, 'admin-account', '/console/account');
    // The page the server asks on when the browser runs no script: assignment without confirmed=1.
    await admin.goto(`${url}/console/cases`);
    await admin.selectOption(`#assign-${queued!.id}`, 'yi-law-firm');
    await admin.locator(`form[action="/console/cases/${queued!.id}/assign"]`).evaluate((form: { removeAttribute(name: string): void }) => form.removeAttribute('data-confirm'));
    await Promise.all([admin.waitForLoadState('load'), admin.click(`form[action="/console/cases/${queued!.id}/assign"] button`)]);
    await admin.waitForSelector('main.confirm-page');
    await admin.screenshot({ path: path.join(outDir, `admin-confirm-assign-${size.name}.png`), fullPage: true });
    saved.push(path.join(outDir, `admin-confirm-assign-${size.name}.png`));
    await shoot(admin, size, 'admin-forbidden', '/console/cases/00000000-0000-4000-8000-000000000000');

    await shoot(reviewer, size, 'reviewer-consultations', '/console/consultations');
    await shoot(reviewer, size, 'reviewer-review', '/console/review');
    await shoot(reviewer, size, 'reviewer-approved', '/console/approved');
    await shoot(reviewer, size, 'reviewer-cases', '/console/cases');
    await shoot(reviewer, size, 'reviewer-analytics', '/console/analytics', analyticsReady);
    await shoot(reviewer, size, 'reviewer-account', '/console/account');

    await shoot(agency, size, 'agency-cases', '/console/cases');
    await shoot(agency, size, 'agency-case-held', `/console/cases/${held.id}`);
    await shoot(agency, size, 'agency-case-new', `/console/cases/${patent!.id}`);
    await shoot(agency, size, 'agency-account', '/console/account');
    await shoot(agency, size, 'agency-forbidden', '/console/consultations');
  }
  console.log(`${saved.length} screenshots in ${outDir}`);
} finally {
  await browser?.close();
  seeded.child.kill('SIGTERM');
  await new Promise((resolve) => seeded.child.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
