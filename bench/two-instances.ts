/**
 * `npm run bench:two-instances`: the Feishu per-app send limit with two instances on one Postgres, and what
 * the shared limiter costs a send.
 * 1. The limiter alone: one reservation (a send takes two: its chat's, then the app's) on Postgres, one after
 *    another and 8 at once on the same key (the row lock every instance queues on), beside the in-memory
 *    limiter and a send of a card through the Lark SDK to the fake open API on loopback.
 * 2. Two servers (`src/main.ts`, FEISHU_MODE=webhook) on a scratch database (BENCH_DATABASE_URL, else
 *    postgres://postgres@127.0.0.1:5432/test; created and dropped) sending one queue of replies to many
 *    chats: the rate at which they reach the fake open API (its own process), and the most in any second.
 * BENCH_REPLIES (default 600), BENCH_LIMIT (FEISHU_APP_SENDS_PER_SECOND, default 50) and
 * BENCH_RESERVATIONS (default 2000) bound the run.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lark from '@larksuiteoapi/node-sdk';
import { sql } from 'drizzle-orm';
import { FeishuChannel } from '../src/channels/feishu.js';
import { Outbox } from '../src/queue/outbox.js';
import { MemorySendLimiter, type SendLimiter } from '../src/queue/send-limits.js';
import { openDatabase } from '../src/store/db.js';
import { SharedSendLimiter } from '../src/store/send-windows.js';
import { APP_ID, APP_SECRET, KEYS, webhookEnv } from '../test/channels/feishu-fixtures.js';
import { FakeFeishuApi } from '../test/fakes/feishu-api.js';
import { ROOT, scratchDatabase, startServer } from './child-server.js';
import { sentDeliveries } from '../test/fixtures/metrics.js';

const REPLIES = Number(process.env.BENCH_REPLIES ?? 600);
const LIMIT = Number(process.env.BENCH_LIMIT ?? 50);
const RESERVATIONS = Number(process.env.BENCH_RESERVATIONS ?? 2000);
const POSTGRES = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface FakeStats {
  posted: number;
  sends: number;
  mostInAnySecond: number;
  firstSendAt: number | null;
  lastSendAt: number | null;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** p50/p99/mean of `samples` in milliseconds. */
function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { n: sorted.length, p50Ms: round(at(50)), p99Ms: round(at(99)), meanMs: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

/** `total` reservations on one key by `parallel` loops; a limit no run reaches, so that nothing waits. */
async function timeReservations(limiter: SendLimiter, total: number, parallel: number) {
  const limit = { key: `bench:${parallel}:${performance.now()}`, limit: 1_000_000, windowMs: 1_000 };
  for (let i = 0; i < 20; i++) await limiter.reserve(limit); // warm-up (prepared statement, plan)
  const samples: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = 0; i < total / parallel; i++) {
        const t = performance.now();
        await limiter.reserve(limit);
        samples.push(performance.now() - t);
      }
    }),
  );
  return { ...summary(samples), perSecond: Math.round(samples.length / ((performance.now() - started) / 1000)) };
}

/**
 * A card sent through the real SDK to a fake open API, one after another: the send the limiter precedes.
 * This fake runs in the benchmark's process, so that part 2's fake counts only the servers' sends.
 */
async function timeSends(total: number) {
  const api = await new FakeFeishuApi().start();
  const channel = new FeishuChannel({ appId: APP_ID, appSecret: APP_SECRET, mode: 'webhook', ...KEYS, domain: api.baseUrl, cache: new lark.DefaultCache() });
  const reply = (i: number) => ({ id: 1_000_000 + i, channel: 'feishu' as const, botId: APP_ID, chatId: `oc_bench_${i}`, kind: 'message' as const, text: '知识产权保险包括专利执行保险等。', citations: [], attempt: 1 });
  for (let i = 0; i < 10; i++) await channel.send(reply(i));
  const samples: number[] = [];
  for (let i = 10; i < total + 10; i++) {
    const t = performance.now();
    await channel.send(reply(i));
    samples.push(performance.now() - t);
  }
  await api.stop();
  return summary(samples);
}

