/**
 * The Telegram channel inside the running service (src/bootstrap.ts, as `npm start` builds it), in
 * webhook mode against the fake Bot API: getMe and setMyCommands at start, the privacy-mode hint, an
 * update posted to the listening server answered by the real worker and sender, 401 without the secret.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/bootstrap.js';
import { TelegramChannel } from '../../src/channels/telegram.js';
import { loadConfig } from '../../src/config.js';
import { BOT_TOKEN, FakeTelegramApi, updates } from '../fakes/telegram-api.js';
import { KNOWLEDGE_DIR, ROOT, runTsx } from '../helpers.js';
import { SECRET } from './telegram-fixtures.js';

describe('telegram in the service', { timeout: 120_000 }, () => {
  let fake: FakeTelegramApi;
  let dataDir: string;
  let service: Service;
  const logs: string[] = [];
  const log = { info: (_: object, m: string) => logs.push(m), warn: (_: object, m: string) => logs.push(m), error: (_: object, m: string) => logs.push(m) };

  beforeAll(async () => {
    fake = await new FakeTelegramApi().start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-telegram-'));
    const config = loadConfig({ DATA_DIR: dataDir, KNOWLEDGE_DIR, PORT: '0', LOG_LEVEL: 'silent', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_MODE: 'webhook', TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: fake.apiRoot });
    const channel = new TelegramChannel({ ...config.telegram!, log });
    service = await startService(config, { channels: [channel], idleMs: 20 });
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await fake?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads getMe, registers the commands in Chinese and explains privacy mode', async () => {
    // The privacy-mode line is logged once setMyCommands has answered, a little after the fake saw the call.
    await fake.waitFor(() => fake.sent('setMyCommands').length === 1 && logs.some((m) => m.includes('privacy mode')));
    expect(fake.sent('getMe')).toHaveLength(1);
    const [commands] = fake.sent('setMyCommands');
    expect(commands!.payload.commands.map((c: { command: string }) => c.command).sort()).toEqual(['ask', 'forget', 'help', 'human', 'privacy', 'start']);
    for (const c of commands!.payload.commands) expect(c.description).toMatch(/[\u4e00-\u9fff]/);
    expect(logs.join('\n')).toMatch(/privacy mode is on[\s\S]*\/setprivacy/);
  });

  it('answers an update posted to POST /webhooks/telegram and refuses one without the secret', async () => {
    const update = updates.text({ id: 42, type: 'private' }, 42, '知识产权保险有哪些?');
    const post = (headers: Record<string, string>) => fetch(`${service.url}/webhooks/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(update) });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(200);
    await fake.waitFor(() => fake.sent('sendMessage', 42).length === 1, 30_000);
    expect(fake.sent('sendMessage', 42)[0]!.payload.text).toMatch(/依据/);
  });

  it('npm start refuses webhook mode without the secret', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_MODE: 'webhook' };
    const result = await runTsx(path.join(ROOT, 'src/main.ts'), [], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE=webhook/);
  });
});
