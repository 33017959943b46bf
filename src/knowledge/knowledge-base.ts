import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Chunk, DocumentMeta, Passage } from '../types.js';
import { Bm25Index, type Bm25Data } from './bm25.js';
import { chunkDocument } from './chunk.js';
import { HashingEmbedder, type Embedder } from './embedder.js';
import { DICTIONARY_FILE, THESAURUS_FILE, listDocumentFiles, loadKnowledge, type LoadProblem } from './load.js';
import { analyzeQuery, coverage, type AnalyzedQuery } from './query.js';
import { Thesaurus } from './thesaurus.js';
import { Tokenizer } from './tokenizer.js';
import { VectorIndex } from './vector-index.js';

/** Bump when the cache layout changes. */
const INDEX_FORMAT = 3;
const CODE_DIR = path.dirname(fileURLToPath(import.meta.url));
/** Candidates taken from each retriever before fusion. */
const CANDIDATES = 50;
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
}

interface CacheFile {
  format: number;
  fingerprint: string;
  documents: DocumentMeta[];
  chunks: Chunk[];
  problems: LoadProblem[];
  bm25: Bm25Data;
  dimensions: number;
}

/**
 * The searchable knowledge: documents, their chunks, a BM25 index over jieba terms and an HNSW index over
 * embeddings, fused by reciprocal rank. Built from the knowledge folder, cached on disk and rebuilt only
 * when a file in the folder (or the embedder) changes.
 */
/** What building produces and the cache stores. */
interface Index {
  documents: DocumentMeta[];
  chunks: Chunk[];
  problems: LoadProblem[];
  bm25: Bm25Index;
  vectors: VectorIndex;
}

/** What reads queries: rebuilt from the knowledge folder on every open (cheap), never cached. */
interface QueryTools {
  tokenizer: Tokenizer;
  thesaurus: Thesaurus;
  embedder: Embedder;
}

export class KnowledgeBase {
  readonly documents: DocumentMeta[];
  readonly chunks: Chunk[];
  /** Files (documents, thesaurus) that could not be read; reported, never silently skipped. */
  readonly problems: LoadProblem[];
  /** Words of the user dictionary: the domain's own vocabulary. */
  readonly vocabulary: string[];
  private readonly documentsById: Map<string, DocumentMeta>;
  /** Position in `documents` of each chunk's document, for per-query document filters. */
  private readonly chunkDocument: Uint32Array;

  private constructor(
    private readonly index: Index,
    private readonly tools: QueryTools,
    dictionary: string,
    /** How the index came to be: built now, or read from the cache. */
    readonly origin: { source: 'built' | 'cache'; ms: number; fingerprint: string },
  ) {
    this.documents = index.documents;
    this.chunks = index.chunks;
    this.problems = [...index.problems, ...tools.thesaurus.problems.map((message) => ({ file: THESAURUS_FILE, message }))];
    this.vocabulary = vocabularyOf(dictionary);
    this.documentsById = new Map(index.documents.map((d) => [d.id, d]));
    const position = new Map(index.documents.map((d, i) => [d.id, i]));
    this.chunkDocument = Uint32Array.from(index.chunks, (c) => position.get(c.documentId) ?? 0);
  }

  static async open(options: KnowledgeBaseOptions): Promise<KnowledgeBase> {
    const started = performance.now();
    const { knowledgeDir } = options;
    const dictionary = await readOptional(path.join(knowledgeDir, DICTIONARY_FILE));
    const tokenizer = new Tokenizer(dictionary);
    const tools: QueryTools = {
      tokenizer,
      thesaurus: Thesaurus.parse(await readOptional(path.join(knowledgeDir, THESAURUS_FILE))),
      embedder: options.embedder ?? new HashingEmbedder((t) => tokenizer.terms(t)),
    };
    const fingerprint = await fingerprintOf(knowledgeDir, tools.embedder.id);
    const origin = (source: 'built' | 'cache') => ({ source, ms: performance.now() - started, fingerprint });

    const cacheDir = options.cacheDir ? path.join(options.cacheDir, fingerprint.slice(0, 16)) : undefined;
    const cached = cacheDir ? await readCache(cacheDir, fingerprint) : undefined;
    if (cached) return new KnowledgeBase(cached, tools, dictionary, origin('cache'));

    const index = await build(knowledgeDir, tools);
    if (options.cacheDir && cacheDir) await writeCache(options.cacheDir, cacheDir, fingerprint, index);
    return new KnowledgeBase(index, tools, dictionary, origin('built'));
  }

  /** Whether any document names `text` in its metadata or body. */
  mentions(text: string): boolean {
    return this.documents.some((d) => `${d.title}${d.region ?? ''}${d.issuers.join('')}`.includes(text)) || this.chunks.some((c) => c.text.includes(text));
  }

  document(id: string): DocumentMeta | undefined {
    return this.documentsById.get(id);
  }

  analyze(question: string): AnalyzedQuery {
    return analyzeQuery(question, this.tools.tokenizer, this.tools.thesaurus, (t) => this.index.bm25.idf(t));
  }

