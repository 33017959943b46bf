/** `npm run admin -- create-user / disable-user` end to end on a PGlite DATA_DIR: password from stdin, audited. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
      // Every rule is stated with the refusal, the one about the username included.
      expect(short.stderr).toContain('password rules:');
      expect(short.stderr).toContain('must not contain the username');
      const withName = await runTsx(ADMIN, ['create-user', '--username', 'zhao', '--role', 'admin'], { env, input: 'Zhao-glacier-violet-42\n' });
      expect(withName.code).toBe(1);
      expect(withName.stderr).toMatch(/password \(stdin\): must not contain the username\npassword rules:\n  - 12 to 256 characters\n  - must not contain the username/);
      const noAgency = await runTsx(ADMIN, ['create-user', '--username', 'ag', '--role', 'agency'], { env, input: 'a long enough secret\n' });
      expect(noAgency.stderr).toContain('--agency: required');
      // An agency account names an agency of the registry file by its id.
      const agenciesFile = path.join(dataDir, 'agencies.yaml');
      await writeFile(agenciesFile, 'agencies:\n  - id: jia-ip-firm\n    name: 甲知识产权代理所\n    fields: [patent]\n    services: [agency]\n    districts: all\n    capacity: 5\n');
      const withRegistry = { ...env, AGENCIES_FILE: agenciesFile };
      const unknown = await runTsx(ADMIN, ['create-user', '--username', 'ag', '--role', 'agency', '--agency', 'yi-law-firm'], { env: withRegistry, input: 'a long enough secret\n' });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('--agency: no agency with id yi-law-firm');
      const agency = await runTsx(ADMIN, ['create-user', '--username', 'ag', '--role', 'agency', '--agency', 'jia-ip-firm'], { env: withRegistry, input: 'a long enough secret\n' });
      expect(agency.stderr).toBe('');
      expect(agency.stdout).toMatch(/created agency account ag/);
      const badRole = await runTsx(ADMIN, ['create-user', '--username', 'x1', '--role', 'root'], { env, input: 'a long enough secret\n' });
      expect(badRole.stderr).toContain('--role');

      const disabled = await runTsx(ADMIN, ['disable-user', '--username', 'wang.li'], { env });
      expect(disabled.code).toBe(0);
      expect(disabled.stdout).toContain('disabled wang.li');

      const handle = await openDatabase({ dataDir });
      try {
        const [account, agencyAccount] = await queryRows<{ display_name: string; role: string; agency_id: string | null; password_hash: string; disabled: boolean }>(
          handle.db,
          sql`select display_name, role, agency_id, password_hash, disabled_at is not null as disabled from staff_accounts order by created_at`,
        );
        expect(agencyAccount).toMatchObject({ role: 'agency', agency_id: 'jia-ip-firm', disabled: false });
        expect(account).toMatchObject({ display_name: '王丽', role: 'reviewer', disabled: true });
        expect(account!.password_hash).toMatch(/^scrypt\$17\$8\$1\$/);
        expect(await verifyPassword('a long enough secret', account!.password_hash)).toBe(true);
        expect(await verifyPassword('a long enough secreT', account!.password_hash)).toBe(false);
        const audit = await queryRows<{ actor: string; action: string }>(handle.db, sql`select actor, action from audit_log order by id`);
        expect(audit).toEqual([
          { actor: 'cli:admin', action: 'user.create' },
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
