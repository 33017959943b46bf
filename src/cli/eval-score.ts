/**
 * Scoring of evaluation sets, shared by `npm run eval` and the quality-floor tests. One line per question:
 * {"id","q","expect":[numerals|"header"|"docId#article"],"kind", "key"?: [phrases], "history"?: [earlier questions]}.
 * - `expect`: articles an answer must cite (for `escalate`: the policy basis it may cite; [] = none); a bare
 *   numeral is an article of the seed document (src/cli/eval-expect.ts).
 * - `key`: phrases of the expected article; an answered reply's first line must contain one.
 * - `history`: questions asked before in the same conversation; each is answered in turn and the last
 *   question is read with those turns.
 */
import type { Consult, Turn } from '../consult.js';
import type { Outcome } from '../types.js';
import { SEED_DOCUMENT, isExpected, rankOfExpected, rankedArticles, type ArticleRef } from './eval-expect.js';

export interface EvalQuestion {
  id: string;
  q: string;
  expect: string[];
  kind: string;
  key?: string[];
  history?: string[];
}

/** The outcome each kind of question should get. */
export const EXPECTED_OUTCOME: Record<string, Outcome> = {
  answer: 'answered',
  answer_en: 'answered',
  not_covered: 'not_covered',
  // The documents do not state what is asked; the reply says so and quotes what they do say.
  not_stated: 'not_covered',
  out_of_scope: 'out_of_scope',
  injection: 'declined',
  escalate: 'escalation_offered',
  greeting: 'out_of_scope',
  // A bare topic ("专利") gets a question back with choices: answered, quoting nothing.
  clarify: 'answered',
};

/** A first line that says what the documents leave out (the reply to a `not_stated` question). */
export const SAYS_MISSING = /没有(写明|提到|列出|给出|规定|载明)|未(写明|提到|列出|载明)|do(es)? not (state|mention|list|give|say)/i;

export interface SetScore {
  questions: number;
  /** Answer questions with a rank (retrieval figures). */
  ranked: number;
  hit1: number;
  hit5: number;
  rr: number;
  kinds: Map<string, { right: number; total: number }>;
  /** Answered replies to questions with `key`, and how many of them have a key phrase in the first line. */
  keyed: { answered: number; withKey: number; judged: number };
  /** Escalations whose cited basis matches `expect` (none when `expect` is empty). */
  basis: { right: number; total: number };
  /** Characters of every answered reply, sorted. */
  answerLengths: number[];
  latencies: number[];
  misses: string[];
}

export function parseSet(text: string): EvalQuestion[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EvalQuestion);
}

/** Characters as a reader counts them (code points, not UTF-16 units). */
export const charCount = (text: string) => [...text].length;

export const firstLine = (text: string) => text.split('\n')[0] ?? '';

export async function scoreSet(questions: EvalQuestion[], consult: Consult): Promise<SetScore> {
  const score: SetScore = {
    questions: questions.length,
    ranked: 0,
    hit1: 0,
    hit5: 0,
    rr: 0,
    kinds: new Map(),
    keyed: { answered: 0, withKey: 0, judged: 0 },
    basis: { right: 0, total: 0 },
    answerLengths: [],
    latencies: [],
    misses: [],
  };
  for (const q of questions) {
    const history: Turn[] = [];
    for (const earlier of q.history ?? []) {
      const { answer } = await consult(earlier, { history: [...history] });
      history.push({ question: earlier, citations: answer.citations });
    }
    const { answer, retrieval, latencyMs } = await consult(q.q, { history });
    score.latencies.push(latencyMs);
    const cites = (expect: string[]) => answer.citations.some((c) => isExpected(expect, c));
    const cited = shortKeys(answer.citations).join(',') || '-';
    let right = answer.outcome === EXPECTED_OUTCOME[q.kind];
    // A message that also asks what the documents answer gets those parts answered and the referral offered.
    if (q.kind === 'escalate' && answer.outcome === 'answered' && answer.escalation) right = true;
    if (q.kind.startsWith('answer')) {
      const refs = (retrieval?.passages ?? []).map((p) => p.chunk);
      const articles = shortKeys(refs);
      const rank = rankOfExpected(q.expect, refs);
      score.ranked++;
      if (rank === 1) score.hit1++;
      if (rank >= 1 && rank <= 5) score.hit5++;
      if (rank >= 1) score.rr += 1 / rank;
      // An answer counts as right only when it also cites an expected article.
      right &&= cites(q.expect);
      if (rank !== 1) score.misses.push(`${q.id} rank ${rank || '-'} want ${q.expect.join('/')} got ${articles.slice(0, 5).join(',')}  ${q.q}`);
    }
    if (q.kind === 'clarify') right &&= answer.citations.length === 0 && /[?？]/.test(firstLine(answer.answer));
    if (q.kind === 'not_stated') right &&= SAYS_MISSING.test(firstLine(answer.answer)) && (!q.expect.length || cites(q.expect));
    if (q.kind === 'escalate' && answer.outcome === 'escalation_offered') {
      score.basis.total++;
      const basisRight = q.expect.length ? answer.citations.length === 0 || cites(q.expect) : answer.citations.length === 0;
      if (basisRight) score.basis.right++;
      else score.misses.push(`${q.id} basis cites ${cited} want ${q.expect.join('/') || 'none'}  ${q.q}`);
    }
    if (q.key?.length) {
      score.keyed.judged++;
      if (answer.outcome === 'answered') {
        score.keyed.answered++;
        if (q.key.some((k) => firstLine(answer.answer).includes(k))) score.keyed.withKey++;
        else score.misses.push(`${q.id} first line lacks ${q.key.join('/')}: ${firstLine(answer.answer).slice(0, 80)}`);
      }
    }
    if (answer.outcome === 'answered') score.answerLengths.push(charCount(answer.answer));
    const k = score.kinds.get(q.kind) ?? { right: 0, total: 0 };
    k.total++;
    if (right) k.right++;
    else score.misses.push(`${q.id} ${q.kind} → ${answer.outcome} (conf ${answer.confidence}; cites ${cited})  ${q.q}`);
    score.kinds.set(q.kind, k);
  }
  score.answerLengths.sort((a, b) => a - b);
  score.latencies.sort((a, b) => a - b);
  return score;
}

/** Distinct articles, best first: the seed's by their numeral alone, other documents' as docId#article. */
function shortKeys(refs: ArticleRef[]): string[] {
  return rankedArticles(refs).map((a) => a.replace(`${SEED_DOCUMENT}#`, ''));
}

/** The value at quantile `x` (0…1) of sorted numbers; 0 for none. */
export function quantile(sorted: number[], x: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))]!;
}

export function outcomesRight(score: SetScore): number {
  return [...score.kinds.values()].reduce((a, k) => a + k.right, 0);
}
