/**
 * The console at a laptop's 1366×768 and a tablet's 820×1180 in Debian's Chromium, against the real server
 * with a seeded registry and traffic (seeded-console.ts). At each size:
 * - the agency's board shows the SLA deadline column whole inside the viewport;
 * - the menu-bar counts move: the agency's "new cases" count drops and the staff-queue count grows when the
 *   agency declines a patent case that no other agency takes;
 * - feedback reads 好评/差评 in words (title and text) and no page holds an emoji code point;
 * - decline, close, assign and approve each ask first; dismissing the dialog sends nothing and changes
 *   nothing, accepting it acts.
 * Leaves test-results/console-layout-*.png.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, SCREENSHOTS, hasChromium, launchChromium, pageTestResources } from '../web/browser.js';
import { login } from './browser-steps.js';
import { proposeCorrection, seededConsole, seedTraffic, type CaseView } from './seeded-console.js';

const SIZES = [
  { name: 'laptop', width: 1366, height: 768 },
  { name: 'tablet', width: 820, height: 1180 },
];
const EMOJI = /[\p{Extended_Pictographic}\u{FE0F}]/u;

/** The count in the menu bar next to `href`: 0 when no badge is shown; its spoken words checked too. */
async function badgeCount(page: Page, href: string, words: string): Promise<number> {
  const badge = page.locator(`header.top nav a[href="${href}"] .badge`);
  if ((await badge.count()) === 0) return 0;
  const n = Number(await badge.getAttribute('data-count'));
  await expect(badge.locator('.sr-only').textContent()).resolves.toBe(`（${n} ${words}）`);
  return n;
}

/**
 * Clicks `button` and dismisses the dialog it opens: the dialog's text is returned, and no POST may leave
 * the page (the handler runs inside the click, so the submit event has been cancelled by the time it returns).
 */
async function dismissed(page: Page, button: string): Promise<string> {
  const posts: string[] = [];
  const watch = (r: { method(): string; url(): string }) => void (r.method() === 'POST' && posts.push(r.url()));
  page.on('request', watch);
  const before = page.url();
  let message = '';
  page.once('dialog', (d) => {
    message = d.message();
    void d.dismiss();
  });
  await page.click(button);
  // One more round trip to the page: anything the click started has been sent by the time it answers.
  await page.evaluate(() => 0);
  page.off('request', watch);
  expect(posts).toEqual([]);
  expect(page.url()).toBe(before);
  return message;
}

async function accepted(page: Page, button: string, done: RegExp) {
  page.once('dialog', (d) => void d.accept());
  await Promise.all([page.waitForURL(done), page.click(button)]);
}

async function noEmoji(page: Page) {
  const html = await page.content();
  expect(EMOJI.exec(html)?.[0], page.url()).toBeUndefined();
}

