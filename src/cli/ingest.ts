/**
 * npm run ingest — checks the knowledge folder and (re)builds the search index cache.
 * Lists every document with its chunk count and every file that could not be read; exits 1 if any.
 */
import path from 'node:path';
import { ConfigError, loadConfig } from '../config.js';
import { KnowledgeBase } from '../knowledge/knowledge-base.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const kb = await KnowledgeBase.open({ knowledgeDir: config.knowledgeDir, cacheDir: path.join(config.dataDir, 'index') });
  console.log(`knowledge: ${config.knowledgeDir}`);
  for (const doc of kb.documents) {
    const chunks = kb.chunks.filter((c) => c.documentId === doc.id);
    const articles = new Set(chunks.map((c) => c.article)).size;
    console.log(`  ${doc.id}  ${doc.docNumber ?? '(无文号)'}  ${doc.title}  — ${articles} sections, ${chunks.length} chunks, ${doc.status}`);
  }
  console.log(`index: ${kb.origin.source === 'cache' ? 'unchanged, read from cache' : 'built'} in ${kb.origin.ms.toFixed(0)} ms (${kb.chunks.length} chunks)`);
  for (const p of kb.problems) console.error(`problem: ${p.file}: ${p.message}`);
  return kb.problems.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : `ingest failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
