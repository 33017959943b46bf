/**
 * A model that never answers costs a chat user seconds, not the whole budget: the answerer gives up once
 * the first token is late (LLM_FIRST_TOKEN_MS) and the quotes go out; a model that starts in time may take
 * longer. Meanwhile the asker sees that an answer is coming: Telegram's typing action, a Typing reaction
 * on the Feishu question (taken off once the draft is done).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/answer/guard.js';
import { LlmAnswerer } from '../../src/answer/llm.js';
import { startService, type Service } from '../../src/bootstrap.js';
import { FeishuChannel, FEISHU_WEBHOOK_PATH } from '../../src/channels/feishu.js';
import { TelegramChannel } from '../../src/channels/telegram.js';
import { loadConfig } from '../../src/config.js';
import { createConsult } from '../../src/consult.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { FakeOpenAI } from '../fakes/openai-server.js';
import { BOT_TOKEN, FakeTelegramApi, updates } from '../fakes/telegram-api.js';
import { KNOWLEDGE_DIR, shippedKnowledge } from '../helpers.js';
import { messageEvent, signed, webhookEnv } from '../channels/feishu-fixtures.js';
import { SECRET } from '../channels/telegram-fixtures.js';

const llm = new FakeOpenAI();
beforeAll(() => llm.start());
afterAll(() => llm.stop());
afterEach(() => {
  llm.chat = [{ reply: 'ok [1]' }];
  (llm as unknown as { chatCalls: number }).chatCalls = 0;
});

describe('the first-token deadline', () => {
  const answerer = (firstTokenMs: number) =>
    new LlmAnswerer({ baseUrl: llm.baseUrl, apiKey: 'sk-test', model: 'fake', timeoutMs: 60_000, budgetMs: 60_000, firstTokenMs, maxRetries: 0, maxTokens: 300, maxInputChars: 6000 });
  const consultWith = async (a: LlmAnswerer) => {
    const kb = await shippedKnowledge();
    return createConsult({ kb, guard: createGuard(kb.vocabulary), llm: a });
  };

  it('answers from the quotes once a silent model misses it, well inside the budget', async () => {
    llm.chat = [{ hang: true }];
    const consult = await consultWith(answerer(300));
    const started = Date.now();
    const { answer } = await consult('知识产权保险有哪些?');
    expect(Date.now() - started).toBeLessThan(30_000); // the budget is 60 s; a hang would reach it
    expect(answer).toMatchObject({ outcome: 'answered', answerer: 'extractive' });
    expect(answer.answer).toMatch(/智能生成服务暂时不可用/);
  });

  it('lets a model that started in time finish, however long it streams', async () => {
    llm.chat = [{ stream: ['可以。淄博鼓励发展', '知识产权保险业务。', '[1]'], pauseMs: 250 }];
    const consult = await consultWith(answerer(400));
    const { answer } = await consult('知识产权保险有哪些?');
    expect(answer.answerer).toBe('llm');
    expect(answer.answer).toContain('知识产权保险业务。[1]');
  });
});

describe('while a generated answer is drafted', { timeout: 120_000 }, () => {
  let telegram: FakeTelegramApi;
  let feishu: FakeFeishuApi;
  let dataDir: string;
  let service: Service;

  beforeAll(async () => {
    telegram = await new FakeTelegramApi().start();
    feishu = await new FakeFeishuApi().start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-typing-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      KNOWLEDGE_DIR,
      PORT: '0',
      LOG_LEVEL: 'silent',
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: 'sk-test',
      LLM_FIRST_TOKEN_MS: '1500',
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_MODE: 'webhook',
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      ...webhookEnv(feishu.baseUrl),
    });
    const channels = [new TelegramChannel({ ...config.telegram!, throttle: false }), new FeishuChannel({ ...config.feishu!, cache: new lark.DefaultCache() })];
    service = await startService(config, { channels, idleMs: 20 });
    await telegram.waitFor(() => telegram.sent('setMyCommands').length === 1);
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await telegram?.close();
    await feishu?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('shows Telegram typing, then sends the quotes when the model stays silent', async () => {
    llm.chat = [{ hang: true }];
    const update = updates.text({ id: 91, type: 'private' }, 91, '知识产权保险有哪些?');
    const res = await fetch(`${service.url}/webhooks/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify(update) });
    expect(res.status).toBe(200);
    await telegram.waitFor(() => telegram.sent('sendMessage', 91).length === 1, 30_000);
    const [typing] = telegram.sent('sendChatAction', 91);
    expect(typing?.payload.action).toBe('typing');
    expect(typing!.at).toBeLessThanOrEqual(telegram.sent('sendMessage', 91)[0]!.at);
    expect(telegram.sent('sendMessage', 91)[0]!.payload.text).toMatch(/智能生成服务暂时不可用/);
  });

  it('puts a Typing reaction on the Feishu question while drafting and takes it off after', async () => {
    llm.chat = [{ hang: true }];
    const event = messageEvent({ text: '知识产权保险有哪些?' });
    const request = signed(event);
    const res = await fetch(`${service.url}${FEISHU_WEBHOOK_PATH}`, { method: 'POST', headers: request.headers, body: request.body });
    expect(res.status).toBe(200);
    const question = event.event.message.message_id;
    const deadline = Date.now() + 30_000;
    while (!feishu.posted.some((p) => p.replyTo === question) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const added = feishu.calls.filter((c) => c.method === 'POST' && c.path === `/open-apis/im/v1/messages/${question}/reactions`);
    expect(added.map((c) => c.body.reaction_type.emoji_type)).toEqual(['Typing']);
    while ([...feishu.reactions.values()].some((r) => r.messageId === question) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect([...feishu.reactions.values()].filter((r) => r.messageId === question)).toEqual([]);
    expect(feishu.posted.find((p) => p.replyTo === question)!.text).toMatch(/智能生成服务暂时不可用/);
  });
});