  /**
   * The best `limit` passages for a question, fused from BM25 and vector search (weighted reciprocal rank),
   * best first. `options.accept` filters inside both searches, so a corpus of near-identical documents of
   * other cities cannot crowd the accepted ones out of the candidates. The first candidates are then re-ranked
   * by how much of the question they cover: within a near-tie of fused scores the passage that covers
   * clearly more goes first (adding documents shifts IDF, and with it near-ties, arbitrarily).
   */
  async retrieve(question: string, limit = 5, options: RetrieveOptions = {}): Promise<Retrieval> {
    const query = this.analyze(question);
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
    if (options.weight) {
      const weights = this.documents.map((d) => options.weight!(d));
      for (const [chunk, score] of fused) fused.set(chunk, score * weights[this.chunkDocument[chunk]!]!);
    }
    const ranked = [...fused]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit * 2)
      .map(([index, score]) => {
        const chunk = this.chunks[index]!;
        return { chunk, score, coverage: coverage(query.groups, searchableText(chunk)) };
      });
    const passages = rerank(ranked, options.prefer, (p) => this.documentsById.get(p.chunk.documentId)!).slice(0, limit);
    return { query, passages };
  }
}

/** Fused scores within this share of each other are a tie for re-ranking. */
const NEAR_TIE = 0.05;
/** In a tie, a passage must cover this much more of the question to go first. */
const COVERAGE_MARGIN = 0.1;

/** Coverage re-ranking by adjacent swaps until stable (the lists are short). */
function rerank(passages: Passage[], prefer: RetrieveOptions['prefer'], docOf: (p: Passage) => DocumentMeta): Passage[] {
  const out = [...passages];
  const preferred = out.map((p) => prefer?.doc(docOf(p)) ?? false);
  for (let moved = true; moved; ) {
    moved = false;
    for (let i = 0; i + 1 < out.length; i++) {
      const [a, b] = [out[i]!, out[i + 1]!];
      // Coverage never moves a passage of a document that is not preferred (guidance) past one that is.
      const covers = b.score >= a.score * (1 - NEAR_TIE) && b.coverage > a.coverage + COVERAGE_MARGIN && !(preferred[i] && !preferred[i + 1]);
      const ranks = prefer !== undefined && !preferred[i] && preferred[i + 1] && b.coverage >= prefer.ratio * a.coverage;
      if (!covers && !ranks) continue;
      [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      [preferred[i], preferred[i + 1]] = [preferred[i + 1]!, preferred[i]!];
      moved = true;
    }
  }
  return out;
}

async function build(knowledgeDir: string, { tokenizer, embedder }: QueryTools): Promise<Index> {
  const { documents, problems } = await loadKnowledge(knowledgeDir);
  const chunks = documents.flatMap(chunkDocument);
  const metaById = new Map(documents.map((d) => [d.meta.id, d.meta]));
  const bm25 = Bm25Index.build(chunks.map((c) => tokenizer.terms(indexText(c, metaById.get(c.documentId)!))));
  const vectors = VectorIndex.build(await embedder.embed(chunks.map((c) => `${c.heading}\n${c.text}`)));
  return { documents: documents.map((d) => d.meta), chunks, problems, bm25, vectors };
}

/**
 * What BM25 indexes for a chunk: heading twice (it names the topic), text, departments. The issuing block
 * stands for the document itself, so it also carries the metadata in words people ask with.
 */
function indexText(chunk: Chunk, meta: DocumentMeta): string {
  const parts = [chunk.heading, chunk.heading, chunk.text, chunk.departments.join(' ')];
  if (chunk.id.endsWith('#header')) {
    parts.push(`${meta.title} 发文机关 联合印发 印发单位 ${meta.issuers.join(' ')} 文号 ${meta.docNumber ?? ''} 发布日期 成文日期 ${meta.issueDate}`);
  }
  return parts.join('\n');
}

/** The text coverage is measured against. */
export function searchableText(chunk: Chunk): string {
  return `${chunk.section}\n${chunk.text}\n${chunk.departments.join('、')}`;
}

function vocabularyOf(dictionary: string): string[] {
  return dictionary
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/)[0]!);
}

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/**
 * Hash of every file that shapes the index: the documents, the dictionary, the embedder's id and the
 * indexing code itself (this folder), so an upgrade never serves an index built by older code.
 */
async function fingerprintOf(dir: string, embedderId: string): Promise<string> {
  const hash = createHash('sha256').update(`format:${INDEX_FORMAT}\nembedder:${embedderId}\n`);
  for (const file of (await readdir(CODE_DIR)).sort()) hash.update(await readFile(path.join(CODE_DIR, file)));
  for (const file of [...(await listDocumentFiles(dir)), DICTIONARY_FILE]) {
    hash.update(`${file}\n`).update(await readOptional(path.join(dir, file))).update('\n');
  }
  return hash.digest('hex');
}

async function readCache(dir: string, fingerprint: string): Promise<Index | undefined> {
  try {
    const file = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as CacheFile;
    if (file.format !== INDEX_FORMAT || file.fingerprint !== fingerprint) return undefined;
    const vectors = await VectorIndex.read(path.join(dir, 'vectors.hnsw'), file.dimensions, file.chunks.length);
    return { documents: file.documents, chunks: file.chunks, problems: file.problems, bm25: Bm25Index.fromJSON(file.bm25), vectors };
  } catch {
    return undefined; // missing or damaged cache: rebuild
  }
}

/** Writes into a temporary folder and renames it, so a crash never leaves a half-written cache; drops older caches. */
async function writeCache(root: string, dir: string, fingerprint: string, index: Index): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const file: CacheFile = { format: INDEX_FORMAT, fingerprint, documents: index.documents, chunks: index.chunks, problems: index.problems, bm25: index.bm25.toJSON(), dimensions: index.vectors.dimensions };
  await writeFile(path.join(tmp, 'index.json'), JSON.stringify(file));
  await index.vectors.write(path.join(tmp, 'vectors.hnsw'));
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  for (const entry of await readdir(root)) {
    if (path.join(root, entry) !== dir && !entry.includes('.tmp-')) await rm(path.join(root, entry), { recursive: true, force: true });
  }
}
