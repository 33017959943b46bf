import { appendFile, copyFile, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openKnowledge } from '../../src/knowledge/open-knowledge.js';
import { FakeOpenAI } from '../fakes/openai-server.js';
import { SEED_ID, runTsx, tempKnowledgeCopy } from '../helpers.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const SIDECAR = 'id: print-measures\ntitle: 示例市知识产权资助管理办法\nissuers: 示例市市场监督管理局\nissueDate: "2024-03-01"\nstatus: 现行有效\nsource: 测试样例\n';

describe('npm run ingest', () => {
  const fake = new FakeOpenAI();
  let knowledgeDir: string;
  let dataDir: string;
  let cleanup: () => Promise<void>;
  const ingest = (env: Record<string, string> = {}, args: string[] = []) =>
    runTsx('src/cli/ingest.ts', args, { env: { ...process.env, KNOWLEDGE_DIR: knowledgeDir, DATA_DIR: dataDir, ...env } });

  beforeAll(async () => {
    await fake.start();
    ({ dir: knowledgeDir, cleanup } = await tempKnowledgeCopy());
    dataDir = await mkdtemp(path.join(tmpdir(), 'ipbot-ingest-'));
  });
  afterAll(async () => {
    await fake.stop();
    await cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('builds the index, then reports what was added, changed and removed, and every problem by file and line', async () => {
    const first = await ingest();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('no earlier index');
    expect(first.stdout).toMatch(new RegExp(`${SEED_ID} .* 20 articles, 21 chunks`));
    expect(first.stdout).toMatch(/index: built/);

    const again = await ingest();
    expect(again.stdout).toContain('changes: none since the last index');
    expect(again.stdout).toMatch(/index: unchanged, read from cache/);

    await copyFile(path.join(FIXTURES, 'policy.pdf'), path.join(knowledgeDir, 'documents', 'print.pdf'));
    await writeFile(path.join(knowledgeDir, 'documents', 'print.yaml'), SIDECAR);
    await copyFile(path.join(FIXTURES, 'scanned.pdf'), path.join(knowledgeDir, 'documents', 'scan.pdf'));
    await writeFile(path.join(knowledgeDir, 'documents', 'scan.yaml'), SIDECAR.replace('print-measures', 'scan'));
    await writeFile(path.join(knowledgeDir, 'documents', 'typo.md'), `---\n${SIDECAR.replace('print-measures', 'typo').replace('issueDate: "2024-03-01"', 'issueDate: 2024.03.01')}---\n第一条 内容。\n`);
    const seedFile = path.join(knowledgeDir, 'documents', `${SEED_ID}.md`);
    const third = await ingest();
    expect(third.code).toBe(1);
    expect(third.stdout).toMatch(/changes since the last index \(.*\): 1 added, 0 changed, 0 removed/);
    expect(third.stdout).toMatch(/\+ print-measures {2}documents\/print\.pdf .* 7 articles, 7 chunks/);
    expect(third.stderr).toMatch(/error: documents\/scan\.pdf: the PDF has no text layer/);
    expect(third.stderr).toMatch(/error: documents\/typo\.md:5: issueDate: expected a date as YYYY-MM-DD/);

    await unlink(path.join(knowledgeDir, 'documents', 'print.pdf'));
    await appendFile(seedFile, '\n二十、新增条款：支持开展知识产权托管服务。\n');
    const fourth = await ingest();
    expect(fourth.stdout).toMatch(/1 changed, 1 removed/);
    expect(fourth.stdout).toMatch(new RegExp(`~ ${SEED_ID} .* 21 articles, 22 chunks \\(was 20 articles, 21 chunks\\)`));
    expect(fourth.stdout).toMatch(/- print-measures {2}documents\/print\.pdf — 7 articles/);
  });

  it('indexes with the configured embedder, so the service then reads the same index from the cache', async () => {
    const env = { EMBEDDING_BASE_URL: fake.baseUrl, EMBEDDING_API_KEY: 'sk-test', EMBEDDING_MODEL: 'text-embedding-v3' };
    fake.requests.length = 0;
    const run = await ingest(env);
    expect(run.stdout).toMatch(/index: built/);
    expect(fake.requests.filter((r) => r.path.endsWith('/embeddings')).length).toBeGreaterThan(0);

    const config = loadConfig({ ...env, KNOWLEDGE_DIR: knowledgeDir, DATA_DIR: dataDir });
    const kb = await openKnowledge(config, { warn: (m) => expect.fail(m) });
    expect(kb.origin.source).toBe('cache');
    expect(run.stdout).toContain(`version ${kb.origin.version.slice(0, 12)}`);
  });
});
