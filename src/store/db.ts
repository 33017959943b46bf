/**
 * Opens the database (DESIGN decision 2): PGlite under `${dataDir}/pglite` by default, postgres.js when a
 * URL is given. Both run the generated migrations from `drizzle/` before returning.
 */
import path from 'node:path';
import v8 from 'node:v8';
import type { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { fromRoot } from '../paths.js';
import { acquireDirectoryLock, type DirectoryLock } from './lock.js';
import { makePrivate } from './file-modes.js';
import { seedFromTemplate } from './pglite-template.js';
import { preparing } from './prepared-statements.js';
import * as schema from './schema.js';

/** The drizzle database over either driver; query builders and transactions behave the same on both. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DriverName = 'pglite' | 'postgres';

/** An open database. Always `close()` it: PGlite checkpoints its WAL and releases the directory lock. */
export interface DatabaseHandle {
  db: Database;
  driver: DriverName;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL. Without it the embedded PGlite is used. */
  databaseUrl?: string;
  /** Data directory for PGlite (`${dataDir}/pglite`). Undefined → in-memory (tests). */
  dataDir?: string;
  /** Migrations to apply; defaults to the repository's `drizzle/`. Tests point it elsewhere. */
  migrationsFolder?: string;
  /** Postgres connection pool size (default 10). */
  poolSize?: number;
}

/** `drizzle/` at the project root, whether running from src/ or dist/, whatever the working directory. */
export const DEFAULT_MIGRATIONS_FOLDER = fromRoot('drizzle');

/** Arbitrary constant: serialises migrations of several instances starting against one Postgres. */
const MIGRATION_ADVISORY_LOCK = 4_815_162_342;

/**
 * PGlite's own defaults plus smaller buffers. Its default shared_buffers (160 MB of the WASM heap, touched as
 * pages are read) is sized for a server; the consultation log and queues are small and hot, and 8 MB keeps
 * the working set (indexes and recent rows) in memory; the operating system caches the files besides.
 */
export const PGLITE_SETTINGS = ['-c', 'shared_buffers=8MB', '-c', 'temp_buffers=2MB'];

/**
 * PGlite's 9 MB WebAssembly module is compiled by V8's baseline compiler only. The optimizing tier
 * recompiles hot functions in the background: on this 2-core machine it took some 60 MB more resident
 * memory and 0.7 s more to open a database, for queries ~25 % faster (0.27 → 0.34 ms for a point query),
 * which the consultation log and queues, a few statements per message, do not notice. Wasm compile flags
 * are read when a module is compiled, so setting it before the first PGlite is enough.
 */
function compileWasmWithLiftoff(): void {
  if (!process.execArgv.some((a) => a.includes('wasm-tier'))) v8.setFlagsFromString('--liftoff-only');
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  const migrationsFolder = options.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER;
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, migrationsFolder, options.poolSize ?? 10)
    : openPglite(options.dataDir, migrationsFolder);
}

async function openPglite(dataDir: string | undefined, migrationsFolder: string): Promise<DatabaseHandle> {
  let lock: DirectoryLock | undefined;
  if (dataDir !== undefined) {
    const dir = path.resolve(dataDir);
    lock = await acquireDirectoryLock(path.join(dir, 'pglite.lock'), dir);
  }
  try {
    compileWasmWithLiftoff();
    const { PGlite } = await import('@electric-sql/pglite'); // not loaded at all on Postgres
    const pgdata = dataDir === undefined ? undefined : path.resolve(dataDir, 'pglite');
    if (pgdata) await seedFromTemplate(pgdata);
    const client = await PGlite.create(pgdata, { startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS] });
    if (pgdata) await makePrivate(pgdata);
    const handle = await attachPglite(client, { migrationsFolder });
    return {
      ...handle,
      close: async () => {
        try {
          await handle.close();
          if (pgdata) await makePrivate(pgdata);
        } finally {
          await lock?.release();
        }
      },
    };
  } catch (error) {
    await lock?.release();
    throw error;
  }
}

/**
 * Wraps an already open PGlite (for example a `clone()` of a migrated template in tests) and applies
 * pending migrations. Closing the handle closes the client.
 */
export async function attachPglite(
  client: PGlite,
  options: { migrationsFolder?: string } = {},
): Promise<DatabaseHandle> {
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const db = drizzle({ client, schema });
  try {
    await migrate(db, { migrationsFolder: options.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER });
  } catch (error) {
    await client.close();
    throw error;
  }
  return { db, driver: 'pglite', close: () => client.close() };
}

async function openPostgres(url: string, migrationsFolder: string, poolSize: number): Promise<DatabaseHandle> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  // One connection for migrating, so that the session advisory lock covers the migration transaction.
  const migrator = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrator`select pg_advisory_lock(${MIGRATION_ADVISORY_LOCK})`;
    await migrate(drizzle({ client: migrator }), { migrationsFolder });
    await migrator`select pg_advisory_unlock(${MIGRATION_ADVISORY_LOCK})`;
  } finally {
    await migrator.end({ timeout: 5 });
  }
  const client = postgres(url, { max: poolSize, onnotice: () => {} });
  return {
    db: drizzle({ client: preparing(client), schema }),
    driver: 'postgres',
    close: () => client.end({ timeout: 5 }),
  };
}

/** Runs raw SQL and returns its rows on either driver (postgres.js gives an array, PGlite `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
