/**
 * Retrieval benchmark at scale: ip-consult-bot's KnowledgeBase (jieba BM25 + HNSW, RRF) against a plain
 * LangChain hybrid (HNSWLib + BM25Retriever fused by EnsembleRetriever) with the same embedder, chunks and
 * questions, on the shipped knowledge and on synthetic multi-city corpora (bench/synthetic-corpus.ts).
 *
 *   npm run bench:retrieval                               # shipped + 10 000 + 100 000 chunks
 *   BENCH_SIZES=10000 npm run bench:retrieval             # other sizes
 *   BENCH_BASELINE_MAX=10000 npm run bench:retrieval      # skip the LangChain baseline above this size
 *   BENCH_QUERY_BUDGET_MS=180000 …                        # wall-clock cap of one system's query pass
 *   npm run bench:retrieval -- --keep                     # keep the synthetic corpora (paths are printed)
 *
 * Each system and corpus runs in two child processes, so memory is the system's own: one builds the index
 * (and writes its cache), the next loads it from the cache (the warm start) and answers the questions.
 * Reported: hit@5 on the seed questions, hit@5 of the right city's document on questions that name a city,
 * p50/p99 query latency, build time (with its stages for ours), cache load time, peak and resident RSS.
 * Writes bench/results/retrieval.json.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import { BaseRetriever } from '@langchain/core/retrievers';
import { EnsembleRetriever } from '@langchain/classic/retrievers/ensemble';
import { BM25Retriever } from '@langchain/community/retrievers/bm25';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import { HashingEmbedder } from '../src/knowledge/embedder.js';
import { chunkDocument } from '../src/knowledge/chunk.js';
import type { BuildStage } from '../src/knowledge/index-build.js';
import { KnowledgeBase } from '../src/knowledge/knowledge-base.js';
import { listDocumentFiles, loadKnowledge } from '../src/knowledge/load.js';
import { Tokenizer } from '../src/knowledge/tokenizer.js';
import type { Chunk } from '../src/types.js';
import { CITIES, buildSyntheticCorpus, type CityCopy } from './synthetic-corpus.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KNOWLEDGE_DIR = path.join(ROOT, 'knowledge');
const QUESTION_FILES = ['eval/questions.jsonl', 'eval/holdout.jsonl', 'eval/blind-2.jsonl'].map((f) => path.join(ROOT, f));
const RESULTS_FILE = path.join(ROOT, 'bench/results/retrieval.json');
const SEED_ID = 'zibo-ip-service-opinions-2023';
const K = 5;
const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const BASELINE_MAX = Number(process.env.BENCH_BASELINE_MAX ?? Infinity);
/** One system's query pass on one corpus stops after this long (questions are in a shuffled order, so a partial pass is a fair sample). */
const QUERY_BUDGET_MS = Number(process.env.BENCH_QUERY_BUDGET_MS ?? 180_000);
/** After the scored pass, more timed passes until this many queries or half the budget. */
const TIMED_TARGET = 1000;
/** Candidates each LangChain retriever hands to the ensemble (the usual setup: same k as the final list). */
const BASELINE_CANDIDATES = K;

interface Question {
  id: string;
  q: string;
  expect: string[];
  kind: string;
  /** The document that answers it: the seed, or the city copy the question names. */
  documentId: string;
  /** `seed` questions come from the evaluation sets; `city` ones name a city (the hard case). */
  group: 'seed' | 'city';
  /** The region the question names, e.g. 山东省青岛市 (city questions): what region-aware retrieval is given. */
  place?: string;
}

type Hit = { documentId: string; article: string };

/** What a child process reports. */
interface ChildResult {
  ms: number;
  /** Build phase: time per stage (ours) and what the baseline did not pay (load + chunk). */
  stages?: Record<string, number>;
  chunks: number;
  peakRssMb: number;
  rssMb: number;
  heapMb: number;
  /** Query phase. */
  queries?: { scored: number; total: number; hitsSeed: number; seed: number; hitsCity: number; city: number; p50: number; p99: number; timed: number; stoppedEarly: boolean };
}

// ---------------------------------------------------------------------------------------------------------
// The systems

/** Our offline hashing embedder behind LangChain's Embeddings interface. */
class HashingEmbeddings extends Embeddings {
  constructor(private readonly embedder: HashingEmbedder) {
    super({});
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return (await this.embedder.embed(texts)).map((v) => Array.from(v));
  }

  async embedQuery(text: string): Promise<number[]> {
    return Array.from(this.embedder.embedOne(text));
  }
}

