/**
 * Building the search index from the knowledge folder: load and convert every document, chunk it along
 * its structure, index the chunks' jieba terms in BM25 and their embeddings in HNSW, and relate the terms by
 * their dictionary senses. Pure work, no cache:
 * `knowledge-base.ts` decides when to build and `index-cache.ts` keeps the result.
 */
import type { Chunk, DocumentMeta } from '../types.js';
import { Bm25Builder, type Bm25Index } from './bm25.js';
import { chunkDocument } from './chunk.js';
import type { Embedder } from './embedder.js';
import { buildGlosses, type GlossData } from './glosses.js';
import { loadKnowledge, type LoadProblem } from './load.js';
import type { Thesaurus } from './thesaurus.js';
import type { Tokenizer } from './tokenizer.js';
import { VectorIndex, yieldToEventLoop } from './vector-index.js';

/** Texts handed to the embedder at once: small enough to report progress, large enough to batch well. */
const EMBED_SLICE = 256;
/** Chunks tokenized between two turns of the event loop (a reloading service keeps answering meanwhile). */
const TOKENIZE_SLICE = 250;

/** Where a document came from and what it became: what `npm run ingest` compares between two indexes. */
export interface DocumentSource {
  id: string;
  /** Path relative to the knowledge folder. */
  file: string;
  /** Hash of the file and its sidecar. */
  hash: string;
  chunks: number;
  /** Distinct articles (一、/第X条), the header counted once. */
  articles: number;
}

/** What building produces and the cache stores. */
export interface Index {
  documents: DocumentMeta[];
  sources: DocumentSource[];
  chunks: Chunk[];
  problems: LoadProblem[];
  bm25: Bm25Index;
  vectors: VectorIndex;
  /** The documents' words by the dictionary senses they share with other words (see glosses.ts). */
  glosses: GlossData;
}

/** What reads queries: rebuilt from the knowledge folder on every open (cheap), never cached. */
export interface QueryTools {
  tokenizer: Tokenizer;
  thesaurus: Thesaurus;
  embedder: Embedder;
}

export type BuildStage = 'read' | 'tokenize' | 'embed' | 'vectors';
/** Called as work advances; `done` of `total` units (files for `read`, chunks otherwise). */
export type BuildProgress = (stage: BuildStage, done: number, total: number) => void;

export async function buildIndex(knowledgeDir: string, { tokenizer, embedder }: QueryTools, onProgress: BuildProgress = () => {}): Promise<Index> {
  const { documents, problems } = await loadKnowledge(knowledgeDir, (done, total) => onProgress('read', done, total));
  const sources: DocumentSource[] = [];
  const chunks: Chunk[] = [];
  for (const doc of documents) {
    const own = chunkDocument(doc);
    chunks.push(...own);
    sources.push({ id: doc.meta.id, file: doc.file, hash: doc.hash, chunks: own.length, articles: new Set(own.map((c) => c.article)).size });
  }
  const metaById = new Map(documents.map((d) => [d.meta.id, d.meta]));

  // Each chunk's terms go into the index at once: at 100 000 chunks, holding every term list first cost GBs.
  const builder = new Bm25Builder();
  for (const [i, c] of chunks.entries()) {
    builder.add(tokenizer.terms(indexText(c, metaById.get(c.documentId)!)));
    if ((i + 1) % TOKENIZE_SLICE === 0) {
      onProgress('tokenize', i + 1, chunks.length);
      await yieldToEventLoop();
    }
  }
  onProgress('tokenize', chunks.length, chunks.length);
  const bm25 = builder.finish();
  const glosses = buildGlosses(bm25.vocabulary);

  const embeddings: Float32Array[] = [];
  for (let i = 0; i < chunks.length; i += EMBED_SLICE) {
    embeddings.push(...(await embedder.embed(chunks.slice(i, i + EMBED_SLICE).map((c) => `${c.heading}\n${c.text}`))));
    onProgress('embed', embeddings.length, chunks.length);
    await yieldToEventLoop();
  }
  const vectors = await VectorIndex.build(embeddings, (done) => onProgress('vectors', done, chunks.length));
  return { documents: documents.map((d) => d.meta), sources, chunks, problems, bm25, vectors, glosses };
}

/**
 * What BM25 indexes for a chunk: heading twice (it names the topic), text, departments, then the document's
 * title and the chapter as context. The issuing block
 * stands for the document itself, so it also carries the metadata in words people ask with.
 */
function indexText(chunk: Chunk, meta: DocumentMeta): string {
  // The document's title and the article's chapter, once, as context: an article of a registration rule
  // rarely repeats 数字作品版权登记, and a search must still find it among the laws' many 登记 articles.
  const parts = [chunk.heading, chunk.heading, chunk.text, chunk.departments.join(' '), meta.title, chunk.chapter ?? ''];
  if (chunk.id.endsWith('#header')) {
    parts.push(`${meta.title} 发文机关 联合印发 印发单位 ${meta.issuers.join(' ')} 文号 ${meta.docNumber ?? ''} 发布日期 成文日期 ${meta.issueDate}`);
  }
  return parts.join('\n');
}
