/**
 * Which approved answer, if any, a new question asks for. Two questions match when each covers the
 * other's informative words: coverage is the knowledge base's own measure (IDF-weighted words of one
 * question found in the other, thesaurus synonyms at 0.9, sub-words partly), taken both ways and averaged.
 * One-way coverage would let a short question ("商标怎么办") match every longer one that contains its
 * words; both ways, the extra topic of either side pulls it down. On the labelled set the mean beat the
 * minimum, the harmonic mean and the offline hashing embedder's cosine (recall 0.81 against 0.76, 0.79 and
 * 0.65 at the lowest threshold each reaches with no false match).
 *
 * The threshold was chosen on a labelled set (eval/approved-matching.jsonl, `npm run bench:approved`):
 * see MATCH_THRESHOLD.
 */
import type { AnalyzedQuery } from '../knowledge/query.js';
import { evidence } from '../knowledge/query.js';

export type Analyzer = (text: string) => AnalyzedQuery;

/**
 * On eval/approved-matching.jsonl (17 approved questions with 51 paraphrases, 51 near misses on the same
 * topics, 20 unrelated questions) 0.70 is the lowest threshold with no false match (precision 1.00, recall
 * 0.81); 0.65 already returns a wrong answer. 0.75 keeps one step of margin (precision 1.00, recall 0.75):
 * a missed paraphrase gets the bot's normal answer, a false match would get another question's answer.
 */
export const MATCH_THRESHOLD = 0.75;

export interface Candidate<T> {
  item: T;
  question: string;
  analyzed: AnalyzedQuery;
}

export interface Match<T> {
  item: T;
  similarity: number;
}

function coverageOf(from: AnalyzedQuery, to: string): number {
  const { found, total } = evidence(from.groups, to);
  return total > 0 ? found / total : 0;
}

/** Symmetric similarity in 0…1 of two analysed questions. */
export function similarity(a: AnalyzedQuery, b: AnalyzedQuery): number {
  if (!a.groups.length || !b.groups.length) return a.text === b.text ? 1 : 0;
  return (coverageOf(a, b.text) + coverageOf(b, a.text)) / 2;
}

export class Matcher<T> {
  private readonly candidates: Candidate<T>[];

  constructor(
    items: { item: T; question: string }[],
    private readonly analyze: Analyzer,
    readonly threshold = MATCH_THRESHOLD,
  ) {
    this.candidates = items.map(({ item, question }) => ({ item, question, analyzed: analyze(question) }));
  }

  get size(): number {
    return this.candidates.length;
  }

  /** The closest candidate at or above the threshold. */
  best(question: string): Match<T> | undefined {
    const top = this.ranked(question)[0];
    return top && top.similarity >= this.threshold ? top : undefined;
  }

  /** Every candidate with its similarity, closest first (for measuring and for the console). */
  ranked(question: string): Match<T>[] {
    if (!this.candidates.length) return [];
    const analyzed = this.analyze(question);
    return this.candidates.map((c) => ({ item: c.item, similarity: similarity(analyzed, c.analyzed) })).sort((x, y) => y.similarity - x.similarity);
  }
}
