import type { Thesaurus } from './thesaurus.js';
import { normalize, type Tokenizer } from './tokenizer.js';

/** Expansion terms weigh less than the user's own words: they widen recall without steering the ranking. */
const EXPANSION_WEIGHT = 0.6;

/** One informative word of the question and the other ways the documents may say it. */
export interface TermGroup {
  word: string;
  /** Importance: the word's IDF in the knowledge base. */
  weight: number;
  /** Sub-words of the word (质押保证保险 → 质押, 保证, 保险), matched for partial credit. */
  parts: string[];
  /** Thesaurus expansions the word triggered, matched for near-full credit. */
  synonyms: string[];
  /** The documents' words of the same meaning as a word they never use (扣 → 扣留), for partial credit. */
  related: string[];
}

export interface AnalyzedQuery {
  text: string;
  /** BM25 query: term → weight. */
  terms: Map<string, number>;
  groups: TermGroup[];
  /** Question plus expansions, for the dense embedder. */
  expanded: string;
}

/**
 * A figure the owner states (过期三个月, 晚交了一个月, 2019年) tells their situation, not what to look for: as a
 * search term it pulls whichever article happens to hold the same number (异议 三个月内 for a late renewal).
 * It still counts a little: sometimes it is the law's own condition (三年不使用).
 */
const FIGURE_WEIGHT = 0.3;
const FIGURE = /^(\d+|[零一二三四五六七八九十百千万两半]+)(个月|个|年|月|日|号|天|周|次|件|元|万元)?$/;

/** How much a word the documents never use counts through the documents' words of the same meaning, shared among them. */
const RELATED_WEIGHT = 0.6;
/** How much a passage covers such a word through one of them: less than a thesaurus synonym, which staff vouch for. */
const RELATED_MATCH = 0.6;

/**
 * `related(word)`: the documents' words that mean what a word they never use means (扣 → 扣留, 藏 → 隐匿):
 * an owner's colloquial word is matched through the words the law writes.
 */
export function analyzeQuery(question: string, tokenizer: Tokenizer, thesaurus: Thesaurus, idf: (term: string) => number, related: (word: string) => string[] = () => []): AnalyzedQuery {
  const text = normalize(question).trim();
  const terms = new Map<string, number>();
  for (const t of tokenizer.terms(text)) terms.set(t, Math.max(terms.get(t) ?? 0, FIGURE.test(t) ? FIGURE_WEIGHT : 1));

  const expansions = thesaurus.expand(text);
  for (const { term } of expansions) {
    for (const t of tokenizer.terms(term)) if (!terms.has(t)) terms.set(t, EXPANSION_WEIGHT);
  }

  const functional = tokenizer.functionWords(text);
  const groups: TermGroup[] = [];
  const seen = new Set<string>();
  for (const word of tokenizer.words(text)) {
    if (seen.has(word)) continue;
    seen.add(word);
    const parts = tokenizer.parts(word);
    const synonyms = expansions.filter((e) => overlaps(e.trigger, word)).map((e) => e.term);
    // The thesaurus, when it knows the word, says better what it stands for; function words stand for nothing.
    const same = !synonyms.length && idf(word) >= maxIdf(idf) && !functional.has(word) ? related(word) : [];
    for (const c of same) if (!terms.has(c)) terms.set(c, RELATED_WEIGHT / Math.sqrt(same.length));
    const weight = parts.length && idf(word) >= maxIdf(idf) ? Math.max(...parts.map(idf)) : idf(word);
    groups.push({ word, weight, parts, synonyms, related: same });
  }
  return { text, terms, groups, expanded: [text, ...expansions.map((e) => e.term)].join(' ') };
}

/**
 * How much of the question a text covers: IDF-weighted share of the question's words found in it.
 * A word counts fully when present, 0.9 through a thesaurus synonym, and partly through its sub-words.
 */
export function coverage(groups: TermGroup[], text: string): number {
  const { found, total } = evidence(groups, text);
  return total > 0 ? found / total : 0;
}

/** IDF mass of the question's words found in a text (`found`) and in all (`total`). */
export function evidence(groups: TermGroup[], text: string): { found: number; total: number } {
  const haystack = normalize(text);
  let total = 0;
  let found = 0;
  for (const g of groups) {
    total += g.weight;
    found += g.weight * groupMatch(g, haystack);
  }
  return { found, total };
}

export function groupMatch(g: TermGroup, haystack: string): number {
  if (haystack.includes(g.word)) return 1;
  if (g.synonyms.some((s) => haystack.includes(s))) return 0.9;
  if (g.related.some((s) => haystack.includes(s))) return RELATED_MATCH;
  if (g.parts.length) return (0.8 * g.parts.filter((p) => haystack.includes(p)).length) / g.parts.length;
  return 0;
}

function overlaps(trigger: string, word: string): boolean {
  return trigger.includes(word) || word.includes(trigger);
}

/** The IDF an unseen term gets; a word at that value is unknown to the corpus as a whole. */
function maxIdf(idf: (term: string) => number): number {
  return idf('\u0000unseen');
}
