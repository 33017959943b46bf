import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../src/answer/guard.js';
import { rankOfExpected } from '../src/cli/eval-expect.js';
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
const ANSWERED: Record<string, string> = { answer: 'answered', answer_en: 'answered', not_covered: 'not_covered' };

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
        const rank = rankOfExpected(q.expect, retrieval!.passages.map((p) => p.chunk));
        n++;
        if (rank === 1) hit1++;
        if (rank >= 1 && rank <= 5) hit5++;
      } else if (OUTCOME[q.kind] && answer.outcome !== OUTCOME[q.kind]) {
        wrong.push(`${q.id} ${q.kind} → ${answer.outcome}`);
      }
    }
    expect(hit5 / n).toBeGreaterThanOrEqual(minHit5);
    expect(hit1 / n).toBeGreaterThanOrEqual(minHit1);
    expect(wrong).toEqual([]);
  });
});

/**
 * The guidance documents, other cities and places (written before the guidance and the region rules were
 * tuned): retrieval floors for the guidance questions, and outcome accuracy for each set. Floors sit a little
 * below the measured figures (guidance hit@1 0.68, hit@5 0.94, outcomes 0.77; places hit@1 0.94, outcomes 0.93;
 * other cities 1.0).
 */
describe.each([
  ['guidance set', path.join(ROOT, 'eval/guidance.jsonl'), { hit1: 0.6, hit5: 0.85, outcomes: 0.7 }],
  ['other-city set', path.join(ROOT, 'eval/other-cities.jsonl'), { hit1: 0, hit5: 0, outcomes: 0.9 }],
  ['place set', path.join(ROOT, 'eval/places.jsonl'), { hit1: 0.85, hit5: 0.9, outcomes: 0.85 }],
])('%s, offline embedder', (_name, file, floors) => {
  it('meets its retrieval and outcome floors', async () => {
    const consult = await shippedConsult();
    let n = 0, hit1 = 0, hit5 = 0, right = 0;
    const questions = load(file);
    for (const q of questions) {
      const { answer, retrieval } = await consult(q.q);
      if (answer.outcome === ANSWERED[q.kind]) right++;
      if (!q.kind.startsWith('answer')) continue;
      const rank = rankOfExpected(q.expect, retrieval!.passages.map((p) => p.chunk));
      n++;
      if (rank === 1) hit1++;
      if (rank >= 1 && rank <= 5) hit5++;
    }
    if (n) {
      expect(hit1 / n).toBeGreaterThanOrEqual(floors.hit1);
      expect(hit5 / n).toBeGreaterThanOrEqual(floors.hit5);
    }
    expect(right / questions.length).toBeGreaterThanOrEqual(floors.outcomes);
  });
});
