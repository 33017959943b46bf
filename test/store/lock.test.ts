/** One process per PGlite directory: a second one is refused with a clear message, stale locks are taken over. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { runTsx } from '../helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/open-data-dir.ts', import.meta.url));

/** Runs the child opener under tsx; resolves with its exit code and output. */
function openInChild(dataDir: string) {
  return runTsx(CHILD, [dataDir]);
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(result.stdout);
}

describe('PGlite data directory lock', { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-lock-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('refuses a second process while the directory is open, and lets it in after close', async () => {
    const handle = await openDatabase({ dataDir });
    try {
      const lock = JSON.parse(await readFile(path.join(dataDir, 'pglite.lock'), 'utf8')) as { pid: number };
      expect(lock.pid).toBe(process.pid);

      const refused = await openInChild(dataDir);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain(`The embedded database in ${dataDir} is already open by process ${process.pid}`);
      expect(refused.stderr).toContain('DATABASE_URL');

      // A second open inside the same process is refused too (two PGlite instances would corrupt it as well).
      await expect(openDatabase({ dataDir })).rejects.toThrow(/already open by process/);
    } finally {
      await handle.close();
    }
    await expect(readFile(path.join(dataDir, 'pglite.lock'))).rejects.toThrow(/ENOENT/);
    const admitted = await openInChild(dataDir);
    expect(admitted.stderr).toBe('');
    expect(admitted.stdout.trim()).toBe('opened');
  });

  it('takes over a stale lock left by a process that died', async () => {
    const pid = deadPid();
    await writeFile(
      path.join(dataDir, 'pglite.lock'),
      JSON.stringify({ pid, hostname: os.hostname(), startedAt: '2020-01-01T00:00:00.000Z' }),
    );
    const handle = await openDatabase({ dataDir });
    const lock = JSON.parse(await readFile(path.join(dataDir, 'pglite.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    await handle.close();
  });

  it('takes over an old lock file with torn content, but not a fresh one', async () => {
    const lockPath = path.join(dataDir, 'pglite.lock');
    await writeFile(lockPath, '');
    await expect(openDatabase({ dataDir })).rejects.toThrow(/still being written/);
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath, old, old);
    const handle = await openDatabase({ dataDir });
    await handle.close();
  });
});
