/**
 * The running service's knowledge: the latest KnowledgeBase snapshot, replaced when the knowledge folder
 * changes, without a restart. A new snapshot is built beside the one in use (questions keep being answered
 * from it meanwhile) and swapped in with one assignment; a question reads `current()` once and keeps its
 * snapshot to the end, so none fails or mixes two. A rebuild that fails keeps the old snapshot and is
 * retried at the next check; a broken document is only left out, like at start, and listed in `status()`.
 *
 * Noticing changes: fs.watch (recursive) reports most changes at once and is debounced; a periodic check
 * of every file's size and modification time is the fallback, because fs.watch misses events on network
 * and container-mounted filesystems. Both only lead to a rebuild when that signature changed; a rebuild
 * that yields the same version (a file touched, not changed) swaps nothing. chokidar would add a
 * dependency for the same two mechanisms (it also wraps fs.watch, with polling as its fallback).
 *
 * Several instances each watch their own folder and reload by themselves; the index cache under DATA_DIR
 * tolerates two processes writing it (see index-cache.ts), so the second usually just reads what the
 * first built.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { compareSources, type KnowledgeChanges } from './changes.js';
import type { KnowledgeBase } from './knowledge-base.js';
import type { LoadProblem } from './load.js';

/** Quiet time after the last file event before the folder is checked (editors write files in steps). */
const DEBOUNCE_MS = 300;
/** Problems listed in the status (all are logged). */
const STATUS_PROBLEMS = 50;

export interface ReloadEvent {
  result: 'reloaded' | 'failed';
  ms: number;
  version: string;
  changes?: KnowledgeChanges;
  /** Problems of the new snapshot that the old one did not have. */
  newProblems?: LoadProblem[];
  error?: string;
}

export interface KnowledgeStatus {
  /** Short form of the snapshot's version: changes with any document, the dictionary or the thesaurus. */
  version: string;
  documents: number;
  chunks: number;
  loadedAt: string;
  reloads: { reloaded: number; failed: number };
  problems: LoadProblem[];
  /** Set while the latest rebuild failed (the previous snapshot is still in use). */
  lastError?: string;
}

export interface LiveKnowledgeOptions {
  knowledgeDir: string;
  /** Opens a snapshot of the folder as it is now (the same function start-up uses). */
  open: () => Promise<KnowledgeBase>;
  /** Fallback check interval; 0 turns live reload off (no watcher, no checks). */
  checkEveryMs: number;
  onReload?: (event: ReloadEvent) => void;
}

export class LiveKnowledge {
  private snapshot: KnowledgeBase;
  private loadedAt = new Date();
  private signature: string;
  private readonly counts = { reloaded: 0, failed: 0 };
  private lastError?: string;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  /** The check in progress, and whether another was asked for meanwhile. */
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  private constructor(
    private readonly options: LiveKnowledgeOptions,
    first: KnowledgeBase,
    signature: string,
  ) {
    this.snapshot = first;
    this.signature = signature;
  }

  /** Opens the first snapshot and starts watching the folder. */
  static async start(options: LiveKnowledgeOptions): Promise<LiveKnowledge> {
    const signature = await signatureOf(options.knowledgeDir);
    const live = new LiveKnowledge(options, await options.open(), signature);
    if (options.checkEveryMs > 0) live.watch();
    return live;
  }

  /** The latest snapshot. Read it once per question. */
  current(): KnowledgeBase {
    return this.snapshot;
  }

  status(): KnowledgeStatus {
    const kb = this.snapshot;
    return {
      version: kb.origin.version.slice(0, 12),
      documents: kb.documents.length,
      chunks: kb.chunks.length,
      loadedAt: this.loadedAt.toISOString(),
      reloads: { ...this.counts },
      problems: kb.problems.slice(0, STATUS_PROBLEMS),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /**
   * Checks the folder now and reloads when it changed; resolves when the check (and any asked for while it
   * ran) is done. The watcher and the timer call this; so may an operator's command or a test.
   */
  check(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.checkOnce();
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    await this.running;
  }

  private watch(): void {
    try {
      this.watcher = watch(this.options.knowledgeDir, { recursive: true, persistent: false }, () => this.soon());
      // A watcher that fails (folder replaced, too many watches) leaves the periodic check in charge.
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = undefined;
    }
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs);
    this.timer.unref();
  }

  private soon(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(), DEBOUNCE_MS);
    this.debounce.unref();
  }

  private async checkOnce(): Promise<void> {
    const signature = await signatureOf(this.options.knowledgeDir).catch(() => undefined);
    if (signature === undefined || signature === this.signature || this.stopped) return;
    const started = performance.now();
    const before = this.snapshot;
    let next: KnowledgeBase;
    try {
      next = await this.options.open();
    } catch (err) {
      // Keep answering from what we have; the signature stays old, so the next check tries again.
      this.counts.failed++;
      this.lastError = (err as Error).message;
      this.options.onReload?.({ result: 'failed', ms: performance.now() - started, version: before.origin.version, error: this.lastError });
      return;
    }
    this.signature = signature;
    this.lastError = undefined;
    if (next.origin.version === before.origin.version || this.stopped) return;
    this.snapshot = next;
    this.loadedAt = new Date();
    this.counts.reloaded++;
    const known = new Set(before.problems.map(problemKey));
    this.options.onReload?.({
      result: 'reloaded',
      ms: performance.now() - started,
      version: next.origin.version,
      changes: compareSources(before.sources, next.sources),
      newProblems: next.problems.filter((p) => !known.has(problemKey(p))),
    });
  }
}

function problemKey(p: LoadProblem): string {
  return `${p.file}\n${p.line ?? ''}\n${p.message}`;
}

/** Hash of every file's path, size and modification time below `dir`: cheap enough to take every few seconds. */
async function signatureOf(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
  for (const file of files) {
    const s = await stat(file).catch(() => undefined);
    if (s) hash.update(`${file}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}
