import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConsultationStore } from '../../src/store/consultations.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { sampleConsultation } from './sample.js';
import { storeTargets, targetTitle } from './targets.js';

const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

describe.each(storeTargets())('ConsultationStore on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 60_000 }, () => {
    let handle: DatabaseHandle;
    let store: ConsultationStore;

    beforeAll(() => target.setup(), 60_000);
    afterAll(() => target.teardown(), 60_000);
    beforeEach(async () => {
      handle = await target.fresh();
      store = new ConsultationStore(handle.db);
    }, 60_000);
    afterEach(() => handle.close(), 60_000);

    it('uses the expected driver', () => {
      expect(handle.driver).toBe(target.name);
    });

    it('records a consultation and returns it from get()', async () => {
      const input = sampleConsultation();
      const recorded = await store.record(input);
      expect(recorded).toMatchObject({
        conversationId: input.conversationId,
        channel: 'telegram',
        userId: 'user-a',
        messageId: input.messageId,
        question: input.question,
        outcome: 'answered',
        citations: input.citations,
        passages: input.passages,
        answerer: 'extractive',
        latencyMs: 37,
        topics: ['商标'],
        reviewedAt: null,
      });
      expect(recorded.confidence).toBeCloseTo(0.74, 5);
      expect(recorded.createdAt).toBeInstanceOf(Date);
      expect(await store.get(recorded.id)).toEqual(recorded);
      expect(await store.get('not-a-uuid')).toBeUndefined();
      expect(await store.get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    });

    it('is idempotent on (channel, messageId): a retry returns the first row', async () => {
      const input = sampleConsultation({ messageId: 'retry-1' });
      const first = await store.record(input);
      const again = await store.record({ ...input, answer: 'a different answer on retry' });
      expect(again.id).toBe(first.id);
      expect(again.answer).toBe(first.answer);
      // Same message id on another channel is another message.
      const other = await store.record({ ...input, channel: 'feishu' });
      expect(other.id).not.toBe(first.id);
      // Without a message id every call is a new record.
      const a = await store.record(sampleConsultation({ messageId: null }));
      const b = await store.record(sampleConsultation({ messageId: null }));
      expect(a.id).not.toBe(b.id);
      expect((await store.list()).total).toBe(4);
    });

    it('absorbs concurrent retries of the same message', async () => {
      const input = sampleConsultation({ messageId: 'burst' });
      const rows = await Promise.all(Array.from({ length: 6 }, () => store.record(input)));
      expect(new Set(rows.map((r) => r.id)).size).toBe(1);
      expect((await store.list()).total).toBe(1);
    });

    it('records concurrent calls in shared statements, each once, retries included', async () => {
      const inputs = Array.from({ length: 30 }, (_, i) => sampleConsultation({ messageId: i % 10 === 0 ? 'same' : null, conversationId: `conv-${i % 4}`, question: `问题 ${i} 手机13800138000` }));
      const rows = await Promise.all(inputs.map((input) => store.recordBatched(input)));
      expect(rows).toHaveLength(30);
      expect(new Set(rows.filter((_, i) => i % 10 === 0).map((r) => r.id)).size).toBe(1);
      expect(new Set(rows.map((r) => r.id)).size).toBe(28);
      expect(rows[1]!.question).toBe('问题 1 手机138****8000');
      expect((await store.list({ limit: 100 })).total).toBe(28);
      expect(await store.get(rows[29]!.id)).toEqual(rows[29]);
    });

    it('masks personal information in question and answer before storage', async () => {
      const recorded = await store.record(
        sampleConsultation({ question: '我的手机13800138000，邮箱a@b.cn，电话0533-1234567', answer: '已记录 13800138000' }),
      );
      expect(recorded.question).toBe('我的手机138****8000，邮箱[邮箱]，电话0533-1234567');
      expect(recorded.answer).toBe('已记录 138****8000');
      expect(recorded.piiFound).toEqual([
        { kind: 'mobile', count: 2 },
        { kind: 'email', count: 1 },
      ]);
      expect((await store.list({ search: '13800138000' })).total).toBe(0);
    });

    it('keeps raw text only when configured to', async () => {
      const raw = new ConsultationStore(handle.db, { keepRawText: true });
      const recorded = await raw.record(sampleConsultation({ question: '手机13800138000' }));
      expect(recorded.question).toBe('手机13800138000');
      expect(recorded.piiFound).toEqual([{ kind: 'mobile', count: 1 }]);
    });

    it('returns history per user and conversation, oldest first, limited to the last turns', async () => {
      for (let i = 1; i <= 5; i++) await store.record(sampleConsultation({ question: `a${i}` }));
      await store.record(sampleConsultation({ userId: 'user-b', question: 'b1' }));
      await store.record(sampleConsultation({ conversationId: 'telegram:other', question: 'other' }));
      const history = await store.history('telegram:-100200', 'user-a', 3);
      expect(history.map((c) => c.question)).toEqual(['a3', 'a4', 'a5']);
      expect((await store.history('telegram:-100200', 'user-b', 10)).map((c) => c.question)).toEqual(['b1']);
      expect(await store.history('telegram:-100200', 'nobody', 10)).toEqual([]);
    });

    it('lists with filters, text search and pagination, newest first', async () => {
      const old = await store.record(sampleConsultation({ question: '旧问题 专利', createdAt: daysAgo(10) }));
      const feishu = await store.record(
        sampleConsultation({ channel: 'feishu', outcome: 'not_covered', question: '数据知识产权怎么登记', createdAt: daysAgo(2) }),
      );
      const recent = await store.record(sampleConsultation({ question: '商标 100%_补助', createdAt: daysAgo(1) }));
      await store.markReviewed(old.id);

      const ids = (page: { items: { id: string }[] }) => page.items.map((c) => c.id);
      expect(ids(await store.list())).toEqual([recent.id, feishu.id, old.id]);
      expect(ids(await store.list({ channel: 'feishu' }))).toEqual([feishu.id]);
      expect(ids(await store.list({ outcome: 'not_covered' }))).toEqual([feishu.id]);
      expect(ids(await store.list({ unreviewed: true }))).toEqual([recent.id, feishu.id]);
      expect(ids(await store.list({ from: daysAgo(3) }))).toEqual([recent.id, feishu.id]);
      expect(ids(await store.list({ to: daysAgo(3) }))).toEqual([old.id]);
      expect(ids(await store.list({ from: daysAgo(3), to: new Date(feishu.createdAt.getTime() + 1) }))).toEqual([feishu.id]);
      expect(ids(await store.list({ search: '知识产权怎么' }))).toEqual([feishu.id]);
      expect(ids(await store.list({ search: '130号第七条' }))).toHaveLength(3); // matches the answer
      // LIKE wildcards in the search are literal characters.
      expect(ids(await store.list({ search: '100%_' }))).toEqual([recent.id]);
      expect(ids(await store.list({ search: '%' }))).toEqual([recent.id]);
      expect(ids(await store.list({ search: 'PATENT' }))).toEqual([]);

      const page1 = await store.list({ limit: 2 });
      const page2 = await store.list({ limit: 2, offset: 2 });
      expect(page1.total).toBe(3);
      expect(ids(page1)).toEqual([recent.id, feishu.id]);
      expect(ids(page2)).toEqual([old.id]);
    });

    it('search is case-insensitive for Latin text', async () => {
      const c = await store.record(sampleConsultation({ question: 'How do I register a Trademark in Zibo?' }));
      expect((await store.list({ search: 'trademark' })).items.map((x) => x.id)).toEqual([c.id]);
    });

    it('upserts feedback: one per user per consultation', async () => {
      const c = await store.record(sampleConsultation());
      await store.feedback(c.id, 'user-a', 1);
      const changed = await store.feedback(c.id, 'user-a', -1, '没有回答到点子上，请回电13800138000');
      expect(changed).toMatchObject({ consultationId: c.id, userId: 'user-a', rating: -1, comment: '没有回答到点子上，请回电138****8000' });
      const other = await store.feedback(c.id, 'user-b', 1);
      expect(other.rating).toBe(1);
      await expect(store.feedback('00000000-0000-4000-8000-000000000000', 'user-a', 1)).rejects.toThrow(/No consultation/);
      await expect(store.feedback(c.id, 'user-a', 2 as 1)).rejects.toThrow(/Rating/);
    });

    it('dedupes platform events per channel and bot', async () => {
      expect(await store.markEventProcessed('telegram', 'bot1', '1001')).toBe(true);
      expect(await store.markEventProcessed('telegram', 'bot1', '1001')).toBe(false);
      expect(await store.markEventProcessed('telegram', 'bot2', '1001')).toBe(true);
      expect(await store.markEventProcessed('feishu', 'bot1', '1001')).toBe(true);
      const burst = await Promise.all(Array.from({ length: 5 }, () => store.markEventProcessed('feishu', 'app', 'ev-x')));
      expect(burst.filter(Boolean)).toHaveLength(1);
    });

    it('purges old consultations with what hangs off them, never anything younger than 24 h', async () => {
      const old = await store.record(sampleConsultation({ conversationId: 'web:old', createdAt: daysAgo(200) }));
      const kept = await store.record(sampleConsultation({ createdAt: daysAgo(30) }));
      const fresh = await store.record(sampleConsultation({ conversationId: 'web:fresh', createdAt: new Date(Date.now() - 60_000) }));
      await store.feedback(old.id, 'user-a', -1);
      await store.feedback(kept.id, 'user-a', 1);
      await store.markEventProcessed('telegram', 'bot', 'recent');

      const counts = await store.purgeOlderThan(daysAgo(180));
      expect(counts).toMatchObject({ consultations: 1, feedback: 1, conversations: 1, processedEvents: 0 });
      expect(await store.get(old.id)).toBeUndefined();
      expect(await store.get(kept.id)).toBeDefined();

      // A cutoff in the future is capped at 24 h ago: recent rows and dedupe keys survive.
      const capped = await store.purgeOlderThan(new Date(Date.now() + DAY));
      expect(capped.cutoff.getTime()).toBeLessThanOrEqual(Date.now() - DAY + 1000);
      expect(capped).toMatchObject({ consultations: 1, feedback: 1 });
      expect(await store.get(fresh.id)).toBeDefined();
      expect(await store.markEventProcessed('telegram', 'bot', 'recent')).toBe(false);
    });
  });
});
