/**
 * Analytics on both drivers: ended days come from rollups computed once (and stay put when the log
 * changes later: that is the contract), the current day is counted live, and knowledge gaps group
 * similar unanswered questions, biggest first.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterGaps } from '../../src/console/gaps.js';
import { analytics, gapQuestions, todayIn } from '../../src/store/console-analytics.js';
import { ConsultationStore } from '../../src/store/consultations.js';
import { queryRows } from '../../src/store/db.js';
import { shippedKnowledge } from '../helpers.js';
import { sampleConsultation } from '../store/sample.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { Client, consoleApp, createAccount } from './fixtures.js';

const DAY = 86_400_000;

for (const target of storeTargets()) {
  describe.skipIf(Boolean(target.skipReason))(`console analytics on ${targetTitle(target)}`, () => {
    beforeAll(() => target.setup());
    afterAll(() => target.teardown());

    it('sums rollups of ended days with a live count of today', async () => {
      const handle = await target.fresh();
      try {
        const store = new ConsultationStore(handle.db);
        const today = todayIn();
        const noonCst = (d: string) => new Date(`${d}T12:00:00+08:00`);
        const dayBefore = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) - n * DAY).toISOString().slice(0, 10);
        for (const [day, outcome, channel, latencyMs] of [
          [dayBefore(2), 'answered', 'telegram', 30],
          [dayBefore(2), 'not_covered', 'feishu', 40],
          [dayBefore(1), 'answered', 'feishu', 1500],
          [today, 'answered', 'web', 50],
        ] as const) {
          const c = await store.record(sampleConsultation({ outcome, channel, latencyMs, createdAt: day === today ? undefined : noonCst(day) }));
          if (outcome === 'not_covered') await store.feedback(c.id, 'u', -1);
        }
        const range = { fromDay: dayBefore(6), toDay: today };
        const first = await analytics(handle.db, range);
        expect(first.total).toBe(4);
        expect(first.days).toEqual({ rolledUp: 6, live: 1 });
        expect(first.outcomes).toEqual([{ outcome: 'answered', n: 3 }, { outcome: 'not_covered', n: 1 }]);
        expect(first.perDay).toEqual([
          { day: dayBefore(2), channel: 'feishu', n: 1 },
          { day: dayBefore(2), channel: 'telegram', n: 1 },
          { day: dayBefore(1), channel: 'feishu', n: 1 },
          { day: today, channel: 'web', n: 1 },
        ]);
        expect(first.topics).toEqual([{ topic: '商标', n: 4 }]);
        expect(first.cited).toEqual([{ documentId: 'zibo-ip-service-opinions-2023', article: '七', n: 4 }]);
        expect(first.feedback).toEqual({ up: 0, down: 1, rated: 1 });
        expect(first.latency).toEqual({ p50: 40, p95: 1500 });
        const rolled = await queryRows<{ n: number }>(handle.db, sql`select count(*)::int as n from console_rollup_days`);
        expect(rolled[0]!.n).toBe(6);

        // Today stays live; an ended day keeps its rollup.
        await store.record(sampleConsultation({ outcome: 'declined', channel: 'web' }));
        await store.record(sampleConsultation({ outcome: 'declined', createdAt: noonCst(dayBefore(1)) }));
        const second = await analytics(handle.db, range);
        expect(second.total).toBe(5);
        expect(second.outcomes.find((o) => o.outcome === 'declined')).toEqual({ outcome: 'declined', n: 1 });
      } finally {
        await handle.close();
      }
    });

    it('groups unanswered questions by similarity, biggest group first', async () => {
      const handle = await target.fresh();
      try {
        const store = new ConsultationStore(handle.db);
        const questions = ['青岛的专利资助怎么申请？', '青岛专利资助申请流程', '青岛市专利资助标准', '商标被抢注怎么起诉？', '商标抢注能起诉吗', '今天食堂吃什么'];
        for (const question of questions) await store.record(sampleConsultation({ question, outcome: 'not_covered', confidence: 0.1 }));
        await store.record(sampleConsultation({ question: '知识产权保险有哪些？', outcome: 'answered', confidence: 0.9 }));
        const today = todayIn();
        const rows = await gapQuestions(handle.db, { fromDay: today, toDay: today }, 0.45, 100);
        expect(rows).toHaveLength(6);
        const kb = await shippedKnowledge();
        const gaps = clusterGaps(rows, (t) => kb.analyze(t));
        expect(gaps[0]).toMatchObject({ count: 3, notCovered: 3 });
        expect(gaps[0]!.examples.every((q) => q.includes('青岛'))).toBe(true);
        expect(gaps[1]).toMatchObject({ count: 2 });
        expect(gaps[1]!.examples.every((q) => q.includes('抢注'))).toBe(true);
      } finally {
        await handle.close();
      }
    });

    it('serves every day of the range (quiet days as 0), articles named with their document, days of the configured zone', async () => {
      const handle = await target.fresh();
      const { app, store, accounts } = await consoleApp(handle, { timeZone: 'America/New_York' });
      try {
        await createAccount(accounts, 'rev1', 'reviewer');
        const cite = (documentId: string, title: string, article: string, section: string) => ({ documentId, title, article, section, excerpt: section, score: 1 });
        // 2024-03-01 03:30 UTC is the 29th of February in New York.
        await store.record(sampleConsultation({ channel: 'telegram', createdAt: new Date('2024-03-01T03:30:00Z'), citations: [cite('guide-copyright', '企业指引：著作权（版权）和作品登记、软件著作权登记', '七', '七、买了作品原件不等于买了版权')] }));
        await store.record(sampleConsultation({ channel: 'feishu', createdAt: new Date('2024-03-03T15:00:00Z'), citations: [cite('guide-trademark', '企业指引：商标注册、续展和恶意注册', '七', '七、什么是恶意注册')] }));
        const client = new Client(app);
        await client.login('rev1');
        const res = await client.get('/console/analytics/data?from=2024-02-28&to=2024-03-04');
        expect(res.statusCode).toBe(200);
        const data = res.json() as { total: number; daily: { days: string[]; series: { name: string; data: number[] }[] }; citedMost: { label: string }[] };
        expect(data.total).toBe(2);
        expect(data.daily.days).toEqual(['2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04']);
        expect(data.daily.series).toEqual(
          expect.arrayContaining([
            { name: 'Telegram', data: [0, 1, 0, 0, 0, 0] },
            { name: '飞书', data: [0, 0, 0, 0, 1, 0] },
          ]),
        );
        // Two articles 七 of two documents: each label says which document.
        expect(data.citedMost.map((c) => c.label).sort()).toEqual(['《商标注册、续展和恶意注册》七、什么是恶意注册', '《著作权（版权）和作品登…》七、买了作品原件不等于买了版权'].sort());

        const empty = (await client.get('/console/analytics/data?from=2020-01-01&to=2020-01-03')).json() as typeof data;
        expect(empty.total).toBe(0);
        expect(empty.daily.days).toHaveLength(3);
        const page = (await client.get('/console/analytics?from=2020-01-01&to=2020-01-03')).body;
        expect(page).toContain('id="analytics-empty" hidden');
        expect(page).toContain('2020-01-01 至 2020-01-03 没有咨询记录');
      } finally {
        await app.close();
        await handle.close();
      }
    });
  });
}