/**
 * BM25Retriever splits on whitespace only, so it gets jieba-segmented text; its `preprocessFunc` is private
 * in the typings, so the query is segmented here instead. Results are mapped back to the original Documents
 * because EnsembleRetriever fuses by `pageContent`: without this the two lists would never merge.
 */
class SegmentedBm25Retriever extends BaseRetriever {
  lc_namespace = ['bench', 'retrievers', 'segmented_bm25'];

  constructor(
    private readonly inner: BM25Retriever,
    private readonly tokenizer: Tokenizer,
    private readonly originals: Document[],
  ) {
    super({});
  }

  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    const docs = await this.inner.invoke(this.tokenizer.terms(query).join(' '));
    return docs.map((d) => this.originals[d.metadata.index as number]!);
  }
}

async function langChainTools(knowledgeDir: string) {
  const tokenizer = new Tokenizer(await readFile(path.join(knowledgeDir, 'dictionary.txt'), 'utf8'));
  return { tokenizer, embeddings: new HashingEmbeddings(new HashingEmbedder((t) => tokenizer.terms(t))) };
}

/** The baseline over stored documents: BM25Retriever is rebuilt from them (it keeps no index), HNSWLib is given. */
function langChainSearch(store: HNSWLib, docs: Document[], segmented: Document[], tokenizer: Tokenizer) {
  const candidates = Math.min(BASELINE_CANDIDATES, docs.length); // HNSWLib warns on every query when k > index size
  const bm25 = new SegmentedBm25Retriever(BM25Retriever.fromDocuments(segmented, { k: candidates }), tokenizer, docs);
  const ensemble = new EnsembleRetriever({ retrievers: [store.asRetriever({ k: candidates }), bm25], weights: [0.5, 0.5] });
  return async (q: Question): Promise<Hit[]> =>
    (await ensemble.invoke(q.q)).slice(0, K).map((d) => ({ documentId: d.metadata.documentId as string, article: d.metadata.article as string }));
}

/**
 * Our retrieval of one question. Region-aware retrieval goes here: `q.place` is the region the question
 * names (and the deployment's HOME_REGION applies to the others) — pass it through the retrieval option.
 */
function ourSearch(kb: KnowledgeBase) {
  return async (q: Question): Promise<Hit[]> => (await kb.retrieve(q.q, K)).passages.map((p) => p.chunk);
}

// ---------------------------------------------------------------------------------------------------------
// Child processes: one phase of one system on one corpus

async function child(args: { system: 'ours' | 'langchain'; phase: 'build' | 'query'; knowledgeDir: string; cacheDir: string; questionsFile?: string }): Promise<ChildResult> {
  const started = performance.now();
  const memory = () => ({ peakRssMb: process.resourceUsage().maxRSS / 1024, rssMb: process.memoryUsage().rss / 2 ** 20, heapMb: process.memoryUsage().heapUsed / 2 ** 20 });
  if (args.system === 'ours') {
    if (args.phase === 'build') {
      const marks: Partial<Record<BuildStage, { first: number; last: number }>> = {};
      const kb = await KnowledgeBase.open({
        knowledgeDir: args.knowledgeDir,
        cacheDir: args.cacheDir,
        onProgress: (stage) => {
          const now = performance.now() - started;
          (marks[stage] ??= { first: now, last: now }).last = now;
        },
      });
      const ms = performance.now() - started;
      if (kb.origin.source !== 'built') throw new Error('expected a build');
      return { ms, stages: stagesOf(marks, ms), chunks: kb.chunks.length, ...memory() };
    }
    const kb = await KnowledgeBase.open({ knowledgeDir: args.knowledgeDir, cacheDir: args.cacheDir });
    const ms = performance.now() - started;
    if (kb.origin.source !== 'cache') throw new Error('expected the cache');
    const mem = memory();
    return { ms, chunks: kb.chunks.length, ...mem, queries: await runQueries(ourSearch(kb), await readQuestions(args.questionsFile!)) };
  }

  const { tokenizer, embeddings } = await langChainTools(args.knowledgeDir);
  if (args.phase === 'build') {
    const l0 = performance.now();
    const chunks = (await loadKnowledge(args.knowledgeDir)).documents.flatMap(chunkDocument);
    const loadChunkMs = performance.now() - l0;
    const t0 = performance.now();
    const docs = chunks.map((c, index) => new Document({ pageContent: `${c.heading}\n${c.text}`, metadata: { documentId: c.documentId, article: c.article, index } }));
    const store = await HNSWLib.fromDocuments(docs, embeddings);
    const segmented = docs.map((d) => new Document({ pageContent: tokenizer.terms(d.pageContent).join(' '), metadata: d.metadata }));
    BM25Retriever.fromDocuments(segmented, { k: BASELINE_CANDIDATES });
    const ms = performance.now() - t0;
    const w0 = performance.now();
    await store.save(args.cacheDir);
    await writeFile(path.join(args.cacheDir, 'segmented.json'), JSON.stringify(segmented.map((d) => d.pageContent)));
    return { ms, stages: { 'load + chunk (not counted)': loadChunkMs, 'save HNSWLib + segmented texts': performance.now() - w0 }, chunks: chunks.length, ...memory() };
  }
  const store = await HNSWLib.load(args.cacheDir, embeddings);
  const docs = docsOf(store);
  const texts = JSON.parse(await readFile(path.join(args.cacheDir, 'segmented.json'), 'utf8')) as string[];
  const segmented = docs.map((d, i) => new Document({ pageContent: texts[i]!, metadata: d.metadata }));
  const search = langChainSearch(store, docs, segmented, tokenizer);
  const ms = performance.now() - started;
  const mem = memory();
  return { ms, chunks: docs.length, ...mem, queries: await runQueries(search, await readQuestions(args.questionsFile!)) };
}

