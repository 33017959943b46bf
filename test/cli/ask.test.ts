import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsultationStore } from '../../src/store/consultations.js';
import { openDatabase } from '../../src/store/db.js';
import { runTsx, tempKnowledgeCopy } from '../helpers.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ipbot-cli-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** Runs the ask CLI with its own data folder. */
function ask(args: string[], input = '', env: Record<string, string> = {}) {
  return runTsx('src/cli/ask.ts', args, { input, env: { ...process.env, DATA_DIR: dataDir, ...env } });
}

describe('npm run ask', () => {
  it('prints a cited answer naming article 七', async () => {
    const { code, stdout } = await ask(['知识产权保险有哪些?']);
    expect(code).toBe(0);
    expect(stdout).toContain('七、推动知识产权服务业优化升级');
    expect(stdout).toContain('淄市监知促字〔2023〕130号');
    expect(stdout).toContain('知识产权质押保证保险');
  });

  it('--json prints exactly one contract object', async () => {
    const { code, stdout } = await ask(['--json', '知识产权保险有哪些?']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]!);
    expect(Object.keys(json).sort()).toEqual(['answer', 'citations', 'confidence', 'outcome']);
    expect(json.outcome).toBe('answered');
    expect(Object.keys(json.citations[0]).sort()).toEqual(['article', 'docNumber', 'documentId', 'excerpt', 'score', 'section', 'title']);
  });

  it('--jsonl answers each line with its id, and reports bad lines without stopping', async () => {
    const input = [
      JSON.stringify({ id: 'a', q: '剑网专项行动打击什么?' }),
      'not json',
      JSON.stringify({ id: 'b', q: '' }),
      JSON.stringify({ id: 7, q: '推荐一部好看的电影' }),
    ].join('\n');
    const { code, stdout } = await ask(['--jsonl'], input);
    const out = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(4);
    expect(out[0]).toMatchObject({ id: 'a', outcome: 'answered' });
    expect(out[0].citations[0].article).toBe('十四');
    expect(out[1].error.message).toMatch(/not a JSON line/);
    expect(out[2]).toMatchObject({ id: 'b', error: { code: 'input_invalid' } });
    expect(out[3]).toMatchObject({ id: '7', outcome: 'out_of_scope' });
    expect(code).toBe(1);
  });

  it('records a consultation only with --record, masked, with citations and passages', async () => {
    await ask(['--json', '我的手机13800138000,知识产权保险有哪些?']);
    const { code, stdout } = await ask(['--json', '--record', '我的手机13800138000,知识产权保险有哪些?']);
    expect(code).toBe(0);
    const { id } = JSON.parse(stdout);
    const database = await openDatabase({ dataDir });
    try {
      const store = new ConsultationStore(database.db);
      const page = await store.list({});
      expect(page.total).toBe(1);
      const row = (await store.get(id))!;
      expect(row).toMatchObject({ channel: 'cli', outcome: 'answered' });
      expect(row.question).toBe('我的手机138****8000,知识产权保险有哪些?');
      expect(row.citations[0]!.article).toBe('七');
      expect(row.passages.length).toBeGreaterThan(1);
      expect(row.topics).toContain('知识产权金融');
    } finally {
      await database.close();
    }
  });

  it('explains an empty or oversized question instead of crashing', async () => {
    const empty = await ask(['--json', ' ']);
    expect(empty.code).toBe(2);
    expect(JSON.parse(empty.stdout).error.message).toMatch(/问题是空的/);
    // 150 KB is more than one command-line argument may hold, so long text comes on stdin.
    const huge = await ask(['-'], '专利'.repeat(25_000));
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/问题太长（50000 字）/);
    const garbage = await ask(['-'], String.fromCharCode(...Array.from({ length: 64 }, (_, i) => i % 32)));
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/没有识别到文字/);
  });

  it('names a knowledge file with broken front-matter and keeps answering', async () => {
    const { dir, cleanup } = await tempKnowledgeCopy();
    try {
      await writeFile(path.join(dir, 'documents', 'broken.md'), '---\ntitle: [oops\n---\n一、内容。');
      const { code, stdout, stderr } = await ask(['知识产权保险有哪些?'], '', { KNOWLEDGE_DIR: dir });
      expect(code).toBe(0);
      expect(stderr).toMatch(/knowledge: skipped documents\/broken\.md:2: front-matter is not valid YAML/);
      expect(stdout).toContain('七、推动知识产权服务业优化升级');
    } finally {
      await cleanup();
    }
  });

  it('refuses bad configuration with one message naming the variable', async () => {
    const { code, stderr } = await ask(['专利'], '', { MIN_CONFIDENCE: 'high' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/MIN_CONFIDENCE/);
    expect(stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace for a user mistake
  });
});
