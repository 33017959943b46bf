/**
 * The console in Debian's Chromium against the real server (`src/main.ts`, embedded database in a temp
 * DATA_DIR, accounts made with `npm run admin` first): log in, filter, open a consultation, mark it
 * incorrect with a corrected answer, approve it as another admin, and the bot returns it for the same
 * question and a paraphrase but not for an unrelated one; a POST without the CSRF token is refused; the
 * CSV export holds exactly the filtered rows. Screenshots of the list, the detail, the review queue, the
 * approved answers and the analytics page go to test-results/.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, SCREENSHOTS, hasChromium, launchChromium, pageTestResources } from '../web/browser.js';
import { login, serveWithAccounts } from './browser-steps.js';
const SHOTS = SCREENSHOTS;
if (!hasChromium) console.warn(`[console] browser test SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)(hasChromium ? 'console in Chromium' : `console in Chromium (SKIPPED: ${CHROMIUM} is missing)`, () => {
  const held = pageTestResources();

  it('reviews, approves, and the bot answers with the approved answer; CSRF refused; export matches the filter', { timeout: 240_000 }, async () => {
    const url = await serveWithAccounts(held, 'ipcb-console-', [
      { username: 'admin1', role: 'admin', name: '张审核' },
      { username: 'admin2', role: 'admin', name: '李主任' },
    ]);
    const ask = async (question: string) => {
      const res = await fetch(`${url}/api/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question, userId: 'u1', conversationId: `c-${Math.random()}` }) });
      return (await res.json()) as { id: string; answer: string; outcome: string; citations: { article: string }[] };
    };
    const seeded = [
      '商标被别人抢注了怎么办？',
      '知识产权保险有哪些?',
      '专利质押融资有什么支持?',
      '淄博对知识产权服务机构有什么奖励?',
      '商标抢注以后还能维权吗?',
      '青岛的专利资助怎么申请?',
      '今天天气怎么样',
      '我要找律师起诉对方侵权',
    ];
    const answers = [];
    for (const q of seeded) answers.push(await ask(q));
    const wrong = answers[0]!;
    await fetch(`${url}/api/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ consultationId: wrong.id, userId: 'u1', rating: 'down', comment: '没说怎么异议' }) });

    const browser = (held.browser = await launchChromium());
    await mkdir(SHOTS, { recursive: true });
    const laptop = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN', acceptDownloads: true });
    const page = await laptop.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) external.push(r.url());
    });

    await login(page, url, 'admin1');
    await expect(page.locator('#total').textContent()).resolves.toBe(String(seeded.length));
    await page.screenshot({ path: path.join(SHOTS, 'console-list.png'), fullPage: true });

    // Filter by text: two questions mention 抢注.
    await page.fill('input[name="q"]', '抢注');
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("筛选")')]);
    await expect(page.locator('#total').textContent()).resolves.toBe('2');
    const rows = page.locator('table.list tbody tr');
    expect(await rows.count()).toBe(2);

    // The CSV export holds exactly the filtered rows.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("导出 CSV")')]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(download.suggestedFilename()).toMatch(/^咨询记录-\d{4}-\d\d-\d\d\.csv$/);
    const lines = csv.replace(/^\ufeff/, '').trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).every((l) => l.includes('抢注'))).toBe(true);

    await Promise.all([page.waitForURL(/\/console\/consultations\/[0-9a-f-]{36}\?back=/), page.click(`a[href^="/console/consultations/${wrong.id}?"]`)]);
    await expect(page.locator('.question').textContent()).resolves.toBe('商标被别人抢注了怎么办？');
    expect(await page.locator('table.passages tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'console-detail.png'), fullPage: true });

    const corrected = '商标被他人恶意抢注的，可在初步审定公告之日起三个月内向国家知识产权局提出异议；已注册的，可请求宣告无效。淄博市知识产权保护中心可提供维权指导。';
    await page.check('input[name="verdict"][value="incorrect"]');
    await page.fill('textarea[name="note"]', '回答没有说明异议和无效宣告程序');
    await page.click('details.correction summary');
    await page.fill('textarea[name="corrected"]', corrected);
    // The articles the answer rests on: 十 (代理、法律服务) among those retrieved.
    await page.check('input[name="cite"][value="zibo-ip-service-opinions-2023#十"]');
    await Promise.all([page.waitForURL(/done=reviewed/), page.click('button:has-text("提交审核")')]);
    await expect(page.locator('.reviews .tag.incorrect').count()).resolves.toBe(1);

    // The queue: 👎 and not_covered items; "next" claims one for this reviewer.
    await page.goto(`${url}/console/review`);
    await page.screenshot({ path: path.join(SHOTS, 'console-review-queue.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/console\/consultations\/[0-9a-f-]{36}$/), page.click('button:has-text("领取下一条")')]);
    await expect(page.locator('.review .notice').textContent()).resolves.toContain('此条由您领取');

    // A POST without the CSRF token is refused, even with the session cookie.
    const forged = await page.request.post(`${url}/console/review/next`, { form: { nothing: '1' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);

    // The author cannot approve; the bot still answers as before.
    await page.goto(`${url}/console/approved`);
    await expect(page.locator('article.version p.muted').first().textContent()).resolves.toContain('作者 张审核');
    expect(await page.locator('article.version button:has-text("批准")').count()).toBe(0);
    expect((await ask('商标被别人抢注了怎么办？')).answer).not.toContain(corrected);

    // Another admin approves it.
    const second = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })).newPage();
    await login(second, url, 'admin2');
    await second.goto(`${url}/console/approved`);
    // Approving asks first (static/confirm.js); the admin says yes.
    second.once('dialog', (d) => void d.accept());
    await Promise.all([second.waitForURL(/done=approved/), second.click('article.version button:has-text("批准")')]);
    await second.screenshot({ path: path.join(SHOTS, 'console-approved.png'), fullPage: true });

    const same = await ask('商标被别人抢注了怎么办？');
    expect(same.outcome).toBe('answered');
    expect(same.answer).toContain(corrected);
    expect(same.answer).toContain('经工作人员审核');
    expect(same.citations.length).toBeGreaterThan(0);
    const paraphrase = await ask('我们的商标让人抢注了，该怎么处理？');
    expect(paraphrase.answer).toContain(corrected);
    const unrelated = await ask('知识产权保险有哪些?');
    expect(unrelated.answer).not.toContain(corrected);
    expect(unrelated.answer).toBe(answers[1]!.answer);

    // Analytics on a tablet.
    const tablet = await (await browser.newContext({ viewport: { width: 820, height: 1180 }, locale: 'zh-CN' })).newPage();
    tablet.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await login(tablet, url, 'admin1');
    await tablet.goto(`${url}/console/analytics`);
    await tablet.waitForSelector('#analytics[data-ready="true"]', { timeout: 30_000 });
    await tablet.waitForTimeout(300);
    expect(await tablet.locator('#chart-daily svg').count()).toBe(1);
    expect(await tablet.locator('table.gaps tbody tr').count()).toBeGreaterThan(0);
    await tablet.screenshot({ path: path.join(SHOTS, 'console-analytics.png'), fullPage: true });
    await tablet.goto(`${url}/console/consultations`);
    await tablet.screenshot({ path: path.join(SHOTS, 'console-list-tablet.png'), fullPage: true });

    expect(cspViolations).toEqual([]);
    expect(external).toEqual([]);
  });
});