async function main(): Promise<void> {
  const scratch = await scratchDatabase(POSTGRES, `ipcb_bench_two_${process.pid}`);
  const databaseUrl = scratch.url;
  const api = await startServer({ ...process.env }, 'bench/fake-feishu.ts');
  const stats = async () => (await (await fetch(`${api.url}/_fake/stats`)).json()) as FakeStats;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-two-'));
  const servers: { child: ChildProcess; url: string }[] = [];
  try {
    console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    // 1. The limiter's cost.
    const pg = await openDatabase({ databaseUrl: databaseUrl, poolSize: 8 });
    const pglite = await openDatabase({});
    // The table is UNLOGGED (no WAL flush per reservation); the same reservations on a logged table, for comparison.
    await pg.db.execute(sql`alter table send_windows set logged`);
    const postgresSequentialLoggedTable = await timeReservations(new SharedSendLimiter(pg.db), RESERVATIONS, 1);
    await pg.db.execute(sql`alter table send_windows set unlogged`);
    const limiterCost = {
      postgresSequentialLoggedTable,
      postgresSequential: await timeReservations(new SharedSendLimiter(pg.db), RESERVATIONS, 1),
      postgres8AtOnceOneKey: await timeReservations(new SharedSendLimiter(pg.db), RESERVATIONS, 8),
      pgliteSequential: await timeReservations(new SharedSendLimiter(pglite.db), RESERVATIONS, 1),
      memorySequential: await timeReservations(new MemorySendLimiter(), RESERVATIONS, 1),
      feishuSendOnLoopback: await timeSends(200),
    };
    await pg.close();
    await pglite.close();
    console.log(JSON.stringify({ limiterCost }, null, 2));

    // 2. Two instances sending one queue of replies: queued once both listen, so that both send from the start
    //    and answering speed plays no part (the webhooks pushed to both are the test's business).
    const env = (name: string) => ({ ...process.env, ...webhookEnv(api.url), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: path.join(dataDir, name), DATABASE_URL: databaseUrl, FEISHU_APP_SENDS_PER_SECOND: String(LIMIT), KNOWLEDGE_RELOAD_MS: '0' });
    servers.push(await startServer(env('a')));
    servers.push(await startServer(env('b')));
    const queue = await openDatabase({ databaseUrl: databaseUrl, poolSize: 1 });
    const rows = Array.from({ length: REPLIES }, (_, i) => ({ source: `bench:${i}`, channel: 'feishu' as const, botId: APP_ID, chatId: `oc_two_${i}`, payload: { kind: 'notice' as const, text: `第 ${i} 条通知` } }));
    await new Outbox(queue.db).enqueueAllIn(queue.db, rows);
    await queue.close();
    const deadline = Date.now() + 60_000 + (REPLIES / LIMIT) * 2_000;
    while ((await stats()).sends < REPLIES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1_500)); // a duplicate would arrive now
    const after = await stats();
    const spanSeconds = ((after.lastSendAt ?? 0) - (after.firstSendAt ?? 0)) / 1000;
    const perProcess = await Promise.all(servers.map((s) => sentDeliveries(s.url)));
    const result = {
      generatedAt: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: os.loadavg().map((l) => round(l, 2)),
      limiterCost,
      twoInstances: {
        limitPerSecond: LIMIT,
        replies: REPLIES,
        sends: after.sends,
        sentOnce: after.sends === REPLIES && after.posted === REPLIES,
        sentPerProcess: perProcess,
        sendsPerSecond: round((after.sends - 1) / spanSeconds, 1),
        firstToLastSendSeconds: round(spanSeconds, 2),
        mostSendsInAnySecond: after.mostInAnySecond,
      },
    };
    console.log(JSON.stringify(result.twoInstances, null, 2));
    await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
    await writeFile(path.join(ROOT, 'bench/results/two-instances.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const s of servers) {
      s.child.kill('SIGTERM');
      await new Promise((r) => s.child.once('exit', r));
    }
    api.child.kill('SIGTERM');
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
