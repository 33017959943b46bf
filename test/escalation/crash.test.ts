/**
 * Cases across crashes and instances, with the real service in child processes:
 * - kill -9 between a case transition and its notification: after a restart the agency gets it exactly once;
 * - two processes on one Postgres: every SLA timer fires once, and no case is routed twice.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/store/db.js';
import { sleep, startCrashService } from '../queue/fixtures.js';
import { storeTargets } from '../store/targets.js';
import { WEBHOOK_SECRET } from './fixtures.js';

const REGISTRY = `agencies:
  - id: hook-a
    name: 甲服务中心
    fields: [patent, trademark, copyright]
    services: [litigation]
    districts: all
    capacity: 100
    contact: 甲中心
    channel: {type: webhook, url: "http://127.0.0.1:9/a", secret: "${WEBHOOK_SECRET}"}
  - id: hook-b
    name: 乙服务中心
    fields: [patent, trademark, copyright]
    services: [litigation]
    districts: all
    capacity: 100
    contact: 乙中心
    channel: {type: webhook, url: "http://127.0.0.1:9/b", secret: "${WEBHOOK_SECRET}"}
`;

interface Delivery {
  id: number;
  event?: string;
  caseId?: string;
  pid?: number;
}

const stop = async (child: ChildProcess, signal: NodeJS.Signals) => {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill(signal);
  await exited;
};

async function readDeliveries(file: string): Promise<Delivery[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Delivery);
}

/** Asks a question that needs a lawyer and opens its case through the HTTP API; returns the case view. */
async function openCase(url: string, user: string): Promise<{ id: string; status: string; consent: { consentId?: number } }> {
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const asked = await post('/api/v1/ask', { question: '我们的专利被侵权了，想找律师起诉', userId: user, conversationId: `c-${user}` });
  const offered = await post('/api/v1/referral', { consultationId: asked.id, userId: user });
  return post(`/api/v1/cases/${offered.id}/consent`, { userId: user, consent: true, consentId: offered.consent.consentId });
}

describe('cases across crashes and instances', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const baseEnv = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-case-crash-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'agencies.yaml'), REGISTRY);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dir,
      PORT: '0',
      LOG_LEVEL: 'warn',
      AGENCIES_FILE: path.join(dir, 'agencies.yaml'),
      CASE_CALENDAR: '24x7',
      DELIVERY_LOG: path.join(dir, 'deliveries.jsonl'),
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      RATE_LIMIT_USER_PER_MINUTE: '100000',
    };
    delete env.DATABASE_URL;
    return { dir, env };
  };

  it('kill -9 between a transition and its notification: the agency is notified exactly once after the restart', { timeout: 120_000 }, async () => {
    const { dir, env } = await baseEnv();
    const gated = { ...env, DELIVERY_GATE: path.join(dir, 'go') };
    const first = await startCrashService(gated);
    const requested = await openCase(first.url, 'crash-user');
    expect(requested.status).toBe('requested'); // committed with its outbox row; the delivery waits at the gate
    await stop(first.child, 'SIGKILL');
    expect(await readDeliveries(env.DELIVERY_LOG!)).toHaveLength(0);

    await writeFile(path.join(dir, 'go'), '');
    const second = await startCrashService(gated);
    for (let waited = 0; !(await readDeliveries(env.DELIVERY_LOG!)).length && waited < 60_000; waited += 50) await sleep(50);
    await sleep(1_000); // time for a second delivery, if there were one
    await stop(second.child, 'SIGTERM');

    const deliveries = (await readDeliveries(env.DELIVERY_LOG!)).filter((d) => d.event);
    expect(deliveries).toEqual([expect.objectContaining({ event: 'case.requested', caseId: requested.id })]);
    const handle = await openDatabase({ dataDir: dir });
    try {
      const rows = await queryRows<{ status: string; n: number | string }>(handle.db, sql`select status, count(*) as n from outbox where channel = 'webhook' group by status`);
      expect(rows.map((r) => ({ status: r.status, n: Number(r.n) }))).toEqual([{ status: 'sent', n: 1 }]);
      const [events] = await queryRows<{ n: number | string }>(handle.db, sql`select count(*) as n from case_events where type = 'consent_given'`);
      expect(Number(events!.n)).toBe(1);
    } finally {
      await handle.close();
    }
  });

  const [, postgresTarget] = storeTargets();
  it.skipIf(Boolean(postgresTarget!.skipReason))('two processes on one Postgres: each SLA timer fires once, no case routed twice', { timeout: 180_000 }, async () => {
    const location = await postgresTarget!.persistent();
    try {
      const { env } = await baseEnv();
      const shared = { ...env, DATABASE_URL: location.url, CASE_ACCEPT_SLA: '2s', CASE_DATA_KEY: Buffer.alloc(32, 3).toString('base64') };
      const a = await startCrashService(shared);
      const b = await startCrashService(shared);
      const CASES = 24;
      const opened = await Promise.all(Array.from({ length: CASES }, (_, i) => openCase(i % 2 ? a.url : b.url, `two-${i}`)));
      expect(opened.every((c) => c.status === 'requested')).toBe(true);
      const handle = await location.open();
      try {
        const fired = async () => Number((await queryRows<{ n: number | string }>(handle.db, sql`select count(*) as n from case_timers where fired_at is not null`))[0]!.n);
        for (let waited = 0; (await fired()) < CASES && waited < 60_000; waited += 200) await sleep(200);
        await sleep(1_500); // both processes keep polling: a timer that fired twice would show now
        await stop(a.child, 'SIGTERM');
        await stop(b.child, 'SIGTERM');
        const perCase = await queryRows<{ case_id: string; breaches: number | string; offers: number | string; status: string; agency_id: string }>(
          handle.db,
          sql`select c.id as case_id, c.status, c.agency_id,
                     (select count(*) from case_events e where e.case_id = c.id and e.type = 'sla_breached') as breaches,
                     (select count(*) from case_events e where e.case_id = c.id and e.type = 'consent_requested') as offers
              from cases c`,
        );
        expect(perCase).toHaveLength(CASES);
        for (const row of perCase) {
          // One breach (the first agency's accept SLA), then one offer to the second agency awaiting consent.
          expect({ breaches: Number(row.breaches), offers: Number(row.offers), status: row.status }).toEqual({ breaches: 1, offers: 2, status: 'awaiting_consent' });
        }
        const timers = await queryRows<{ n: number | string }>(handle.db, sql`select count(*) as n from case_timers where fired_at is not null`);
        expect(Number(timers[0]!.n)).toBe(CASES);
        const deliveries = (await readDeliveries(env.DELIVERY_LOG!)).filter((d) => d.event);
        const requestedTo = deliveries.filter((d) => d.event === 'case.requested');
        expect(new Set(requestedTo.map((d) => d.caseId)).size).toBe(CASES);
        expect(requestedTo).toHaveLength(CASES);
        expect(deliveries.filter((d) => d.event === 'case.withdrawn')).toHaveLength(CASES);
        const byPid = new Map<number | undefined, number>();
        for (const d of deliveries.filter((x) => x.event === 'case.withdrawn')) byPid.set(d.pid, (byPid.get(d.pid) ?? 0) + 1);
        console.log(`[two instances] withdrawal notices sent per process: ${JSON.stringify([...byPid.values()])}`);
      } finally {
        await handle.close();
      }
    } finally {
      await location.dispose();
    }
  });
});
