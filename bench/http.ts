/**
 * `npm run bench:http`: POST /api/v1/ask over loopback against the real server (`src/main.ts` in a child
 * process, so that the load client does not share its event loop), on PGlite (a temp data dir) and on
 * Postgres (BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test when reachable; a fresh
 * scratch database is created and dropped). A mix of questions from 200 users in 200 conversations, so
 * follow-up history is read as in real use. Rate limits are lifted; server logs at `warn`.
 * BENCH_SECONDS (default 15) and BENCH_CONNECTIONS (default 10) tune the run. Goal on Postgres:
 * ≥ 500 req/s with p99 ≤ 50 ms.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { ROOT, startServer } from './child-server.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const POSTGRES = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const QUESTIONS = [
  '知识产权保险有哪些?',
  '商标被抢注了怎么办？',
  '版权示范企业创建有什么要求?',
  '那责任单位是谁?',
  '专利导航服务有什么支持?',
  '知识产权质押融资有补贴吗',
  '外国专利代理机构能在淄博设立常驻代表机构吗?',
  '你好',
  'What support is there for IP insurance?',
  '知识产权服务机构如何培育?',
];

interface Row {
  driver: string;
  requests: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

function load(url: string, seconds: number): Promise<autocannon.Result> {
  let n = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/ask',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const i = n++;
          const user = i % 200;
          return { ...request, body: JSON.stringify({ question: QUESTIONS[i % QUESTIONS.length], userId: `bench-user-${user}`, conversationId: `bench-conv-${user}` }) };
        },
      },
    ],
  });
}

async function run(driver: string, extraEnv: NodeJS.ProcessEnv, dataDir: string): Promise<Row> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', RATE_LIMIT_USER_PER_MINUTE: '1000000', RATE_LIMIT_IP_PER_MINUTE: '100000000' };
  if (!extraEnv.DATABASE_URL) delete env.DATABASE_URL;
  const { child, url } = await startServer(env);
  try {
    await load(url, 3); // warm-up: JIT, connection pool, caches
    const r = await load(url, SECONDS);
    return {
      driver,
      requests: r.requests.total,
      perSecond: Math.round(r.requests.average),
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
      non2xx: r.non2xx,
      errors: r.errors,
    };
  } finally {
    await new Promise((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGTERM');
    });
  }
}

async function withScratchPostgres<T>(fn: (url: string) => Promise<T>): Promise<T | undefined> {
  const admin = postgres(POSTGRES, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  const name = `ipcb_bench_http_${process.pid}`;
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (error) {
    console.warn(`Postgres skipped (${POSTGRES}): ${error instanceof Error ? error.message : String(error)}`);
    await admin.end();
    return undefined;
  }
  try {
    const u = new URL(POSTGRES);
    u.pathname = `/${name}`;
    return await fn(u.toString());
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

const rows: Row[] = [];
const scratch = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-http-'));
try {
  rows.push(await run('pglite', {}, path.join(scratch, 'pglite')));
  const pg = await withScratchPostgres((url) => run('postgres', { DATABASE_URL: url }, path.join(scratch, 'postgres')));
  if (pg) rows.push(pg);
} finally {
  await rm(scratch, { recursive: true, force: true });
}

console.log(`\nPOST /api/v1/ask, ${CONNECTIONS} connections, ${SECONDS} s, loopback, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})\n`);
console.log('| driver | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.driver} | ${r.requests} | ${r.perSecond} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} | ${r.non2xx} | ${r.errors} |`);
const pgRow = rows.find((r) => r.driver === 'postgres');
if (pgRow) console.log(`\nGoal on Postgres (≥ 500 req/s, p99 ≤ 50 ms): ${pgRow.perSecond >= 500 && pgRow.p99 <= 50 ? 'met' : 'NOT met'}`);

await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
await writeFile(
  path.join(ROOT, 'bench/results/http.json'),
  `${JSON.stringify({ generatedAt: new Date().toISOString(), node: process.version, cpus: os.cpus().length, connections: CONNECTIONS, seconds: SECONDS, rows }, null, 2)}\n`,
);
