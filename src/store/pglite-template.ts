/**
 * A migrated, empty PGlite data directory made once at install (`npm run build`), copied into a fresh
 * DATA_DIR instead of running initdb there. PGlite's initdb starts a second Postgres in WebAssembly: about
 * 3–10 s on this kind of machine and some 500 MB of WASM heap that the process keeps for good. A copy takes
 * milliseconds, and the service then opens it like any existing database (pending migrations still run).
 *
 * Run as a script (`node dist/src/store/pglite-template.js`) it writes the template; without one (a checkout
 * never built, or built for another PGlite version) PGlite creates the database itself, as before.
 */
import { readFileSync } from 'node:fs';
import { cp, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromRoot } from '../paths.js';
import { makePrivate } from './file-modes.js';

/** Keyed by PGlite's version: a data directory is only opened by the version that made it. */
export function templateDir(): string {
  // The package does not export its package.json: find it above the entry point.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const root = entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`));
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return fromRoot('dist', `pglite-template-${version}`);
}

const exists = (file: string) => stat(file).then(() => true, () => false);

/** Copies the template to `pgdata` when `pgdata` does not exist yet; true when it did. Call with the directory lock held. */
export async function seedFromTemplate(pgdata: string, template = templateDir()): Promise<boolean> {
  if ((await exists(pgdata)) || !(await exists(path.join(template, 'PG_VERSION')))) return false;
  const tmp = `${pgdata}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await cp(template, tmp, { recursive: true });
  await rename(tmp, pgdata); // a crash before this leaves no half-copied database behind
  return true;
}

/** Writes the template: a fresh PGlite database with every migration applied, made beside and renamed into place. */
export async function writeTemplate(target = templateDir()): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { attachPglite, PGLITE_SETTINGS } = await import('./db.js');
  const tmp = `${target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  const handle = await attachPglite(await PGlite.create(tmp, { startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS] }));
  await handle.close();
  // Copied as it is into every fresh DATA_DIR: private there only if private here.
  await makePrivate(tmp);
  await rm(target, { recursive: true, force: true });
  await rename(tmp, target);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  writeTemplate().then(
    () => console.log(`pglite template ready in ${path.relative(process.cwd(), templateDir())} (${((Date.now() - started) / 1000).toFixed(1)} s)`),
    (error: unknown) => {
      // Not fatal for the install: without a template the service runs initdb on first start.
      console.error(`pglite template not made (${error instanceof Error ? error.message : String(error)}); the first start will create the database`);
    },
  );
}
