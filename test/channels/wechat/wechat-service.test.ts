/**
 * The WeChat channel inside the running service (src/bootstrap.ts, as `npm start` builds it) against a fake
 * WeCom API on 127.0.0.1 that encrypts and signs its callbacks as WeCom does and enforces its send limits.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../../src/bootstrap.js';
import { WechatChannel } from '../../../src/channels/wechat/channel.js';
import { loadConfig } from '../../../src/config.js';
import { queryRows } from '../../../src/store/db.js';
import { FakeWecomApi, wechatEnv, type PostedKfMessage } from '../../fakes/wecom-api.js';
import { KNOWLEDGE_DIR, ROOT, runTsx } from '../../helpers.js';

const QUESTION = '知识产权保险有哪些?';

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Posts ending with a menu: one answer (its parts end with the 👍/👎 menu). */
const answers = (posted: PostedKfMessage[]) => posted.filter((p) => p.msgtype === 'msgmenu' && p.msgmenu?.list.some((i) => i.click.content.includes('👍')));
const allText = (posted: PostedKfMessage[]) => posted.map((p) => p.text?.content ?? `${p.msgmenu?.head_content ?? ''}\n${p.msgmenu?.tail_content ?? ''}`).join('\n');

describe('wechat in the service', { timeout: 180_000 }, () => {
  let api: FakeWecomApi;
  let dataDir: string;
  let service: Service;
  const logLines: string[] = [];

  const start = async () => {
    const config = loadConfig({ DATA_DIR: dataDir, KNOWLEDGE_DIR, PORT: '0', LOG_LEVEL: 'info', ...wechatEnv(api.apiRoot) });
    service = await startService(config, { channels: [new WechatChannel(config.wechat!)], idleMs: 20, logStream: { write: (line: string) => void logLines.push(line) } });
  };
  const inboxRows = async () => (await queryRows(service.db, sql`select count(*)::int as n from inbox`))[0]!.n as number;

  beforeAll(async () => {
    api = await new FakeWecomApi().start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-wechat-'));
    await start();
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await api?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers the URL check with the decrypted echostr and refuses a forged one', async () => {
    const request = api.callbackRequest();
    const { encrypt, getSignature } = await import('@wecom/crypto');
    const echostr = encrypt('jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', '8837465123', 'ww0123456789abcdef');
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = getSignature('QDG6eKtest', ts, '42', echostr);
    const ok = await fetch(`${service.url}/webhooks/wechat?msg_signature=${sig}&timestamp=${ts}&nonce=42&echostr=${encodeURIComponent(echostr)}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('8837465123');
    const forged = await fetch(`${service.url}/webhooks/wechat?msg_signature=${'0'.repeat(40)}&timestamp=${ts}&nonce=42&echostr=${encodeURIComponent(echostr)}`);
    expect(forged.status).toBe(401);
    expect(request.token).toBeTruthy();
  });

  it('answers a question with its sources and a 👍/👎/转人工 menu, labelled by who wrote it', async () => {
    api.customerSays('user-a', QUESTION);
    expect(await api.callback(service.url)).toBe(200);
    await until(() => answers(api.postedTo('user-a')).length === 1, 'the answer');
    const posted = api.postedTo('user-a');
    expect(posted.length).toBeLessThanOrEqual(5);
    const text = allText(posted);
    expect(text).toContain('依据');
    expect(text).toMatch(/1\. .*《/);
    const menu = posted[posted.length - 1]!.msgmenu!;
    expect(menu.list.map((i) => i.click.content)).toEqual(['👍 有帮助', '👎 没帮助', '转人工']);
    expect(menu.tail_content).toMatch(/仅供参考|自动生成|工作人员/);
    for (const p of posted) if (p.text) expect(Buffer.byteLength(p.text.content)).toBeLessThanOrEqual(2048);

    // A follow-up is read in the same conversation, and the log and the console count it under wechat.
    api.customerSays('user-a', '那责任单位是谁?');
    expect(await api.callback(service.url)).toBe(200);
    await until(() => answers(api.postedTo('user-a')).length === 2, 'the follow-up answer');
    const rows = await queryRows<{ channel: string; conversation_id: string }>(service.db, sql`select channel, conversation_id from consultations where user_id = 'user-a'`);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => `${r.channel} ${r.conversation_id}`))).toEqual(new Set(['wechat wechat:wkAbCdEf0123456789:user-a']));
  });

  it('one answer for a callback delivered 5 times, twice at once, and again after a restart', async () => {
    api.customerSays('user-b', '专利质押融资有什么补贴?');
    const request = api.callbackRequest();
    const statuses = await Promise.all([api.callback(service.url, request), api.callback(service.url, request)]);
    for (let i = 0; i < 3; i++) statuses.push(await api.callback(service.url, request));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    await until(() => answers(api.postedTo('user-b')).length === 1, 'the answer');
    await service.stop();
    await start();
    expect(await api.callback(service.url, request)).toBe(200);
    // A new callback for the same account reads from the stored cursor: nothing is read twice.
    expect(await api.callback(service.url)).toBe(200);
    await until(async () => (await service.inbox.stats()).depth === 0, 'the callbacks worked');
    await new Promise((r) => setTimeout(r, 300)); // a second answer would show up now
    expect(answers(api.postedTo('user-b'))).toHaveLength(1);
    expect(answers(api.postedTo('user-a'))).toHaveLength(2); // the question and its follow-up, each once
  });

  it('does not lose a message that arrives while the previous callback is being read', async () => {
    let added = false;
    api.afterSync = () => {
      if (added) return;
      added = true;
      api.customerSays('user-c', '商标注册有哪些资助?'); // after this page was read, before the next callback
    };
    api.customerSays('user-c', QUESTION);
    expect(await api.callback(service.url)).toBe(200);
    await until(() => answers(api.postedTo('user-c')).length === 1, 'the first answer');
    api.afterSync = undefined;
    expect(await api.callback(service.url)).toBe(200); // WeCom's callback for the second message
    await until(() => answers(api.postedTo('user-c')).length === 2, 'the second answer');
  });

  it('refreshes an expired access token once and sends', async () => {
    await until(async () => (await service.inbox.stats()).depth === 0, 'an idle inbox');
    const issued = api.tokensIssued;
    api.expireTokens();
    api.customerSays('user-d', QUESTION);
    expect(await api.callback(service.url)).toBe(200);
    await until(() => answers(api.postedTo('user-d')).length === 1, 'the answer');
    expect(api.tokensIssued).toBe(issued + 1);
  });

  it('refuses forged and replayed callbacks and stores nothing from them', async () => {
    await until(async () => (await service.inbox.stats()).depth === 0, 'an idle inbox');
    const before = await inboxRows();
    api.customerSays('user-e', QUESTION);
    const good = api.callbackRequest();
    const forged = { ...good, query: good.query.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'a'.repeat(40)}`) };
    expect(await api.callback(service.url, forged)).toBe(401);
    const replayed = api.callbackRequest({ timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(await api.callback(service.url, replayed)).toBe(401);
    const tampered = { ...good, body: good.body.replace(/<Encrypt><!\[CDATA\[(.)/, (_m, c: string) => `<Encrypt><![CDATA[${c === 'A' ? 'B' : 'A'}`) };
    expect(await api.callback(service.url, tampered)).toBe(401);
    expect(await inboxRows()).toBe(before);
    expect(api.postedTo('user-e')).toHaveLength(0);
    const logs = logLines.join('');
    expect(logs).toContain('wechat callback refused');
    for (const secret of ['kf-secret-for-tests-0123456789', 'QDG6eKtest', 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C']) expect(logs).not.toContain(secret);
  });

  it('keeps a reply within the 5 messages a customer message allows, and sends what waited once they write again', async () => {
    await until(async () => (await service.inbox.stats()).depth === 0, 'an idle inbox');
    // The customer's 48 hours have passed: a notice waits instead of being retried.
    api.customerSays('user-f', QUESTION);
    expect(await api.callback(service.url)).toBe(200);
    await until(() => answers(api.postedTo('user-f')).length === 1, 'the answer');
    await queryRows(service.db, sql`update wecom_sessions set last_message_at = now() - interval '49 hours' where external_userid = 'user-f'`);
    await queryRows(
      service.db,
      sql`insert into outbox (source, kind, channel, bot_id, chat_id, payload) values ('test:late-notice', 'notice', 'wechat', ${'wkAbCdEf0123456789'}, 'user-f', ${JSON.stringify({ kind: 'notice', text: '机构已答复您的咨询：请携带营业执照办理。' })}::jsonb)`,
    );
    await until(async () => (await queryRows(service.db, sql`select status from outbox where source = 'test:late-notice'`))[0]?.status === 'dead', 'the notice given up');
    const [dead] = await queryRows(service.db, sql`select attempts, last_error from outbox where source = 'test:late-notice'`);
    expect(dead!.attempts).toBe(1);
    expect(String(dead!.last_error)).toContain('waits for the customer to write');
    expect(allText(api.postedTo('user-f'))).not.toContain('机构已答复');

    api.customerSays('user-f', '谢谢');
    expect(await api.callback(service.url)).toBe(200);
    await until(() => allText(api.postedTo('user-f')).includes('机构已答复'), 'the notice, now that they wrote');
    await until(async () => (await service.inbox.stats()).depth === 0 && (await queryRows(service.db, sql`select count(*)::int as n from outbox where status in ('pending','sending')`))[0]!.n === 0, 'everything sent');
    expect(api.refused.filter((r) => r.errcode === 95001)).toHaveLength(0);
  });

  it('records a message WeCom reports undelivered after the send, and sends it no more', async () => {
    await until(async () => (await service.inbox.stats()).depth === 0, 'an idle inbox');
    api.customerSays('user-g', QUESTION);
    expect(await api.callback(service.url)).toBe(200);
    await until(() => answers(api.postedTo('user-g')).length === 1, 'the answer');
    await until(async () => (await queryRows(service.db, sql`select count(*)::int as n from outbox where chat_id = 'user-g' and status = 'sent'`))[0]!.n === 1, 'the reply marked sent');
    api.sendFailed(api.postedTo('user-g').at(-1)!.msgid, 10);
    expect(await api.callback(service.url)).toBe(200);
    await until(async () => (await queryRows(service.db, sql`select status from outbox where chat_id = 'user-g'`))[0]?.status === 'dead', 'the reply recorded as undelivered');
    const [row] = await queryRows<{ last_error: string }>(service.db, sql`select last_error from outbox where chat_id = 'user-g'`);
    expect(row!.last_error).toContain('fail_type 10');
    expect(answers(api.postedTo('user-g'))).toHaveLength(1);
  });

  it('npm start refuses a partly configured WeChat channel, naming what is missing', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, WECOM_CORP_ID: 'ww1', WECOM_TOKEN: 't' };
    const result = await runTsx(path.join(ROOT, 'src/main.ts'), [], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/WECOM_KF_SECRET: required/);
    expect(result.stderr).toMatch(/WECOM_ENCODING_AES_KEY: required/);
    expect(result.stderr).toMatch(/WECOM_OPEN_KFID: required/);
  });
});

describe('a referral from WeChat', { timeout: 180_000 }, () => {
  let api: FakeWecomApi;
  let dataDir: string;
  let service: Service;
  const USER = 'user-referral';

  beforeAll(async () => {
    api = await new FakeWecomApi().start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-wechat-referral-'));
    const registry = path.join(dataDir, 'agencies.yaml');
    await writeFile(
      registry,
      `agencies:\n  - id: firm-a\n    name: 甲知识产权律师事务所\n    fields: [patent, trademark, copyright]\n    services: [litigation]\n    districts: all\n    capacity: 100\n    contact: 甲所 0533-1234567\n`,
    );
    const config = loadConfig({ DATA_DIR: dataDir, KNOWLEDGE_DIR, PORT: '0', LOG_LEVEL: 'warn', AGENCIES_FILE: registry, CASE_CALENDAR: '24x7', ...wechatEnv(api.apiRoot) });
    service = await startService(config, { channels: [new WechatChannel(config.wechat!)], idleMs: 20 });
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await api?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The customer clicks the menu item labelled `label` in the last menu that has one. */
  const click = async (label: string) => {
    const menu = [...api.postedTo(USER)].reverse().find((p) => p.msgmenu?.list.some((i) => i.click.content === label))!;
    const item = menu.msgmenu!.list.find((i) => i.click.content === label)!;
    api.customerSays(USER, label, { menuId: item.click.id });
    expect(await api.callback(service.url)).toBe(200);
  };
  const said = () => allText(api.postedTo(USER));

  it('refers with consent naming the agency, and relays the agency answer into the chat', async () => {
    api.customerSays(USER, '我们的外观设计专利被仿冒了，想找律师起诉');
    expect(await api.callback(service.url)).toBe(200);
    await until(() => answers(api.postedTo(USER)).length === 1, 'the answer');
    await click('转人工');
    await until(() => said().includes('转介前需要您的单独同意'), 'the consent notice');
    expect(said()).toMatch(/甲知识产权律师事务所/);
    await click('同意转介');
    const [row] = await (async () => {
      await until(async () => (await queryRows(service.db, sql`select status from cases`))[0]?.status === 'requested', 'the case requested');
      return queryRows<{ id: string }>(service.db, sql`select id from cases`);
    })();
    await service.cases.agencyAction(row!.id, 'firm-a', { type: 'accept' });
    await service.cases.agencyAction(row!.id, 'firm-a', { type: 'answer', text: '您好，请携带外观设计专利证书到我所面谈，我们协助准备起诉材料。' });
    await until(() => said().includes('协助准备起诉材料'), 'the agency answer in WeChat');
    expect(said()).toContain('甲知识产权律师事务所');
    expect(api.refused).toEqual([]);
  });

  it('understands 转人工, 隐私 and 删除我的记录 typed as words', async () => {
    const before = api.postedTo(USER).length;
    api.customerSays(USER, '隐私');
    expect(await api.callback(service.url)).toBe(200);
    await until(() => api.postedTo(USER).length > before && said().includes('隐私说明'), 'the privacy notice');
    api.customerSays(USER, '删除我的记录');
    expect(await api.callback(service.url)).toBe(200);
    await until(() => /已删除您的 \d+ 条/.test(said()), 'the records deleted');
    api.customerSays(USER, '转人工');
    expect(await api.callback(service.url)).toBe(200);
    await until(() => said().includes('请先提出您的问题'), 'asked to ask first (no consultation left)');
  });
});
