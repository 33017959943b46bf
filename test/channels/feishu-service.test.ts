/**
 * The Feishu channel inside the running service (src/bootstrap.ts, as `npm start` builds it): a signed
 * webhook request to the listening server is answered by the real worker and sender loops, the service
 * refuses to start webhook mode without its keys, and a webhook-only process leaves answering to another.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/bootstrap.js';
import { FeishuChannel, FEISHU_WEBHOOK_PATH } from '../../src/channels/feishu.js';
import { loadConfig } from '../../src/config.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { TEST_DATABASE_URL } from '../store/targets.js';
import { KNOWLEDGE_DIR, ROOT, runTsx } from '../helpers.js';
import { APP_ID, APP_SECRET, KEYS, messageEvent, signed, webhookEnv } from './feishu-fixtures.js';

describe('feishu in the service', { timeout: 120_000 }, () => {
  let api: FakeFeishuApi;
  let dataDir: string;
  let service: Service;
  const logLines: string[] = [];

  beforeAll(async () => {
    api = await new FakeFeishuApi().start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-feishu-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      KNOWLEDGE_DIR,
      PORT: '0',
      LOG_LEVEL: 'info',
      ...webhookEnv(api.baseUrl),
    });
    const channel = new FeishuChannel({ ...config.feishu!, cache: new lark.DefaultCache() });
    service = await startService(config, { channels: [channel], idleMs: 20, logStream: { write: (line: string) => void logLines.push(line) } });
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await api.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers a signed webhook event through the worker and sender, and refuses a forged one', async () => {
    const event = messageEvent({ text: '知识产权保险有哪些?' });
    const request = signed(event);
    const res = await fetch(`${service.url}${FEISHU_WEBHOOK_PATH}`, { method: 'POST', headers: request.headers, body: request.body });
    expect(res.status).toBe(200);
    const forged = await fetch(`${service.url}${FEISHU_WEBHOOK_PATH}`, { method: 'POST', headers: { ...request.headers, 'x-lark-signature': '0'.repeat(64) }, body: request.body });
    expect(forged.status).toBe(401);

    const deadline = Date.now() + 30_000;
    while (api.posted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(api.posted).toHaveLength(1);
    expect(api.posted[0]!.replyTo).toBe(event.event.message.message_id);
    const logs = logLines.join('');
    expect(logs).toContain('feishu webhook request refused');
    for (const secret of [APP_SECRET, KEYS.encryptKey, KEYS.verificationToken, api.token]) expect(logs).not.toContain(secret);
  });

  it('npm start refuses webhook mode without the encrypt key and verification token', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, FEISHU_APP_ID: APP_ID, FEISHU_APP_SECRET: APP_SECRET, FEISHU_MODE: 'webhook' };
    const result = await runTsx(path.join(ROOT, 'src/main.ts'), [], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FEISHU_ENCRYPT_KEY: required when FEISHU_MODE=webhook/);
    expect(result.stderr).toMatch(/FEISHU_VERIFICATION_TOKEN/);
  });
});

describe.skipIf(!TEST_DATABASE_URL)('a webhook-only process beside an answering one, on Postgres', { timeout: 120_000 }, () => {
  const database = `ipcb_split_${process.pid}`;
  const admin = TEST_DATABASE_URL ? postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} }) : undefined;
  let api: FakeFeishuApi;
  let dataDir: string;
  const services: Service[] = [];

  const start = async (workerConcurrency: string) => {
    const url = new URL(TEST_DATABASE_URL!);
    url.pathname = `/${database}`;
    const config = loadConfig({ DATA_DIR: dataDir, KNOWLEDGE_DIR, PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: url.toString(), WORKER_CONCURRENCY: workerConcurrency, ...webhookEnv(api.baseUrl) });
    const service = await startService(config, { channels: [new FeishuChannel({ ...config.feishu!, cache: new lark.DefaultCache() })], idleMs: 20 });
    services.push(service);
    return service;
  };

  beforeAll(async () => {
    await admin!.unsafe(`create database "${database}"`);
    api = await new FakeFeishuApi().start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-feishu-split-'));
  }, 60_000);
  afterAll(async () => {
    for (const service of services) await service.stop();
    await api?.stop();
    await admin!.unsafe(`drop database if exists "${database}" with (force)`);
    await admin!.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('acknowledges and stores without answering or sending; the answering process replies once', async () => {
    const webhookOnly = await start('0');
    const event = messageEvent({ text: '知识产权保险有哪些?' });
    const request = signed(event);
    const res = await fetch(`${webhookOnly.url}${FEISHU_WEBHOOK_PATH}`, { method: 'POST', headers: request.headers, body: request.body });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(api.posted).toHaveLength(0);
    expect(await webhookOnly.inbox.stats()).toMatchObject({ depth: 1 });

    await start('2');
    const deadline = Date.now() + 30_000;
    while (api.posted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // a second reply would show up now
    expect(api.posted).toHaveLength(1);
    expect(api.posted[0]!.replyTo).toBe(event.event.message.message_id);
    expect(await webhookOnly.inbox.stats()).toMatchObject({ depth: 0 });
  });
});
