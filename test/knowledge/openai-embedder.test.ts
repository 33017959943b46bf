import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { OpenAIEmbedder } from '../../src/knowledge/openai-embedder.js';
import { FakeOpenAI } from '../fakes/openai-server.js';
import { KNOWLEDGE_DIR } from '../helpers.js';

const fake = new FakeOpenAI();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const embedder = (encodingFormat: 'float' | 'base64', model = 'text-embedding-v3') =>
  new OpenAIEmbedder({ baseUrl: fake.baseUrl, apiKey: 'sk-emb', model, batchSize: 10, encodingFormat, timeoutMs: 5_000 });

describe('OpenAI-compatible embedder', () => {
  it.each(['float', 'base64'] as const)('decodes %s embeddings into unit vectors, in batches of at most 10', async (format) => {
    fake.requests.length = 0;
    const texts = Array.from({ length: 23 }, (_, i) => `知识产权第${i}条`);
    const vectors = await embedder(format).embed(texts);
    expect(vectors).toHaveLength(23);
    expect(vectors[0]!.length).toBe(64);
    const norm = Math.sqrt(vectors[5]!.reduce((a, x) => a + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
    const batches = fake.requests.filter((r) => r.path.endsWith('/embeddings'));
    expect(batches.map((r) => r.body.input.length)).toEqual([10, 10, 3]);
    expect(batches[0]!.body.encoding_format).toBe(format);
  });

  it('indexes the knowledge with it, and a different model rebuilds the cached index', async () => {
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'ipbot-emb-'));
    try {
      const first = await KnowledgeBase.open({ knowledgeDir: KNOWLEDGE_DIR, cacheDir, embedder: embedder('float') });
      expect(first.origin.source).toBe('built');
      expect((await first.retrieve('知识产权保险有哪些', 3)).passages[0]!.chunk.article).toBe('七');
      expect((await KnowledgeBase.open({ knowledgeDir: KNOWLEDGE_DIR, cacheDir, embedder: embedder('float') })).origin.source).toBe('cache');
      const other = await KnowledgeBase.open({ knowledgeDir: KNOWLEDGE_DIR, cacheDir, embedder: embedder('float', 'text-embedding-v4') });
      expect(other.origin.source).toBe('built');
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('keeps answering from BM25 when the service fails at query time', async () => {
    const kb = await KnowledgeBase.open({ knowledgeDir: KNOWLEDGE_DIR, embedder: embedder('float') });
    fake.embed = () => {
      throw new Error('down');
    };
    try {
      const { passages } = await kb.retrieve('知识产权保险有哪些', 3);
      expect(passages[0]!.chunk.article).toBe('七');
    } finally {
      fake.embed = new FakeOpenAI().embed;
    }
  });
});
