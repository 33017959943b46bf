/**
 * The one way the configured knowledge is opened: the service (at start and on every reload), `npm run
 * ingest`, `ask` and `eval` all come here, so they build and read the same cached index with the same
 * embedder. A remote embedder that fails while the index is built is reported through `warn` and replaced
 * by the offline one: the knowledge opens either way.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import type { BuildProgress } from './index-build.js';
import { KnowledgeBase } from './knowledge-base.js';
import type { OpenAIEmbedder } from './openai-embedder.js';

export type KnowledgeSettings = Pick<Config, 'knowledgeDir' | 'dataDir' | 'embedding'>;

export interface OpenKnowledgeOptions {
  warn?: (message: string) => void;
  onProgress?: BuildProgress;
}

/** Where the index cache of a deployment lives. */
export function indexCacheDir(settings: Pick<Config, 'dataDir'>): string {
  return path.join(settings.dataDir, 'index');
}

export async function openKnowledge(settings: KnowledgeSettings, options: OpenKnowledgeOptions = {}): Promise<KnowledgeBase> {
  const warn = options.warn ?? ((m: string) => console.error(m));
  const open = (embedder?: OpenAIEmbedder) =>
    KnowledgeBase.open({ knowledgeDir: settings.knowledgeDir, cacheDir: indexCacheDir(settings), embedder, onProgress: options.onProgress });
  if (!settings.embedding) return open();
  // Loaded only when configured: the OpenAI client is some 25 MB resident.
  const { OpenAIEmbedder } = await import('./openai-embedder.js');
  try {
    return await open(new OpenAIEmbedder({ ...settings.embedding, timeoutMs: 30_000 }));
  } catch (err) {
    warn(`embedding service failed (${(err as Error).message.slice(0, 200)}); using the offline embedder`);
    return open();
  }
}
