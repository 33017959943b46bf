import { copyFile, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/answer/guard.js';
import { startService, type Service } from '../../src/bootstrap.js';
import { createConsult } from '../../src/consult.js';
import { loadConfig } from '../../src/config.js';
import { KnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { LiveKnowledge, type ReloadEvent } from '../../src/knowledge/live-knowledge.js';
import { SEED_ID, tempKnowledgeCopy } from '../helpers.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const SIDECAR = 'id: print-measures\ntitle: 示例市知识产权资助管理办法\ndocNumber: 示市监发〔2024〕7号\nissuers: 示例市市场监督管理局\nissueDate: "2024-03-01"\nstatus: 现行有效\nsource: 测试样例\n';
/** Answered by article 三 of the fixture PDF only. */
const NEW_QUESTION = '通过专利合作条约途径提交国际专利申请并进入国家阶段的，有资助吗？';
/** Answered by the seed throughout. */
const OLD_QUESTION = '知识产权保险有哪些?';

/**
 * Polls until `probe` yields. The bound only keeps a broken reload from hanging the suite: how fast a
 * reload is belongs to `npm run bench:live-reload`, not to a test that shares two cores with the others.
 */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<{ value: T }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value };
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function addFixture(dir: string, stem = 'print') {
  // The sidecar first: a document without one would be reported until it arrives.
  await writeFile(path.join(dir, 'documents', `${stem}.yaml`), SIDECAR);
  await copyFile(path.join(FIXTURES, 'policy.pdf'), path.join(dir, 'documents', `${stem}.pdf`));
}

describe('live knowledge', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('swaps in a new snapshot when the folder changes, and keeps the old one when a rebuild fails', async () => {
    const { dir, cleanup } = await tempKnowledgeCopy();
    cleanups.push(cleanup);
    const events: ReloadEvent[] = [];
    let fail = false;
    const live = await LiveKnowledge.start({
      knowledgeDir: dir,
      open: async () => {
        if (fail) throw new Error('disk full');
        return KnowledgeBase.open({ knowledgeDir: dir });
      },
      checkEveryMs: 0, // checked by hand here
      onReload: (e) => events.push(e),
    });
    cleanups.push(() => live.stop());
    const first = live.current();
    const shipped = first.documents.length;
    await live.check();
    expect(live.current()).toBe(first); // nothing changed, nothing rebuilt
    expect(events).toEqual([]);

    await addFixture(dir);
    await writeFile(path.join(dir, 'documents', 'broken.md'), '---\ntitle: 只有标题\n---\n一、内容。\n');
    await live.check();
    const second = live.current();
    expect(second).not.toBe(first);
    expect(second.document('print-measures')?.docNumber).toBe('示市监发〔2024〕7号');
    expect(first.document('print-measures')).toBeUndefined(); // a question holding the old snapshot keeps it whole
    expect(events.at(-1)).toMatchObject({ result: 'reloaded', changes: { added: [{ id: 'print-measures', articles: 7 }], removed: [], unchanged: shipped } });
    expect(events.at(-1)!.newProblems!.map((p) => p.file)).toContain('documents/broken.md');
    expect(live.status()).toMatchObject({ documents: shipped + 1, reloads: { reloaded: 1, failed: 0 }, problems: expect.arrayContaining([expect.objectContaining({ file: 'documents/broken.md' })]) });

    fail = true;
    await unlink(path.join(dir, 'documents', 'broken.md'));
    await live.check();
    expect(live.current()).toBe(second);
    expect(live.status()).toMatchObject({ reloads: { reloaded: 1, failed: 1 }, lastError: 'disk full' });
    fail = false;
    await live.check(); // the failed change is tried again
    expect(live.current()).not.toBe(second);
    expect(live.status().lastError).toBeUndefined();
    expect(live.status().problems).toEqual([]);
  });

  it('judges each question by the regions and validity of the snapshot it reads', async () => {
    const { dir, cleanup } = await tempKnowledgeCopy();
    cleanups.push(cleanup);
    const live = await LiveKnowledge.start({ knowledgeDir: dir, open: () => KnowledgeBase.open({ knowledgeDir: dir }), checkEveryMs: 0 });
    cleanups.push(() => live.stop());
    const consult = createConsult({ kb: live, guard: createGuard(live.current().vocabulary) });
    const qingdao = '青岛市对知识产权保险有什么支持?';
    expect((await consult(qingdao)).answer).toMatchObject({ outcome: 'not_covered', citations: [] });

    // Qingdao's own copy of the opinions arrives: its questions are answered from it, Zibo's stay Zibo's.
    const seed = await readFile(path.join(dir, 'documents', `${SEED_ID}.md`), 'utf8');
    const copy = seed.replace('region: 山东省淄博市', 'region: 山东省青岛市').replace(`id: ${SEED_ID}`, 'id: qingdao-opinions').replaceAll('淄博', '青岛');
    await writeFile(path.join(dir, 'documents', 'qingdao.md'), copy);
    await live.check();
    const answered = (await consult(qingdao)).answer;
    expect(answered.outcome).toBe('answered');
    expect(answered.citations.map((c) => `${c.documentId}#${c.article}`)).toContain('qingdao-opinions#七');
    expect(answered.citations.every((c) => c.documentId !== SEED_ID)).toBe(true);
    const home = (await consult('知识产权保险有哪些?')).answer;
    expect(home.citations.map((c) => c.documentId)).toContain(SEED_ID);
    expect(home.citations.every((c) => c.documentId !== 'qingdao-opinions')).toBe(true);

    // Repealed in the next snapshot: quoted for reference only, not as current policy.
    await writeFile(path.join(dir, 'documents', 'qingdao.md'), copy.replace(/^status: .*$/m, 'status: 已废止'));
    await live.check();
    for (const question of ['青岛市对知识产权服务机构有什么奖励政策', qingdao]) {
      const repealed = (await consult(question)).answer;
      expect(repealed.outcome, question).toBe('not_covered');
      expect(repealed.answer, question).toMatch(/^现行有效的文件中没有找到答案。.*已废止/);
      // Never national guidance in its place: it cannot say what Qingdao provides.
      expect(repealed.citations.length, question).toBeGreaterThan(0);
      expect(repealed.citations.every((c) => c.documentId === 'qingdao-opinions'), question).toBe(true);
    }
  });

  it('reloads in each of two instances on one folder and one index cache', async () => {
    const { dir, cleanup } = await tempKnowledgeCopy();
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'ipbot-live-cache-'));
    cleanups.push(cleanup, () => rm(cacheDir, { recursive: true, force: true }));
    const instance = () => LiveKnowledge.start({ knowledgeDir: dir, open: () => KnowledgeBase.open({ knowledgeDir: dir, cacheDir }), checkEveryMs: 0 });
    const [one, two] = await Promise.all([instance(), instance()]);
    cleanups.push(() => one.stop(), () => two.stop());
    await addFixture(dir);
    await Promise.all([one.check(), two.check()]);
    for (const live of [one, two]) expect(live.current().document('print-measures')).toBeDefined();
    expect(one.current().origin.version).toBe(two.current().origin.version);
  });

  it('notices a thesaurus change by itself', async () => {
    const { dir, cleanup } = await tempKnowledgeCopy();
    cleanups.push(cleanup);
    const live = await LiveKnowledge.start({ knowledgeDir: dir, open: () => KnowledgeBase.open({ knowledgeDir: dir }), checkEveryMs: 200 });
    cleanups.push(() => live.stop());
    const before = live.current();
    await writeFile(path.join(dir, 'thesaurus.txt'), '托管服务, 知识产权代管\n', { flag: 'a' });
    await until('a new snapshot', async () => (live.current() !== before ? true : undefined));
    expect(live.current().origin.fingerprint).toBe(before.origin.fingerprint); // same index, other query expansion
    expect(live.current().origin.version).not.toBe(before.origin.version);
  }, 90_000);
});

