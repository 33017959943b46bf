/**
 * `npm run bench:feishu`: acknowledgement latency of `POST /webhooks/feishu` at a steady 200 events/s
 * (open loop: events leave on schedule whatever the answers before them did), against the real server
 * (`src/main.ts` in a child process, FEISHU_MODE=webhook) on a fresh Postgres database (BENCH_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/test; a scratch database is created and dropped), while its worker
 * answers and its sender posts cards to a fake Feishu open API on 127.0.0.1 (its own process, so that
 * neither the server nor the load client shares an event loop with it). Every event is encrypted and signed
 * like a real push (prepared before the run); 2 % are re-pushes of an earlier event. Reported: the latency
 * the client sees, and the server's own handling time from its /metrics histogram. Goal: p99 ≤ 20 ms.
 * BENCH_SECONDS (default 15) and BENCH_RATE (default 200) tune the run; BENCH_SPLIT=1 puts answering in a
 * second process, BENCH_SPLIT=ack-only leaves it out (the floor); BENCH_PROFILE=<dir> writes CPU profiles.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FEISHU_WEBHOOK_PATH } from '../src/channels/feishu.js';
import { messageEvent, signed, webhookEnv, type SignedRequest } from '../test/channels/feishu-fixtures.js';
import { ROOT, scratchDatabase, startServer } from './child-server.js';
import { percentile, post, round } from './open-loop.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const POSTGRES = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const GOAL_P99_MS = 20;
const QUESTIONS = ['知识产权保险有哪些?', '商标被抢注了怎么办？', '版权示范企业创建有什么要求?', '专利导航服务有什么支持?', '知识产权质押融资有补贴吗', '知识产权服务机构如何培育?', '你好'];

/** The events of the run: a new question per slot, every 50th slot a re-push of an earlier one. */
function prepare(total: number): { requests: SignedRequest[]; unique: number } {
  const requests: SignedRequest[] = [];
  for (let i = 0; i < total; i++) {
    if (i % 50 === 49) {
      requests.push(requests[i - 25]!); // a re-push, byte for byte
      continue;
    }
    const group = i % 5 === 0;
    const user = `ou_bench_${i % 300}`;
    const text = QUESTIONS[i % QUESTIONS.length]!;
    const event = group
      ? messageEvent({ chatType: 'group', chatId: `oc_group_${i % 20}`, openId: user, text: `@_user_1 ${text}`, mentions: [{ key: '@_user_1', openId: 'ou_bot_0001', name: 'IP 咨询' }] })
      : messageEvent({ chatId: `oc_p2p_${i % 300}`, openId: user, text });
    requests.push(signed(event));
  }
  return { requests, unique: requests.length - Math.floor(total / 50) };
}

/** Share of webhook requests the server answered within each histogram bound (fastify's own timing). */
async function handlingTimes(serverUrl: string): Promise<Record<string, string>> {
  const text = await (await fetch(new URL('/metrics', serverUrl))).text();
  const buckets = [...text.matchAll(/^http_request_duration_seconds_bucket\{([^}]*)\} (\d+)/gm)]
    .filter((m) => m[1]!.includes(`route="${FEISHU_WEBHOOK_PATH}"`) && m[1]!.includes('status_code="200"'))
    .map((m) => ({ le: /le="([^"]+)"/.exec(m[1]!)![1]!, n: Number(m[2]) }));
  const all = buckets.find((b) => b.le === '+Inf')?.n ?? 0;
  return Object.fromEntries(buckets.filter((b) => ['0.005', '0.01', '0.025', '0.05'].includes(b.le)).map((b) => [`${Number(b.le) * 1000} ms`, `${((100 * b.n) / all).toFixed(2)} %`]));
}

async function main(): Promise<void> {
  const scratch = await scratchDatabase(POSTGRES, `ipcb_bench_feishu_${process.pid}`);
  const databaseUrl = scratch.url;
  const api = await startServer({ ...process.env }, 'bench/fake-feishu.ts');
  const posted = async () => ((await (await fetch(`${api.url}/_fake/stats`)).json()) as { posted: number; sends: number });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-feishu-'));
  let server: { child: ChildProcess; url: string } | undefined;
  let answering: { child: ChildProcess; url: string } | undefined;
  try {
    const total = Math.round(SECONDS * RATE);
    const { requests, unique } = prepare(total);
    const env = { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ...webhookEnv(api.url) };
    // BENCH_SPLIT=1: the webhook process only acknowledges (WORKER_CONCURRENCY=0) and a second process
    // answers the queue, as a larger deployment on Postgres would. BENCH_SPLIT=ack-only: nobody answers,
    // which gives the floor of the acknowledgement alone. By default one process does both.
    const split = Boolean(process.env.BENCH_SPLIT);
    const ackOnly = process.env.BENCH_SPLIT === 'ack-only';
    server = await startServer(split ? { ...env, WORKER_CONCURRENCY: '0' } : env);
    if (split && !ackOnly) answering = await startServer(env);
    const url = new URL(FEISHU_WEBHOOK_PATH, server.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    for (let i = 0; i < 20; i++) await post(agent, url, signed(messageEvent({ chatId: `oc_warmup_${i}` }))); // warm-up
    while (!ackOnly && (await posted()).posted < 20) await new Promise((r) => setTimeout(r, 50));
    const warmupReplies = (await posted()).posted;

    console.log(`Posting ${total} signed, encrypted events at ${RATE}/s for ${SECONDS} s to ${url.href}, node ${process.version}, ${os.cpus().length} CPUs`);
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let maxLag = 0;
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const sentAt = performance.now();
      maxLag = Math.max(maxLag, sentAt - due);
      inFlight.push(
        post(agent, url, requests[i]!).then((status) => {
          latencies.push(performance.now() - sentAt);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }),
      );
    }
    await Promise.all(inFlight);
    const loadSeconds = (performance.now() - started) / 1000;
    const deliveredDuringLoad = (await posted()).posted - warmupReplies;
    const serverSide = await handlingTimes(server.url);

    const drainDeadline = Date.now() + (ackOnly ? 0 : 180_000);
    while ((await posted()).posted - warmupReplies < unique && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 200));
    const drainSeconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1_000)); // a duplicate would show up now
    const replies = (await posted()).posted - warmupReplies;
    agent.destroy();

    latencies.sort((a, b) => a - b);
    const result = {
      generatedAt: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      driver: 'postgres',
      rate: RATE,
      seconds: SECONDS,
      events: total,
      uniqueEvents: unique,
      statuses: Object.fromEntries(statuses),
      ackMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies[latencies.length - 1] ?? NaN) },
      serverHandledWithin: serverSide,
      maxSendLagMs: round(maxLag),
      loadSeconds: round(loadSeconds),
      repliesDuringLoad: deliveredDuringLoad,
      repliesTotal: replies,
      secondsUntilAllReplied: replies >= unique ? round(drainSeconds) : null,
      goalP99Ms: GOAL_P99_MS,
      goalMet: percentile(latencies, 99) <= GOAL_P99_MS,
    };
    console.log(JSON.stringify(result, null, 2));
    await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
    await writeFile(path.join(ROOT, 'bench/results/feishu-webhook.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    answering?.child.kill('SIGTERM');
    if (answering) await new Promise((r) => answering!.child.once('exit', r));
    server?.child.kill('SIGTERM');
    if (server) await new Promise((r) => server!.child.once('exit', r));
    api.child.kill('SIGTERM');
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
