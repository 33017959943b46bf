/**
 * `npm run bench:load`: the service under a mixed load at rising rates, on the embedded default (PGlite)
 * and on Postgres, until the webhook acknowledgement p99 passes 50 ms. The service runs as `npm start`
 * (its own process) with Telegram and Feishu in webhook mode, WeChat (WeCom 微信客服) and one webhook
 * agency; the fake Telegram API, the fake Feishu open API, the fake WeCom API and the fake agency run in
 * processes of their own, so that replies and case deliveries go somewhere. Each step sends, open loop
 * (bench/open-loop.ts), a mix of Telegram updates with the secret header, encrypted and signed Feishu
 * events, encrypted and signed WeCom callbacks (each announcing a customer message put in the fake
 * beforehand), `POST /api/v1/ask` questions and agencies' signed case callbacks, at one rate for a few seconds. Per step: the latency of each kind (for webhooks the
 * acknowledgement, for API questions the whole answer), the server's CPU (user + system from /proc, 100 %
 * = one core) and that of its Postgres backends, its RSS, the inbox and outbox depth from /metrics, and
 * the requests not answered 200. The knee is the highest rate whose webhook ack p99 is ≤ 50 ms.
 *
 * BENCH_DB=pglite | pg | both (default), BENCH_STEPS (req/s, default 10,25,50,100,200,400,800),
 * BENCH_STEP_SECONDS (default 10), BENCH_MAX_SECONDS (load seconds per database, default 90),
 * BENCH_STOP_AFTER_OVER (steps over the goal in a row that end the ramp, default 1), BENCH_MIX
 * (telegram,feishu,wechat,api,case shares, default 30,25,25,10,10), BENCH_DATABASE_URL (Postgres to create a scratch
 * database in, default postgres://postgres@127.0.0.1:5432/test), BENCH_PROFILE=<dir> (CPU profiles).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { webhookEnv } from '../test/channels/feishu-fixtures.js';
import { BOT_TOKEN } from '../test/fakes/telegram-api.js';
import { startServer } from './child-server.js';
import { AGENCY_SECRET, agenciesYaml, apiRequest, caseRequests, feishuRequest, KINDS, openCases, schedule, telegramRequest, TELEGRAM_SECRET, wechatRequests, WEBHOOK_KINDS, type Kind } from './load-requests.js';
import { wechatEnv } from '../test/fakes/wecom-api.js';
import { percentile, round, runOpenLoop, type Outcome, type PreparedRequest } from './open-loop.js';
import { cpuSeconds, loadAverage, processTree, ROOT, rssMb, scratchPostgres, startService } from './service-process.js';

const STEPS = (process.env.BENCH_STEPS ?? '10,25,50,100,200,400,800').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 10);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 90);
const DATABASES = process.env.BENCH_DB === 'pg' ? ['postgres'] : process.env.BENCH_DB === 'pglite' ? ['pglite'] : ['pglite', 'postgres'];
const [telegramShare, feishuShare, wechatShare, apiShare, caseShare] = (process.env.BENCH_MIX ?? '30,25,25,10,10').split(',').map(Number);
const MIX: Record<Kind, number> = { telegram: telegramShare!, feishu: feishuShare!, wechat: wechatShare!, api: apiShare!, case: caseShare! };
const GOAL_P99_MS = 50;
/** Steps over the goal in a row before the ramp stops (more show how the service degrades past the knee). */
const STOP_AFTER_OVER = Number(process.env.BENCH_STOP_AFTER_OVER ?? 1);
/** Before a step, the worker may finish the backlog of the one before for this long. */
const DRAIN_SECONDS = 15;
const CALLBACKS_PER_CASE = 3;

interface Step {
  rate: number;
  requests: number;
  ms: Record<Kind, { p50: number; p99: number }>;
  webhookP99: number;
  cpuPercent: number;
  postgresCpuPercent?: number;
  rssMb: number;
  inbox: { max: number; end: number };
  outbox: { max: number; end: number };
  notOk: Record<Kind, number>;
  maxSendLagMs: number;
  /** Inbox rows left from earlier steps when this one began. */
  startDepth: number;
  /** Telegram and Feishu replies and agency deliveries sent from the start of the step to its last response. */
  sent: Sent;
  /** Slowest /metrics scrape during the step. */
  maxScrapeMs: number;
}

