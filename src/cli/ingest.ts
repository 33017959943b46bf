/**
 * npm run ingest [-- --list] [-- --strict]
 * Checks the knowledge folder and (re)builds the search index exactly as `npm start` does (same function,
 * same configured embedder, same cache under DATA_DIR), then prints what changed since the last index
 * (documents added, changed, removed, with their articles), the documents (all with --list, else when
 * there are few) and every problem by file and line.
 * Exit status: 1 when a file could not be indexed (or, with --strict, when there is any warning), else 0.
 *
 * Progress goes to stderr through cli-progress: a bar on a terminal, a line every few seconds otherwise
 * (its noTTYOutput mode), so a CI log shows that a large build is advancing without filling with frames.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../config.js';
import { usePrivateUmask } from '../store/file-modes.js';
import { compareSources, summarizeChanges } from '../knowledge/changes.js';
import type { BuildProgress, BuildStage, DocumentSource } from '../knowledge/index-build.js';
import { readLatestManifest } from '../knowledge/index-cache.js';
import { indexCacheDir, openKnowledge } from '../knowledge/open-knowledge.js';

/** Above this many documents the full list is printed only with --list. */
const LIST_LIMIT = 50;
/** Lines of changes printed before "… and N more". */
const CHANGE_LINES = 200;
const STAGE_NAMES: Record<BuildStage, string> = { read: 'reading files', tokenize: 'segmenting', embed: 'embedding', vectors: 'vector index' };

async function main(): Promise<number> {
  usePrivateUmask();
  const { values } = parseArgs({ options: { list: { type: 'boolean', default: false }, strict: { type: 'boolean', default: false } } });
  const config = loadConfig();
  const previous = await readLatestManifest(indexCacheDir(config));

  const progress = progressBar();
  const kb = await openKnowledge(config, { warn: (m) => console.error(`warning: ${m}`), onProgress: progress.update }).finally(progress.stop);

  console.log(`knowledge: ${config.knowledgeDir} — ${kb.documents.length} documents, ${kb.chunks.length} chunks`);
  const docs = new Map(kb.documents.map((d) => [d.id, d]));
  const describe = (s: DocumentSource) => {
    const d = docs.get(s.id);
    return `${s.id}  ${s.file}  ${d?.docNumber ?? '(无文号)'}  ${d?.title ?? ''} — ${s.articles} articles, ${s.chunks} chunks`;
  };
  if (!previous) {
    console.log('changes: no earlier index under DATA_DIR; every document is new');
  } else if (previous.fingerprint === kb.origin.fingerprint) {
    console.log('changes: none since the last index');
  } else {
    const changes = compareSources(previous.sources, kb.sources);
    console.log(`changes since the last index (${previous.builtAt}): ${summarizeChanges(changes)}`);
    const lines = [
      ...changes.added.map((s) => `  + ${describe(s)}`),
      ...changes.changed.map(({ before, after }) => `  ~ ${describe(after)} (was ${before.articles} articles, ${before.chunks} chunks)`),
      ...changes.removed.map((s) => `  - ${s.id}  ${s.file} — ${s.articles} articles`),
    ];
    for (const line of lines.slice(0, CHANGE_LINES)) console.log(line);
    if (lines.length > CHANGE_LINES) console.log(`  … and ${lines.length - CHANGE_LINES} more`);
    if (!lines.length) console.log('  (no document changed: the dictionary, the embedder or the indexing code did)');
  }
  if (values.list || kb.sources.length <= LIST_LIMIT) {
    console.log('documents:');
    for (const s of kb.sources) {
      const d = docs.get(s.id)!;
      console.log(`  ${describe(s)}, ${d.status}${d.level ? `, ${d.level}` : ''}${d.region ? `, ${d.region}` : ''}`);
    }
  }
  console.log(`index: ${kb.origin.source === 'cache' ? 'unchanged, read from cache' : 'built'} in ${kb.origin.ms.toFixed(0)} ms (version ${kb.origin.version.slice(0, 12)})`);

  const errors = kb.problems.filter((p) => (p.severity ?? 'error') === 'error');
  const warnings = kb.problems.filter((p) => p.severity === 'warning');
  for (const p of kb.problems) {
    console.error(`${p.severity ?? 'error'}: ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
  }
  if (kb.problems.length) console.error(`${errors.length} file problem(s) left documents out; ${warnings.length} warning(s)`);
  return errors.length || (values.strict && warnings.length) ? 1 : 0;
}

/** One bar for the build's stages; silent when the index comes from the cache (nothing is reported). */
function progressBar(): { update: BuildProgress; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  let stage: BuildStage | undefined;
  return {
    update(next, done, total) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { format: '{stage} [{bar}] {value}/{total} {percentage}% | {duration}s', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5000, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { stage: STAGE_NAMES[next] });
      }
      if (next !== stage) {
        stage = next;
        bar.setTotal(total);
        bar.update(done, { stage: STAGE_NAMES[next] });
      } else bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : `ingest failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
