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
  });
}
