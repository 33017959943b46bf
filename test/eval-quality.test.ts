/**
 * Quality floors on the project's evaluation sets (format in src/cli/eval-score.ts), scored the way
 * `npm run eval` scores them; a regression below a floor fails the build. The sets written for the seed
 * policy and the guides are scored on that knowledge (the shipped folder without the national laws), so
 * their floors keep testing the pipeline rather than moving whenever a law is added; the laws' set is
 * scored on everything shipped.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_BUDGET_CHARS } from '../src/answer/extractive.js';
import { createGuard } from '../src/answer/guard.js';
import { outcomesRight, parseSet, quantile, scoreSet, type SetScore } from '../src/cli/eval-score.js';
import { createConsult, type Consult } from '../src/consult.js';
import { KnowledgeBase } from '../src/knowledge/knowledge-base.js';
import { OpenAIEmbedder } from '../src/knowledge/openai-embedder.js';
import { FakeOpenAI } from './fakes/openai-server.js';
import { ROOT, seedOnlyConsult, seedOnlyDir, shippedConsult } from './helpers.js';

const fake = new FakeOpenAI();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** The same pipeline with an OpenAI-compatible embedder (the fake server's) instead of the offline one. */
async function consultWithRemoteEmbedder(): Promise<Consult> {
  const embedder = new OpenAIEmbedder({ baseUrl: fake.baseUrl, apiKey: 'sk-test', model: 'fake-embedding', batchSize: 10, encodingFormat: 'base64', timeoutMs: 5_000 });
  const kb = await KnowledgeBase.open({ knowledgeDir: await seedOnlyDir(), embedder });
  return createConsult({ kb, guard: createGuard(kb.vocabulary) });
}

const score = async (file: string, open: () => Promise<Consult>) => scoreSet(parseSet(readFileSync(path.join(ROOT, file), 'utf8')), await open());
const share = (right: number, total: number) => (total ? right / total : 1);
const REFUSALS = ['out_of_scope', 'injection', 'escalate', 'greeting', 'not_covered'];

/** Every refusal kind classified right: a question the documents cannot answer must never be answered. */
function refusalsWrong(s: SetScore, kinds = REFUSALS): string[] {
  return [...s.kinds].filter(([kind, k]) => kinds.includes(kind) && k.right < k.total).map(([kind, k]) => `${kind} ${k.right}/${k.total}`);
}

/** Retrieval floors from the foundation issue. */
describe.each([
  ['dev set, offline embedder', 'test/fixtures/dev-questions.jsonl', seedOnlyConsult],
  ['own set, offline embedder', 'eval/questions.jsonl', seedOnlyConsult],
  ['held-out set, offline embedder', 'eval/holdout.jsonl', seedOnlyConsult],
  ['blind set 2, offline embedder', 'eval/blind-2.jsonl', seedOnlyConsult],
  ['dev set, OpenAI-compatible embedder', 'test/fixtures/dev-questions.jsonl', consultWithRemoteEmbedder],
])('%s', (_name, file, open) => {
  it('meets hit@5 and hit@1 floors, classifies every refusal kind right, and fits answers to a phone', async () => {
    const s = await score(file, open);
    expect(s.hit5 / s.ranked).toBeGreaterThanOrEqual(0.95);
    expect(s.hit1 / s.ranked).toBeGreaterThanOrEqual(0.8);
    expect(refusalsWrong(s)).toEqual([]);
    expect(quantile(s.answerLengths, 0.95)).toBeLessThanOrEqual(ANSWER_BUDGET_CHARS);
    expect(share(s.basis.right, s.basis.total)).toBeGreaterThanOrEqual(0.75);
  });
});

/** Floors for the answers themselves, on the sets written for them. */
describe.each([
  // [set, outcomes right, first line holds the key fact (share of answered replies with a key), refusal kinds that must all be right]
  // 商标注册申请被驳回了怎么办 is still answered from the article on bad-faith filings: not_covered is left to the outcome floor there.
  ['what-to-do questions (怎么办, 咋整, 如何是好 …)', 'eval/what-to-do.jsonl', 0.72, 1, ['out_of_scope', 'escalate']],
  ['first-line key facts', 'eval/first-line.jsonl', 0.95, 0.9, REFUSALS],
  ['facts the documents leave out', 'eval/not-stated.jsonl', 0.9, 1, REFUSALS],
  ['follow-ups in a conversation', 'eval/follow-ups.jsonl', 0.9, 0.9, REFUSALS],
])('%s', (_name, file, minOutcomes, minKeyed, refusals) => {
  it('meets its floors and fits answers to a phone', async () => {
    const s = await score(file, seedOnlyConsult);
    expect(outcomesRight(s) / s.questions).toBeGreaterThanOrEqual(minOutcomes);
    expect(share(s.keyed.withKey, s.keyed.answered)).toBeGreaterThanOrEqual(minKeyed);
    expect(quantile(s.answerLengths, 0.95)).toBeLessThanOrEqual(ANSWER_BUDGET_CHARS);
    expect(refusalsWrong(s, refusals)).toEqual([]);
  });
});

/**
 * The guidance documents, other cities and places (written before the guidance and the region rules were
 * tuned): retrieval floors where a set has answer questions, outcome accuracy for each set, and answers
 * that fit a phone. Floors sit a little below the measured figures (README, "Evaluation").
 */
describe.each([
  ['guidance set', 'eval/guidance.jsonl', { hit1: 0.6, hit5: 0.85, outcomes: 0.7 }],
  ['other-city set', 'eval/other-cities.jsonl', { hit1: 0, hit5: 0, outcomes: 0.9 }],
  ['place set', 'eval/places.jsonl', { hit1: 0.85, hit5: 0.9, outcomes: 0.85 }],
])('%s, offline embedder', (_name, file, floors) => {
  it('meets its retrieval and outcome floors and fits answers to a phone', async () => {
    const s = await score(file, seedOnlyConsult);
    if (s.ranked) {
      expect(s.hit1 / s.ranked).toBeGreaterThanOrEqual(floors.hit1);
      expect(s.hit5 / s.ranked).toBeGreaterThanOrEqual(floors.hit5);
    }
    expect(outcomesRight(s) / s.questions).toBeGreaterThanOrEqual(floors.outcomes);
    expect(quantile(s.answerLengths, 0.95)).toBeLessThanOrEqual(ANSWER_BUDGET_CHARS);
  });
});
