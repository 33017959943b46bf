/** The agency registry file: the shipped one, one message per bad entry, secrets from the environment, sync. */
import path from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgencyRegistryError, loadAgencies, parseAgencies, registryWarnings, syncAgencies } from '../../src/escalation/agencies.js';
import { queryRows } from '../../src/store/db.js';
import { ROOT } from '../helpers.js';
import { storeTargets } from '../store/targets.js';
import { registryOf, WEBHOOK_SECRET } from './fixtures.js';

const problemsOf = (raw: unknown, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseAgencies(raw, 'agencies.yaml', env);
    return [];
  } catch (error) {
    if (!(error instanceof AgencyRegistryError)) throw error;
    return error.problems;
  }
};

describe('agency registry', () => {
  it('ships the two bodies of article 十 without contacts, and examples marked as examples', () => {
    const registry = loadAgencies(path.join(ROOT, 'knowledge/agencies.yaml'));
    const names = registry.agencies.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['淄博仲裁委员会知识产权仲裁院', '淄博齐仲民商事调解服务中心']));
    for (const body of registry.agencies.filter((a) => !a.example)) {
      expect(body.contact).toBe('');
      expect(body.services).toEqual(['mediation_arbitration']);
    }
    const examples = registry.agencies.filter((a) => a.example);
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(examples.every((a) => a.name.startsWith('示例'))).toBe(true);
    expect(registryWarnings(registry).join('\n')).toMatch(/are examples/);
  });

  it('reports each bad entry by index and id, field by field, and keeps nothing of a broken file', () => {
    const problems = problemsOf({
      agencies: [
        { id: 'ok-one', name: '甲', fields: ['patent'], services: ['agency'], districts: 'all', capacity: 1 },
        { id: 'Bad Id', name: '', fields: ['patents'], services: [], districts: [], capacity: 0 },
        { id: 'hook', name: '乙', fields: ['patent'], services: ['agency'], districts: 'all', capacity: 2, channel: { type: 'webhook', url: 'http://example.com/hook', secret: 'nope' } },
        { id: 'ok-one', name: '丙', fields: ['trademark'], services: ['litigation'], districts: ['张店区'], capacity: 3 },
        { id: 'env-hook', name: '丁', fields: ['patent'], services: ['agency'], districts: 'all', capacity: 2, channel: { type: 'webhook', url: 'https://agency.example/hook', secretEnv: 'MISSING_SECRET' } },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/agencies\[1\] \(Bad Id\): id: expected lower-case/),
        expect.stringMatching(/agencies\[1\].*name/),
        expect.stringMatching(/agencies\[1\].*fields\.0/),
        expect.stringMatching(/agencies\[1\].*capacity/),
        expect.stringMatching(/agencies\[2\] \(hook\): channel.*https/),
        expect.stringMatching(/agencies\[3\] \(ok-one\): id is used by an earlier entry/),
        expect.stringMatching(/agencies\[4\] \(env-hook\): channel.secretEnv: MISSING_SECRET is not set/),
      ]),
    );
    expect(problemsOf({ nothing: true })).toEqual(['agencies.yaml: expected a top-level "agencies:" list']);
  });

  it('takes a webhook secret from the environment, and http only on a loopback address', () => {
    const base = { id: 'hook', name: '乙', fields: ['patent'], services: ['agency'], districts: 'all', capacity: 2 };
    const registry = parseAgencies({ agencies: [{ ...base, channel: { type: 'webhook', url: 'http://127.0.0.1:8080/hook', secretEnv: 'HOOK_SECRET' } }] }, 'f', { HOOK_SECRET: WEBHOOK_SECRET });
    expect(registry.get('hook')!.channel).toEqual({ type: 'webhook', url: 'http://127.0.0.1:8080/hook', secret: WEBHOOK_SECRET });
    expect(problemsOf({ agencies: [{ ...base, channel: { type: 'webhook', url: 'http://10.0.0.1/hook', secret: WEBHOOK_SECRET } }] })).toHaveLength(1);
  });

  it('reports a YAML error with its line', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-agencies-'));
    const file = path.join(dir, 'agencies.yaml');
    await writeFile(file, 'agencies:\n  - id: a\n    name: [unclosed\n');
    expect(() => loadAgencies(file)).toThrow(/line \d+/);
    expect(() => loadAgencies(path.join(dir, 'missing.yaml'), {}, true)).toThrow(/no such file/);
    expect(loadAgencies(path.join(dir, 'missing.yaml')).agencies).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });
});

describe.each(storeTargets())('agency sync on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))('sync', () => {
    beforeAll(() => target.setup(), 60_000);
    afterAll(() => target.teardown(), 60_000);

    it('upserts the registry and keeps removed agencies, inactive', async () => {
      const handle = await target.fresh();
      try {
        await syncAgencies(handle.db, registryOf([{ id: 'one', name: '一' }, { id: 'two', name: '二', channel: { type: 'telegram', chatId: -100 } }]));
        await syncAgencies(handle.db, registryOf([{ id: 'two', name: '二号', capacity: 9 }]));
        const rows = await queryRows<{ id: string; name: string; active: boolean; capacity: number; channel_type: string | null }>(handle.db, sql`select id, name, active, capacity, channel_type from agencies order by id`);
        expect(rows).toEqual([
          { id: 'one', name: '一', active: false, capacity: 5, channel_type: null },
          { id: 'two', name: '二号', active: true, capacity: 9, channel_type: null },
        ]);
      } finally {
        await handle.close();
      }
    });
  });
});
