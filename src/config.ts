import path from 'node:path';
import { z } from 'zod/v4';
import { parseAllowList } from './http/ops-access.js';
import { CHINA } from './knowledge/gazetteer.js';
import { parseRegion } from './knowledge/places.js';

const optionalText = z
  .string()
  .trim()
  .transform((s) => s || undefined)
  .optional();
/** A duration in working time: 30s, 45m, 4h, 2d. */
const SLA = /^\s*\d+(\.\d+)?\s*[smhd]\s*$/i;
const url = z.url({ message: 'expected a URL such as http://127.0.0.1:8000/v1' }).optional().or(z.literal('').transform(() => undefined));

const DURATION = /^\s*\d+\s*[smhd]\s*$/i;

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./data'),
  KNOWLEDGE_DIR: z.string().default('./knowledge'),
  KNOWLEDGE_RELOAD_MS: z.coerce.number().int().min(0, 'expected milliseconds ≥ 0 (0 turns live reload off)').max(86_400_000).default(5000),
  AGENCIES_FILE: optionalText,
  CASE_ACCEPT_SLA: z.string().regex(SLA, 'expected a working-time duration such as 30s, 4h or 2d').default('4h'),
  CASE_ANSWER_SLA: z.string().regex(SLA, 'expected a working-time duration such as 30s, 4h or 2d').default('2d'),
  CASE_CALENDAR: optionalText,
  CASE_DATA_KEY: optionalText.pipe(
    z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'expected 32 bytes in base64, e.g. from `openssl rand -base64 32`')
      .optional(),
  ),
  TIME_ZONE: z
    .string()
    .trim()
    .refine(isTimeZone, 'expected an IANA time zone such as Asia/Shanghai or Asia/Urumqi')
    .default('Asia/Shanghai'),
  HOME_REGION: z
    .string()
    .trim()
    .refine((v) => parseRegion(v) !== undefined && parseRegion(v) !== CHINA, 'expected a province, city or district such as 山东省淄博市')
    .default('山东省淄博市'),
  DATABASE_URL: optionalText.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://user@host:port/db').optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MIN_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.3),
  RETENTION: z.string().regex(/^\s*\d+\s*[dh]\s*$/i, 'expected a period such as 180d or 36h').default('180d'),
  STORE_RAW_TEXT: z.enum(['true', 'false', '1', '0', '']).default('false'),
  RATE_LIMIT_USER_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  TRUST_PROXY: z.enum(['true', 'false', '1', '0', '']).default('false'),
  METRICS_TOKEN: optionalText.pipe(z.string().regex(/^[A-Za-z0-9._~+/=-]{16,256}$/, 'expected 16–256 characters from A-Z a-z 0-9 . _ ~ + / = -, e.g. from `openssl rand -hex 24`').optional()),
  OPS_ALLOW: optionalText,
  DOCS_ENABLED: z.enum(['true', 'false', '1', '0', '']).default('true'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(0).max(64).default(4),
  TELEGRAM_BOT_TOKEN: optionalText,
  TELEGRAM_MODE: z.enum(['polling', 'webhook']).default('polling'),
  TELEGRAM_WEBHOOK_SECRET: optionalText,
  TELEGRAM_API_ROOT: url,
  FEISHU_APP_ID: optionalText,
  FEISHU_APP_SECRET: optionalText,
  FEISHU_MODE: z.enum(['ws', 'webhook']).default('ws'),
  FEISHU_ENCRYPT_KEY: optionalText,
  FEISHU_VERIFICATION_TOKEN: optionalText,
  FEISHU_DOMAIN: z.string().default('feishu'),
  FEISHU_APP_SENDS_PER_SECOND: z.coerce.number({ message: 'expected a whole number of messages a second' }).int('expected a whole number of messages a second').min(1, 'expected at least 1').max(1000).default(50),
  WECOM_CORP_ID: optionalText,
  WECOM_KF_SECRET: optionalText,
  WECOM_TOKEN: optionalText,
  WECOM_ENCODING_AES_KEY: optionalText,
  WECOM_OPEN_KFID: optionalText,
  WECOM_API_ROOT: url,
  LLM_BASE_URL: url,
  LLM_API_KEY: optionalText,
  LLM_MODEL: optionalText,
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  LLM_BUDGET_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  LLM_FIRST_TOKEN_MS: z.coerce.number().int().min(0, 'expected milliseconds ≥ 0 (0: wait for the whole budget)').max(600_000).default(5_000),
  LLM_MAX_TOKENS: z.coerce.number().int().min(16).max(32_000).default(800),
  EMBEDDING_BASE_URL: url,
  EMBEDDING_API_KEY: optionalText,
  EMBEDDING_MODEL: optionalText,
  EMBEDDING_BATCH_SIZE: z.coerce.number().int().min(1).max(2048).default(10),
  EMBEDDING_ENCODING_FORMAT: z.enum(['float', 'base64']).default('float'),
  EMBEDDING_FUSION_WEIGHT: z.coerce.number().min(0).max(5).default(0.5),
  CONSOLE_SESSION_IDLE: z.string().regex(DURATION, 'expected a duration such as 30m, 2h or 90s').default('30m'),
  CONSOLE_SESSION_MAX: z.string().regex(DURATION, 'expected a duration such as 12h or 1d').default('12h'),
  COOKIE_SECURE: z.enum(['auto', 'true', 'false', '1', '0', '']).default('auto'),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  knowledgeDir: string;
  /** How often the running service checks the knowledge folder for changes it was not told of (0: never reload). */
  knowledgeReloadMs: number;
  /** The deployment's region (e.g. 山东省淄博市): its documents answer questions that name no place. */
  homeRegion: string;
  /** The IANA time zone the console shows times and counts days in (its pages, analytics and exports). */
  timeZone: string;
  /** Referral of cases to agencies (DESIGN "Cases"). */
  cases: {
    /** The agency registry; `required` when the operator named it (a missing default file is an empty registry). */
    agenciesFile: string;
    agenciesFileRequired: boolean;
    acceptSla: string;
    answerSla: string;
    /** `24x7` or a calendar file. */
    calendar: string;
    /** 32 bytes, base64; without it the embedded default keeps a key in DATA_DIR. */
    dataKey?: string;
  };
  databaseUrl?: string;
  logLevel: string;
  minConfidence: number;
  /** How long consultations are kept, e.g. `180d`. */
  retention: string;
  /** Store questions and answers without masking personal numbers (needs a legal basis). */
  storeRawText: boolean;
  /** Questions one user (else one IP address) may ask per minute; the IP limit covers all API calls. */
  rateLimit: { perUserPerMinute: number; perIpPerMinute: number };
  /** Take the client address from X-Forwarded-For (only behind a reverse proxy you run). */
  trustProxy: boolean;
  /** Inbox messages answered at once. */
  workerConcurrency: number;
  /** Who may read /metrics (a bearer token, addresses) and /docs (addresses); open when neither is set. */
  opsAccess: { metricsToken?: string; allow?: string[] };
  /** Serve the OpenAPI UI at /docs. */
  docs: boolean;
  telegram?: { token: string; mode: 'polling' | 'webhook'; webhookSecret?: string; apiRoot?: string };
  /** `perAppPerSecond`: the app's send limit, shared by every instance on one Postgres (Feishu's default quota is 50). */
  feishu?: { appId: string; appSecret: string; mode: 'ws' | 'webhook'; encryptKey?: string; verificationToken?: string; domain: string; perAppPerSecond: number };
  /**
   * WeCom 微信客服: the corp, the 微信客服 secret (for access tokens), the callback Token and EncodingAESKey,
   * the customer-service account answered, and the API's scheme and host (https://qyapi.weixin.qq.com).
   */
  wechat?: { corpId: string; secret: string; token: string; encodingAesKey: string; openKfId: string; apiRoot: string };
  /** `firstTokenMs`: a model silent that long is given up on and the quotes are sent (0: wait the whole budget). */
  llm?: { baseUrl: string; apiKey: string; model: string; timeoutMs: number; budgetMs: number; firstTokenMs: number; maxTokens: number };
  embedding?: { baseUrl: string; apiKey: string; model: string; batchSize: number; encodingFormat: 'float' | 'base64'; fusionWeight: number };
  /** Console sessions end after `idleMs` without a request and `maxMs` after login; cookies are Secure per `cookieSecure` (auto: when the request came over TLS). */
  console: { sessionIdleMs: number; sessionMaxMs: number; cookieSecure: 'auto' | boolean };
}

