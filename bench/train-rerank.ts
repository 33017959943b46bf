/**
 * npm run bench:rerank [-- --write]
 *
 * Fits the re-ranking model's weights (src/knowledge/rerank.ts) on question sets and reports how well they
 * carry over to documents the fit did not see. Each standalone answer question of the training sets is
 * searched as consult() searches it; every candidate of its pool becomes a row of features, labelled by
 * whether it is an article the question expects. The model is a linear scorer trained with a listwise
 * softmax loss (the expected article should come first among its candidates) and L2 regularisation.
 *
 * - Training sets: eval/laws-tune.jsonl (national laws and guides) and the seed policy's sets
 *   (questions, guidance, what-to-do, first-line, places). Never eval/laws-heldout.jsonl, whose documents
 *   (customs, foreign-related disputes, punitive damages) stay unseen until the final measurement.
 * - Cross-validation by document: the questions are grouped by the document they expect; each fold leaves
 *   whole documents out, fits on the rest and scores hit@1 on the left-out documents. That figure, not the
 *   fit's own, says what the weights are worth on an unseen document.
 * - `--write` replaces the WEIGHTS block in src/knowledge/rerank.ts with the fit on all training sets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_CONSULT_OPTIONS, scopedSearch } from '../src/consult.js';
import { Applicability, DocumentScope, chinaDate } from '../src/knowledge/applicability.js';
import { KnowledgeBase } from '../src/knowledge/knowledge-base.js';
import { FEATURES, WEIGHTS, type Features } from '../src/knowledge/rerank.js';
import { expectedKey } from '../src/cli/eval-expect.js';

const TRAINING = ['eval/laws-tune.jsonl', 'eval/questions.jsonl', 'eval/guidance.jsonl', 'eval/what-to-do.jsonl', 'eval/first-line.jsonl', 'eval/places.jsonl'];
const FOLDS = 5;
const L2 = 0.01;
const STEPS = 400;
const RATE = 0.05;

interface Row {
  id: string;
  group: string;
  x: number[][];
  offset: number[];
  positive: boolean[];
}

async function collect(kb: KnowledgeBase): Promise<Row[]> {
  const { homeRegion, guidanceWeight } = DEFAULT_CONSULT_OPTIONS;
  const scope = new DocumentScope(new Applicability(homeRegion), kb.documents, chinaDate(new Date()), guidanceWeight);
  const rows: Row[] = [];
  for (const file of TRAINING) {
    for (const line of readFileSync(file, 'utf8').split('\n').filter((l) => l.trim())) {
      const q = JSON.parse(line) as { id: string; q: string; kind: string; expect: string[]; history?: string[] };
      if (!q.kind.startsWith('answer') || q.history?.length || !q.expect.length) continue;
      const wanted = new Set(q.expect.map(expectedKey));
      let pool: { chunk: { documentId: string; article: string }; features: Features; offset: number }[] = [];
      const text = kb.correct(q.q);
      await scopedSearch(kb, scope, (p) => (pool = p))(text, 5, text);
      const positive = pool.map((p) => wanted.has(`${p.chunk.documentId}#${p.chunk.article}`));
      rows.push({
        id: `${file}:${q.id}`,
        group: [...wanted][0]!.split('#')[0]!,
        x: pool.map((p) => FEATURES.map((f) => p.features[f])),
        offset: pool.map((p) => p.offset),
        positive,
      });
    }
  }
  return rows;
}

/** Listwise softmax: maximise the probability mass of the expected candidates, with L2 on the weights. */
function fit(rows: Row[], start: number[]): number[] {
  const w = [...start];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  const usable = rows.filter((r) => r.positive.some(Boolean));
  for (let step = 1; step <= STEPS; step++) {
    const grad = w.map((wi) => 2 * L2 * wi * usable.length);
    for (const r of usable) {
      const logits = r.x.map((xi, i) => dot(w, xi) + r.offset[i]!);
      const max = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - max));
      const z = e.reduce((a, b) => a + b, 0);
      const zPos = e.reduce((a, b, i) => a + (r.positive[i] ? b : 0), 0);
      r.x.forEach((xi, i) => {
        const p = e[i]! / z;
        const q = r.positive[i] ? e[i]! / zPos : 0;
        for (let k = 0; k < w.length; k++) grad[k]! += (p - q) * xi[k]!;
      });
    }
    // Adam: the features differ in scale and in how often they fire.
    for (let k = 0; k < w.length; k++) {
      const g = grad[k]! / usable.length;
      m[k] = 0.9 * m[k]! + 0.1 * g;
      v[k] = 0.999 * v[k]! + 0.001 * g * g;
      const mh = m[k]! / (1 - 0.9 ** step);
      const vh = v[k]! / (1 - 0.999 ** step);
      w[k]! -= (RATE * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
  return w;
}

function hit1(rows: Row[], w: number[]): number {
  if (!rows.length) return 0;
  const hits = rows.filter((r) => {
    if (!r.x.length) return false;
    const logits = r.x.map((xi, i) => dot(w, xi) + r.offset[i]!);
    return r.positive[logits.indexOf(Math.max(...logits))];
  }).length;
  return hits / rows.length;
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { write: { type: 'boolean', default: false } } });
  const kb = await KnowledgeBase.open({ knowledgeDir: 'knowledge' });
  const rows = await collect(kb);
  const current = FEATURES.map((f) => WEIGHTS[f]);
  const zero = FEATURES.map(() => 0);
  const recall = rows.filter((r) => r.positive.some(Boolean)).length / rows.length;
  console.log(`${rows.length} questions; the expected article is among the candidates for ${(recall * 100).toFixed(1)} %`);

  // Documents are dealt to folds in a fixed order, so a run is reproducible.
  const groups = [...new Set(rows.map((r) => r.group))].sort();
  const foldOf = new Map(groups.map((g, i) => [g, i % FOLDS]));
  let cvHits = 0;
  let cvCurrent = 0;
  for (let k = 0; k < FOLDS; k++) {
    const test = rows.filter((r) => foldOf.get(r.group) === k);
    const w = fit(rows.filter((r) => foldOf.get(r.group) !== k), zero);
    cvHits += hit1(test, w) * test.length;
    cvCurrent += hit1(test, current) * test.length;
    console.log(`fold ${k + 1}: left out ${groups.filter((g) => foldOf.get(g) === k).join(', ')} — hit@1 ${hit1(test, w).toFixed(3)} (current weights ${hit1(test, current).toFixed(3)}, n=${test.length})`);
  }
  console.log(`cross-validated hit@1 on left-out documents: ${(cvHits / rows.length).toFixed(3)} (current weights: ${(cvCurrent / rows.length).toFixed(3)})`);

  const w = fit(rows, zero);
  console.log(`fit on all: hit@1 ${hit1(rows, w).toFixed(3)} (current weights ${hit1(rows, current).toFixed(3)})`);
  const block = `export const WEIGHTS: Features = {\n${FEATURES.map((f, i) => `  ${f}: ${w[i]!.toFixed(3)},`).join('\n')}\n};`;
  console.log(block);
  if (values.write) {
    const file = 'src/knowledge/rerank.ts';
    writeFileSync(file, readFileSync(file, 'utf8').replace(/export const WEIGHTS: Features = \{[\s\S]*?\n\};/, block));
    console.log(`written to ${file}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