/** `name{labels} value` samples of one metric from a /metrics text. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  return [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)`, 'gm'))].map((m) => ({ labels: m[1]!, value: Number(m[2]) }));
}

const SENT_CHANNELS = ['telegram', 'feishu', 'wechat', 'webhook'] as const;
type Sent = Record<(typeof SENT_CHANNELS)[number], number>;

/** Queue depths and the replies (and agency deliveries) sent so far, from /metrics. */
async function queueDepth(url: string): Promise<{ inbox: number; outbox: number; sent: Sent }> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const depth = (queue: string) => samples(text, 'ipcb_queue_depth').find((s) => s.labels.includes(`queue="${queue}"`))?.value ?? NaN;
  const deliveries = samples(text, 'ipcb_deliveries_total').filter((s) => s.labels.includes('result="sent"'));
  const sent = Object.fromEntries(SENT_CHANNELS.map((c) => [c, deliveries.find((s) => s.labels.includes(`channel="${c}"`))?.value ?? 0])) as Sent;
  return { inbox: depth('inbox'), outbox: depth('outbox'), sent };
}

/** CPU seconds so far of the Postgres backends serving the scratch database. */
async function postgresCpu(sql: postgres.Sql | undefined): Promise<Map<number, number>> {
  if (!sql) return new Map();
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}

function summarise(outcomes: Outcome<Kind>[], kinds: Kind[]) {
  const sorted = outcomes.filter((o) => kinds.includes(o.kind)).map((o) => o.latencyMs).sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

/** One rate: prepares its requests (opening the cases its callbacks need), lets the queue drain, sends, measures. */
async function step(url: string, fakeWecom: string, agent: http.Agent, serverPid: number, rate: number, seconds: number, sql?: postgres.Sql): Promise<Step> {
  const kinds = schedule(MIX, Math.round(rate * seconds));
  const wechat = await wechatRequests(fakeWecom, kinds.filter((k) => k === 'wechat').length);
  let w = 0;
  const callbackCount = kinds.filter((k) => k === 'case').length;
  const caseIds = callbackCount ? await openCases(url, Math.ceil(callbackCount / CALLBACKS_PER_CASE)) : [];
  const callbacks = caseRequests(caseIds, callbackCount);
  let c = 0;
  const build: Record<Kind, () => PreparedRequest> = { telegram: telegramRequest, feishu: feishuRequest, wechat: () => wechat[w++]!, api: apiRequest, case: () => callbacks[c++]! };
  const requests = kinds.map((kind) => ({ kind, request: build[kind]() }));

  let depth = await queueDepth(url);
  for (const deadline = Date.now() + DRAIN_SECONDS * 1000; depth.inbox > 0 && Date.now() < deadline; depth = await queueDepth(url)) await new Promise((r) => setTimeout(r, 250));
  const startDepth = depth.inbox;

  const queue = { inbox: { max: depth.inbox, end: 0 }, outbox: { max: depth.outbox, end: 0 } };
  let maxRss = rssMb(serverPid);
  let scraping = false;
  let maxScrapeMs = 0;
  let ticks = 0;
  // RSS every second; depths every 2 s (a scrape queries the database, as a Prometheus scrape would).
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, rssMb(serverPid));
    if (scraping || ticks++ % 2) return;
    scraping = true;
    const t0 = performance.now();
    void queueDepth(url)
      .then((d) => {
        maxScrapeMs = Math.max(maxScrapeMs, performance.now() - t0);
        queue.inbox.max = Math.max(queue.inbox.max, d.inbox);
        queue.outbox.max = Math.max(queue.outbox.max, d.outbox);
      })
      .finally(() => (scraping = false));
  }, 1000);
  const pgBefore = await postgresCpu(sql);
  const cpuBefore = cpuSeconds(serverPid);
  const started = performance.now();
  const { outcomes, maxSendLagMs } = await runOpenLoop(agent, new URL(url), requests, rate);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuUsed = cpuSeconds(serverPid) - cpuBefore;
  const pgAfter = await postgresCpu(sql);
  clearInterval(sampler);
  const end = await queueDepth(url);
  const sent = Object.fromEntries(SENT_CHANNELS.map((c) => [c, end.sent[c] - depth.sent[c]])) as Sent;
  queue.inbox.end = end.inbox;
  queue.outbox.end = end.outbox;
  maxRss = Math.max(maxRss, rssMb(serverPid));
  const pgUsed = [...pgAfter].reduce((sum, [pid, cpu]) => sum + cpu - (pgBefore.get(pid) ?? 0), 0);

  const ms = Object.fromEntries(KINDS.map((k) => [k, summarise(outcomes, [k])])) as Step['ms'];
  const notOk = Object.fromEntries(KINDS.map((k) => [k, outcomes.filter((o) => o.kind === k && o.status !== 200).length])) as Step['notOk'];
  return {
    rate,
    requests: requests.length,
    ms,
    webhookP99: summarise(outcomes, WEBHOOK_KINDS).p99,
    cpuPercent: round((100 * cpuUsed) / wallSeconds),
    postgresCpuPercent: sql ? round((100 * pgUsed) / wallSeconds) : undefined,
    rssMb: round(maxRss),
    inbox: queue.inbox,
    outbox: queue.outbox,
    notOk,
    maxSendLagMs: round(maxSendLagMs),
    startDepth,
    sent,
    maxScrapeMs: round(maxScrapeMs),
  };
}

