/**
 * A platform that is down keeps nothing else from working: with the Telegram and Feishu APIs accepting
 * connections but never answering, the service starts and listens, answers the API, refuses a webhook with a
 * wrong secret or signature at once, says each channel is connecting in /readyz and /metrics, and connects
 * (retrying with back-off) once the platforms answer again. A closed port shows as failed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/bootstrap.js';
import { FeishuChannel, FEISHU_WEBHOOK_PATH } from '../../src/channels/feishu.js';
import { TelegramChannel } from '../../src/channels/telegram.js';
import { loadConfig } from '../../src/config.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { BOT_TOKEN, FakeTelegramApi, updates } from '../fakes/telegram-api.js';
import { KNOWLEDGE_DIR } from '../helpers.js';
import { messageEvent, signed, webhookEnv } from '../channels/feishu-fixtures.js';
import { SECRET } from '../channels/telegram-fixtures.js';

/** Every request in this file must come back well before a hang would: a hang fails the request, not the run. */
const quick = (url: string, init: RequestInit = {}) => fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('platforms that do not answer', { timeout: 120_000 }, () => {
  let telegram: FakeTelegramApi;
  let feishu: FakeFeishuApi;
  let dataDir: string;
  let service: Service;

  beforeAll(async () => {
    telegram = await new FakeTelegramApi().start();
    feishu = await new FakeFeishuApi().start();
    telegram.hangAll = true;
    feishu.hangAll = true;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-down-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      KNOWLEDGE_DIR,
      PORT: '0',
      LOG_LEVEL: 'silent',
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_MODE: 'webhook',
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      ...webhookEnv(feishu.baseUrl),
    });
    const channels = [
      new TelegramChannel({ ...config.telegram!, throttle: false, startTimeoutMs: 400 }),
      new FeishuChannel({ ...config.feishu!, cache: new lark.DefaultCache(), timeoutMs: 400 }),
    ];
    service = await startService(config, { channels, idleMs: 20, channelRetryMs: 100, channelRetryMaxMs: 1_000 });
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await telegram?.close();
    await feishu?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const readyz = async () => (await quick(`${service.url}/readyz`)).json() as Promise<{ status: string; checks: { channels: Record<string, string> } }>;

  it('listens and answers the API while both platforms hang', async () => {
    const res = await quick(`${service.url}/api/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: '知识产权保险有哪些?', userId: 'u-down' }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { outcome: string }).outcome).toBe('answered');
    await until('both platforms were tried', async () => telegram.calls.some((c) => c.method === 'getMe') && feishu.calls.length > 0);
  });

  it('is ready itself and reports each channel as not ready, in /readyz and /metrics', async () => {
    const body = await readyz();
    expect(body.status).toBe('ready');
    expect(body.checks.channels.telegram).toMatch(/^(connecting|failed: )/);
    expect(body.checks.channels.feishu).toMatch(/^(connecting|failed: )/);
    const metrics = await (await quick(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/ipcb_channel_up\{channel="telegram"\} 0/);
    expect(metrics).toMatch(/ipcb_channel_up\{channel="feishu"\} 0/);
  });

  it('refuses a wrong secret or signature at once, and asks Telegram to come back for a right one', async () => {
    const update = updates.text({ id: 77, type: 'private' }, 77, '知识产权保险有哪些?');
    const post = (secret: string) => quick(`${service.url}/webhooks/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, body: JSON.stringify(update) });
    expect((await post('wrong-secret')).status).toBe(401);
    expect((await post(SECRET)).status).toBe(503);
    const request = signed(messageEvent({ text: '知识产权保险有哪些?' }));
    const forged = await quick(`${service.url}${FEISHU_WEBHOOK_PATH}`, { method: 'POST', headers: { ...request.headers, 'x-lark-signature': '0'.repeat(64) }, body: request.body });
    expect(forged.status).toBe(401);
  });

  it('connects both channels once the platforms answer again, and then takes updates', async () => {
    telegram.hangAll = false;
    feishu.hangAll = false;
    let states = {};
    await until('both channels ready', async () => {
      const { channels } = (await readyz()).checks;
      states = channels;
      return channels.telegram === 'ready' && channels.feishu === 'ready';
    }).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(states)}`);
    });
    expect(await (await quick(`${service.url}/metrics`)).text()).toMatch(/ipcb_channel_up\{channel="telegram"\} 1/);
    const update = updates.text({ id: 78, type: 'private' }, 78, '知识产权保险有哪些?');
    const res = await quick(`${service.url}/webhooks/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify(update) });
    expect(res.status).toBe(200);
    await telegram.waitFor(() => telegram.sent('sendMessage', 78).length === 1, 30_000);
  });
});

describe('a platform on a closed port', { timeout: 60_000 }, () => {
  it('shows the channel as failed and keeps retrying while the service runs', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-closed-'));
    const config = loadConfig({ DATA_DIR: dataDir, KNOWLEDGE_DIR, PORT: '0', LOG_LEVEL: 'silent', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: `http://127.0.0.1:${port}` });
    const service = await startService(config, { channels: [new TelegramChannel({ ...config.telegram!, throttle: false })], idleMs: 20, channelRetryMs: 100, channelRetryMaxMs: 1_000 });
    try {
      let state = '';
      await until('telegram failed', async () => {
        state = ((await (await quick(`${service.url}/readyz`)).json()) as { checks: { channels: Record<string, string> } }).checks.channels.telegram ?? '';
        return state.startsWith('failed: ');
      });
      expect(state).toMatch(/retrying in \d+ s/);
      expect((await quick(`${service.url}/healthz`)).status).toBe(200);
    } finally {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