/** Raised with one line per bad variable, each naming it. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment once; everything else receives the typed result. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const pair = (a: string, av: unknown, b: string, bv: unknown) => {
    if (Boolean(av) !== Boolean(bv)) problems.push(`${av ? b : a}: required when ${av ? a : b} is set`);
  };
  pair('FEISHU_APP_ID', e.FEISHU_APP_ID, 'FEISHU_APP_SECRET', e.FEISHU_APP_SECRET);
  pair('LLM_BASE_URL', e.LLM_BASE_URL, 'LLM_API_KEY', e.LLM_API_KEY);
  pair('EMBEDDING_BASE_URL', e.EMBEDDING_BASE_URL, 'EMBEDDING_API_KEY', e.EMBEDDING_API_KEY);
  if (e.TELEGRAM_BOT_TOKEN && e.TELEGRAM_MODE === 'webhook' && !e.TELEGRAM_WEBHOOK_SECRET) {
    problems.push('TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE=webhook (unverified webhooks are refused)');
  }
  if (e.TELEGRAM_WEBHOOK_SECRET && !/^[A-Za-z0-9_-]{1,256}$/.test(e.TELEGRAM_WEBHOOK_SECRET)) {
    problems.push('TELEGRAM_WEBHOOK_SECRET: 1–256 characters from A-Z a-z 0-9 _ -');
  }
  if (e.FEISHU_APP_ID && e.FEISHU_MODE === 'webhook') {
    if (!e.FEISHU_ENCRYPT_KEY) problems.push('FEISHU_ENCRYPT_KEY: required when FEISHU_MODE=webhook (unverified webhooks are refused)');
    if (!e.FEISHU_VERIFICATION_TOKEN) problems.push('FEISHU_VERIFICATION_TOKEN: required when FEISHU_MODE=webhook');
  }
  const wecom = { WECOM_CORP_ID: e.WECOM_CORP_ID, WECOM_KF_SECRET: e.WECOM_KF_SECRET, WECOM_TOKEN: e.WECOM_TOKEN, WECOM_ENCODING_AES_KEY: e.WECOM_ENCODING_AES_KEY, WECOM_OPEN_KFID: e.WECOM_OPEN_KFID };
  const wecomSet = Object.entries(wecom).filter(([, v]) => v);
  if (wecomSet.length && wecomSet.length < Object.keys(wecom).length) {
    // Half a channel would take callbacks it cannot verify or messages it cannot answer.
    for (const [name, value] of Object.entries(wecom)) if (!value) problems.push(`${name}: required when ${wecomSet.map(([n]) => n).join(', ')} ${wecomSet.length > 1 ? 'are' : 'is'} set (the WeChat channel needs all five)`);
  }
  if (e.WECOM_ENCODING_AES_KEY && !/^[A-Za-z0-9+/]{43}$/.test(e.WECOM_ENCODING_AES_KEY)) {
    problems.push('WECOM_ENCODING_AES_KEY: expected the 43 characters the WeCom admin console generates');
  }
  if (e.WECOM_API_ROOT && !/^https?:\/\/[^/]+$/.test(e.WECOM_API_ROOT)) problems.push('WECOM_API_ROOT: expected a scheme and host without a path or trailing /, e.g. https://qyapi.weixin.qq.com');
  if (e.WORKER_CONCURRENCY === 0 && !e.DATABASE_URL) {
    problems.push('WORKER_CONCURRENCY: 0 (leave answering to other processes) needs DATABASE_URL; the embedded database serves one process');
  }
  const allow = e.OPS_ALLOW?.split(',').map((a) => a.trim()).filter(Boolean);
  const allowList = allow?.length ? parseAllowList(allow) : undefined;
  if (allowList && 'invalid' in allowList) problems.push(`OPS_ALLOW: "${allowList.invalid}" is not an address or CIDR range (expected e.g. 127.0.0.1,10.0.0.0/8,::1)`);
  if (e.TELEGRAM_API_ROOT?.endsWith('/')) problems.push('TELEGRAM_API_ROOT: remove the trailing /');
  if (!['feishu', 'lark'].includes(e.FEISHU_DOMAIN) && !/^https?:\/\/[^/]+.*[^/]$/.test(e.FEISHU_DOMAIN)) {
    problems.push('FEISHU_DOMAIN: expected feishu, lark or a base URL without a trailing /');
  }
  const sessionIdleMs = durationMs(e.CONSOLE_SESSION_IDLE);
  const sessionMaxMs = durationMs(e.CONSOLE_SESSION_MAX);
  if (sessionIdleMs < 60_000) problems.push('CONSOLE_SESSION_IDLE: at least 1m');
  if (sessionMaxMs < sessionIdleMs) problems.push('CONSOLE_SESSION_MAX: must not be shorter than CONSOLE_SESSION_IDLE');
  if (problems.length) throw new ConfigError(problems);

  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    knowledgeDir: path.resolve(e.KNOWLEDGE_DIR),
    knowledgeReloadMs: e.KNOWLEDGE_RELOAD_MS,
    homeRegion: e.HOME_REGION,
    timeZone: e.TIME_ZONE,
    cases: {
      agenciesFile: path.resolve(e.AGENCIES_FILE ?? path.join(e.KNOWLEDGE_DIR, 'agencies.yaml')),
      agenciesFileRequired: Boolean(e.AGENCIES_FILE),
      acceptSla: e.CASE_ACCEPT_SLA.trim(),
      answerSla: e.CASE_ANSWER_SLA.trim(),
      calendar: e.CASE_CALENDAR === '24x7' ? '24x7' : path.resolve(e.CASE_CALENDAR ?? path.join(e.KNOWLEDGE_DIR, 'calendar.yaml')),
      dataKey: e.CASE_DATA_KEY,
    },
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    minConfidence: e.MIN_CONFIDENCE,
    retention: e.RETENTION.trim(),
    storeRawText: isTrue(e.STORE_RAW_TEXT),
    rateLimit: { perUserPerMinute: e.RATE_LIMIT_USER_PER_MINUTE, perIpPerMinute: e.RATE_LIMIT_IP_PER_MINUTE },
    trustProxy: isTrue(e.TRUST_PROXY),
    workerConcurrency: e.WORKER_CONCURRENCY,
    opsAccess: { metricsToken: e.METRICS_TOKEN, allow: allow?.length ? allow : undefined },
    docs: e.DOCS_ENABLED !== 'false' && e.DOCS_ENABLED !== '0',
    telegram: e.TELEGRAM_BOT_TOKEN ? { token: e.TELEGRAM_BOT_TOKEN, mode: e.TELEGRAM_MODE, webhookSecret: e.TELEGRAM_WEBHOOK_SECRET, apiRoot: e.TELEGRAM_API_ROOT } : undefined,
    feishu:
      e.FEISHU_APP_ID && e.FEISHU_APP_SECRET
        ? { appId: e.FEISHU_APP_ID, appSecret: e.FEISHU_APP_SECRET, mode: e.FEISHU_MODE, encryptKey: e.FEISHU_ENCRYPT_KEY, verificationToken: e.FEISHU_VERIFICATION_TOKEN, domain: e.FEISHU_DOMAIN, perAppPerSecond: e.FEISHU_APP_SENDS_PER_SECOND }
        : undefined,
    wechat:
      e.WECOM_CORP_ID && e.WECOM_KF_SECRET && e.WECOM_TOKEN && e.WECOM_ENCODING_AES_KEY && e.WECOM_OPEN_KFID
        ? { corpId: e.WECOM_CORP_ID, secret: e.WECOM_KF_SECRET, token: e.WECOM_TOKEN, encodingAesKey: e.WECOM_ENCODING_AES_KEY, openKfId: e.WECOM_OPEN_KFID, apiRoot: e.WECOM_API_ROOT ?? 'https://qyapi.weixin.qq.com' }
        : undefined,
    llm:
      e.LLM_BASE_URL && e.LLM_API_KEY
        ? { baseUrl: e.LLM_BASE_URL, apiKey: e.LLM_API_KEY, model: e.LLM_MODEL ?? 'gpt-4o-mini', timeoutMs: e.LLM_TIMEOUT_MS, budgetMs: e.LLM_BUDGET_MS, firstTokenMs: e.LLM_FIRST_TOKEN_MS, maxTokens: e.LLM_MAX_TOKENS }
        : undefined,
    embedding:
      e.EMBEDDING_BASE_URL && e.EMBEDDING_API_KEY
        ? {
            baseUrl: e.EMBEDDING_BASE_URL,
            apiKey: e.EMBEDDING_API_KEY,
            model: e.EMBEDDING_MODEL ?? 'text-embedding-3-small',
            batchSize: e.EMBEDDING_BATCH_SIZE,
            encodingFormat: e.EMBEDDING_ENCODING_FORMAT,
            fusionWeight: e.EMBEDDING_FUSION_WEIGHT,
          }
        : undefined,
    console: { sessionIdleMs, sessionMaxMs, cookieSecure: e.COOKIE_SECURE === 'auto' || e.COOKIE_SECURE === '' ? 'auto' : isTrue(e.COOKIE_SECURE) },
  };
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m` → 1 800 000. The pattern was checked by the schema. */
function durationMs(text: string): number {
  const match = /^\s*(\d+)\s*([smhd])\s*$/i.exec(text)!;
  return Number(match[1]) * UNIT_MS[match[2]!.toLowerCase()]!;
}

/** Whether Intl (and so the console's formats) knows the zone. */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isTrue(flag: string): boolean {
  return flag === 'true' || flag === '1';
}
