/**
 * An exclusive lock file for a PGlite data directory. PGlite is single-user Postgres without a lock of its
 * own: two processes on one directory corrupt it (the next open fails with `RuntimeError: Aborted()`).
 *
 * The lock is a file created with O_EXCL holding `{ pid, hostname, startedAt }`. A lock whose process is
 * gone (same host, `kill(pid, 0)` fails with ESRCH) is stale and taken over; a crash therefore never needs
 * manual cleanup. A reused pid can make a stale lock look held: the error names the file to delete then.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { AppError } from '../errors.js';
import { PRIVATE_DIR, PRIVATE_FILE } from './file-modes.js';

/** A held lock; `release()` removes the file if it is still ours. */
export interface DirectoryLock {
  readonly path: string;
  release(): Promise<void>;
}

interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** A lock file younger than this without readable content is being written right now, not stale. */
const FRESH_EMPTY_LOCK_MS = 5_000;

/** Takes `lockPath` for this process or throws an AppError naming `dataDir` and the holder's pid. */
export async function acquireDirectoryLock(lockPath: string, dataDir: string): Promise<DirectoryLock> {
  await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR });
  const me: LockOwner = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', PRIVATE_FILE);
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      return { path: lockPath, release: () => releaseIfOurs(lockPath) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readOwner(lockPath);
    if (holder === 'gone') continue;
    if (holder && isHeld(holder)) throw heldError(dataDir, lockPath, holder);
    if (!holder && (await isFresh(lockPath))) throw heldError(dataDir, lockPath, undefined);
    await rm(lockPath, { force: true }); // stale: its process is gone
  }
  throw new AppError('store_failed', `Could not take the lock ${lockPath} for the data directory ${dataDir}; try again.`);
}

function heldError(dataDir: string, lockPath: string, holder: LockOwner | undefined): AppError {
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname} (since ${holder.startedAt})`
    : 'another process (its lock file is still being written)';
  return new AppError(
    'store_failed',
    `The embedded database in ${dataDir} is already open by ${who}. ` +
      'PGlite allows one process per data directory: stop that process, set DATABASE_URL to share a Postgres ' +
      `server, or use another DATA_DIR. If no such process is running, delete ${lockPath}.`,
  );
}

/** Whether the process named in the lock is alive. A lock from another host cannot be checked: assume held. */
function isHeld(holder: LockOwner): boolean {
  if (holder.hostname !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined | 'gone'> {
  let content: string;
  try {
    content = await readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(content) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.hostname === 'string') {
      return { pid: parsed.pid, hostname: parsed.hostname, startedAt: String(parsed.startedAt ?? '?') };
    }
  } catch {
    // empty or torn: decided by its age
  }
  return undefined;
}

async function isFresh(lockPath: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs < FRESH_EMPTY_LOCK_MS;
  } catch {
    return false;
  }
}

async function releaseIfOurs(lockPath: string): Promise<void> {
  const holder = await readOwner(lockPath);
  if (holder && holder !== 'gone' && holder.pid === process.pid && holder.hostname === os.hostname()) {
    await rm(lockPath, { force: true });
  }
}
