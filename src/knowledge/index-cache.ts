/**
 * The on-disk cache of a built index under DATA_DIR/index/<fingerprint>/: what makes an index stale
 * (the fingerprint), and reading and writing it. Several processes may share the folder: a cache is
 * written to a private temporary folder and renamed into place, a lost race with an identical cache is
 * not an error, and a cache that vanishes or is damaged while being read just means building again.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fromRoot } from '../paths.js';
import { Bm25Index } from './bm25.js';
import type { DocumentSource, Index } from './index-build.js';
import { DICTIONARY_FILE, listKnowledgeFiles } from './load.js';
import { VectorIndex } from './vector-index.js';

/** Bump when the cache layout changes. */
const INDEX_FORMAT = 6;
/** The indexing code's sources (also when running compiled from dist/: the same fingerprint for `npm start` and `npm run ingest`). */
const CODE_DIR = fromRoot('src', 'knowledge');

type CacheFile = Omit<Index, 'bm25' | 'vectors'> & {
  format: number;
  fingerprint: string;
  bm25: ReturnType<Bm25Index['toJSON']>;
  dimensions: number;
};

/**
 * Hash of everything that shapes the index: the documents (and their sidecars), the dictionary, the
 * embedder's id and the indexing code itself (this folder), so an upgrade never serves an index built by
 * older code.
 */
export async function fingerprintOf(knowledgeDir: string, embedderId: string): Promise<string> {
  const hash = createHash('sha256').update(`format:${INDEX_FORMAT}\nembedder:${embedderId}\n`);
  for (const file of await codeFiles()) hash.update(await readFile(file));
  for (const file of [...(await listKnowledgeFiles(knowledgeDir)), DICTIONARY_FILE]) {
    hash.update(`${file}\n`).update(await readBytes(path.join(knowledgeDir, file))).update('\n');
  }
  return hash.digest('hex');
}

/** The cache folder for a fingerprint below the cache root. */
export function cacheDirFor(root: string, fingerprint: string): string {
  return path.join(root, fingerprint.slice(0, 16));
}

/** A small summary written beside each cached index: what `npm run ingest` compares the next index with. */
export interface Manifest {
  fingerprint: string;
  builtAt: string;
  sources: DocumentSource[];
}

/** The manifest of the newest cached index below `root`, if any (read before opening, which drops older caches). */
export async function readLatestManifest(root: string): Promise<Manifest | undefined> {
  const entries = await readdir(root).catch(() => [] as string[]);
  const manifests: Manifest[] = [];
  for (const entry of entries.filter((e) => !e.includes('.tmp-'))) {
    try {
      manifests.push(JSON.parse(await readFile(path.join(root, entry, 'manifest.json'), 'utf8')) as Manifest);
    } catch {
      // not an index folder, or one being replaced
    }
  }
  return manifests.sort((a, b) => b.builtAt.localeCompare(a.builtAt))[0];
}

/** The cached index for `fingerprint`, or undefined when there is none (or it is damaged, or vanished meanwhile). */
export async function readCache(root: string, fingerprint: string): Promise<Index | undefined> {
  const dir = cacheDirFor(root, fingerprint);
  try {
    const file = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as CacheFile;
    if (file.format !== INDEX_FORMAT || file.fingerprint !== fingerprint) return undefined;
    const vectors = await VectorIndex.read(path.join(dir, 'vectors.hnsw'), file.dimensions, file.chunks.length);
    const { format: _format, fingerprint: _fingerprint, dimensions: _dimensions, bm25, ...rest } = file;
    return { ...rest, bm25: Bm25Index.fromJSON(bm25, await readFile(path.join(dir, 'bm25.bin'))), vectors };
  } catch {
    return undefined; // missing, damaged or removed by another process: rebuild
  }
}

/** Writes into a temporary folder and renames it, so a crash never leaves a half-written cache; drops older caches. */
export async function writeCache(root: string, fingerprint: string, index: Index): Promise<void> {
  const dir = cacheDirFor(root, fingerprint);
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await mkdir(tmp, { recursive: true });
  const { bm25, vectors, ...rest } = index;
  const file: CacheFile = { format: INDEX_FORMAT, fingerprint, ...rest, bm25: bm25.toJSON(), dimensions: vectors.dimensions };
  await writeFile(path.join(tmp, 'index.json'), JSON.stringify(file));
  await writeFile(path.join(tmp, 'bm25.bin'), bm25.toBuffer());
  await vectors.write(path.join(tmp, 'vectors.hnsw'));
  const manifest: Manifest = { fingerprint, builtAt: new Date().toISOString(), sources: index.sources };
  await writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(manifest));
  await rm(dir, { recursive: true, force: true });
  try {
    await rename(tmp, dir);
  } catch (err) {
    // Another process renamed the same index into place between our rm and rename: theirs is as good.
    await rm(tmp, { recursive: true, force: true });
    if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
  for (const entry of await readdir(root)) {
    if (path.join(root, entry) !== dir && !entry.includes('.tmp-')) await rm(path.join(root, entry), { recursive: true, force: true });
  }
}

/** Source files of the indexing code, below this folder, in a stable order. */
async function codeFiles(): Promise<string[]> {
  const entries = await readdir(CODE_DIR, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** A file's bytes (documents may be binary), empty when it is missing. */
async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
}
