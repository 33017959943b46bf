/**
 * Where the project's own files are, whether this code runs from `src/` (tsx) or compiled from
 * `dist/src/` (`npm start`): static assets, migrations and sources stay where the repository has them, so
 * everything is resolved from the project root (the folder with package.json) rather than from this file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'drizzle'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`project root (package.json beside drizzle/) not found above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the project, e.g. `fromRoot('src', 'web')`. */
export function fromRoot(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}
