/**
 * Nothing under DATA_DIR is readable by other accounts: files 0600, directories 0700. Checked on the
 * embedded database opened and closed in this process (PGlite creates its files 0666 whatever the umask),
 * on the template a fresh DATA_DIR is copied from, and on a whole DATA_DIR written by the admin command,
 * which sets the service's umask.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { seedFromTemplate, writeTemplate } from '../../src/store/pglite-template.js';
import { runTsx } from '../helpers.js';

const ADMIN = fileURLToPath(new URL('../../src/cli/admin.ts', import.meta.url));

/** Every entry below `root` (itself included) whose mode is not 0700 for a directory or 0600 for a file. */
async function notPrivate(root: string): Promise<string[]> {
  const wrong: string[] = [];
  const visit = async (p: string) => {
    const info = await stat(p);
    const mode = info.mode & 0o777;
    if (info.isDirectory()) {
      if (mode !== 0o700) wrong.push(`${path.relative(root, p) || '.'} ${mode.toString(8)}`);
      for (const entry of await readdir(p)) await visit(path.join(p, entry));
    } else if (mode !== 0o600) wrong.push(`${path.relative(root, p)} ${mode.toString(8)}`);
  };
  await visit(root);
  return wrong;
}

describe('file modes under DATA_DIR', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const tmp = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-modes-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the embedded database private while open and after closing, the audit log included', async () => {
    const dataDir = path.join(await tmp(), 'data');
    const handle = await openDatabase({ dataDir });
    try {
      expect(await notPrivate(dataDir)).toEqual([]);
      await handle.db.execute(sql`insert into audit_log (actor, action) values ('test', 'file.modes')`);
    } finally {
      await handle.close();
    }
    expect(await notPrivate(dataDir)).toEqual([]);
  });

  it('writes the template private, and a DATA_DIR seeded from it stays so', async () => {
    const template = path.join(await tmp(), 'template');
    await writeTemplate(template);
    expect(await notPrivate(template)).toEqual([]);
    const pgdata = path.join(await tmp(), 'pglite');
    expect(await seedFromTemplate(pgdata, template)).toBe(true);
    expect(await notPrivate(pgdata)).toEqual([]);
  });

  it('leaves a whole DATA_DIR private after the admin command, with the umask it sets', async () => {
    const dataDir = path.join(await tmp(), 'data');
    const created = await runTsx(ADMIN, ['create-user', '--username', 'wang.li', '--role', 'reviewer'], { env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' }, input: 'a long enough secret\n' });
    expect(created.stderr).toBe('');
    expect(await notPrivate(dataDir)).toEqual([]);
  });
});
