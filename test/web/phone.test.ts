/**
 * The chat page on a phone-sized screen (390×844) in Debian's Chromium against the real server: three
 * questions in one conversation, the last of them a follow-up. After each answer the new answer and the
 * input box are in view; answers carry the label of their answerer, Chinese punctuation, the document's
 * own article numbers, feedback buttons with words, and the whole article one click away.
 * Screenshots: test-results/phone-1.png … phone-3.png and phone-full-text.png (the path is printed).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, SCREENSHOTS, hasChromium, launchChromium, startServer } from './browser.js';

const PHONE = { width: 390, height: 844 };
const NO_EMOJI = "document.documentElement.classList.contains('no-emoji')";

/** Whether the element's box lies inside the window (`whole`: all of it, else its top part). */
async function inView(page: Page, locator: Locator, whole: boolean): Promise<boolean> {
  const box = await locator.boundingBox();
  const { height } = page.viewportSize()!;
  if (!box) return false;
  return box.y >= 0 && (whole ? box.y + box.height <= height : box.y + 40 <= height);
}

describe.skipIf(!hasChromium)(hasChromium ? 'chat page on a phone' : `chat page on a phone (SKIPPED: ${CHROMIUM} is missing)`, () => {
  let browser: Browser | undefined;
  let server: ChildProcess | undefined;
  let dataDir = '';
  let url = '';

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-phone-'));
    const started = await startServer(dataDir);
    server = started.child;
    url = started.url;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the newest answer and the input in view through three questions', { timeout: 120_000 }, async () => {
    const page = await browser!.newPage({ viewport: PHONE, locale: 'zh-CN', hasTouch: true, isMobile: true });
    await page.goto(url);
    await mkdir(SCREENSHOTS, { recursive: true });

    const questions = ['知识产权保险有哪些?', '商标被别人恶意抢注了怎么办?', '那找谁办?'];
    const bodies: { answer: string; answerer: string; citations: { excerpt: string }[] }[] = [];
    page.on('response', async (response) => {
      if (response.url().endsWith('/api/v1/ask')) bodies.push(await response.json());
    });
    for (const [i, question] of questions.entries()) {
      await page.fill('#question', question);
      await page.click('#send');
      const answers = page.locator('article.msg.bot');
      await expect.poll(() => answers.count(), { timeout: 30_000 }).toBe(i + 1);
      const last = answers.last();
      await last.locator('.meta').waitFor();
      expect(await last.getAttribute('data-outcome')).toBe('answered');
      expect(await inView(page, last, false)).toBe(true);
      expect(await inView(page, page.locator('#question'), true)).toBe(true);
      expect(await inView(page, page.locator('#send'), true)).toBe(true);
      await page.screenshot({ path: path.join(SCREENSHOTS, `phone-${i + 1}.png`) });
    }
    console.log(`[web] phone screenshots in ${SCREENSHOTS}`);

    const last = page.locator('article.msg.bot').last();
    // The follow-up was read with the question before it: who handles it, by the departments a policy
    // article names or the body a law names (not a remark that none is listed).
    const whoHandles = (await last.locator('.answer').textContent()) ?? '';
    expect(whoHandles).toMatch(/责任单位是：|商标局|行政部门|人民法院/);
    expect(whoHandles).not.toMatch(/没有列明责任单位/);

    // Labels follow the answerer the API reports; extractive answers are quotes, not AI.
    expect(bodies.map((b) => b.answerer)).toEqual(['extractive', 'extractive', 'extractive']);
    const first = page.locator('article.msg.bot').first();
    expect(await first.locator('.meta').textContent()).toBe('已回答 · 原文摘录');
    expect(await page.locator('article.msg.bot .meta', { hasText: 'AI' }).count()).toBe(0);

    // Chinese punctuation on screen; the API's text and excerpts stay as the document writes them.
    expect(bodies[0]!.answer).toContain('保险业务,持续提升');
    const shown = (await first.locator('.answer').textContent())!;
    expect(shown).toContain('保险业务，持续提升');
    expect(shown).not.toMatch(/[\p{Script=Han}],|,[\p{Script=Han}]/u);

    // Feedback buttons say what they mean in words, whatever the emoji font.
    expect(await first.locator('button[data-rating="up"] .words').textContent()).toBe('有帮助');
    expect(await first.locator('button[data-rating="down"] .words').textContent()).toBe('没帮助');

    // The article is labelled as the document numbers it, and is one click from its full text.
    const citation = first.locator('.citation').first();
    await citation.locator('summary').click();
    expect(await citation.locator('.source').textContent()).toContain('条款：七、');
    await citation.locator('button', { hasText: '查看全文' }).click();
    const full = citation.locator('.full-text');
    await full.waitFor();
    expect(await full.textContent()).toContain('支持以信托业务“新三分类”为契机');
    expect(await full.textContent()).toContain('（责任单位：市市场监管局、市财政局、国家金融监督管理总局淄博监管分局）');
    await citation.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'phone-full-text.png') });
  });

  it('shows the feedback buttons’ words only where no emoji can be drawn', { timeout: 60_000 }, async () => {
    // Whether this machine has an emoji font must not matter: each page is told how the emoji draws, by
    // drawing it as something else — a code point no font has (no emoji), or a letter every font has.
    // (Scripts are strings: the page's DOM types are not part of this project's TypeScript setup.)
    const drawEmojiAs = (replacement: string) => ({
      content: `const fill = CanvasRenderingContext2D.prototype.fillText;
        CanvasRenderingContext2D.prototype.fillText = function (text, x, y) { return fill.call(this, text === '\\u{1F44D}' ? '${replacement}' : text, x, y); };`,
    });
    const page = await browser!.newPage({ viewport: PHONE, locale: 'zh-CN' });
    await page.addInitScript(drawEmojiAs('\\u{10FFFD}'));
    await page.goto(url);
    expect(await page.evaluate(NO_EMOJI)).toBe(true);
    await page.close();

    // Where the emoji draws (here: as a letter), the class is absent.
    const drawn = await browser!.newPage({ viewport: PHONE });
    await drawn.addInitScript(drawEmojiAs('A'));
    await drawn.goto(url);
    expect(await drawn.evaluate(NO_EMOJI)).toBe(false);
    await drawn.close();
  });
});
