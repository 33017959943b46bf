import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Chunk, DocumentMeta, Passage } from '../types.js';
import { Glosses } from './glosses.js';
import { HashingEmbedder, type Embedder } from './embedder.js';
import { buildIndex, type BuildProgress, type DocumentSource, type Index, type QueryTools } from './index-build.js';
import { fingerprintOf, readCache, writeCache } from './index-cache.js';
import { DICTIONARY_FILE, THESAURUS_FILE, readOptional, type LoadProblem } from './load.js';
import { analyzeQuery, type AnalyzedQuery, type TermGroup } from './query.js';
import { referenceMap } from './references.js';
import { featuresOf, scoreOf, viewOf, type Features } from './rerank.js';
import { Speller } from './speller.js';
import { Thesaurus } from './thesaurus.js';
import { Tokenizer } from './tokenizer.js';

/** Candidates taken from each retriever before fusion. */
const CANDIDATES = 50;
/** Fused candidates the re-ranking model orders. */
const POOL = 50;
/** A passage stating what is asked moves first from this far down, when its score is this close (logits). */
const STATING_WITHIN = 10;
const STATING_MARGIN = 1.5;
/** An article a guide cites says the same thing when it covers at least this share of what the guide covers. */
const SAME_THING = 0.6;
/** Words of the same meaning a question's word is matched through, at most. */
const MAX_RELATED = 4;
/** Reciprocal-rank-fusion constant; 60 is the usual value from the original paper. */
const RRF_K = 60;
/** Weight of the BM25 ranking in the fusion; the dense ranking weighs what its embedder declares. */
const LEXICAL_WEIGHT = 1;

export interface KnowledgeBaseOptions {
  knowledgeDir: string;
  /** Where the built index is cached; omit to build in memory every time. */
  cacheDir?: string;
  /** Defaults to the offline hashing embedder. */
  embedder?: Embedder;
  /** Told how a build advances (not called when the index comes from the cache). */
  onProgress?: BuildProgress;
}

export interface Retrieval {
  query: AnalyzedQuery;
  passages: Passage[];
}

/** Which documents a retrieval may return, and how much each counts (src/knowledge/applicability.ts builds these). */
export interface RetrieveOptions {
  /** Documents that may answer; the others are left out inside both retrievers, before the cut to `limit`. */
  accept?: (doc: DocumentMeta) => boolean;
  /** Multiplies the fused score of a document's passages (1 = unchanged). */
  weight?: (doc: DocumentMeta) => number;
  /**
   * A passage of a preferred document moves ahead of another document's passage when it covers at least
   * `ratio` as much of the question (policy text ahead of guidance that says the same).
   */
  prefer?: { doc: (doc: DocumentMeta) => boolean; ratio: number };
  /** Whether a word of the question only asks (多久, 多少钱) rather than names its topic. */
  asks?: (word: string) => boolean;
  /** Whether the question asks what a place provides or what can be done (a local document's services). */
  asksLocal?: boolean;
  /** Whether a passage states what kind of thing the question asks (a period for 多久, a body for 找谁). */
  states?: (chunk: Chunk) => boolean;
  /** Search in the question's own words: no dictionary senses (扣 → 扣留) for words the documents never use. */
  literal?: boolean;
  /** Shown every candidate the model ordered, with its features (for fitting the model). */
  inspect?: (pool: { chunk: Chunk; features: Features; offset: number }[]) => void;
}

/** How a knowledge base came to be. */
export interface Origin {
  /** Built now, or read from the cache. */
  source: 'built' | 'cache';
  ms: number;
  /** Hash of what shapes the index (documents, dictionary, embedder, code). */
  fingerprint: string;
  /** The index fingerprint plus the thesaurus: changes whenever anything in the knowledge folder that answers depend on does. */
  version: string;
}

/**
 * The searchable knowledge: documents, their chunks, a BM25 index over jieba terms and an HNSW index over
 * embeddings, fused by reciprocal rank. Built from the knowledge folder (`index-build.ts`), cached on disk
 * (`index-cache.ts`) and rebuilt only when a file in the folder (or the embedder) changes. Immutable: a
 * change to the folder makes a new KnowledgeBase (`live-knowledge.ts` swaps them).
 */
