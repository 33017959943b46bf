/**
 * The crash matrix, shared by `npm run bench:crash` (every row, PGlite and Postgres) and
 * test/ops/crash-matrix.test.ts (a few rows): for one step × platform, the real service runs in a child
 * process (test/ops/fixtures/crash-matrix-service.ts) against fake Telegram, Feishu and agency servers in this
 * process; the platform sends its messages, the child is killed with SIGKILL at the step, restarted without
 * the failpoint, the platform redelivers whatever was not acknowledged (as Telegram and Feishu do, and as an
 * API client retries), and once everything is delivered what each fake received is counted.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { scratchDatabase as createScratchDatabase } from '../../bench/child-server.js';
import { FAILPOINT_STEPS, type FailpointStep } from '../../src/failpoint.js';
import { APOLOGY } from '../../src/queue/worker.js';
import { messageEvent, signed, webhookEnv } from '../channels/feishu-fixtures.js';
import { SECRET } from '../channels/telegram-fixtures.js';
import { FakeAgencyWebhook } from '../fakes/agency-webhook.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { BOT_TOKEN, FakeTelegramApi, updates } from '../fakes/telegram-api.js';
import { ROOT } from '../helpers.js';

export type Platform = 'telegram' | 'feishu' | 'api' | 'webhook';

export interface Scenario {
  step: FailpointStep;
  platform: Platform;
}

/** Every step on every platform it applies to (the API has no inbox or outbox; cases notify agencies by webhook). */
export const MATRIX: Scenario[] = [
  { step: 'inbox.accepted', platform: 'telegram' },
  { step: 'inbox.accepted', platform: 'feishu' },
  { step: 'worker.claimed', platform: 'telegram' },
  { step: 'worker.claimed', platform: 'feishu' },
  { step: 'answer.drafted', platform: 'telegram' },
  { step: 'answer.drafted', platform: 'feishu' },
  { step: 'answer.drafted', platform: 'api' },
  { step: 'outbox.committed', platform: 'telegram' },
  { step: 'outbox.committed', platform: 'feishu' },
  { step: 'delivery.sent', platform: 'telegram' },
  { step: 'delivery.sent', platform: 'feishu' },
  { step: 'delivery.sent', platform: 'webhook' },
  { step: 'case.committed', platform: 'webhook' },
];

/** What one row of the matrix measured. */
export interface Outcome extends Scenario {
  database: 'pglite' | 'postgres';
  /** Messages the platform sent (questions; for `webhook`, cases whose consent was given). */
  sent: number;
  /** Of those, acknowledged by the first process (the rest were redelivered after the restart). */
  acknowledged: number;
  /** Messages that got their reply (or the agency its case.requested) at least once. */
  delivered: number;
  lost: number;
  /** Replies the user (or agency) saw more than once. */
  duplicated: number;
  /** Sends repeated after the restart that the platform dropped by its idempotency key (Feishu uuid, webhook-id). */
  dropped: number;
  /** Whether the process died at the step (false: the step was never reached, the row measured nothing). */
  crashed: boolean;
  /** Replies that were the apology instead of an answer. */
  apologies: number;
  seconds: number;
}

/** Where the children keep their data: a fresh PGlite directory, or a fresh database on this Postgres server. */
export type DatabaseTarget = { kind: 'pglite' } | { kind: 'postgres'; url: string };

const QUESTIONS = ['知识产权保险有哪些?', '商标被抢注了怎么办？', '专利导航有什么支持?'];
const CASE_QUESTION = '我们的专利被侵权了，想找律师起诉';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  child: ChildProcess;
  url: string;
  exited: Promise<NodeJS.Signals | null>;
  alive: () => boolean;
}

function startChild(env: NodeJS.ProcessEnv): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/ops/fixtures/crash-matrix-service.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let alive = true;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => ((alive = false), resolve(signal))));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const match = /listening on (http:\/\/\S+)/.exec(d.toString());
      if (match) resolve({ child, url: match[1]!, exited, alive: () => alive });
    });
    void exited.then((signal) => reject(new Error(`crash child exited (${signal}) before listening: ${stderr}`)));
  });
}

/**
 * One platform's side: `deliver` (re)sends every message not yet acknowledged, once, and returns when each
 * was acknowledged or failed; `received` counts, per message, the distinct replies and all replies received.
 */
interface PlatformClient {
  count: number;
  acked: Set<number>;
  deliver(url: string): Promise<void>;
  received(): { distinct: number[]; raw: number[]; apologies: number };
}

/** Sends each item not acknowledged yet, side by side; `send` tells whether the item was acknowledged. */
async function sendUnacknowledged<T>(items: T[], acked: Set<number>, send: (item: T, i: number) => Promise<boolean>): Promise<void> {
  await Promise.all(
    items.map(async (item, i) => {
      if (!acked.has(i) && (await send(item, i))) acked.add(i);
    }),
  );
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Response | undefined> {
  return fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) }).catch(() => undefined);
}

