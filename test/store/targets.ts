/**
 * The drivers the store suite runs on. Every test gets a fresh, fully migrated database:
 * - PGlite: one migrated in-memory database per file, every table truncated (identities reset) before each
 *   test. `clone()` of a migrated template was the first choice, but measured 2.5–3.8 s per clone on this
 *   2-core machine under load (a fresh create + migrate: ~10 s); a truncate of all schema tables takes milliseconds.
 * - Postgres (when TEST_DATABASE_URL is set): one migrated template database per file, and per test
 *   `CREATE DATABASE … TEMPLATE …`, dropped afterwards. Separate databases, not schemas, because the
 *   migrator keeps its journal in schema `drizzle`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { openDatabase, type Database, type DatabaseHandle, type DriverName } from '../../src/store/db.js';
import * as schema from '../../src/store/schema.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/** A place that can be opened, closed and opened again (a PGlite directory or a Postgres database). */
export interface PersistentLocation {
  open(options?: { migrationsFolder?: string }): Promise<DatabaseHandle>;
  /** The DATABASE_URL of a Postgres location, for a child process. */
  url?: string;
  /** The directory of a PGlite location, whose files a test may read. */
  dataDir?: string;
  dispose(): Promise<void>;
}

export interface StoreTarget {
  name: DriverName;
  /** Why the target is skipped, or undefined when it runs. */
  skipReason?: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh migrated database for one test. */
  fresh(): Promise<DatabaseHandle>;
  /** An empty location, for restart and migration tests. */
  persistent(): Promise<PersistentLocation>;
}

function pgliteTarget(): StoreTarget {
  let shared: DatabaseHandle | undefined;
  return {
    name: 'pglite',
    async setup() {
      shared = await openDatabase({});
    },
    async teardown() {
      await shared?.close();
    },
    async fresh() {
      if (!shared) throw new Error('setup() first');
      await emptyAllTables(shared.db);
      return { ...shared, close: async () => {} }; // closed once, in teardown()
    },
    async persistent() {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-store-'));
      return {
        dataDir,
        open: (options) => openDatabase({ dataDir, ...options }),
        dispose: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
  };
}

/** Every table of the schema, emptied and with identities reset: a fresh database as far as tests can see. */
async function emptyAllTables(db: Database): Promise<void> {
  const tables = Object.values(schema).filter((value) => is(value, PgTable));
  const names = tables.map((table) => `"${getTableName(table)}"`).join(', ');
  await db.execute(sql.raw(`truncate table ${names} restart identity cascade`));
}

function postgresTarget(url: string | undefined): StoreTarget {
  const admin = url ? postgres(url, { max: 1, onnotice: () => {} }) : undefined;
  const prefix = `ipcb_${process.pid}_${Date.now().toString(36)}`;
  const templateName = `${prefix}_tpl`;
  let counter = 0;
  const urlFor = (database: string) => {
    const u = new URL(url ?? '');
    u.pathname = `/${database}`;
    return u.toString();
  };
  const createDatabase = async (name: string, template?: string) => {
    if (!admin) throw new Error('TEST_DATABASE_URL is not set');
    await admin.unsafe(`create database "${name}"${template ? ` template "${template}"` : ''}`);
  };
  const dropDatabase = async (name: string) => {
    await admin?.unsafe(`drop database if exists "${name}" with (force)`);
  };
  return {
    name: 'postgres',
    skipReason: url ? undefined : 'TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)',
    async setup() {
      await createDatabase(templateName);
      const handle = await openDatabase({ databaseUrl: urlFor(templateName) });
      await handle.close(); // a template must have no open connections when it is copied
    },
    async teardown() {
      await dropDatabase(templateName);
      await admin?.end({ timeout: 5 });
    },
    async fresh() {
      const name = `${prefix}_${++counter}`;
      await createDatabase(name, templateName);
      const handle = await openDatabase({ databaseUrl: urlFor(name), poolSize: 4 });
      return {
        ...handle,
        close: async () => {
          await handle.close();
          await dropDatabase(name);
        },
      };
    },
    async persistent() {
      const name = `${prefix}_${++counter}`;
      await createDatabase(name);
      return {
        url: urlFor(name),
        open: (options) => openDatabase({ databaseUrl: urlFor(name), poolSize: 4, ...options }),
        dispose: () => dropDatabase(name),
      };
    },
  };
}

/** Both targets; the postgres one carries a skip reason when TEST_DATABASE_URL is unset. */
export function storeTargets(): StoreTarget[] {
  const targets = [pgliteTarget(), postgresTarget(TEST_DATABASE_URL)];
  for (const target of targets) {
    if (target.skipReason) console.warn(`[store suite] ${target.name} tests SKIPPED: ${target.skipReason}`);
  }
  return targets;
}

/** Vitest title for a target, showing why it is skipped. */
export function targetTitle(target: StoreTarget): string {
  return target.skipReason ? `${target.name} (SKIPPED: ${target.skipReason})` : target.name;
}

/**
 * Inside a describe block: sets `target` up for the block and gives every test a fresh database;
 * returns the current test's handle.
 */
export function freshDatabasePerTest(target: StoreTarget): () => DatabaseHandle {
  let handle: DatabaseHandle | undefined;
  beforeAll(() => target.setup(), 60_000);
  afterAll(() => target.teardown(), 60_000);
  beforeEach(async () => {
    handle = await target.fresh();
  }, 60_000);
  afterEach(() => handle?.close(), 60_000);
  return () => {
    if (!handle) throw new Error('no database outside a test');
    return handle;
  };
}
