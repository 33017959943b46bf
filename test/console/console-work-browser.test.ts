/**
 * A working day in the console, in Debian's Chromium against the real server, on a laptop (1366×768) and
 * a tablet (820×1180): search, go to page 2, open a result, and Back (the browser's and "← 返回咨询记录")
 * lands on the same filtered page with no resubmission; the consultation page lists every turn of its
 * conversation; a correction cites an article that was not retrieved, found with the review form's
 * search, and once approved the bot's answer cites it; an approved answer is edited and the new version
 * answers only after another admin approves it. Screenshots of each page go to CONSOLE_SHOTS (default
 * test-results/), one set per size.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, SCREENSHOTS, hasChromium, launchChromium, pageTestResources } from '../web/browser.js';
import { login, serveWithAccounts } from './browser-steps.js';

const SHOTS = process.env.CONSOLE_SHOTS ?? SCREENSHOTS;
if (!hasChromium) console.warn(`[console] browser test SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`);

interface Asked {
  id: string;
  answer: string;
  citations: { documentId: string; article: string }[];
}

/** Each size works on its own question and its own article, so what one approves cannot answer the other's. */
const SIZES = [
  { name: 'laptop', viewport: { width: 1366, height: 768 }, question: '商标被别人抢注了怎么办？', find: '商标法 第三十三条', edited: '（修订）商标被抢注的，可在公告期内提出异议；已注册的，可请求宣告无效。' },
  { name: 'tablet', viewport: { width: 820, height: 1180 }, question: '专利申请被驳回了怎么办？', find: '专利法 第四十一条', edited: '（修订）对驳回申请的决定不服的，可在收到通知之日起三个月内请求复审。' },
] as const;