export class KnowledgeBase {
  readonly documents: DocumentMeta[];
  readonly chunks: Chunk[];
  /** Where each document came from, with a hash of its content. */
  readonly sources: DocumentSource[];
  /** Files (documents, thesaurus) that could not be read; reported, never silently skipped. */
  readonly problems: LoadProblem[];
  /** Words of the user dictionary: the domain's own vocabulary. */
  readonly vocabulary: string[];
  private readonly documentsById: Map<string, DocumentMeta>;
  /** Position in `documents` of each chunk's document, for per-query document filters. */
  private readonly chunkDocument: Uint32Array;
  /** Chunk index → the chunks of other documents it points to (a guide item → the law articles it explains). */
  private readonly references: Map<number, number[]>;
  /** Made on the first question: reading the vocabulary's pinyin takes a moment nobody should wait for at start. */
  private speller?: Speller;
  /** The documents' words by the dictionary senses they share (扣 → 扣留), for words the documents never use. */
  private readonly glosses: Glosses;

  private constructor(
    private readonly index: Index,
    private readonly tools: QueryTools,
    dictionary: string,
    readonly origin: Origin,
  ) {
    this.documents = index.documents;
    this.chunks = index.chunks;
    this.sources = index.sources;
    this.problems = [...index.problems, ...tools.thesaurus.problems.map(thesaurusProblem)];
    this.vocabulary = vocabularyOf(dictionary);
    this.documentsById = new Map(index.documents.map((d) => [d.id, d]));
    this.glosses = new Glosses(index.glosses);
    const position = new Map(index.documents.map((d, i) => [d.id, i]));
    this.chunkDocument = Uint32Array.from(index.chunks, (c) => position.get(c.documentId) ?? 0);
    this.references = referenceMap(index.chunks, index.documents);
  }

  static async open(options: KnowledgeBaseOptions): Promise<KnowledgeBase> {
    const started = performance.now();
    const { knowledgeDir } = options;
    const dictionary = await readOptional(path.join(knowledgeDir, DICTIONARY_FILE));
    const thesaurus = await readOptional(path.join(knowledgeDir, THESAURUS_FILE));
    const tokenizer = new Tokenizer(dictionary);
    const tools: QueryTools = {
      tokenizer,
      thesaurus: Thesaurus.parse(thesaurus),
      embedder: options.embedder ?? new HashingEmbedder((t) => tokenizer.terms(t)),
    };
    const fingerprint = await fingerprintOf(knowledgeDir, tools.embedder.id);
    const version = createHash('sha256').update(fingerprint).update('\n').update(thesaurus).digest('hex');
    const origin = (source: Origin['source']): Origin => ({ source, ms: performance.now() - started, fingerprint, version });

    const cached = options.cacheDir ? await readCache(options.cacheDir, fingerprint) : undefined;
    if (cached) return new KnowledgeBase(cached, tools, dictionary, origin('cache'));

    const index = await buildIndex(knowledgeDir, tools, options.onProgress);
    if (options.cacheDir) await writeCache(options.cacheDir, fingerprint, index);
    return new KnowledgeBase(index, tools, dictionary, origin('built'));
  }

  /** This snapshot. `LiveKnowledge` has the same method returning its latest one, so either can feed consult(). */
  current(): KnowledgeBase {
    return this;
  }

  /** Whether any document names `text` in its metadata or body. */
  mentions(text: string): boolean {
    return this.documents.some((d) => `${d.title}${d.region ?? ''}${d.issuers.join('')}`.includes(text)) || this.chunks.some((c) => c.text.includes(text));
  }

  /** The articles of other documents an article points to (a guide item → the law it explains). */
  pointsTo(documentId: string, article: string): { documentId: string; article: string }[] {
    const at = this.chunks.findIndex((c) => c.documentId === documentId && c.article === article);
    return (this.references.get(at) ?? []).map((i) => ({ documentId: this.chunks[i]!.documentId, article: this.chunks[i]!.article }));
  }

  document(id: string): DocumentMeta | undefined {
    return this.documentsById.get(id);
  }

  /** The question with homophone typos (续站, 实用新形) read as the knowledge's own words. */
  correct(question: string): string {
    this.speller ??= new Speller(
      [...this.index.bm25.vocabulary, ...this.vocabulary, ...this.tools.thesaurus.words()],
      (w) => this.index.bm25.docFrequency(w),
      (phrase) => this.chunks.some((c) => c.text.includes(phrase)),
    );
    return this.speller.correct(question, this.tools.tokenizer).text;
  }

  analyze(question: string, literal = false): AnalyzedQuery {
    return analyzeQuery(question, this.tools.tokenizer, this.tools.thesaurus, (t) => this.index.bm25.idf(t), literal ? undefined : (w) => this.related(w));
  }