function telegramClient(fake: FakeTelegramApi): PlatformClient {
  const questions = QUESTIONS.map((q, i) => updates.text({ id: 7001 + i, type: 'private' }, 9001 + i, q));
  const acked = new Set<number>();
  const replies = (i: number) => fake.sent('sendMessage', questions[i]!.message.chat.id).filter((c) => c.result && c.payload.reply_parameters?.message_id === questions[i]!.message.message_id);
  return {
    count: questions.length,
    acked,
    deliver: (url) =>
      sendUnacknowledged(questions, acked, async (update) => {
        const res = await post(`${url}/webhooks/telegram`, JSON.stringify(update), { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET });
        return Boolean(res?.ok);
      }),
    received: () => {
      const all = questions.map((_, i) => replies(i));
      // Telegram has no idempotency key: every accepted sendMessage is a message the user sees.
      return { distinct: all.map((r) => r.length), raw: all.map((r) => r.length), apologies: all.flat().filter((c) => String(c.payload.text).includes(APOLOGY)).length };
    },
  };
}

function feishuClient(fake: FakeFeishuApi): PlatformClient {
  const events = QUESTIONS.map((text, i) => messageEvent({ chatId: `oc_crash_${i}`, openId: `ou_crash_${i}`, text }));
  const acked = new Set<number>();
  return {
    count: events.length,
    acked,
    deliver: (url) =>
      sendUnacknowledged(events, acked, async (event) => {
        const request = signed(event); // a re-push is signed anew, with the same event_id
        return Boolean((await post(`${url}/webhooks/feishu`, request.body, request.headers))?.ok);
      }),
    received: () => {
      const target = (i: number) => `/open-apis/im/v1/messages/${events[i]!.event.message.message_id}/reply`;
      const posted = events.map((e) => fake.posted.filter((p) => p.replyTo === e.event.message.message_id));
      return {
        distinct: posted.map((p) => p.length),
        raw: events.map((_, i) => fake.callsTo('reply').filter((c) => c.path === target(i)).length),
        apologies: posted.flat().filter((p) => p.text.includes(APOLOGY)).length,
      };
    },
  };
}

async function postJson(url: string, body: unknown): Promise<any> {
  const res = await post(url, JSON.stringify(body), { 'content-type': 'application/json' });
  if (!res?.ok) return undefined;
  return res.json();
}

/** An API client: asks, and asks again after a failure (the API has no queue; the client is the retry). */
function apiClient(): PlatformClient {
  const answers: (string | undefined)[] = QUESTIONS.map(() => undefined);
  const acked = new Set<number>();
  return {
    count: QUESTIONS.length,
    acked,
    deliver: (url) =>
      sendUnacknowledged(QUESTIONS, acked, async (question, i) => {
        answers[i] = (await postJson(`${url}/api/v1/ask`, { question, userId: `api-crash-${i}`, conversationId: `api-crash-${i}` }))?.answer;
        return Boolean(answers[i]);
      }),
    received: () => ({ distinct: answers.map((a) => (a ? 1 : 0)), raw: answers.map((a) => (a ? 1 : 0)), apologies: 0 }),
  };
}

/** Users who ask, request a referral and consent over the API; the agency's webhook counts case.requested per case. */
function caseClient(agency: FakeAgencyWebhook, users = 2): PlatformClient {
  const progress: { consultationId?: string; caseId?: string; consentId?: number; requested?: boolean }[] = Array.from({ length: users }, () => ({}));
  const acked = new Set<number>();
  return {
    count: users,
    acked,
    deliver: (url) =>
      sendUnacknowledged(progress, acked, async (p, i) => {
        const userId = `case-crash-${i}`;
        // Each call is repeated after a failure, as the web chat would; a repeated consent changes nothing.
        p.consultationId ??= (await postJson(`${url}/api/v1/ask`, { question: CASE_QUESTION, userId, conversationId: `c-${userId}` }))?.id;
        if (!p.consultationId) return false;
        if (!p.caseId) {
          const offered = await postJson(`${url}/api/v1/referral`, { consultationId: p.consultationId, userId });
          p.caseId = offered?.id;
          p.consentId = offered?.consent?.consentId;
        }
        if (!p.caseId) return false;
        return (await postJson(`${url}/api/v1/cases/${p.caseId}/consent`, { userId, consent: true, consentId: p.consentId }))?.status === 'requested';
      }),
    received: () => {
      const requested = (i: number) => agency.deliveries.filter((d) => d.event?.type === 'case.requested' && d.event.data.caseId === progress[i]!.caseId);
      return {
        distinct: progress.map((_, i) => new Set(requested(i).map((d) => d.headers['webhook-id'])).size),
        raw: progress.map((_, i) => requested(i).length),
        apologies: 0,
      };
    },
  };
}

