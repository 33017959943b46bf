/** `npm run admin -- create-user / disable-user` end to end on a PGlite DATA_DIR: password from stdin, audited. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/console/passwords.js';
import { openDatabase, queryRows } from '../../src/store/db.js';
import { runTsx } from '../helpers.js';

const ADMIN = fileURLToPath(new URL('../../src/cli/admin.ts', import.meta.url));

describe('admin command', { timeout: 120_000 }, () => {
  it('creates an account with the password from stdin, refuses bad input, disables it', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-admin-'));
    const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' };
    try {
      const created = await runTsx(ADMIN, ['create-user', '--username', 'wang.li', '--role', 'reviewer', '--display-name', '王丽'], { env, input: 'a long enough secret\n' });
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/created reviewer account wang\.li/);

      const again = await runTsx(ADMIN, ['create-user', '--username', 'wang.li', '--role', 'reviewer'], { env, input: 'a long enough secret\n' });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('exists already');
      const short = await runTsx(ADMIN, ['create-user', '--username', 'zhao', '--role', 'admin'], { env, input: 'short\n' });
      expect(short.code).toBe(1);
      expect(short.stderr).toContain('at least 12 characters');
      const noAgency = await runTsx(ADMIN, ['create-user', '--username', 'ag', '--role', 'agency'], { env, input: 'a long enough secret\n' });
      expect(noAgency.stderr).toContain('--agency: required');
      const badRole = await runTsx(ADMIN, ['create-user', '--username', 'x1', '--role', 'root'], { env, input: 'a long enough secret\n' });
      expect(badRole.stderr).toContain('--role');

      const disabled = await runTsx(ADMIN, ['disable-user', '--username', 'wang.li'], { env });
      expect(disabled.code).toBe(0);
      expect(disabled.stdout).toContain('disabled wang.li');

      const handle = await openDatabase({ dataDir });
      try {
        const [account] = await queryRows<{ display_name: string; role: string; password_hash: string; disabled: boolean }>(
          handle.db,
          sql`select display_name, role, password_hash, disabled_at is not null as disabled from staff_accounts`,
        );
        expect(account).toMatchObject({ display_name: '王丽', role: 'reviewer', disabled: true });
        expect(account!.password_hash).toMatch(/^scrypt\$17\$8\$1\$/);
        expect(await verifyPassword('a long enough secret', account!.password_hash)).toBe(true);
        expect(await verifyPassword('a long enough secreT', account!.password_hash)).toBe(false);
        const audit = await queryRows<{ actor: string; action: string }>(handle.db, sql`select actor, action from audit_log order by id`);
        expect(audit).toEqual([
          { actor: 'cli:admin', action: 'user.create' },
          { actor: 'cli:admin', action: 'user.disable' },
        ]);
      } finally {
        await handle.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
