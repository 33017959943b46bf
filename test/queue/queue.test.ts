import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/queue/delivery-error.js';
import { deliverOne, startSender } from '../../src/queue/sender.js';
import { APOLOGY, startWorker, workJob, workJobs } from '../../src/queue/worker.js';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import type { Deliverer, OutgoingReply } from '../../src/types.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { shippedConsult } from '../helpers.js';
import { count, message, queueParts, sleep } from './fixtures.js';

const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

describe.each(storeTargets())('queue on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 60_000 }, () => {
    let handle: DatabaseHandle;
    let parts: Awaited<ReturnType<typeof queueParts>>;

    beforeAll(() => target.setup(), 60_000);
    afterAll(() => target.teardown(), 60_000);
    beforeEach(async () => {
      handle = await target.fresh();
      parts = await queueParts(handle.db);
    }, 60_000);
    afterEach(() => handle.close(), 60_000);

    it('accepts an event once: redeliveries are acknowledged and dropped', async () => {
      const m = message('c1', '知识产权保险有哪些?');
      expect(await parts.inbox.accept(m)).toBe(true);
      expect(await parts.inbox.accept(m)).toBe(false);
      expect(await parts.inbox.accept({ ...m, botId: 'bot-2' })).toBe(true); // another bot, another event
      expect(await count(handle.db, 'inbox')).toBe(2);
    });

    it('answers a message: consultation, outbox row and done inbox row, question text dropped', async () => {
      await parts.inbox.accept(message('c1', '知识产权保险有哪些?'));
      const [job] = await parts.inbox.claim(10, 60_000);
      await workJob(parts.deps, job!);
      const [row] = await queryRows<{ status: string; text: string; attempts: number }>(handle.db, sql`select status, text, attempts from inbox`);
      expect(row).toEqual({ status: 'done', text: '', attempts: 1 });
      const [out] = await parts.outbox.claim(['telegram'], 10, 60_000);
      expect(out).toMatchObject({ chatId: 'c1', outcome: 'answered', attempt: 1 });
      expect(out!.citations[0]!.article).toBe('七');
      const consultation = await parts.store.get(out!.consultationId!);
      expect(consultation).toMatchObject({ channel: 'telegram', chatId: 'c1', question: '知识产权保险有哪些?' });
    });

    it('answers a message once when it is worked twice or arrives under two event ids', async () => {
      const m = message('c1', '知识产权保险有哪些?');
      await parts.inbox.accept(m);
      await parts.inbox.accept({ ...m, eventId: `${m.eventId}-resent` }); // same platform message id
      const [first] = await parts.inbox.claim(10, 60_000);
      await workJob(parts.deps, first!);
      await workJob(parts.deps, first!); // a worker whose lease ran out finishes too
      const [second] = await parts.inbox.claim(10, 60_000);
      await workJob(parts.deps, second!);
      expect(await count(handle.db, 'consultations')).toBe(1);
      expect(await count(handle.db, 'outbox')).toBe(1);
      expect(await count(handle.db, 'inbox', "status = 'done'")).toBe(2);
    });

    it('reads a follow-up with the history of the same user in the same chat, never another user', async () => {
      await parts.inbox.accept(message('g1', '版权示范企业创建有什么要求?', { userId: 'alice' }));
      await parts.inbox.accept(message('g1', '那责任单位是谁?', { userId: 'bob' }));
      await parts.inbox.accept(message('g1', '那责任单位是谁?', { userId: 'alice' }));
      for (let i = 0; i < 3; i++) {
        const [job] = await parts.inbox.claim(10, 60_000);
        await workJob(parts.deps, job!);
      }
      const rows = await queryRows<{ user_id: string; citations: { article: string }[] }>(handle.db, sql`select user_id, citations from consultations order by seq`);
      expect(rows[2]!.user_id).toBe('alice');
      expect(rows[2]!.citations[0]!.article).toBe('六');
      expect(rows[1]!.citations[0]?.article).not.toBe('六'); // bob has no history
    });

    it('replies with the reason to a message that is no question', async () => {
      await parts.inbox.accept(message('c1', '   '));
      const [job] = await parts.inbox.claim(10, 60_000);
      await workJob(parts.deps, job!);
      const [out] = await parts.outbox.claim(['telegram'], 10, 60_000);
      expect(out!.text).toMatch(/问题是空的/);
      expect(await count(handle.db, 'consultations')).toBe(0);
    });

    it('commits the answers of a claimed batch together, and a row the batch cannot store alone', async () => {
      const shipped = await shippedConsult();
      // Postgres refuses a NUL character in text: this answer cannot be recorded, the others can.
      const parts2 = await queueParts(handle.db, async (question, options) => {
        const result = await shipped(question, options);
        return question.includes('质押') ? { ...result, answer: { ...result.answer, answer: `${result.answer.answer}\u0000` } } : result;
      });
      for (const [chat, text] of [['c1', '知识产权保险有哪些?'], ['c2', '知识产权质押融资有补贴吗'], ['c3', '商标被抢注了怎么办？']] as const) await parts2.inbox.accept(message(chat, text));
      const jobs = await parts2.inbox.claim(10, 60_000);
      expect(jobs).toHaveLength(3);
      await workJobs(parts2.deps, jobs, FAST);
      const rows = await queryRows<{ chat_id: string; status: string }>(handle.db, sql`select chat_id, status from inbox order by chat_id`);
      expect(rows).toEqual([{ chat_id: 'c1', status: 'done' }, { chat_id: 'c2', status: 'queued' }, { chat_id: 'c3', status: 'done' }]);
      expect(await count(handle.db, 'consultations')).toBe(2);
      expect((await parts2.outbox.claim(['telegram'], 10, 60_000)).map((r) => r.chatId).sort()).toEqual(['c1', 'c3']);
      expect(parts2.errors).toHaveLength(1);
    });

    it('commits an answer as soon as it is drafted: a slow draft holds back no other reply in its batch', async () => {
      const shipped = await shippedConsult();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow = await queueParts(handle.db, async (question, options) => {
        if (question.includes('保险')) await gate; // a model call that takes its time
        return shipped(question, options);
      });
      for (const [chat, text] of [['c1', '知识产权保险有哪些?'], ['c2', '商标被抢注了怎么办？'], ['c3', '专利导航服务有什么支持?']] as const) await slow.inbox.accept(message(chat, text));
      let queued = 0;
      const working = workJobs({ ...slow.deps, onQueued: () => queued++ }, await slow.inbox.claim(10, 60_000), FAST);
      const deadline = Date.now() + 10_000;
      while ((await count(handle.db, 'outbox')) < 2 && Date.now() < deadline) await sleep(10);
      expect(await count(handle.db, 'inbox', "status = 'done'")).toBe(2);
      expect(queued).toBe(2);
      release();
      await working;
      expect(await count(handle.db, 'outbox')).toBe(3);
      expect(queued).toBe(3);
    });

    it('retries a failing message with back-off, then buries it with an apology', async () => {
      const failing = await queueParts(handle.db, async () => {
        throw new Error('model down');
      });
      await failing.inbox.accept(message('c1', '知识产权保险有哪些?'));
      for (let attempt = 1; attempt <= FAST.maxAttempts; attempt++) {
        await sleep(10);
        const [job] = await failing.inbox.claim(10, 60_000);
        expect(job!.attempts).toBe(attempt);
        await workJob(failing.deps, job!, FAST);
      }
      const [row] = await queryRows<{ status: string; last_error: string }>(handle.db, sql`select status, last_error from inbox`);
      expect(row).toEqual({ status: 'dead', last_error: 'Error: model down' });
      const [out] = await failing.outbox.claim(['telegram'], 10, 60_000);
      expect(out!.text).toBe(APOLOGY);
      expect(failing.errors).toHaveLength(3);
    });

    it('claims only the oldest open message of each chat', async () => {
      for (const [chat, text] of [['a', '知识产权保险有哪些?'], ['a', '那责任单位是谁?'], ['b', '商标被抢注了怎么办？'], ['a', '专利导航是什么?']]) {
        await parts.inbox.accept(message(chat!, text!));
      }
      const heads = await parts.inbox.claim(10, 60_000);
      expect(heads.map((j) => j.chatId)).toEqual(['a', 'b']);
      expect(await parts.inbox.claim(10, 60_000)).toEqual([]); // a's next waits for a's first
      await workJob(parts.deps, heads[0]!);
      const next = await parts.inbox.claim(10, 60_000);
      expect(next.map((j) => j.text)).toEqual(['那责任单位是谁?']);
    });

    it('reclaims a job whose worker died once its lease has run out', async () => {
      await parts.inbox.accept(message('c1', '知识产权保险有哪些?'));
      const [first] = await parts.inbox.claim(10, 150);
      expect(await parts.inbox.claim(10, 150)).toEqual([]);
      await sleep(250);
      const [again] = await parts.inbox.claim(10, 60_000);
      expect(again).toMatchObject({ id: first!.id, attempts: 2 });
    });

    it('expires the leases of a dead process at once (single-process start-up)', async () => {
      await parts.inbox.accept(message('c1', '知识产权保险有哪些?'));
      const [job] = await parts.inbox.claim(10, 60_000);
      expect(await parts.inbox.expireLeases()).toBe(1);
      expect(await parts.inbox.claim(10, 60_000)).toMatchObject([{ id: job!.id, attempts: 2 }]);
    });

    it('releases claims not started at shutdown without counting the attempt', async () => {
      await parts.inbox.accept(message('c1', '知识产权保险有哪些?'));
      const [job] = await parts.inbox.claim(10, 60_000);
      await parts.inbox.release([job!.id]);
      expect(await parts.inbox.claim(10, 60_000)).toMatchObject([{ id: job!.id, attempts: 1 }]);
    });

    describe('sender', () => {
      async function queueReplies(chats: string[], perChat: number) {
        for (let i = 0; i < perChat; i++) for (const chat of chats) await parts.inbox.accept(message(chat, `知识产权保险有哪些? ${i}`));
        for (;;) {
          const jobs = await parts.inbox.claim(50, 60_000);
          if (!jobs.length) break;
          for (const job of jobs) await workJob(parts.deps, job);
        }
      }

      it('honours retry-after, keeps a chat waiting behind its failing reply, then goes on', async () => {
        await queueReplies(['a', 'b'], 2);
        let failOnce = true;
        const sent: OutgoingReply[] = [];
        const deliverer: Deliverer = {
          channel: 'telegram',
          async send(reply) {
            if (reply.chatId === 'a' && failOnce) {
              failOnce = false;
              throw new DeliveryError('429 Too Many Requests', { retryAfterMs: 300 });
            }
            sent.push(reply);
          },
        };
        const byChannel = new Map([['telegram' as const, deliverer]]);
        const deps = { outbox: parts.outbox, deliverers: [deliverer], onError: () => {} };
        const firstRound = await parts.outbox.claim(['telegram'], 10, 60_000);
        expect(firstRound.map((r) => r.chatId)).toEqual(['a', 'b']);
        expect(await Promise.all(firstRound.map((r) => deliverOne(deps, byChannel, r, FAST)))).toEqual(['retry', 'sent']);
        // a's first reply waits ≥ 300 ms (retry-after beats the 1–5 ms back-off); a's second waits behind it.
        const [due] = await queryRows<{ ms: number | string }>(handle.db, sql`select extract(epoch from next_attempt_at - now()) * 1000 as ms from outbox where status = 'pending' and chat_id = 'a' order by id limit 1`);
        expect(Number(due!.ms)).toBeGreaterThan(200);
        expect((await parts.outbox.claim(['telegram'], 10, 60_000)).map((r) => r.chatId)).toEqual(['b']);
        await sleep(350);
        const retried = await parts.outbox.claim(['telegram'], 10, 60_000);
        expect(retried).toMatchObject([{ chatId: 'a', attempt: 2 }]);
        expect(await deliverOne(deps, byChannel, retried[0]!, FAST)).toBe('sent');
      });

      it('marks a reply dead after the last attempt, or at once when the failure is permanent', async () => {
        await queueReplies(['a', 'b'], 1);
        const deliverer: Deliverer = {
          channel: 'telegram',
          async send(reply) {
            throw new DeliveryError(reply.chatId === 'a' ? 'chat not found' : 'timeout', { permanent: reply.chatId === 'a' });
          },
        };
        const deps = { outbox: parts.outbox, deliverers: [deliverer], onError: () => {} };
        const byChannel = new Map([['telegram' as const, deliverer]]);
        const results: string[] = [];
        for (let round = 0; round < 5; round++) {
          await sleep(15);
          for (const r of await parts.outbox.claim(['telegram'], 10, 60_000)) results.push(`${r.chatId}${r.attempt}:${await deliverOne(deps, byChannel, r, FAST)}`);
        }
        expect(results).toEqual(['a1:dead', 'b1:retry', 'b2:retry', 'b3:dead']);
        expect(await count(handle.db, 'outbox', "status = 'dead'")).toBe(2);
      });

      it('reclaims a reply whose sender died mid-send', async () => {
        await queueReplies(['a'], 1);
        const [first] = await parts.outbox.claim(['telegram'], 10, 150);
        expect(await parts.outbox.claim(['telegram'], 10, 150)).toEqual([]);
        await sleep(250);
        expect(await parts.outbox.claim(['telegram'], 10, 60_000)).toMatchObject([{ id: first!.id, attempt: 2 }]);
      });

      it('three workers and three senders answer and send every message once, in order per chat', async () => {
        const chats = Array.from({ length: 10 }, (_, i) => `chat-${i}`);
        for (let i = 0; i < 6; i++) for (const chat of chats) await parts.inbox.accept(message(chat, `知识产权保险有哪些? 第${i}问`));
        const sent: OutgoingReply[] = [];
        const deliverer: Deliverer = {
          channel: 'telegram',
          async send(reply) {
            await sleep(Math.random() * 3);
            sent.push(reply);
          },
        };
        const onError = (e: unknown) => {
          throw e;
        };
        const loops = [
          ...[1, 2, 3].map(() => startWorker({ ...parts.deps, onError }, { concurrency: 4, idleMs: 20 })),
          ...[1, 2, 3].map(() => startSender({ outbox: parts.outbox, deliverers: [deliverer], onError }, { concurrency: 4, idleMs: 20 })),
        ];
        for (let waited = 0; sent.length < 60 && waited < 40_000; waited += 100) await sleep(100);
        await Promise.all(loops.map((l) => l.stop()));
        expect(sent).toHaveLength(60);
        expect(new Set(sent.map((r) => r.id)).size).toBe(60);
        for (const chat of chats) {
          const ids = sent.filter((r) => r.chatId === chat).map((r) => r.id);
          expect(ids).toEqual([...ids].sort((x, y) => x - y));
        }
        // Replies follow the order of the questions within each chat.
        const rows = await queryRows<{ id: number | string; text: string }>(handle.db, sql`select o.id, c.question as text from outbox o join consultations c on c.id = o.consultation_id`);
        const question = new Map(rows.map((r) => [Number(r.id), r.text]));
        for (const chat of chats) {
          expect(sent.filter((r) => r.chatId === chat).map((r) => question.get(r.id)!.slice(-3))).toEqual(['第0问', '第1问', '第2问', '第3问', '第4问', '第5问']);
        }
      });
    });
  });
});