describe('a running service', () => {
  let service: Service | undefined;
  let asking = false;
  let askers: Promise<void>[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    asking = false;
    await Promise.all(askers);
    await service?.stop();
    service = undefined;
    for (const c of cleanups.splice(0)) await c();
  });

  it('answers from a document copied into its knowledge folder without a restart, and answers every question asked meanwhile', async () => {
    const { dir, cleanup } = await tempKnowledgeCopy();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ipbot-live-'));
    cleanups.push(cleanup, () => rm(dataDir, { recursive: true, force: true }));
    const config = loadConfig({
      DATA_DIR: dataDir,
      KNOWLEDGE_DIR: dir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      KNOWLEDGE_RELOAD_MS: '2000',
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    service = await startService(config, { idleMs: 20 });
    const url = service.url;
    const ask = async (question: string, userId: string) => {
      const response = await fetch(`${url}/api/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question, userId }) });
      return { status: response.status, body: (await response.json()) as { outcome: string; citations: { documentId: string; article: string }[] } };
    };
    const before = await ask(NEW_QUESTION, 'probe');
    expect(before.body.citations.some((c) => c.documentId === 'print-measures')).toBe(false);
    const { version: versionBefore, documents: shipped } = ((await (await fetch(`${url}/readyz`)).json()) as { knowledge: { version: string; documents: number } }).knowledge;

    // Two askers keep asking a question the seed answers (one after another, 10 ms apart), all through the reload.
    asking = true;
    const results: { status: number; outcome: string; cited: string }[] = [];
    const asker = async (userId: string) => {
      while (asking) {
        try {
          const { status, body } = await ask(OLD_QUESTION, userId);
          results.push({ status, outcome: body.outcome, cited: body.citations[0] ? `${body.citations[0].documentId}#${body.citations[0].article}` : '' });
        } catch (err) {
          results.push({ status: 0, outcome: String(err), cited: '' });
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    askers = [asker('a'), asker('b')];
    await new Promise((r) => setTimeout(r, 300));

    await addFixture(dir);
    const { value: answer } = await until('an answer from the new document', async () => {
      const { body } = await ask(NEW_QUESTION, 'probe');
      return body.citations.find((c) => c.documentId === 'print-measures') ? body : undefined;
    });
    expect(answer.outcome).toBe('answered');
    expect(answer.citations[0]).toMatchObject({ documentId: 'print-measures', article: '三' });
    await new Promise((r) => setTimeout(r, 300));
    asking = false;
    await Promise.all(askers);

    expect(results.length).toBeGreaterThan(10);
    expect(results.filter((r) => r.status !== 200 || r.outcome !== 'answered' || r.cited !== `${SEED_ID}#七`)).toEqual([]);

    const ready = (await (await fetch(`${url}/readyz`)).json()) as { status: string; knowledge: { version: string; documents: number; reloads: { reloaded: number } } };
    expect(ready.status).toBe('ready');
    expect(ready.knowledge).toMatchObject({ documents: shipped + 1, reloads: { reloaded: 1 } });
    expect(ready.knowledge.version).not.toBe(versionBefore);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/ipcb_knowledge_reloads_total\{result="reloaded"\} 1/);
    expect(metrics).toContain(`ipcb_knowledge_info{version="${ready.knowledge.version}"} 1`);
    expect(metrics).toContain(`ipcb_knowledge_documents ${shipped + 1}`);

    // A broken document is reported and the rest keeps working.
    await copyFile(path.join(FIXTURES, 'scanned.pdf'), path.join(dir, 'documents', 'scan.pdf'));
    await writeFile(path.join(dir, 'documents', 'scan.yaml'), SIDECAR.replace('print-measures', 'scan'));
    const { value: problems } = await until('the scan reported on /readyz', async () => {
      const body = (await (await fetch(`${url}/readyz`)).json()) as { knowledge: { problems: { file: string; message: string }[] } };
      return body.knowledge.problems.length ? body.knowledge.problems : undefined;
    });
    expect(problems).toEqual([{ file: 'documents/scan.pdf', message: expect.stringMatching(/no text layer/) }]);
    expect((await ask(NEW_QUESTION, 'probe')).body.citations[0]).toMatchObject({ documentId: 'print-measures' });
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/ipcb_knowledge_problems\{severity="error"\} 1/);
  }, 150_000); // two waits of up to 60 s each, on a busy machine
});