  /**
   * The best `limit` passages for a question, fused from BM25 and vector search (weighted reciprocal rank),
   * best first. `options.accept` filters inside both searches, so a corpus of near-identical documents of
   * other cities cannot crowd the accepted ones out of the candidates. The first candidates are then re-ranked
   * by how much of the question they cover: within a near-tie of fused scores the passage that covers
   * clearly more goes first (adding documents shifts IDF, and with it near-ties, arbitrarily).
   */
  async retrieve(question: string, limit = 5, options: RetrieveOptions = {}): Promise<Retrieval> {
    const query = this.analyze(question, options.literal);
    // A remote embedder that fails at query time costs the dense ranking, not the answer.
    const vector = await this.tools.embedder.embedQuery(query.expanded).catch(() => undefined);
    const accepted = options.accept && this.documents.map((d) => options.accept!(d));
    const filter = accepted ? (chunk: number) => accepted[this.chunkDocument[chunk]!]! : undefined;
    const lexical = this.index.bm25.search(query.terms, CANDIDATES, filter);
    const dense = vector ? this.index.vectors.search(vector, CANDIDATES, filter) : [];
    const fused = new Map<number, number>();
    lexical.forEach((h, rank) => fused.set(h.index, (fused.get(h.index) ?? 0) + LEXICAL_WEIGHT / (RRF_K + rank + 1)));
    dense.forEach((h, rank) => {
      if (h.similarity > 0) fused.set(h.index, (fused.get(h.index) ?? 0) + this.tools.embedder.fusionWeight / (RRF_K + rank + 1));
    });

    // The fused candidates are ordered by the re-ranking model; the document weights (guidance below policy
    // for a question about the policy) apply on top, as a decision rather than a fitted signal.
    const lexRank = new Map(lexical.map((h, rank) => [h.index, { rank, score: h.score }]));
    const similarity = new Map(dense.map((h) => [h.index, h.similarity]));
    const view = viewOf(query, (g) => this.knows(g), options.asks);
    const maxBm25 = lexical[0]?.score ?? 0;
    const maxFused = Math.max(0, ...fused.values());
    const candidate = (index: number) => {
      const chunk = this.chunks[index]!;
      const doc = this.documents[this.chunkDocument[index]!]!;
      const ownText = searchableText(chunk);
      const lex = lexRank.get(index);
      const features = featuresOf(view, {
        chunk,
        doc,
        ownText,
        fused: fused.get(index) ?? 0,
        maxFused,
        bm25: lex?.score ?? 0,
        maxBm25,
        lexRank: lex?.rank,
        dense: similarity.get(index) ?? 0,
        states: options.states?.(chunk),
        asksLocal: options.asksLocal,
      });
      const logit = scoreOf(features) + Math.log(options.weight?.(doc) ?? 1);
      return { index, chunk, features, logit, coverage: features.coverage };
    };
    const pool = [...fused]
      .sort((a, b) => b[1] - a[1])
      .slice(0, POOL)
      .map(([index]) => candidate(index))
      .sort((a, b) => b.logit - a.logit);
    // A question that names its field of IP is answered from that field's documents (or general ones); a
    // trademark article answers a patent question only when nothing else does.
    if (pool.some((p) => !p.features.otherField)) pool.sort((a, b) => a.features.otherField - b.features.otherField);
    // What a question asks has a shape (a period for 多久, a body for 找谁): a passage that states one goes
    // ahead of a better lexical match that does not, when the model finds it nearly as likely.
    const stating = pool.findIndex((p, i) => i < STATING_WITHIN && p.features.states > 0);
    if (stating > 0 && !pool[0]!.features.states && pool[0]!.logit - pool[stating]!.logit <= STATING_MARGIN) pool.unshift(...pool.splice(stating, 1));
    this.lawBeforeItsExplanation(pool, limit * 2, (index) => (!filter || filter(index) ? candidate(index) : undefined));
    options.inspect?.(pool.map(({ chunk, features, logit }) => ({ chunk, features, offset: logit - scoreOf(features) })));
    const top = pool[0]?.logit ?? 0;
    // Scores relative to the best (1): a passage at 0.85 is one the model finds nearly as likely.
    const ranked = pool.slice(0, limit * 2).map((p) => ({ chunk: p.chunk, score: Math.exp(p.logit - top), coverage: p.coverage }));
    const passages = rerank(ranked, options.prefer, (p) => this.documentsById.get(p.chunk.documentId)!).slice(0, limit);
    return { query, passages };
  }