const registry = (url: string, secret: string) => `agencies:
  - id: crash-hook
    name: 崩溃测试服务中心
    fields: [patent, trademark, copyright]
    services: [litigation]
    districts: all
    capacity: 100
    contact: 测试中心
    channel: {type: webhook, url: "${url}", secret: "${secret}"}
`;

const WEBHOOK_SECRET = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;

/** Runs one row: fresh fakes and a fresh database, kill at the step, restart, redeliver, count. */
export async function runScenario(scenario: Scenario, target: DatabaseTarget, options: { deadlineMs?: number } = {}): Promise<Outcome> {
  const started = Date.now();
  const deadlineMs = options.deadlineMs ?? 60_000;
  const telegram = await new FakeTelegramApi().start();
  const feishu = await new FakeFeishuApi().start();
  const agency = await new FakeAgencyWebhook(WEBHOOK_SECRET).start();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-crash-matrix-'));
  const database = target.kind === 'postgres' ? await scratchDatabase(target.url) : undefined;
  const children: Child[] = [];
  try {
    await writeFile(path.join(dir, 'agencies.yaml'), registry(agency.url, WEBHOOK_SECRET));
    const env: NodeJS.ProcessEnv = {
      // Nothing of the caller's own service configuration (a database, a platform, a model) leaks in.
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(DATABASE_URL|TELEGRAM_|FEISHU_|LLM_|EMBEDDING_)/.test(name))),
      DATA_DIR: dir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'fatal',
      // Only the platform of the row: the other SDK would only slow the start (the Lark SDK alone is some 60 MB).
      ...(scenario.platform === 'telegram' ? { TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_MODE: 'webhook', TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: telegram.apiRoot } : {}),
      ...(scenario.platform === 'feishu' ? webhookEnv(feishu.baseUrl) : {}),
      AGENCIES_FILE: path.join(dir, 'agencies.yaml'),
      CASE_CALENDAR: '24x7',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      // On Postgres the restarted process waits for the dead one's leases to run out: keep that short here.
      CRASH_LEASE_MS: database ? '5000' : '',
    };
    if (database) env.DATABASE_URL = database.url;
    const platform = scenario.platform;
    const client = platform === 'telegram' ? telegramClient(telegram) : platform === 'feishu' ? feishuClient(feishu) : platform === 'api' ? apiClient() : caseClient(agency);
    const complete = () => client.received().distinct.every((n) => n > 0);

    // First process: the platform sends everything; the process dies at the step.
    const first = await startChild({ ...env, CRASH_AT: `${scenario.step}:${platform}` });
    children.push(first);
    const until = Date.now() + deadlineMs;
    while (first.alive() && !(client.acked.size === client.count && complete()) && Date.now() < until) {
      await client.deliver(first.url);
      await Promise.race([first.exited, sleep(100)]);
    }
    const crashed = (await Promise.race([first.exited, sleep(2_000).then(() => 'alive' as const)])) === 'SIGKILL';
    if (first.alive()) {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    const acknowledged = client.acked.size;

    // Second process: whatever was not acknowledged is delivered again, until every message has its reply.
    const second = await startChild(env);
    children.push(second);
    const again = Date.now() + deadlineMs;
    while (!(client.acked.size === client.count && complete()) && Date.now() < again && second.alive()) {
      await client.deliver(second.url);
      await sleep(100);
    }
    await sleep(1_000); // a second reply, if there were one, would come now
    second.child.kill('SIGTERM');
    await second.exited;

    const { distinct, raw, apologies } = client.received();
    const delivered = distinct.filter((n) => n > 0).length;
    return {
      ...scenario,
      database: target.kind,
      sent: client.count,
      acknowledged,
      delivered,
      lost: client.count - delivered,
      duplicated: distinct.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      dropped: raw.reduce((sum, n, i) => sum + n - distinct[i]!, 0),
      crashed,
      apologies,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    for (const c of children) if (c.alive()) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await telegram.close();
    await feishu.stop();
    await agency.stop();
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A new, empty database on the server of `url` (the service migrates it), dropped afterwards. */
export function scratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  return createScratchDatabase(url, `ipcb_crash_${process.pid}_${Date.now().toString(36)}`);
}

/** The matrix as a Markdown table. */
export function formatTable(outcomes: Outcome[]): string {
  const header = '| database | step | platform | sent | acknowledged | delivered | lost | duplicated | re-sent, dropped by key |';
  const rows = outcomes.map((o) =>
    `| ${o.database} | ${FAILPOINT_STEPS[o.step]}${o.crashed ? '' : ' (not reached)'} | ${o.platform} | ${o.sent} | ${o.acknowledged} | ${o.delivered} | ${o.lost} | ${o.duplicated} | ${o.platform === 'telegram' || o.platform === 'api' ? '–' : o.dropped} |`,
  );
  return [header, '|---|---|---|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
}