async function runOn(database: string, fakes: { telegram: string; feishu: string; wecom: string; agency: string }, scratch: string) {
  const dataDir = path.join(scratch, database);
  await mkdir(dataDir, { recursive: true });
  const agenciesFile = path.join(scratch, 'agencies.yaml');
  await writeFile(agenciesFile, agenciesYaml(fakes.agency));
  const pg = database === 'postgres' ? await scratchPostgres() : undefined;
  if (database === 'postgres' && !pg) throw new Error('Postgres is not reachable (BENCH_DATABASE_URL)');
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    AGENCIES_FILE: agenciesFile,
    CASE_CALENDAR: '24x7',
    CASE_DATA_KEY: Buffer.alloc(32, 9).toString('base64'),
    RATE_LIMIT_USER_PER_MINUTE: '1000000',
    RATE_LIMIT_IP_PER_MINUTE: '100000000',
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_MODE: 'webhook',
    TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
    TELEGRAM_API_ROOT: fakes.telegram,
    ...(webhookEnv(fakes.feishu) as Record<string, string>),
    ...wechatEnv(fakes.wecom),
  };
  // BENCH_PROFILE=<dir>: node runs the service as `npm start` does, without npm (node refuses --cpu-prof
  // in NODE_OPTIONS), and writes a V8 CPU profile there on exit.
  const profile = process.env.BENCH_PROFILE && [process.execPath, '--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE, database)}`, '--max-semi-space-size=2', 'dist/src/main.js'];
  const service = await startService(env, profile || undefined);
  const sql = pg ? postgres(pg.url, { max: 1, onnotice: () => {} }) : undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const steps: Step[] = [];
  const loadBefore = loadAverage();
  let capped = false;
  try {
    const serverPid = processTree(service.child.pid!).find((p) => p.command.includes('dist/src/main.js'))?.pid;
    if (!serverPid) throw new Error('the service process (dist/src/main.js) was not found under npm start');
    // The Telegram channel answers 503 until it has read getMe (it starts in the background).
    for (let i = 0; i < 200; i++) {
      const res = await fetch(new URL('/webhooks/telegram', service.url), { method: 'POST', ...telegramRequest() });
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await step(service.url, fakes.wecom, agent, serverPid, 20, 3, sql); // warm-up: JIT, pools, caches
    let seconds = 0;
    let overInARow = 0;
    for (const rate of STEPS) {
      if (seconds + STEP_SECONDS > MAX_SECONDS) {
        capped = true;
        break;
      }
      const s = await step(service.url, fakes.wecom, agent, serverPid, rate, STEP_SECONDS, sql);
      seconds += STEP_SECONDS;
      steps.push(s);
      console.log(`${database} ${rate} req/s: webhook ack p99 ${s.webhookP99} ms, wechat ack p99 ${s.ms.wechat.p99} ms, api p99 ${s.ms.api.p99} ms, cpu ${s.cpuPercent} %, inbox max ${s.inbox.max}`);
      overInARow = s.webhookP99 > GOAL_P99_MS ? overInARow + 1 : 0;
      if (overInARow >= STOP_AFTER_OVER) break;
    }
  } finally {
    agent.destroy();
    await sql?.end({ timeout: 5 });
    const { leftRunning } = await service.stop();
    if (leftRunning.length) console.warn(`killed after SIGTERM: ${leftRunning.join(', ')}`);
    await pg?.drop();
  }
  // The highest rate before the first step over the goal (every step when none was).
  const kneeOf = (p99: (s: Step) => number) => {
    const over = steps.findIndex((s) => p99(s) > GOAL_P99_MS);
    return (over === -1 ? steps.at(-1) : steps[over - 1])?.rate ?? null;
  };
  const knee = kneeOf((s) => s.webhookP99);
  const apiKnee = kneeOf((s) => s.ms.api.p99);
  return { database, loadAverage: { before: loadBefore, after: loadAverage() }, steps, knee, apiKnee, capped, passedGoal: steps.some((s) => s.webhookP99 > GOAL_P99_MS) };
}

function table(run: Awaited<ReturnType<typeof runOn>>): string {
  const f = (n: number) => (Number.isFinite(n) ? String(n) : '–');
  const pg = run.database === 'postgres';
  const head = `| req/s | Telegram ack p50 / p99 | Feishu ack p50 / p99 | WeChat ack p50 / p99 | case callback ack p50 / p99 | webhook ack p99 | API answer p50 / p99 | server CPU |${pg ? ' Postgres CPU |' : ''} RSS | inbox max / end | outbox max / end | sent T / F / W / agency | not 200 (T/F/W/API/case) | client lag |`;
  const rule = `|${'---|'.repeat(pg ? 15 : 14)}`;
  const rows = run.steps.map((s) => {
    const pair = (k: Kind) => `${f(s.ms[k].p50)} / ${f(s.ms[k].p99)} ms`;
    return `| ${s.rate} | ${pair('telegram')} | ${pair('feishu')} | ${pair('wechat')} | ${pair('case')} | ${f(s.webhookP99)} ms | ${pair('api')} | ${s.cpuPercent} % |${pg ? ` ${s.postgresCpuPercent} % |` : ''} ${Math.round(s.rssMb)} MB | ${s.inbox.max} / ${s.inbox.end} | ${s.outbox.max} / ${s.outbox.end} | ${SENT_CHANNELS.map((c) => s.sent[c]).join(' / ')} | ${KINDS.map((k) => s.notOk[k]).join(' / ')} | ${s.maxSendLagMs} ms |`;
  });
  return [head, rule, ...rows].join('\n');
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-load-'));
  const children: ChildProcess[] = [];
  const runs: Awaited<ReturnType<typeof runOn>>[] = [];
  try {
    const start = async (script: string, env: NodeJS.ProcessEnv = {}) => {
      const s = await startServer({ ...process.env, ...env }, script);
      children.push(s.child);
      return s.url;
    };
    const fakes = { telegram: await start('bench/fake-telegram.ts'), feishu: await start('bench/fake-feishu.ts'), wecom: await start('bench/fake-wecom.ts'), agency: await start('bench/fake-agency.ts', { AGENCY_SECRET }) };
    console.log(`Mixed load (${KINDS.map((k) => `${k} ${MIX[k]}`).join(', ')}), steps ${STEPS.join(', ')} req/s × ${STEP_SECONDS} s, node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAverage()}`);
    for (const database of DATABASES) runs.push(await runOn(database, fakes, scratch));
  } finally {
    for (const child of children) {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    }
    await rm(scratch, { recursive: true, force: true });
  }
  for (const run of runs) {
    console.log(`\n${run.database} (load average ${run.loadAverage.before} before, ${run.loadAverage.after} after)\n`);
    console.log(table(run));
    const why = run.passedGoal ? '' : run.capped ? ' (stopped by BENCH_MAX_SECONDS before p99 passed 50 ms)' : ' (p99 never passed 50 ms: the knee is higher)';
    console.log(`\nKnee (webhook ack p99 ≤ ${GOAL_P99_MS} ms): ${run.knee ?? 'below the first step'} req/s${why}; API answer p99 ≤ ${GOAL_P99_MS} ms up to ${run.apiKnee ?? 'below the first step'} req/s`);
  }
  await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(
    path.join(ROOT, 'bench/results/load.json'),
    `${JSON.stringify({ generatedAt: new Date().toISOString(), node: process.version, cpus: os.cpus().length, mix: MIX, stepSeconds: STEP_SECONDS, goalP99Ms: GOAL_P99_MS, runs }, null, 2)}\n`,
  );
}

await main();