describe.skipIf(!hasChromium)(hasChromium ? 'console work in Chromium' : `console work in Chromium (SKIPPED: ${CHROMIUM} is missing)`, () => {
  const held = pageTestResources();

  it('keeps the place through Back, cites an article found by search, and edits an approved answer, at both sizes', { timeout: 480_000 }, async () => {
    const url = await serveWithAccounts(held, 'ipcb-console-work-', [
      { username: 'admin1', role: 'admin', name: '张审核' },
      { username: 'admin2', role: 'admin', name: '李主任' },
    ]);
    const ask = async (question: string, conversationId = `c-${Math.random()}`, userId = 'u1') => {
      const res = await fetch(`${url}/api/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question, userId, conversationId }) });
      return (await res.json()) as Asked;
    };
    // 56 questions about 商标 in conversations of four turns: more than one page (50) for the search.
    const topics = ['商标注册要多久？', '商标续展怎么办理？', '商标被驳回怎么复审？', '商标许可要备案吗？'];
    for (let i = 0; i < 56; i++) await ask(`${topics[i % 4]}（第${i + 1}问）`, `conv-${Math.floor(i / 4)}`, `user-${Math.floor(i / 8)}`);
    const asked = new Map<string, Asked>();
    for (const size of SIZES) asked.set(size.name, await ask(size.question, `conv-${size.name}`, 'u-work'));

    const browser = (held.browser = await launchChromium());
    await mkdir(SHOTS, { recursive: true });
    const cspViolations: string[] = [];
    const open = async (b: Browser, viewport: { width: number; height: number }) => {
      const page = await (await b.newContext({ viewport, locale: 'zh-CN' })).newPage();
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });
      return page;
    };
    const shot = (page: Page, size: string, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}-${size}.png`), fullPage: true });

    for (const size of SIZES) {
      const page = await open(browser, size.viewport);
      await login(page, url, 'admin1');

      // Search, page 2, open a result, Back: the same filter and page, shown again without a resubmission.
      await page.fill('#filters input[name="q"]', '商标');
      await Promise.all([page.waitForURL(/\/console\/consultations\?q=/), page.click('#filters button[type="submit"]')]);
      const total = await page.locator('#total').textContent();
      expect(Number(total)).toBeGreaterThan(50);
      await expect(page.locator('.page-number').textContent()).resolves.toBe('第 1 页');
      await Promise.all([page.waitForURL(/page=2/), page.click('a[rel="next"]')]);
      const listUrl = page.url();
      expect(new URL(listUrl).searchParams.get('q')).toBe('商标');
      await expect(page.locator('.page-number').textContent()).resolves.toBe('第 2 页');
      expect(await page.locator('a[rel="prev"]').count()).toBe(1);
      await shot(page, size.name, 'list-page-2');
      const firstOnPage2 = await page.locator('table.list tbody tr a').first().textContent();
      await Promise.all([page.waitForURL(/\/console\/consultations\/[0-9a-f-]{36}\?back=/), page.locator('table.list tbody tr a').first().click()]);
      // The whole conversation, this turn highlighted.
      expect(await page.locator('ol.turns li.turn').count()).toBe(4);
      await expect(page.locator('li.turn.current .turn-q').textContent()).resolves.toContain(firstOnPage2!.trim());
      await shot(page, size.name, 'detail-conversation');
      await page.goBack();
      expect(page.url()).toBe(listUrl);
      await expect(page.locator('.page-number').textContent()).resolves.toBe('第 2 页');
      await expect(page.locator('#filters input[name="q"]').inputValue()).resolves.toBe('商标');
      await expect(page.locator('#total').textContent()).resolves.toBe(total);
      // "← 返回咨询记录" goes to the same place, as does a turn opened from the conversation.
      await page.locator('table.list tbody tr a').first().click();
      await page.locator('ol.turns li.turn:not(.current) a').first().click();
      await Promise.all([page.waitForURL(listUrl), page.click('a.back')]);
      await expect(page.locator('.page-number').textContent()).resolves.toBe('第 2 页');
      // 上一页 is page 1 of the same search.
      await Promise.all([page.waitForURL((u) => !u.searchParams.has('page')), page.click('a[rel="prev"]')]);
      await expect(page.locator('.page-number').textContent()).resolves.toBe('第 1 页');
      expect(new URL(page.url()).searchParams.get('q')).toBe('商标');
      // The conversation's and the user's lists, from one of the seeded four-turn conversations.
      await page.locator('table.list tbody tr a:has-text("问）")').first().click();
      await Promise.all([page.waitForURL(/conversation=/), page.click('a:has-text("此会话全部记录")')]);
      await expect(page.locator('#total').textContent()).resolves.toBe('4');
      await page.goBack();
      await Promise.all([page.waitForURL(/user=/), page.click('a:has-text("此用户全部记录")')]);
      await expect(page.locator('#total').textContent()).resolves.toBe('8');
      await shot(page, size.name, 'list-one-user');

      // A correction that cites an article the answer did not retrieve, found with the search box.
      const mine = asked.get(size.name)!;
      await page.goto(`${url}/console/consultations/${mine.id}`);
      const retrieved = await page.locator('table.passages .muted').allTextContents();
      const corrected = `${size.name}：${size.edited.replace('（修订）', '')}`;
      await page.check('input[name="verdict"][value="incorrect"]');
      await page.click('details.correction summary');
      await page.fill('textarea[name="corrected"]', corrected);
      await page.fill('input[name="find"]', size.find);
      await Promise.all([page.waitForSelector('.article-results'), page.press('input[name="find"]', 'Enter')]);
      // The draft survived the search.
      await expect(page.locator('textarea[name="corrected"]').inputValue()).resolves.toBe(corrected);
      expect(await page.locator('input[name="verdict"][value="incorrect"]').isChecked()).toBe(true);
      const choice = page.locator('.article-results input[name="cite"]').first();
      const wanted = (await choice.getAttribute('value'))!;
      expect(retrieved).not.toContain(wanted);
      await expect(page.locator('.article-results .article-label').first().textContent()).resolves.toMatch(/^《[^》]+》第[一二三四五六七八九十百]+条$/);
      await shot(page, size.name, 'review-article-search');
      await choice.check();
      await Promise.all([page.waitForURL(/done=reviewed/), page.click('button:has-text("提交审核")')]);
      // The page opens at its notice, not at the search box the draft was last shown at.
      expect(new URL(page.url()).hash).toBe('');
      expect(new URL(page.url()).searchParams.get('back')).toBeNull();

      const second = await open(browser, size.viewport);
      await login(second, url, 'admin2');
      await second.goto(`${url}/console/approved`);
      // Approval asks for confirmation first.
      second.on('dialog', (d) => void d.accept());
      await Promise.all([second.waitForURL(/done=approved/), second.click(`article.version:has-text("${corrected}") button:has-text("批准")`)]);
      const cited = await ask(size.question);
      expect(cited.answer).toContain(corrected);
      // The articles the answer cited stay ticked; the one found is cited with them.
      expect(cited.citations.map((c) => `${c.documentId}#${c.article}`)).toContain(wanted);

      // The approved answer edited in place: a new version, the old one answering until it is approved.
      await page.goto(`${url}/console/approved`);
      await Promise.all([page.waitForURL(/\/console\/approved\/[0-9a-f-]{36}$/), page.click(`table.list a:has-text("${size.question}")`)]);
      const answerUrl = page.url();
      await page.click('details.edit summary');
      await page.fill('textarea[name="answer"]', size.edited);
      await shot(page, size.name, 'approved-edit-form');
      await Promise.all([page.waitForURL(/done=proposed/), page.click('button:has-text("提交新版本")')]);
      await expect(page.locator('.version[data-version="2"] .tag.proposed').count()).resolves.toBe(1);
      await shot(page, size.name, 'approved-new-version');
      const meanwhile = await ask(size.question);
      expect(meanwhile.answer).toContain(corrected);
      expect(meanwhile.answer).toContain('第 1 版');
      await second.goto(answerUrl);
      await Promise.all([second.waitForURL(/done=approved/), second.click('article.version[data-version="2"] button:has-text("批准")')]);
      const now = await ask(size.question);
      expect(now.answer).toContain(size.edited);
      expect(now.answer).toContain('第 2 版');
      await page.goto(answerUrl);
      await expect(page.locator('.version.current').getAttribute('data-version')).resolves.toBe('2');
      expect(await page.locator('article.version').count()).toBe(2);
      await shot(page, size.name, 'approved-history');
      await page.context().close();
      await second.context().close();
    }
    expect(cspViolations).toEqual([]);
  });
});
