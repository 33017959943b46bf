/** `npm run db:purge -- --older-than 180d` end to end on a PGlite DATA_DIR, plus the retention parser. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConsultationStore } from '../../src/store/consultations.js';
import { openDatabase } from '../../src/store/db.js';
import { cutoffFor, parseRetention } from '../../src/store/retention.js';
import { runTsx } from '../helpers.js';
import { sampleConsultation } from './sample.js';

const PURGE = fileURLToPath(new URL('../../src/cli/purge.ts', import.meta.url));
const DAY = 24 * 60 * 60 * 1000;

function runPurge(args: string[], env: NodeJS.ProcessEnv) {
  return runTsx(PURGE, args, { env });
}

describe('retention periods', () => {
  it('parses days and hours', () => {
    expect(parseRetention('180d')).toBe(180 * DAY);
    expect(parseRetention('36h')).toBe(36 * 60 * 60 * 1000);
    expect(parseRetention(' 7D ')).toBe(7 * DAY);
    expect(cutoffFor('1d', new Date('2024-03-02T00:00:00Z')).toISOString()).toBe('2024-03-01T00:00:00.000Z');
  });

  it.each(['', '180', 'd', '1.5d', '-3d', '2w', '10m'])('rejects %j', (text) => {
    expect(() => parseRetention(text)).toThrow(/180d or 36h/);
  });
});

describe('db:purge command', { timeout: 120_000 }, () => {
  it('purges old consultations in DATA_DIR and prints counts', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-purge-'));
    const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' };
    try {
      const seed = await openDatabase({ dataDir });
      const store = new ConsultationStore(seed.db);
      const old = await store.record(sampleConsultation({ createdAt: new Date(Date.now() - 200 * DAY) }));
      await store.feedback(old.id, 'user-a', 1);
      const recent = await store.record(sampleConsultation({ createdAt: new Date(Date.now() - 10 * DAY) }));
      await seed.close();

      const usage = await runPurge(['--help'], env);
      expect(usage.code).toBe(0);
      expect(usage.stderr).toContain('--older-than');

      const bad = await runPurge(['--older-than', '6 months'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('Retention must look like 180d or 36h');

      const badSetting = await runPurge([], { ...env, RETENTION: '6 months' });
      expect(badSetting.code).toBe(1);
      expect(badSetting.stderr).toMatch(/RETENTION: expected a period such as 180d/);

      // Without --older-than the RETENTION setting (default 180d) applies.
      const run = await runPurge([], env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/on pglite/);
      expect(run.stdout).toMatch(/consultations\s+1\n/);
      expect(run.stdout).toMatch(/feedback\s+1\n/);

      const check = await openDatabase({ dataDir });
      const after = new ConsultationStore(check.db);
      expect(await after.get(old.id)).toBeUndefined();
      expect(await after.get(recent.id)).toBeDefined();
      await check.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