describe.skipIf(!hasChromium)(hasChromium ? 'console layout in Chromium' : `console layout in Chromium (SKIPPED: ${CHROMIUM} is missing)`, () => {
  const held = pageTestResources();

  it('holds at 1366×768 and 820×1180: deadline in view, counts that move, words not emoji, confirmations', { timeout: 420_000 }, async () => {
    held.dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-layout-'));
    const s = await seededConsole(held.dataDir);
    held.server = s.child;
    const { url } = s;
    await seedTraffic(s);
    const browser = (held.browser = await launchChromium());
    await mkdir(SCREENSHOTS, { recursive: true });
    // The confirmation script and the rest run under the console's CSP: a violation would show here.
    const cspViolations: string[] = [];
    const open = async (username: string) => {
      const page = await (await browser.newContext({ viewport: SIZES[0]!, locale: 'zh-CN' })).newPage();
      page.on('console', (m) => void (/Content Security Policy/i.test(m.text()) && cspViolations.push(m.text())));
      await login(page, url, username);
      return page;
    };
    const [admin, reviewer, jia] = [await open('admin1'), await open('rev1'), await open('jia1')];

    for (const size of SIZES) {
      for (const page of [admin, reviewer, jia]) await page.setViewportSize({ width: size.width, height: size.height });
      const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `console-layout-${name}-${size.name}.png`), fullPage: true });
      // Two patent cases reach the agency (jia takes patents only; nobody else does).
      const toDecline = await s.refer(`我们的专利被侵权了，想找律师起诉（${size.name} 一）`);
      const toClose = await s.refer(`我们的发明专利被仿冒了，想请律师维权（${size.name} 二）`);
      expect([toDecline, toClose].map((c: CaseView) => [c.status, c.agency?.id])).toEqual([['requested', 'jia-ip-firm'], ['requested', 'jia-ip-firm']]);

      // The agency's board: the deadline column whole inside the viewport, without scrolling.
      await jia.goto(`${url}/console/cases`);
      const row = jia.locator(`table.cases tr:has(a[href="/console/cases/${toDecline.id}"])`);
      for (const cell of [jia.locator('table.cases th.due').first(), row.locator('td.due')]) {
        const box = (await cell.boundingBox())!;
        expect(box.x, size.name).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width, size.name).toBeLessThanOrEqual(size.width);
      }
      await expect(row.locator('td.due').textContent()).resolves.toMatch(/接受剩/);
      await noEmoji(jia);
      await shot(jia, 'agency-board');
      const newCases = await badgeCount(jia, '/console/cases', '件新案件待接受');
      expect(newCases).toBeGreaterThanOrEqual(2);

      await admin.goto(`${url}/console/cases`);
      const queued = await badgeCount(admin, '/console/cases', '件待人工分派');

      // Decline: asked first; "no" sends nothing; "yes" declines, and with no other patent agency the case
      // goes to the staff queue.
      await jia.goto(`${url}/console/cases/${toDecline.id}`);
      await jia.fill('form:has(input[value="decline"]) textarea[name="reason"]', '本所与对方存在利益冲突');
      expect(await dismissed(jia, 'button:has-text("拒绝，转给其他机构")')).toContain('确定拒绝此案件吗');
      expect(await s.caseStatus(toDecline)).toBe('requested');
      await accepted(jia, 'button:has-text("拒绝，转给其他机构")', /done=decline/);
      expect(await s.caseStatus(toDecline)).toBe('staff_queue');
      await expect(badgeCount(jia, '/console/cases', '件新案件待接受')).resolves.toBe(newCases - 1);
      await admin.reload();
      await expect(badgeCount(admin, '/console/cases', '件待人工分派')).resolves.toBe(queued + 1);
      await shot(admin, 'staff-board');

      // Assign from the staff queue: asked first.
      await admin.selectOption(`#assign-${toDecline.id}`, 'yi-law-firm');
      expect(await dismissed(admin, `form[action="/console/cases/${toDecline.id}/assign"] button`)).toContain('确定把此案件分派给所选机构吗');
      expect(await s.caseStatus(toDecline)).toBe('staff_queue');
      await accepted(admin, `form[action="/console/cases/${toDecline.id}/assign"] button`, /done=assign/);
      expect(await s.caseStatus(toDecline)).toBe('awaiting_consent');
      await admin.goto(`${url}/console/cases`);
      await expect(badgeCount(admin, '/console/cases', '件待人工分派')).resolves.toBe(queued);

      // Close: accepting asks nothing; closing asks first.
      await jia.goto(`${url}/console/cases/${toClose.id}`);
      await Promise.all([jia.waitForURL(/done=accept/), jia.click('button:has-text("接受案件")')]);
      expect(await dismissed(jia, 'button:has-text("办结案件")')).toContain('确定办结此案件吗');
      expect(await s.caseStatus(toClose)).toBe('accepted');
      await accepted(jia, 'button:has-text("办结案件")', /done=close/);
      expect(await s.caseStatus(toClose)).toBe('completed');

      // Approve: the reviewer proposes a correction, the admin is asked before approving it.
      const wrong = await s.ask(`商标被别人抢注了怎么办？（${size.name}）`);
      await s.feedback(wrong, 'down', '没说怎么提异议');
      await proposeCorrection(reviewer, url, wrong.id, `可在商标初审公告期内提出异议（${size.name}）。`);
      await admin.goto(`${url}/console/approved`);
      const approve = 'article.version button:has-text("批准")';
      expect(await dismissed(admin, approve)).toContain('确定批准此版本吗');
      await expect(admin.locator(approve).count()).resolves.toBe(1);
      await accepted(admin, approve, /done=approved/);
      await expect(admin.locator(approve).count()).resolves.toBe(0);

      // Feedback in words: the list tells 好评 from 差评 by text and title, with no emoji on any page.
      await admin.goto(`${url}/console/consultations`);
      const up = admin.locator('table.list td.feedback .fb-up').first();
      const down = admin.locator('table.list td.feedback .fb-down').first();
      await expect(up.textContent()).resolves.toMatch(/^好评 \d+$/);
      await expect(up.getAttribute('title')).resolves.toMatch(/^好评 \d+ 条$/);
      await expect(down.textContent()).resolves.toMatch(/^差评 \d+$/);
      await expect(down.getAttribute('title')).resolves.toMatch(/^差评 \d+ 条$/);
      await expect(up.locator('svg[aria-hidden="true"]').count()).resolves.toBe(1);
      await noEmoji(admin);
      await shot(admin, 'consultations');
      await reviewer.goto(`${url}/console/review`);
      await expect(reviewer.locator('.tile:has([data-kind="thumbs_down"])').textContent()).resolves.toContain('用户差评');
      await expect(badgeCount(reviewer, '/console/review', '条待审核')).resolves.toBeGreaterThan(0);
      await noEmoji(reviewer);
      await reviewer.goto(`${url}/console/analytics`);
      await reviewer.waitForSelector('#analytics[data-ready="true"]', { timeout: 30_000 });
      await expect(reviewer.locator('#kpis').textContent()).resolves.toMatch(/好评率（好评 \d+ \/ 差评 \d+）/);
      await noEmoji(reviewer);
    }
    expect(cspViolations).toEqual([]);
  });
});