  /**
   * A passage that points to the articles it explains (a guide's （依据：《商标法》第四十条）) is preceded by
   * the best of those articles: the law is cited first and the guide explains it. The article is taken from
   * the candidates, or brought in when the search did not find it (the guide's plain words matched, the
   * law's did not).
   */
  private lawBeforeItsExplanation<T extends { index: number; logit: number; coverage: number; features: Features }>(pool: T[], within: number, make: (index: number) => T | undefined): void {
    for (let i = 0; i < Math.min(within, pool.length); i++) {
      const targets = this.references.get(pool[i]!.index);
      if (!targets) continue;
      const at = (t: number) => pool.findIndex((p) => p.index === t);
      if (targets.some((t) => { const j = at(t); return j >= 0 && j < i; })) continue;
      // They say the same thing only when the article states what is asked wherever the explanation does.
      const explains = pool[i]!;
      const options = targets
        .map((t) => pool[at(t)] ?? make(t))
        .filter((p): p is T => p !== undefined && (p.features.states > 0 || !explains.features.states) && p.coverage >= SAME_THING * explains.coverage);
      const best = options.sort((a, b) => b.coverage - a.coverage || b.logit - a.logit)[0];
      if (!best) continue;
      const j = pool.indexOf(best);
      if (j >= 0) pool.splice(j, 1);
      pool.splice(i, 0, { ...best, logit: Math.max(best.logit, pool[i]!.logit) });
      i++; // the explanation now follows its article
    }
  }

  /**
   * The knowledge's words that mean what a word it never uses means, through the dictionary's senses: the
   * word's own, or else those of its verb characters (能告 → 告); an English word through its senses (detain → 扣留).
   */
  private related(word: string): string[] {
    if (/^[a-z][a-z-]+$/.test(word)) return this.glosses.translations(word).slice(0, MAX_RELATED);
    const own = this.glosses.synonyms(word);
    if (own.length) return own.slice(0, MAX_RELATED);
    return this.tools.tokenizer.contentCharacters(word).flatMap((ch) => this.glosses.synonyms(ch).slice(0, MAX_RELATED));
  }

  /** Words of a text that name a thing the documents never speak of (天气, 股票), rather than a verb or a function word. */
  unknownNames(text: string): string[] {
    const light = this.tools.tokenizer.notNames(text);
    return this.analyze(text)
      .groups.filter((g) => !this.knows(g) && !g.related.length && !light.has(g.word))
      .map((g) => g.word);
  }

  /** Whether the knowledge uses a word of a question (itself, a synonym, or a part of two or more characters). */
  private knows(g: TermGroup): boolean {
    const bm25 = this.index.bm25;
    return g.synonyms.length > 0 || bm25.docFrequency(g.word) > 0 || g.parts.some((p) => p.length > 1 && bm25.docFrequency(p) > 0);
  }
}

/** Policy text ahead of guidance that says the same: adjacent swaps until stable (the lists are short). */
function rerank(passages: Passage[], prefer: RetrieveOptions['prefer'], docOf: (p: Passage) => DocumentMeta): Passage[] {
  if (!prefer) return passages;
  const out = [...passages];
  const preferred = out.map((p) => prefer.doc(docOf(p)));
  for (let moved = true; moved; ) {
    moved = false;
    for (let i = 0; i + 1 < out.length; i++) {
      const [a, b] = [out[i]!, out[i + 1]!];
      if (preferred[i] || !preferred[i + 1] || b.coverage < prefer.ratio * a.coverage) continue;
      [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      [preferred[i], preferred[i + 1]] = [preferred[i + 1]!, preferred[i]!];
      moved = true;
    }
  }
  return out;
}

/** A thesaurus line that could not be read ("line 12: …"), as a problem with its line. */
function thesaurusProblem(message: string): LoadProblem {
  const m = /^line (\d+): (.*)$/s.exec(message);
  return m ? { file: THESAURUS_FILE, line: Number(m[1]), message: m[2]!, severity: 'warning' } : { file: THESAURUS_FILE, message, severity: 'warning' };
}

/**
 * The text coverage is measured against: the article's own label, heading and words and its departments.
 * The chapter title is context, not evidence: in 第八章 注册商标的续展、变更、转让和使用许可 every article would
 * otherwise "cover" 续展 and 转让 alike.
 */
export function searchableText(chunk: Chunk): string {
  return `${ownSection(chunk)}\n${chunk.text}\n${chunk.departments.join('、')}`;
}

/** The section without its chapter: `第四十二条 …` of `第五章 … › 第四十二条 …`. */
export function ownSection(chunk: Chunk): string {
  return chunk.chapter && chunk.section.startsWith(chunk.chapter) ? chunk.section.slice(chunk.chapter.length).replace(/^\s*›\s*/, '') : chunk.section;
}

function vocabularyOf(dictionary: string): string[] {
  return dictionary
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/)[0]!);
}
