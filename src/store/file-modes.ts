/**
 * What the service writes under DATA_DIR (the embedded database with the consultations and the audit log,
 * the case data key, the index cache) is for the account that runs it alone: files 0600, directories 0700.
 * The service and the CLIs set the umask at start so that whatever they create is private. PGlite does not
 * follow it: Emscripten's file system creates every database file 0666. Its tree is therefore made private
 * after it opens and again when it closes, and the template copied into a fresh DATA_DIR is made so at
 * install; files PGlite adds while running sit inside 0700 directories that nobody else can enter.
 */
import { chmod, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_UMASK = 0o077;
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** Files this process creates from now on: no access for group and others. */
export function usePrivateUmask(): void {
  process.umask(PRIVATE_UMASK);
}

/** Sets `root` and everything below it to 0700 (directories) and 0600 (files); symbolic links are left alone. */
export async function makePrivate(root: string): Promise<void> {
  const info = await lstat(root);
  if (info.isSymbolicLink()) return;
  if (!info.isDirectory()) {
    await chmod(root, PRIVATE_FILE);
    return;
  }
  await chmod(root, PRIVATE_DIR);
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const child = path.join(root, entry.name);
    if (entry.isDirectory()) await makePrivate(child);
    else if (entry.isFile()) await chmod(child, PRIVATE_FILE);
  }
}
