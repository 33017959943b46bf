/**
 * `npm run bench:memory`: resident memory of the whole process tree of `npm start` (npm, and node below
 * it), read from /proc: the peak while starting, after start, and after N questions through the HTTP API
 * (POST /api/v1/ask, BENCH_N = 10 000 by default, BENCH_CONCURRENCY = 4 at a time, the project's evaluation
 * questions from 500 users), on the embedded default (a fresh DATA_DIR) and on Postgres (a scratch database,
 * when BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test is reachable). Rate limits are lifted.
 * BENCH_ROOT runs another checkout (an older commit) the same way. Prints a table and each process. RSS
 * adds up each process's resident pages, so the node binary that npm and the service share counts twice;
 * the PSS column counts shared pages once.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadAverage, processTree, ROOT, scratchPostgres, startService, treeRssMb } from './service-process.js';

const N = Number(process.env.BENCH_N ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const DRIVERS = (process.env.BENCH_DRIVERS ?? 'pglite,postgres').split(',');

const questions = readdirSync(path.join(ROOT, 'eval'))
  .filter((f) => f.endsWith('.jsonl'))
  .flatMap((f) => readFileSync(path.join(ROOT, 'eval', f), 'utf8').split('\n').filter(Boolean))
  .map((line) => (JSON.parse(line) as { q?: unknown }).q)
  .filter((q): q is string => typeof q === 'string'); // eval/approved-matching.jsonl has no `q`

interface Row {
  driver: string;
  startPeak: number;
  afterStart: number;
  peakDuring: number;
  afterN: number;
  /** Proportional set size of the tree after the questions (shared pages counted once). */
  afterNPss: number;
  failures: number;
  seconds: number;
  processes: string;
}

async function measure(driver: string, env: Record<string, string>): Promise<Row> {
  const service = await startService({ ...env, RATE_LIMIT_USER_PER_MINUTE: '1000000', RATE_LIMIT_IP_PER_MINUTE: '1000000', KNOWLEDGE_RELOAD_MS: '0' });
  const pid = service.child.pid!;
  try {
    await new Promise((r) => setTimeout(r, 1000)); // let start-up garbage go before the first reading
    const afterStart = treeRssMb(pid);
    let peakDuring = afterStart;
    let failures = 0;
    let next = 0;
    const started = performance.now();
    const sampler = setInterval(() => (peakDuring = Math.max(peakDuring, treeRssMb(pid))), 200);
    const client = async () => {
      for (let i = next++; i < N; i = next++) {
        const user = i % 500;
        const res = await fetch(`${service.url}/api/v1/ask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ question: questions[i % questions.length], userId: `bench-${user}`, conversationId: `bench-${user}-${Math.floor(i / 5000)}` }),
        }).catch(() => undefined);
        if (res?.status !== 200) failures++;
        await res?.arrayBuffer();
        if (i % 1000 === 999) process.stderr.write(`  ${driver}: ${i + 1}/${N}, tree ${treeRssMb(pid).toFixed(0)} MB\n`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const tree = processTree(pid);
    const afterN = tree.reduce((s, p) => s + p.rssMb, 0);
    const afterNPss = tree.reduce((s, p) => s + p.pssMb, 0);
    const processes = tree.map((p) => `${p.command.split(' ').slice(0, 3).join(' ')} ${p.rssMb.toFixed(0)} MB`).join('; ');
    return { driver, startPeak: service.startPeakMb, afterStart, peakDuring, afterN, afterNPss, failures, seconds, processes };
  } finally {
    const { leftRunning } = await service.stop();
    if (leftRunning.length) console.log(`  SIGTERM to npm start left running after 15 s (killed): ${leftRunning.join('; ').slice(0, 200)}`);
  }
}

async function main() {
  console.log(`checkout ${ROOT}; ${N} questions, ${CONCURRENCY} at a time; load average before: ${loadAverage()}`);
  const rows: Row[] = [];
  if (DRIVERS.includes('pglite')) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-memory-'));
    try {
      rows.push(await measure('embedded (PGlite)', { DATA_DIR: dataDir }));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  if (DRIVERS.includes('postgres')) {
    const scratch = await scratchPostgres();
    if (!scratch) console.log('postgres: not reachable, skipped');
    else {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-memory-'));
      try {
        rows.push(await measure('PostgreSQL', { DATA_DIR: dataDir, DATABASE_URL: scratch.url }));
      } finally {
        await scratch.drop();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  }
  console.log(`\nload average after: ${loadAverage()}`);
  console.log('| database | start peak MB | after start MB | peak during questions MB | after questions MB | after, PSS MB | failed | questions/s |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const f = (x: number) => x.toFixed(0);
    console.log(`| ${r.driver} | ${f(r.startPeak)} | ${f(r.afterStart)} | ${f(r.peakDuring)} | ${f(r.afterN)} | ${f(r.afterNPss)} | ${r.failures} | ${(N / r.seconds).toFixed(0)} |`);
  }
  for (const r of rows) console.log(`${r.driver}: ${r.processes}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
