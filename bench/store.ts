/**
 * `npm run bench:store`: consultations recorded per second, and the latency of one `record()` call,
 * on PGlite (a temp data dir, i.e. on disk) and on Postgres (DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test when reachable; a scratch database is created and dropped).
 * Each record is a full `record()`: masking, conversation upsert and insert in one transaction.
 * BENCH_N sets the number of records per run (default 500).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { ConsultationStore, type NewConsultation } from '../src/store/consultations.js';
import { openDatabase, type DatabaseHandle } from '../src/store/db.js';

const N = Number(process.env.BENCH_N ?? 500);
const CONCURRENCY = 8;
const WARMUP = 20;
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

interface Row {
  driver: string;
  mode: string;
  records: number;
  perSecond: number;
  p50: number;
  p99: number;
}

let sequence = 0;
function consultation(): NewConsultation {
  const n = ++sequence;
  return {
    conversationId: `bench:${n % 50}`,
    channel: 'api',
    chatId: `chat-${n % 50}`,
    userId: `user-${n % 200}`,
    messageId: `bench-${process.pid}-${n}`,
    question: `企业申请知识产权质押融资有什么补助？我的电话13800138000（第${n}问）`,
    answer: '根据淄市监知促字〔2023〕130号第十条，对开展知识产权质押融资的企业给予贴息支持。'.repeat(3),
    outcome: 'answered',
    citations: [
      { documentId: 'zibo-ip-service-opinions-2023', title: '实施意见', docNumber: '淄市监知促字〔2023〕130号', section: '十', article: '十', excerpt: '知识产权质押融资'.repeat(10), score: 0.8 },
    ],
    passages: Array.from({ length: 5 }, (_, i) => ({ chunkId: `doc#${i}`, documentId: 'doc', article: String(i), section: `s${i}`, score: 1 / (i + 1), coverage: 0.5 })),
    confidence: 0.7,
    answerer: 'extractive',
    latencyMs: 42,
    topics: ['质押融资'],
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function run(store: ConsultationStore, driver: string, concurrency: number): Promise<Row> {
  const latencies: number[] = [];
  let remaining = N;
  const worker = async () => {
    while (remaining-- > 0) {
      const start = performance.now();
      await store.record(consultation());
      latencies.push(performance.now() - start);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    driver,
    mode: concurrency === 1 ? 'sequential' : `concurrency ${concurrency}`,
    records: latencies.length,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function benchHandle(handle: DatabaseHandle, driver: string): Promise<Row[]> {
  const store = new ConsultationStore(handle.db);
  for (let i = 0; i < WARMUP; i++) await store.record(consultation());
  return [await run(store, driver, 1), await run(store, driver, CONCURRENCY)];
}

async function benchPglite(): Promise<Row[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-'));
  const handle = await openDatabase({ dataDir });
  try {
    return await benchHandle(handle, 'pglite (disk)');
  } finally {
    await handle.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function benchPostgres(url: string): Promise<Row[] | string> {
  const admin = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  const scratch = `ipcb_bench_${process.pid}`;
  try {
    await admin.unsafe(`create database "${scratch}"`);
  } catch (error) {
    await admin.end({ timeout: 1 });
    return `skipped: ${error instanceof Error ? error.message : String(error)}`;
  }
  const target = new URL(url);
  target.pathname = `/${scratch}`;
  try {
    const handle = await openDatabase({ databaseUrl: target.toString(), poolSize: 10 });
    try {
      return await benchHandle(handle, 'postgres');
    } finally {
      await handle.close();
    }
  } finally {
    await admin.unsafe(`drop database if exists "${scratch}" with (force)`);
    await admin.end({ timeout: 5 });
  }
}

function printTable(rows: Row[]): void {
  const header = ['driver', 'mode', 'records', 'records/s', 'p50 ms', 'p99 ms'];
  const body = rows.map((r) => [r.driver, r.mode, String(r.records), r.perSecond.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of body) console.log(line(row));
}

const rows: Row[] = [];
console.log(`Recording ${N} consultations per run (after ${WARMUP} warm-up records), node ${process.version}, ${os.cpus().length} CPUs`);
rows.push(...(await benchPglite()));
const postgresRows = await benchPostgres(process.env.DATABASE_URL || DEFAULT_POSTGRES);
if (typeof postgresRows === 'string') console.log(`postgres ${postgresRows}`);
else rows.push(...postgresRows);
printTable(rows);
