/**
 * The life of a user's contact, on PGlite and on Postgres: stored once, encrypted, in the case; read and
 * decrypted only when the message to the agency is sent; erased when the case closes, is withdrawn, or moves
 * to another agency, which gets a contact only if the user gives it again. After all three, no copy is left
 * anywhere: not in any table (read row by row, and in a pg_dump), not in the PGlite data files.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseService } from '../../src/escalation/case-service.js';
import { WebhookDeliverer } from '../../src/escalation/webhook-deliverer.js';
import { Outbox } from '../../src/queue/outbox.js';
import { startSender } from '../../src/queue/sender.js';
import { queryRows, type DatabaseHandle } from '../../src/store/db.js';
import * as schema from '../../src/store/schema.js';
import { FakeAgencyWebhook } from '../fakes/agency-webhook.js';
import { testApp } from '../http/fixtures.js';
import { settled } from '../queue/fixtures.js';
import { storeTargets, targetTitle, type PersistentLocation } from '../store/targets.js';
import { OTHER_SECRET, registryOf, testCases, WEBHOOK_SECRET } from './fixtures.js';

const USER = 'web-user-secret-7f3a';
const CLOSED = '13511110001';
const WITHDRAWN = 'withdrawn.user@example.com';
const FOR_FIRST = '13511110003';
const CONTACTS = [CLOSED, WITHDRAWN, FOR_FIRST];

/** Every row of every table of the schema, as text. */
async function everyRow(handle: DatabaseHandle): Promise<string[]> {
  const tables = Object.values(schema).filter((value) => is(value, PgTable));
  const rows: string[] = [];
  for (const table of tables) rows.push(...(await queryRows<{ row: string }>(handle.db, sql.raw(`select t::text as row from "${getTableName(table)}" t`))).map((r) => `${getTableName(table)}: ${r.row}`));
  return rows;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe.each(storeTargets())('the life of a contact on $name', (target) => {
  describe.skipIf(Boolean(target.skipReason))(targetTitle(target), { timeout: 90_000 }, () => {
    let location: PersistentLocation;
    let handle: DatabaseHandle;
    let app: FastifyInstance;
    let cases: CaseService;
    const first = new FakeAgencyWebhook(WEBHOOK_SECRET);
    const second = new FakeAgencyWebhook(OTHER_SECRET);

    beforeAll(async () => {
      await target.setup();
      location = await target.persistent();
      handle = await location.open();
      await first.start();
      await second.start();
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await handle?.close();
      await location?.dispose();
      await first.stop();
      await second.stop();
      await target.teardown();
    }, 60_000);

    it('reaches only the agency it was given for, at send time, and is gone after close, withdrawal and a move', async () => {
      const registry = registryOf([
        { id: 'hook-one', name: '一号知识产权服务中心', services: ['litigation'], channel: { type: 'webhook', url: first.url, secret: WEBHOOK_SECRET } },
        { id: 'hook-two', name: '二号律师事务所', services: ['litigation'], channel: { type: 'webhook', url: second.url, secret: OTHER_SECRET } },
      ]);
      const outbox = new Outbox(handle.db);
      let wake = () => {};
      cases = await testCases(handle.db, outbox, { registry, onQueued: () => wake() });
      const sender = startSender({ outbox, hooks: cases.deliveryHooks(), deliverers: [new WebhookDeliverer(registry)], onError: () => {} }, { idleMs: 10 });
      wake = () => sender.wake();
      ({ app } = await testApp(handle, {}, { cases, registry }));
      const agencyOf = { 'hook-one': first, 'hook-two': second } as const;
      const post = (url: string, body: object) => app.inject({ method: 'POST', url, payload: body });
      const agencyEvent = (caseId: string, agencyId: keyof typeof agencyOf, body: object, id: string) => {
        const raw = JSON.stringify(body);
        return app.inject({ method: 'POST', url: `/api/v1/agency/cases/${caseId}/events`, headers: agencyOf[agencyId].sign(raw, id), payload: raw });
      };
      const deliveriesTo = (agencyId: keyof typeof agencyOf) => agencyOf[agencyId].deliveries;
      const referral = async (question: string) => {
        const asked = (await post('/api/v1/ask', { question, userId: USER })).json();
        return (await post('/api/v1/referral', { consultationId: asked.id, userId: USER })).json();
      };
      const consent = async (view: { id: string; consent: { consentId: number } }, contact?: string) => {
        const answered = await post(`/api/v1/cases/${view.id}/consent`, { userId: USER, consent: true, consentId: view.consent.consentId, ...(contact ? { contact } : {}) });
        expect(answered.statusCode).toBe(200);
        return answered.json();
      };
      const requestTo = async (agencyId: keyof typeof agencyOf, caseId: string) => {
        await agencyOf[agencyId].waitFor((d) => d.some((x) => x.event?.type === 'case.requested' && x.event.data.caseId === caseId));
        return deliveriesTo(agencyId).find((x) => x.event?.type === 'case.requested' && x.event.data.caseId === caseId)!.event!.data;
      };

      try {
        // 1. Given, delivered, then the case is closed.
        const one = await referral('我们公司的商标被人恶意抢注了，想找律师起诉对方');
        await consent(one, CLOSED);
        expect(await requestTo(one.agency.id, one.id)).toMatchObject({ contact: CLOSED });
        await agencyEvent(one.id, one.agency.id, { type: 'accept' }, 'evt-1-accept');
        expect((await agencyEvent(one.id, one.agency.id, { type: 'close', text: '已联系，办结。' }, 'evt-1-close')).json().status).toBe('completed');

        // 2. Given, delivered, then withdrawn.
        const two = await referral('版权被侵权了，要找律师起诉');
        await consent(two, WITHDRAWN);
        expect(await requestTo(two.agency.id, two.id)).toMatchObject({ contact: WITHDRAWN });
        expect((await post(`/api/v1/cases/${two.id}/withdraw`, { userId: USER })).json().status).toBe('cancelled');

        // 3. Given for the first agency, which declines: the next one is asked for under a new consent, without it.
        const three = await referral('想找律师起诉侵犯我们专利的公司');
        const firstAgency = three.agency.id as keyof typeof agencyOf;
        await consent(three, FOR_FIRST);
        expect(await requestTo(firstAgency, three.id)).toMatchObject({ contact: FOR_FIRST });
        const moved = (await agencyEvent(three.id, firstAgency, { type: 'decline', reason: '利益冲突' }, 'evt-3-decline')).json();
        expect(moved.status).toBe('awaiting_consent');
        const view = (await app.inject(`/api/v1/cases/${three.id}?userId=${USER}`)).json();
        const nextAgency = view.agency.id as keyof typeof agencyOf;
        expect(nextAgency).not.toBe(firstAgency);
        await consent(view);
        const toNext = await requestTo(nextAgency, three.id);
        expect(toNext.contact).toBeUndefined();
        expect(await cases.forAgency(three.id, nextAgency)).toMatchObject({ status: 'requested' });
        expect((await cases.forAgency(three.id, nextAgency))!.contact).toBeUndefined();
        expect(deliveriesTo(nextAgency).map((d) => d.body).join('\n')).not.toContain(FOR_FIRST);

        await settled(handle.db);
      } finally {
        await sender.stop();
      }

      // No copy left: every table row by row, then the database as a whole.
      const rows = (await everyRow(handle)).join('\n');
      expect(rows).toContain('case_consents'); // the walk did read the tables
      for (const contact of CONTACTS) expect(rows).not.toContain(contact);
      if (location.url) {
        const dump = spawnSync('pg_dump', ['--data-only', location.url], { encoding: 'utf8' });
        if (dump.error) console.warn(`pg_dump not run: ${dump.error.message}`);
        else {
          expect(dump.status).toBe(0);
          expect(dump.stdout).toContain('COPY public.cases');
          for (const contact of CONTACTS) expect(dump.stdout).not.toContain(contact);
        }
      }
      if (location.dataDir) {
        await handle.close();
        handle = undefined as unknown as DatabaseHandle;
        const files = await filesUnder(location.dataDir);
        expect(files.length).toBeGreaterThan(10);
        for (const file of files) {
          const bytes = await readFile(file);
          for (const contact of CONTACTS) expect(bytes.includes(contact), `${contact} in ${path.relative(location.dataDir, file)}`).toBe(false);
        }
        // The question did reach the files: the search would have found a string that is there.
        const everything = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
        expect(everything.includes('侵犯我们专利')).toBe(true);
      }
    });
  });
});
