/**
 * Two service instances on one Postgres with one WeCom account: every callback is delivered to both (as
 * WeCom's retry would after a load balancer sent the first to the other instance), and customers write
 * while the instances read. Each message is stored once and answered once, none is skipped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../../src/bootstrap.js';
import { WechatChannel } from '../../../src/channels/wechat/channel.js';
import { loadConfig } from '../../../src/config.js';
import { queryRows } from '../../../src/store/db.js';
import { FakeWecomApi, wechatEnv } from '../../fakes/wecom-api.js';
import { KNOWLEDGE_DIR } from '../../helpers.js';
import { TEST_DATABASE_URL } from '../../store/targets.js';

const ASKS = ['知识产权保险有哪些?', '商标被抢注了怎么办？', '专利导航服务有什么支持?', '知识产权质押融资有补贴吗'];
const CUSTOMERS = 12;

describe.skipIf(!TEST_DATABASE_URL)('two instances on one Postgres, one WeCom account', { timeout: 180_000 }, () => {
  const database = `ipcb_wechat_two_${process.pid}`;
  const admin = TEST_DATABASE_URL ? postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} }) : undefined;
  let api: FakeWecomApi;
  let dataDir: string;
  const services: Service[] = [];

  beforeAll(async () => {
    await admin!.unsafe(`create database "${database}"`);
    api = await new FakeWecomApi().start();
    api.pageSize = 3; // several pages per read: readers overlap mid-way
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-wechat-two-'));
    const url = new URL(TEST_DATABASE_URL!);
    url.pathname = `/${database}`;
    for (let i = 0; i < 2; i++) {
      const config = loadConfig({ DATA_DIR: dataDir, KNOWLEDGE_DIR, PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: url.toString(), WORKER_CONCURRENCY: '2', ...wechatEnv(api.apiRoot) });
      services.push(await startService(config, { channels: [new WechatChannel(config.wechat!)], idleMs: 20 }));
    }
  }, 120_000);
  afterAll(async () => {
    for (const service of services) await service.stop();
    await api?.stop();
    await admin?.unsafe(`drop database if exists "${database}" with (force)`);
    await admin?.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers each message once', async () => {
    for (let i = 0; i < CUSTOMERS; i++) {
      api.customerSays(`two-${i}`, ASKS[i % ASKS.length]!);
      if (i % 3 === 2) {
        const request = api.callbackRequest();
        const statuses = await Promise.all(services.map((s) => api.callback(s.url, request)));
        expect(statuses).toEqual([200, 200]);
      }
    }
    const deadline = Date.now() + 60_000;
    const answered = (user: string) => api.postedTo(user).filter((p) => p.msgtype === 'msgmenu').length;
    while (Date.now() < deadline && Array.from({ length: CUSTOMERS }, (_, i) => answered(`two-${i}`)).some((n) => n < 1)) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // a second answer would show up now
    expect(Array.from({ length: CUSTOMERS }, (_, i) => answered(`two-${i}`))).toEqual(Array(CUSTOMERS).fill(1));
    expect(api.refused).toEqual([]);
    const [row] = await queryRows<{ n: number }>(services[0]!.db, sql`select count(*)::int as n from inbox where channel = 'wechat' and chat_id like 'two-%'`);
    expect(row!.n).toBe(CUSTOMERS);
  });
});
