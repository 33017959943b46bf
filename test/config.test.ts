import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { CaseSetupError, loadCaseSetup } from '../src/escalation/case-setup.js';

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

describe('configuration', () => {
  it('runs on defaults: embedded database, offline answers, no channels', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', minConfidence: 0.3, retention: '180d', storeRawText: false, workerConcurrency: 4 });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.llm).toBeUndefined();
    expect(config.telegram).toBeUndefined();
    expect(config.feishu).toBeUndefined();
  });

  it('names every bad variable, one line each', () => {
    const lines = problems({ PORT: 'eighty', MIN_CONFIDENCE: '2', DATABASE_URL: 'mysql://x', RETENTION: 'forever' });
    expect(lines.map((l) => l.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'MIN_CONFIDENCE', 'PORT', 'RETENTION']);
  });

  it('takes TIME_ZONE only when Intl knows it, Asia/Shanghai by default', () => {
    expect(loadConfig({}).timeZone).toBe('Asia/Shanghai');
    expect(loadConfig({ TIME_ZONE: 'Asia/Urumqi' }).timeZone).toBe('Asia/Urumqi');
    expect(problems({ TIME_ZONE: 'Mars/Olympus' })).toEqual([expect.stringMatching(/^TIME_ZONE: expected an IANA time zone/)]);
  });

  it('takes HOME_REGION only when it names a province, city or district', () => {
    expect(loadConfig({ HOME_REGION: '山东省青岛市' }).homeRegion).toBe('山东省青岛市');
    expect(problems({ HOME_REGION: '火星' })).toEqual([expect.stringMatching(/^HOME_REGION: expected a province, city or district/)]);
    expect(problems({ HOME_REGION: '全国' })).toHaveLength(1);
  });

  it('refuses webhooks without their secrets and half-configured services', () => {
    expect(problems({ TELEGRAM_BOT_TOKEN: '1:x', TELEGRAM_MODE: 'webhook' })).toEqual([expect.stringMatching(/^TELEGRAM_WEBHOOK_SECRET: required/)]);
    expect(problems({ FEISHU_APP_ID: 'cli', FEISHU_APP_SECRET: 's', FEISHU_MODE: 'webhook' }).map((l) => l.split(':')[0])).toEqual(['FEISHU_ENCRYPT_KEY', 'FEISHU_VERIFICATION_TOKEN']);
    expect(problems({ LLM_BASE_URL: 'http://127.0.0.1:1/v1' })).toEqual([expect.stringMatching(/^LLM_API_KEY: required/)]);
    expect(problems({ FEISHU_DOMAIN: 'http://x/' })).toEqual([expect.stringMatching(/^FEISHU_DOMAIN/)]);
  });

  it("takes the Feishu app's send limit as a whole number of messages a second, 50 by default", () => {
    const app = { FEISHU_APP_ID: 'cli', FEISHU_APP_SECRET: 's' };
    expect(loadConfig(app).feishu?.perAppPerSecond).toBe(50);
    expect(loadConfig({ ...app, FEISHU_APP_SENDS_PER_SECOND: '5' }).feishu?.perAppPerSecond).toBe(5);
    for (const bad of ['0', '2.5', 'fast']) expect(problems({ ...app, FEISHU_APP_SENDS_PER_SECOND: bad })).toEqual([expect.stringMatching(/^FEISHU_APP_SENDS_PER_SECOND: /)]);
  });

  it('lets a process leave answering to others only on Postgres', () => {
    expect(problems({ WORKER_CONCURRENCY: '0' })).toEqual([expect.stringMatching(/^WORKER_CONCURRENCY: 0 .* needs DATABASE_URL/)]);
    expect(loadConfig({ WORKER_CONCURRENCY: '0', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' }).workerConcurrency).toBe(0);
  });

  it('names a bad case setting, and a broken registry or calendar file, by its variable', () => {
    const lines = problems({ CASE_ACCEPT_SLA: 'soon', CASE_ANSWER_SLA: '3 weeks', CASE_DATA_KEY: 'short' });
    expect(lines.map((l) => l.split(':')[0]).sort()).toEqual(['CASE_ACCEPT_SLA', 'CASE_ANSWER_SLA', 'CASE_DATA_KEY']);
    const config = loadConfig({ AGENCIES_FILE: '/nonexistent/agencies.yaml', CASE_CALENDAR: '/nonexistent/calendar.yaml', DATA_DIR: '/tmp' });
    let error: unknown;
    try {
      loadCaseSetup(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CaseSetupError);
    expect((error as CaseSetupError).problems.map((p) => p.split(':')[0])).toEqual(['AGENCIES_FILE', 'CASE_CALENDAR']);
  });

  it('reads the shipped registry and calendar by default', () => {
    const setup = loadCaseSetup(loadConfig({ DATA_DIR: '/tmp/ipcb-config-test', CASE_DATA_KEY: Buffer.alloc(32, 1).toString('base64') }));
    expect(setup.registry.agencies.length).toBeGreaterThanOrEqual(2);
    expect(setup.calendar.zone).toBe('Asia/Shanghai');
    expect(setup.acceptSlaMs).toBe(4 * 3_600_000);
    expect(setup.answerSlaMs).toBe(2 * 7 * 3_600_000);
  });
});
