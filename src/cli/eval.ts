/**
 * npm run eval -- [file.jsonl …] [--verbose]
 * Scores the pipeline on question sets ({"id","q","expect":[numerals|"header"|"docId#article"],"kind"} per line):
 * hit@1, hit@5 and MRR of retrieval for answer questions, and outcome accuracy per kind.
 * Defaults to the project's own set and, when present, ../shared/eval/dev-questions.jsonl.
 * Never writes to the consultation log.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openConsultation } from '../bootstrap.js';
import { ConfigError, loadConfig } from '../config.js';
import type { Outcome } from '../types.js';
import { SEED_DOCUMENT, isExpected, rankOfExpected, rankedArticles } from './eval-expect.js';

interface Question {
  id: string;
  q: string;
  expect: string[];
  kind: string;
}

/** The outcome each kind of question should get. */
const EXPECTED_OUTCOME: Record<string, Outcome> = {
  answer: 'answered',
  answer_en: 'answered',
  not_covered: 'not_covered',
  out_of_scope: 'out_of_scope',
  injection: 'declined',
  escalate: 'escalation_offered',
  greeting: 'out_of_scope',
};
const DEFAULT_FILES = [
  'eval/questions.jsonl', 'eval/holdout.jsonl', 'eval/blind-2.jsonl', 'eval/guidance.jsonl', 'eval/other-cities.jsonl', 'eval/places.jsonl',
  '../shared/eval/dev-questions.jsonl',
];

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { verbose: { type: 'boolean', short: 'v', default: false } }, allowPositionals: true });
  const files = positionals.length ? positionals : DEFAULT_FILES.filter((f) => existsSync(f));
  const { consult } = await openConsultation(loadConfig());
  const summaries: string[] = [];

  for (const file of files) {
    const questions = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Question);
    let ranked = 0, hit1 = 0, hit5 = 0, rr = 0;
    const kinds = new Map<string, { right: number; total: number }>();
    const misses: string[] = [];
    const latencies: number[] = [];

    for (const q of questions) {
      const { answer, retrieval, latencyMs } = await consult(q.q);
      latencies.push(latencyMs);
      const expected = EXPECTED_OUTCOME[q.kind];
      let right = answer.outcome === expected;
      if (q.kind.startsWith('answer')) {
        const refs = (retrieval?.passages ?? []).map((p) => p.chunk);
        const articles = rankedArticles(refs).map((a) => a.replace(`${SEED_DOCUMENT}#`, ''));
        const rank = rankOfExpected(q.expect, refs);
        ranked++;
        if (rank === 1) hit1++;
        if (rank >= 1 && rank <= 5) hit5++;
        if (rank >= 1) rr += 1 / rank;
        // An answer counts as right only when it also cites an expected article.
        right &&= answer.citations.some((c) => isExpected(q.expect, c));
        if (rank !== 1) misses.push(`${q.id} rank ${rank || '-'} want ${q.expect.join('/')} got ${articles.slice(0, 5).join(',')}  ${q.q}`);
      }
      const k = kinds.get(q.kind) ?? { right: 0, total: 0 };
      k.total++;
      if (right) k.right++;
      else misses.push(`${q.id} ${q.kind} → ${answer.outcome} (conf ${answer.confidence}; cites ${answer.citations.map((c) => c.article).join(',') || '-'})  ${q.q}`);
      kinds.set(q.kind, k);
    }

    const name = path.basename(file);
    console.log(`\n${name} (${questions.length} questions)`);
    if (values.verbose) for (const m of misses) console.log(`  miss: ${m}`);
    console.log('  kind          right/total  accuracy');
    for (const [kind, k] of kinds) console.log(`  ${kind.padEnd(13)} ${`${k.right}/${k.total}`.padStart(11)}  ${(k.right / k.total).toFixed(3)}`);
    latencies.sort((a, b) => a - b);
    const p = (x: number) => latencies[Math.min(latencies.length - 1, Math.floor(x * latencies.length))]!.toFixed(2);
    console.log(`  consult latency p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`);
    const allRight = [...kinds.values()].reduce((a, k) => a + k.right, 0);
    const fmt = (x: number) => (ranked ? x / ranked : 0).toFixed(3);
    summaries.push(`${name}: hit@1 ${fmt(hit1)}  hit@5 ${fmt(hit5)}  MRR ${fmt(rr)}  (n=${ranked})  outcomes right ${allRight}/${questions.length}`);
  }
  console.log('\nsummary');
  for (const s of summaries) console.log(`  ${s}`);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `eval failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
