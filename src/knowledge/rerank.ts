/**
 * Ordering the candidates of a search by what makes a passage answer a question, in any document: how well
 * it matches lexically and in vector space, how much of the question's known words its own text holds
 * (its chapter title counts apart, as context), whether it is about the question's field of IP, whether it
 * states what kind of thing is asked (a period, an amount, a body), and what kind of document it is in (a
 * statute, an implementing regulation, guidance). The weights are a linear model fitted by
 * `npm run bench:rerank` on question sets split by document (the documents of the held-out set are never
 * used to fit it); they name no document and no phrase of one.
 */
import type { Chunk, DocumentMeta } from '../types.js';
import { fieldsOf, documentFields, type IpField } from './ip-fields.js';
import { coverage, type AnalyzedQuery, type TermGroup } from './query.js';
import { LOCAL_LEVELS } from './applicability.js';
import { sentencesOf } from './sentences.js';
import { normalize } from './tokenizer.js';


export const FEATURES = [
  'fused',
  'bm25',
  'lexRank',
  'dense',
  'coverage',
  'known',
  'sentence',
  'withTitle',
  'chapter',
  'bigrams',
  'field',
  'otherField',
  'states',
  'guidance',
  'statute',
  'implementing',
  'header',
  'length',
  'localAsked',
  'localUnasked',
] as const;
export type Feature = (typeof FEATURES)[number];
export type Features = Record<Feature, number>;

/** Fitted by bench/train-rerank.ts (see its header for the sets and the split); re-fit when features change. */
export const WEIGHTS: Features = {
  fused: 0.767,
  bm25: 1.610,
  lexRank: 1.311,
  dense: 0.766,
  coverage: 1.324,
  known: 1.114,
  sentence: 1.391,
  withTitle: 1.175,
  chapter: -0.102,
  bigrams: 1.016,
  field: 0.822,
  otherField: -0.822,
  states: 1.077,
  guidance: -0.062,
  statute: 0.352,
  implementing: -0.773,
  header: -0.157,
  length: -0.117,
  localAsked: 2.073,
  localUnasked: 0.341,
};

export function scoreOf(f: Features, weights: Features = WEIGHTS): number {
  let s = 0;
  for (const k of FEATURES) s += weights[k] * f[k];
  return s;
}

/** What is known of the question once, for every candidate. */
export interface QuestionView {
  query: AnalyzedQuery;
  /** The question's topic words the knowledge uses: words it never uses cannot be covered by any passage. */
  known: TermGroup[];
  fields: IpField[];
  /** Han character pairs of the question's known words, for partial matches jieba cuts differently. */
  bigrams: string[];
}

/**
 * `isKnown`: whether the knowledge uses a word; `asks`: whether a word only asks (多久, 时间, 多少钱) rather
 * than names what the question is about: such words are left out of what a passage must cover.
 */
export function viewOf(query: AnalyzedQuery, isKnown: (g: TermGroup) => boolean, asks: (word: string) => boolean = () => false): QuestionView {
  const known = query.groups.filter((g) => isKnown(g) && !asks(g.word));
  const bigrams = new Set<string>();
  for (const g of known) for (const run of g.word.match(/\p{Script=Han}{2,}/gu) ?? []) for (let i = 0; i + 1 < run.length; i++) bigrams.add(run.slice(i, i + 2));
  return { query, known, fields: fieldsOf(query.text), bigrams: [...bigrams] };
}

export interface CandidateSignals {
  chunk: Chunk;
  doc: DocumentMeta;
  /** Own text: label, heading, words and departments, without the chapter. */
  ownText: string;
  /** Reciprocal-rank fusion of the lexical and vector rankings, and the best of the pool. */
  fused: number;
  maxFused: number;
  bm25: number;
  maxBm25: number;
  /** 0-based rank in the BM25 list, or undefined when BM25 did not find it. */
  lexRank?: number;
  dense: number;
  /** Whether it states what kind of thing the question asks for (undefined: nothing of that kind asked). */
  states?: boolean;
  /** Whether the question asks what a place provides or what can be done there (its services, its policy). */
  asksLocal?: boolean;
}

/** A statute (…法), as its title names it; an implementing regulation (实施细则, 实施条例). */
const STATUTE = /(?<!办)法(（[^）]*）)?$/;
const IMPLEMENTING = /实施(细则|条例|办法)/;
const LONG_ARTICLE = 700;

/** A document's fields, read once per document rather than once per candidate of every question. */
const fieldsOfDocument = new WeakMap<DocumentMeta, IpField[]>();

export function featuresOf(v: QuestionView, c: CandidateSignals): Features {
  let docFields = fieldsOfDocument.get(c.doc);
  if (!docFields) fieldsOfDocument.set(c.doc, (docFields = documentFields(c.doc)));
  // A general document (customs rules, a city's IP policy) answers every field alike: it fits as a
  // document of the question's own field does.
  const shared = v.fields.length > 0 && (docFields.length === 0 || docFields.some((f) => v.fields.includes(f)));
  const other = v.fields.length > 0 && docFields.length > 0 && !shared;
  const haystack = normalize(c.ownText);
  const bigrams = v.bigrams.length ? v.bigrams.filter((b) => haystack.includes(b)).length / v.bigrams.length : 0;
  return {
    fused: c.maxFused > 0 ? c.fused / c.maxFused : 0,
    bm25: c.maxBm25 > 0 ? c.bm25 / c.maxBm25 : 0,
    lexRank: c.lexRank === undefined ? 0 : 1 / (1 + c.lexRank),
    dense: Math.max(0, c.dense),
    coverage: coverage(v.query.groups, c.ownText),
    known: v.known.length ? coverage(v.known, c.ownText) : 0,
    // The words asked about together in one sentence of the passage, not scattered over a long article.
    sentence: v.known.length ? Math.max(0, ...sentencesOf(c.ownText).map((s) => coverage(v.known, s))) : 0,
    // The document's title is the context every article shares (商标法 articles rarely say 商标).
    withTitle: v.known.length ? coverage(v.known, `${c.doc.title}\n${c.ownText}`) : 0,
    chapter: c.chunk.chapter && v.known.length ? coverage(v.known, c.chunk.chapter) : 0,
    bigrams,
    field: shared ? 1 : 0,
    otherField: other ? 1 : 0,
    states: c.states ? 1 : 0,
    guidance: c.doc.level === 'guidance' ? 1 : 0,
    statute: STATUTE.test(c.doc.title) ? 1 : 0,
    implementing: IMPLEMENTING.test(c.doc.title) ? 1 : 0,
    header: c.chunk.article === 'header' ? 1 : 0,
    length: Math.min(1, c.chunk.text.length / LONG_ARTICLE),
    // A local document answers what a place provides; what the law says, national law answers.
    localAsked: LOCAL_LEVELS.has(c.doc.level ?? '') && c.asksLocal ? 1 : 0,
    localUnasked: LOCAL_LEVELS.has(c.doc.level ?? '') && !c.asksLocal ? 1 : 0,
  };
}