/** HNSWLib's docstore in index order (labels are the insertion order). */
function docsOf(store: HNSWLib): Document[] {
  const all = [...store.docstore._docs.values()];
  return all.sort((a, b) => (a.metadata.index as number) - (b.metadata.index as number));
}

/** Build stages from progress marks; the gaps between them are chunking, BM25 and the cache write. */
function stagesOf(marks: Partial<Record<BuildStage, { first: number; last: number }>>, total: number): Record<string, number> {
  const end = (s: BuildStage) => marks[s]?.last ?? 0;
  return {
    'set up + read + convert files': end('read'),
    'chunk + segment (jieba)': end('tokenize') - end('read'),
    'BM25 index': (marks.embed?.first ?? 0) - end('tokenize'),
    'embed (hashing)': end('embed') - (marks.embed?.first ?? 0),
    'HNSW insert': end('vectors') - end('embed'),
    'cache write (JSON + HNSW file)': total - end('vectors'),
  };
}

async function runQueries(search: (q: Question) => Promise<Hit[]>, questions: Question[]): Promise<NonNullable<ChildResult['queries']>> {
  const started = performance.now();
  const times: number[] = [];
  let scored = 0, hitsSeed = 0, seed = 0, hitsCity = 0, city = 0;
  let stoppedEarly = false;
  for (const q of questions) {
    if (performance.now() - started > QUERY_BUDGET_MS) {
      stoppedEarly = true;
      break;
    }
    const t0 = performance.now();
    const hits = await search(q);
    times.push(performance.now() - t0);
    scored++;
    const hit = hits.slice(0, K).some((h) => h.documentId === q.documentId && q.expect.includes(h.article));
    if (q.group === 'seed') {
      seed++;
      if (hit) hitsSeed++;
    } else {
      city++;
      if (hit) hitsCity++;
    }
  }
  // More timed passes (retrieval is deterministic: only the times are new) within half the budget.
  for (let i = 0; !stoppedEarly && times.length < TIMED_TARGET && performance.now() - started < QUERY_BUDGET_MS / 2; i++) {
    const q = questions[i % questions.length]!;
    const t0 = performance.now();
    await search(q);
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? NaN;
  return { scored, total: questions.length, hitsSeed, seed, hitsCity, city, p50: pct(50), p99: pct(99), timed: times.length, stoppedEarly };
}

async function readQuestions(file: string): Promise<Question[]> {
  return JSON.parse(await readFile(file, 'utf8')) as Question[];
}

function runChild(args: Parameters<typeof child>[0]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as ChildResult);
      else reject(new Error(`${args.system} ${args.phase} exited ${code}: ${out.slice(-500)}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Questions

async function seedQuestions(): Promise<Question[]> {
  const out: Question[] = [];
  for (const file of QUESTION_FILES.filter((f) => existsSync(f))) {
    for (const line of (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim())) {
      const q = JSON.parse(line) as Omit<Question, 'documentId' | 'group'>;
      if (q.kind === 'answer' || q.kind === 'answer_en') out.push({ ...q, id: `${path.basename(file, '.jsonl')}:${q.id}`, documentId: SEED_ID, group: 'seed' });
    }
  }
  return out;
}

/**
 * The hard case: each Chinese seed question asked about one city in turn (淄博 included, whose document is
 * the seed itself): 淄博 in the question becomes the city, else the city is named in front.
 */
function cityQuestions(seed: Question[], copies: CityCopy[]): Question[] {
  const targets = [{ name: '淄博', id: SEED_ID, region: '山东省淄博市' }, ...copies.map((c) => ({ name: c.city.name, id: c.id, region: c.region }))];
  return seed
    .filter((q) => q.kind === 'answer' && !q.expect.includes('header'))
    .map((q, i) => {
      const t = targets[i % targets.length]!;
      const text = q.q.includes('淄博') ? q.q.replaceAll('淄博', t.name) : `${t.name}市${q.q.replace(/^(请问|想问一下|想问下|问一下)[，,]?/, '')}`;
      return { ...q, id: `${q.id}@${t.name}`, q: text, documentId: t.id, group: 'city' as const, place: t.region };
    });
}

/** A fixed shuffle (so a pass stopped by the budget still covers every kind of question). */
function shuffled<T>(xs: T[]): T[] {
  const out = [...xs];
  let seed = 20231109;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Driver

interface Row {
  corpus: string;
  system: string;
  chunks: number;
  build: ChildResult;
  load: ChildResult;
}

const fmt = (n: number | undefined, digits = 2) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '—');
const pctOf = (hits: number, n: number) => (n ? `${fmt((100 * hits) / n, 1)}% (${hits}/${n})` : '—');

function table(rows: Row[]): string {
  const header = ['corpus', 'system', 'chunks', 'build s', 'cache load s', 'p50 ms', 'p99 ms', 'hit@5 seed', 'hit@5 right city', 'peak RSS MB (build / load+query)'];
  const body = rows.map((r) => {
    const q = r.load.queries!;
    return [
      r.corpus,
      r.system,
      String(r.chunks),
      fmt(r.build.ms / 1000, 1),
      fmt(r.load.ms / 1000, 2),
      fmt(q.p50, 2),
      fmt(q.p99, 2),
      pctOf(q.hitsSeed, q.seed),
      pctOf(q.hitsCity, q.city),
      `${fmt(r.build.peakRssMb, 0)} / ${fmt(r.load.peakRssMb, 0)}${q.stoppedEarly ? ` (queries stopped at ${q.scored}/${q.total})` : ''}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

async function benchCorpus(corpus: string, knowledgeDir: string, questions: Question[], work: string, log: (s: string) => void, baseline: boolean): Promise<Row[]> {
  const questionsFile = path.join(work, `${corpus.replace(/\W+/g, '-')}-questions.json`);
  await writeFile(questionsFile, JSON.stringify(shuffled(questions)));
  const rows: Row[] = [];
  for (const system of ['ours', 'langchain'] as const) {
    if (system === 'langchain' && !baseline) {
      log(`  plain LangChain: skipped at this size (BENCH_BASELINE_MAX=${BASELINE_MAX})`);
      continue;
    }
    const cacheDir = path.join(work, `${corpus.replace(/\W+/g, '-')}-${system}-cache`);
    await mkdir(cacheDir, { recursive: true });
    const build = await runChild({ system, phase: 'build', knowledgeDir, cacheDir });
    log(`  ${system}: built ${build.chunks} chunks in ${fmt(build.ms / 1000, 1)} s, peak RSS ${fmt(build.peakRssMb, 0)} MB; ${Object.entries(build.stages ?? {}).map(([k, v]) => `${k} ${fmt(v / 1000, 2)} s`).join(', ')}`);
    const load = await runChild({ system, phase: 'query', knowledgeDir, cacheDir, questionsFile });
    const q = load.queries!;
    log(`  ${system}: cache load ${fmt(load.ms / 1000, 2)} s (RSS ${fmt(load.rssMb, 0)} MB, heap ${fmt(load.heapMb, 0)} MB); ${q.scored}/${q.total} questions${q.stoppedEarly ? ' (budget reached)' : ''}, ${q.timed} timed: p50 ${fmt(q.p50)} ms, p99 ${fmt(q.p99)} ms; hit@5 seed ${pctOf(q.hitsSeed, q.seed)}, right city ${pctOf(q.hitsCity, q.city)}`);
    rows.push({ corpus, system: system === 'ours' ? 'ip-consult-bot' : 'plain LangChain', chunks: build.chunks, build, load });
  }
  return rows;
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const log = (s: string) => console.log(s);
  const work = await mkdtemp(path.join(os.tmpdir(), 'ip-bench-retrieval-'));
  const seed = await seedQuestions();
  log(`questions: ${seed.length} seed questions (kinds answer + answer_en) from ${QUESTION_FILES.filter((f) => existsSync(f)).map((f) => path.relative(ROOT, f)).join(', ')}`);
  const rows: Row[] = [];
  const corpora: Record<string, unknown> = {};
  try {
    log(`\n[shipped] ${KNOWLEDGE_DIR}`);
    rows.push(...(await benchCorpus('shipped', KNOWLEDGE_DIR, seed, work, log, true)));

    const seedKb = await KnowledgeBase.open({ knowledgeDir: KNOWLEDGE_DIR });
    const seedChunks: Chunk[] = seedKb.chunks.filter((c) => c.documentId === SEED_ID);
    const seedFiles = (await listDocumentFiles(KNOWLEDGE_DIR)).filter((f) => f.includes(SEED_ID));
    for (const size of SIZES) {
      const name = `synthetic ${size}`;
      const g0 = performance.now();
      const synthetic = await buildSyntheticCorpus(KNOWLEDGE_DIR, seedChunks, seedFiles, { targetChunks: size, cityCopies: CITIES.slice(1) });
      const questions = [...seed, ...cityQuestions(seed, synthetic.copies)];
      log(
        `\n[${name}] ${synthetic.documents} generated documents (${Object.entries(synthetic.levels).map(([l, n]) => `${l} ${n}`).join(', ')}) + the seed + ${synthetic.copies.length} city copies of it, written in ${fmt((performance.now() - g0) / 1000, 1)} s; ` +
          `${questions.length - seed.length} city questions`,
      );
      corpora[name] = { generated: synthetic.documents, levels: synthetic.levels, cityCopies: synthetic.copies.map((c) => c.id), cityQuestions: questions.length - seed.length };
      try {
        rows.push(...(await benchCorpus(name, synthetic.dir, questions, work, log, size <= BASELINE_MAX)));
      } finally {
        if (keep) log(`kept ${synthetic.dir}`);
        else await rm(synthetic.dir, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const notes = [
    'Each system and corpus runs in two fresh processes: build (and write the cache), then load from the cache and query. RSS is that process\'s own; peak = getrusage maxRSS.',
    `Queries: one scored pass over all questions in a fixed shuffled order (stopped after ${QUERY_BUDGET_MS / 1000} s if slower), then more timed passes up to ${TIMED_TARGET} queries or half that budget; p50/p99 by nearest rank, sequential.`,
    'hit@5 seed: a top-5 passage of zibo-ip-service-opinions-2023 whose article is in the question\'s expect list. hit@5 right city: the same for the document of the city the question names (淄博: the seed; other cities: that city\'s copy).',
    'Synthetic corpora: the seed + a near-identical copy of it for each other Shandong city (same text, 淄博 → the city, its own 文号 and region) + generated distractors at national, provincial, municipal (16 cities) and district level (bench/synthetic-corpus.ts, seeded).',
    'ours: KnowledgeBase.open with a cache folder (build = read + chunk + jieba BM25 + hashing embeddings + HNSW + cache write; load = cache read), kb.retrieve(q, 5) with no region option on this branch.',
    `plain LangChain: HNSWLib.fromDocuments (cosine) + BM25Retriever (k=${BASELINE_CANDIDATES}) over jieba-segmented chunk text, fused by EnsembleRetriever (weighted RRF, c=60, weights 0.5/0.5), top ${K}; same HashingEmbedder and chunks (from our loader; its build time leaves loading and chunking out). Its "cache": HNSWLib.save/load plus the segmented texts, from which BM25Retriever (which keeps no index) is rebuilt.`,
  ];
  const result = {
    generatedAt: new Date().toISOString(),
    environment: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30) },
    sizes: SIZES,
    k: K,
    corpora,
    rows: rows.map((r) => ({ corpus: r.corpus, system: r.system, chunks: r.chunks, build: r.build, load: r.load })),
    notes,
  };
  await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  log(`\n${table(rows)}\n`);
  for (const n of notes) log(`- ${n}`);
  log(`\nwrote ${path.relative(ROOT, RESULTS_FILE)}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const result = await child(JSON.parse(process.argv[childAt + 1]!));
  console.log(JSON.stringify(result));
  process.exit(0);
} else {
  await main();
}
