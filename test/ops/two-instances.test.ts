/**
 * Two instances of the service (`src/main.ts`, Feishu in webhook mode, the real Lark SDK against the fake
 * open API) on one Postgres database, behind the same webhooks: every event is pushed to both, as a load
 * balancer retrying on the other instance would. Then each question is answered once, a referral reaches
 * one agency once, its SLA timer fires once, and the app's send limit (5 a second here) holds for the two
 * instances together at the fake.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { FEISHU_WEBHOOK_PATH } from '../../src/channels/feishu.js';
import { queryRows } from '../../src/store/db.js';
import { buttonValue, cardActionEvent, messageEvent, signed, webhookEnv, type SignedRequest } from '../channels/feishu-fixtures.js';
import { FakeFeishuApi, type PostedMessage } from '../fakes/feishu-api.js';
import { sleep, startCrashService } from '../queue/fixtures.js';
import { storeTargets } from '../store/targets.js';
import { sentDeliveries } from '../fixtures/metrics.js';

const LIMIT_PER_SECOND = 5;
const QUESTIONS = 20;
const AGENCY_CHATS = ['oc_agency_first', 'oc_agency_second'];
const REGISTRY = `agencies:
${AGENCY_CHATS.map(
  (chatId, i) => `  - id: firm-${i}
    name: 第${i + 1}律师事务所
    fields: [patent, trademark, copyright]
    services: [litigation]
    districts: all
    capacity: 100
    contact: 第${i + 1}所 0533-111111${i}
    channel: {type: feishu, chatId: ${chatId}}`,
).join('\n')}
`;
const ASKS = ['知识产权保险有哪些?', '商标被抢注了怎么办？', '专利导航服务有什么支持?', '知识产权质押融资有补贴吗'];

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

const stop = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
};

const [, postgresTarget] = storeTargets();

describe('two instances on one Postgres behind the same webhooks', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it.skipIf(Boolean(postgresTarget!.skipReason))(
    `answers each event once, routes a referral once, fires its SLA timer once, and keeps ${LIMIT_PER_SECOND} sends a second across both${postgresTarget!.skipReason ? ` (SKIPPED: ${postgresTarget!.skipReason})` : ''}`,
    { timeout: 120_000 },
    async () => {
      const api = await new FakeFeishuApi().start();
      cleanup.push(() => api.stop());
      const location = await postgresTarget!.persistent();
      cleanup.push(() => location.dispose());
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-two-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(path.join(dir, 'agencies.yaml'), REGISTRY);
      const env = (name: string): NodeJS.ProcessEnv => {
        const e: NodeJS.ProcessEnv = {
          ...process.env,
          ...webhookEnv(api.baseUrl),
          FEISHU_APP_SENDS_PER_SECOND: String(LIMIT_PER_SECOND),
          DATABASE_URL: location.url,
          DATA_DIR: path.join(dir, name),
          PORT: '0',
          LOG_LEVEL: 'warn',
          KNOWLEDGE_RELOAD_MS: '0',
          AGENCIES_FILE: path.join(dir, 'agencies.yaml'),
          CASE_CALENDAR: '24x7',
          CASE_ACCEPT_SLA: '2s',
          CASE_DATA_KEY: Buffer.alloc(32, 7).toString('base64'),
        };
        delete e.TELEGRAM_BOT_TOKEN;
        return e;
      };
      // One after the other: the first applies the migrations, and the two do not build the index at once.
      const a = await startCrashService(env('a'), 'src/main.ts');
      cleanup.push(() => stop(a.child));
      const b = await startCrashService(env('b'), 'src/main.ts');
      cleanup.push(() => stop(b.child));
      const instances = [a.url, b.url];

      /** Pushes the same signed request to both instances at once; both must acknowledge it. */
      const pushToBoth = async (request: SignedRequest) => {
        const statuses = await Promise.all(
          instances.map(async (url) => (await fetch(`${url}${FEISHU_WEBHOOK_PATH}`, { method: 'POST', headers: request.headers, body: request.body })).status),
        );
        expect(statuses).toEqual([200, 200]);
      };
      const repliesTo = (messageId: string) => api.callsTo('reply').filter((c) => c.path.includes(`/messages/${messageId}/reply`));
      const postedReplyTo = (messageId: string) => api.posted.find((m) => m.replyTo === messageId);
      const lastPosted = (predicate: (m: PostedMessage) => boolean) => [...api.posted].reverse().find(predicate);

      // Questions from many chats, so that the app's limit, not a chat's, is what holds them back.
      const questions = Array.from({ length: QUESTIONS }, (_, i) => messageEvent({ chatId: `oc_p2p_${i}`, openId: `ou_user_${i}`, text: ASKS[i % ASKS.length] }));
      const referral = messageEvent({ chatId: 'oc_p2p_referrer', openId: 'ou_referrer', text: '我们的外观设计专利被仿冒了，想找律师起诉' });
      await Promise.all([...questions, referral].map((event) => pushToBoth(signed(event))));
      const answer = await until('the referral question answered', () => postedReplyTo(referral.event.message.message_id));
      await until('every question answered', () => questions.every((q) => postedReplyTo(q.event.message.message_id)));

      // The referral: 转人工 on the answer, then consent, each callback pushed to both instances.
      await pushToBoth(signed(cardActionEvent(buttonValue(answer, '转人工'), { openId: 'ou_referrer', chatId: 'oc_p2p_referrer', messageId: answer.messageId })));
      const consent = await until('the consent prompt', () => lastPosted((m) => m.text.includes('转介前需要您的单独同意')));
      await pushToBoth(signed(cardActionEvent(buttonValue(consent, '同意转介'), { openId: 'ou_referrer', chatId: 'oc_p2p_referrer', messageId: consent.messageId })));

      // Nobody accepts within the 2 s SLA: the timer fires and the case moves to the other agency.
      const handle = await location.open();
      cleanup.push(() => handle.close());
      const count = async (query: ReturnType<typeof sql>) => Number((await queryRows<{ n: number | string }>(handle.db, query))[0]!.n);
      await until('the SLA breach', async () => (await count(sql`select count(*) as n from case_events where type = 'sla_breached'`)) > 0 || undefined, 30_000);
      await until('the second consent prompt', () => api.posted.filter((m) => m.text.includes('转介前需要您的单独同意')).length >= 2 || undefined);
      await until('the outboxes empty', async () => (await count(sql`select count(*) as n from outbox where status in ('pending', 'sending')`)) === 0 || undefined);
      await sleep(1_500); // both keep polling: a second timer firing or a duplicate reply would show now

      for (const q of [...questions, referral]) expect(repliesTo(q.event.message.message_id)).toHaveLength(1);
      const requests = api.posted.filter((m) => AGENCY_CHATS.includes(m.chatId ?? '') && m.text.includes('新转介案件'));
      expect(requests).toHaveLength(1); // routed to one agency, once; after the breach the next one is offered to the user first
      expect(await count(sql`select count(*) as n from case_events where type = 'sla_breached'`)).toBe(1);
      expect(await count(sql`select count(*) as n from case_timers where fired_at is not null`)).toBe(1);
      expect(await count(sql`select count(*) as n from case_events where type = 'consent_requested'`)).toBe(2);
      const [stored] = await queryRows<{ status: string }>(handle.db, sql`select status from cases`);
      expect(stored).toEqual({ status: 'awaiting_consent' });

      const most = api.mostSendsWithin(1_000);
      const sends = [await sentDeliveries(a.url), await sentDeliveries(b.url)];
      console.log(`[two instances] ${api.calls.filter((c) => c.path.startsWith('/open-apis/im/')).length} open-API message calls; at most ${most} within any second; sent per process: ${sends.join(', ')}`);
      expect(most).toBeLessThanOrEqual(LIMIT_PER_SECOND);
      expect(sends.every((n) => n > 0)).toBe(true); // both instances sent, so the limit held across them
    },
  );
});
