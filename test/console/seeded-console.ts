/**
 * A running console with something in it, for the layout test and `npm run screenshots:console`: the real
 * server (`src/main.ts`, embedded database in `dataDir`), two console-only agencies with long names (one
 * for patents, one for trademarks, so a declined patent case lands in the staff queue), accounts made with
 * `npm run admin`, and consultations, feedback and referrals made over the public HTTP API as users would.
 */
import { writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startServer } from '../web/browser.js';
import { createAccounts, referOverApi } from './browser-steps.js';

const REGISTRY = `agencies:
  - id: jia-ip-firm
    name: 淄博市甲知识产权代理事务所有限公司
    fields: [patent]
    services: [agency, litigation, consulting]
    districts: all
    capacity: 50
    contact: 甲所 0533-1111111
  - id: yi-law-firm
    name: 山东乙律师事务所（淄博分所）
    fields: [trademark]
    services: [agency, litigation, consulting]
    districts: all
    capacity: 50
    contact: 乙所 0533-2222222
`;

export const ACCOUNTS = [
  { username: 'admin1', role: 'admin', name: '张主任' },
  { username: 'admin2', role: 'admin', name: '李科长' },
  { username: 'rev1', role: 'reviewer', name: '王审核' },
  { username: 'jia1', role: 'agency', agency: 'jia-ip-firm', name: '甲所 王律师' },
  { username: 'yi1', role: 'agency', agency: 'yi-law-firm', name: '乙所 赵律师' },
];

export interface CaseView {
  id: string;
  status: string;
  agency: { id: string } | null;
  consent: { consentId?: number };
  userId: string;
}

export interface Asked {
  id: string;
  outcome: string;
  userId: string;
}

export interface SeededConsole {
  child: ChildProcess;
  url: string;
  ask(question: string): Promise<Asked>;
  /** The asker's thumbs on the answer (only the asker may give them). */
  feedback(asked: Asked, rating: 'up' | 'down', comment?: string): Promise<void>;
  /** A user asks, asks for an agency and consents: the case as the API shows it after. */
  refer(question: string, contact?: string): Promise<CaseView>;
  caseStatus(c: CaseView): Promise<string>;
}

let users = 0;

export async function seededConsole(dataDir: string): Promise<SeededConsole> {
  const registry = path.join(dataDir, 'agencies.yaml');
  await writeFile(registry, REGISTRY);
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, AGENCIES_FILE: registry };
  delete env.DATABASE_URL;
  await createAccounts(env, ACCOUNTS);
  const { child, url } = await startServer(dataDir, { AGENCIES_FILE: registry, CASE_CALENDAR: '24x7' });
  const api = async <T>(route: string, body?: object): Promise<T> => {
    const res = await fetch(`${url}${route}`, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
    if (res.status !== 200) throw new Error(`${route}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const seeded: SeededConsole = {
    child,
    url,
    ask: async (question) => {
      const userId = `seed-user-${++users}`;
      return { ...(await api<{ id: string; outcome: string }>('/api/v1/ask', { question, userId, conversationId: `web:${userId}` })), userId };
    },
    feedback: async (asked, rating, comment) => {
      await api('/api/v1/feedback', { consultationId: asked.id, userId: asked.userId, rating, comment });
    },
    refer: (question, contact) => referOverApi<CaseView>(api, `seed-user-${++users}`, question, contact),
    caseStatus: async (c) => (await api<CaseView>(`/api/v1/cases/${c.id}?userId=${c.userId}`)).status,
  };
  return seeded;
}

/** Everyday traffic: questions answered and not, thumbs up and down, referrals in several states. */
export async function seedTraffic(s: SeededConsole): Promise<{ cases: CaseView[] }> {
  const questions = [
    '商标被别人抢注了怎么办？',
    '知识产权保险有哪些?',
    '专利质押融资有什么支持?',
    '淄博对知识产权服务机构有什么奖励?',
    '青岛的专利资助怎么申请?',
    '今天天气怎么样',
  ];
  const asked = [];
  for (const q of questions) asked.push(await s.ask(q));
  await s.feedback(asked[0]!, 'down', '没说怎么提异议');
  await s.feedback(asked[1]!, 'up');
  await s.feedback(asked[2]!, 'up');
  const cases = [
    await s.refer('我们的专利被侵权了，想找律师起诉对方', '13912345678'),
    await s.refer('我们的商标被人抢注了，想找律师提异议'),
    await s.refer('我们的软件著作权被盗版了，想找律师起诉'),
  ];
  return { cases };
}

/**
 * An incorrect verdict with a corrected answer, posted as the signed-in staff member of `page` with its
 * CSRF token: a proposed approved answer another admin must approve.
 */
export async function proposeCorrection(page: Page, url: string, consultationId: string, corrected: string): Promise<void> {
  await page.goto(`${url}/console/consultations/${consultationId}`);
  const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
  const res = await page.request.post(`${url}/console/consultations/${consultationId}/review`, {
    form: { _csrf: csrf, verdict: 'incorrect', note: '未说明异议程序', corrected },
    maxRedirects: 0,
  });
  if (res.status() !== 303) throw new Error(`review: HTTP ${res.status()}`);
}
