import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../src/answer/guard.js';
import { createConsult, type Consult } from '../src/consult.js';
import { KnowledgeBase } from '../src/knowledge/knowledge-base.js';
import { OpenAIEmbedder } from '../src/knowledge/openai-embedder.js';
import { FakeOpenAI } from './fakes/openai-server.js';
import { KNOWLEDGE_DIR, ROOT, shippedConsult } from './helpers.js';

const fake = new FakeOpenAI();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** The same pipeline with an OpenAI-compatible embedder (the fake server's) instead of the offline one. */
async function consultWithRemoteEmbedder(): Promise<Consult> {
  const embedder = new OpenAIEmbedder({ baseUrl: fake.baseUrl, apiKey: 'sk-test', model: 'fake-embedding', batchSize: 10, encodingFormat: 'base64', timeoutMs: 5_000 });
  const kb = await KnowledgeBase.open({ knowledgeDir: KNOWLEDGE_DIR, embedder });
  return createConsult({ kb, guard: createGuard(kb.vocabulary) });
}

interface Question {
  id: string;
  q: string;
  expect: string[];
  kind: string;
}
const OUTCOME: Record<string, string> = { out_of_scope: 'out_of_scope', injection: 'declined', escalate: 'escalation_offered' };

function load(file: string): Question[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Question);
}

/** Retrieval quality floors from the foundation issue; a regression below them fails the build. */
describe.each([
  ['dev set, offline embedder', path.join(ROOT, '../shared/eval/dev-questions.jsonl'), shippedConsult],
  ['own set, offline embedder', path.join(ROOT, 'eval/questions.jsonl'), shippedConsult],
  ['held-out set, offline embedder', path.join(ROOT, 'eval/holdout.jsonl'), shippedConsult],
  ['blind set 2, offline embedder', path.join(ROOT, 'eval/blind-2.jsonl'), shippedConsult],
  ['dev set, OpenAI-compatible embedder', path.join(ROOT, '../shared/eval/dev-questions.jsonl'), consultWithRemoteEmbedder],
])('%s', (_name, file, open) => {
  const [minHit5, minHit1] = [0.95, 0.8];
  it.skipIf(!existsSync(file))('meets hit@5 and hit@1 floors and classifies every refusal kind right', async () => {
    const consult = await open();
    let n = 0, hit1 = 0, hit5 = 0;
    const wrong: string[] = [];
    for (const q of load(file)) {
      const { answer, retrieval } = await consult(q.q);
      if (q.kind.startsWith('answer')) {
        const articles = [...new Set(retrieval!.passages.map((p) => p.chunk.article))];
        n++;
        if (q.expect.includes(articles[0]!)) hit1++;
        if (articles.slice(0, 5).some((a) => q.expect.includes(a))) hit5++;
      } else if (OUTCOME[q.kind] && answer.outcome !== OUTCOME[q.kind]) {
        wrong.push(`${q.id} ${q.kind} → ${answer.outcome}`);
      }
    }
    expect(hit5 / n).toBeGreaterThanOrEqual(minHit5);
    expect(hit1 / n).toBeGreaterThanOrEqual(minHit1);
    expect(wrong).toEqual([]);
  });
});
