/**
 * The whole service as the fuzzer meets it: `startService` on the embedded database with every HTTP entry
 * point switched on (Telegram and Feishu in webhook mode, the real grammY and Lark SDK against fake platform
 * APIs, WeChat against the fake WeCom API, a webhook agency, the console with an account of each role), and everything it logs kept in `logs`.
 * The fixtures the targets aim at (a consultation, a case held by the webhook agency, an approved answer)
 * are made through the service's own API, as a user would.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import * as lark from '@larksuiteoapi/node-sdk';
import { pino } from 'pino';
import { startService, type Service } from '../../src/bootstrap.js';
import { FeishuChannel } from '../../src/channels/feishu.js';
import { TelegramChannel } from '../../src/channels/telegram.js';
import { WechatChannel } from '../../src/channels/wechat/channel.js';
import { loadConfig } from '../../src/config.js';
import { useHashCostForTesting } from '../../src/console/passwords.js';
import { ApprovedAnswerStore } from '../../src/store/approved-answers.js';
import { ConsoleAccounts, type Role } from '../../src/store/console-accounts.js';
import { APP_SECRET, KEYS, webhookEnv } from '../channels/feishu-fixtures.js';
import { SECRET as TELEGRAM_SECRET } from '../channels/telegram-fixtures.js';
import { PASSWORD } from '../console/fixtures.js';
import { hashPassword } from '../../src/console/passwords.js';
import { WEBHOOK_SECRET } from '../escalation/fixtures.js';
import { FakeAgencyWebhook } from '../fakes/agency-webhook.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { BOT_TOKEN, FakeTelegramApi } from '../fakes/telegram-api.js';
import { CALLBACK_TOKEN, ENCODING_AES_KEY, FakeWecomApi, KF_SECRET, wechatEnv } from '../fakes/wecom-api.js';
import { KNOWLEDGE_DIR } from '../helpers.js';

export const WEBHOOK_AGENCY = 'fuzz-webhook-firm';
const registry = (webhookUrl: string) => `agencies:
  - id: ${WEBHOOK_AGENCY}
    name: 丙知识产权服务中心
    fields: [patent, trademark, copyright]
    services: [agency, litigation, consulting]
    districts: all
    capacity: 10000
    contact: 丙中心 0533-3333333
    channel: {type: webhook, url: "${webhookUrl}", secret: "${WEBHOOK_SECRET}"}
`;

/** Personal data the generated inputs carry: none of it may reach the logs unmasked. */
export const PLANTED_PII = ['13912345678', 'fuzz.owner@example.com', '370302199001011237', '6222021234567890128'];

export interface ConsoleSession {
  role: Role;
  cookie: string;
  csrf: string;
}

export interface FuzzService {
  service: Service;
  /** Every line the service logged (the app's pino logger and the Telegram channel's). */
  logs: string[];
  /** Strings that must never appear in a log line: platform secrets, passwords, session and CSRF tokens. */
  secrets: string[];
  sessions: Record<Role, ConsoleSession>;
  /** The webhook agency's fake endpoint; its `sign()` signs the agency's own requests. */
  agency: FakeAgencyWebhook;
  ids: { consultation: string; userId: string; caseId: string; approved: string; approvedVersion: number };
  stop(): Promise<void>;
}

function collector(logs: string[]) {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
}

export async function startFuzzService(): Promise<FuzzService> {
  // Thousands of logins at 0.5 s of scrypt each would take the run's hours; the comparison is the same.
  useHashCostForTesting(4);
  const telegram = await new FakeTelegramApi().start();
  const feishu = await new FakeFeishuApi().start();
  const wecom = await new FakeWecomApi().start();
  const agency = new FakeAgencyWebhook(WEBHOOK_SECRET);
  await agency.start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-fuzz-'));
  const agenciesFile = path.join(dataDir, 'agencies.yaml');
  await writeFile(agenciesFile, registry(agency.url));
  const config = loadConfig({
    DATA_DIR: path.join(dataDir, 'data'),
    KNOWLEDGE_DIR,
    AGENCIES_FILE: agenciesFile,
    CASE_CALENDAR: '24x7',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    RATE_LIMIT_USER_PER_MINUTE: '1000000',
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_MODE: 'webhook',
    TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    ...webhookEnv(feishu.baseUrl),
    ...wechatEnv(wecom.apiRoot),
  });
  const logs: string[] = [];
  const stream = collector(logs);
  const channels = [
    new TelegramChannel({ ...config.telegram!, throttle: false, log: pino({ level: 'info', name: 'telegram' }, stream) }),
    new FeishuChannel({ ...config.feishu!, cache: new lark.DefaultCache() }),
    new WechatChannel(config.wechat!),
  ];
  const service = await startService(config, { channels, logStream: stream, idleMs: 20 });
  const { app } = service;

  const accounts = new ConsoleAccounts(service.db);
  const sessions = {} as Record<Role, ConsoleSession>;
  const passwordHash = await hashPassword(PASSWORD);
  for (const [role, agencyId] of [['admin', null], ['reviewer', null], ['agency', WEBHOOK_AGENCY]] as const) {
    const account = await accounts.create({ username: `fuzz-${role}`, displayName: `${role} 名`, role, agencyId, passwordHash });
    const { token, csrfToken } = await accounts.startSession(account.id, 12 * 3_600_000);
    sessions[role] = { role, cookie: `ipcb_console=${token}`, csrf: csrfToken };
  }

  const userId = 'fuzz-user';
  const post = async (url: string, payload: object) => {
    const res = await app.inject({ method: 'POST', url, payload });
    if (res.statusCode !== 200) throw new Error(`fuzz fixture: ${url} answered ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, any>;
  };
  const consultation = (await post('/api/v1/ask', { question: '我们公司的商标被人恶意抢注了，想找律师起诉对方', userId })).id as string;
  const offered = await post('/api/v1/referral', { consultationId: consultation, userId });
  const caseId = offered.id as string;
  await post(`/api/v1/cases/${caseId}/consent`, { userId, consent: true, contact: PLANTED_PII[0], consentId: offered.consent.consentId });
  const proposed = await new ApprovedAnswerStore(service.db).propose({ question: '商标被抢注了怎么办？', answer: '可以在公告期内提出异议。', citations: [], authorId: (await accounts.byUsername('fuzz-reviewer'))!.id });

  return {
    service,
    logs,
    secrets: [BOT_TOKEN, TELEGRAM_SECRET, APP_SECRET, KEYS.encryptKey, KEYS.verificationToken, KF_SECRET, CALLBACK_TOKEN, ENCODING_AES_KEY, WEBHOOK_SECRET, PASSWORD, ...Object.values(sessions).flatMap((s) => [s.cookie.split('=')[1]!, s.csrf])],
    sessions,
    agency,
    ids: { consultation, userId, caseId, approved: proposed.answerId, approvedVersion: proposed.version },
    async stop() {
      await service.stop();
      await telegram.close();
      await feishu.stop();
      await wecom.stop();
      await agency.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
