/**
 * postgres.js prepares tagged-template queries but not `unsafe()` ones, and `unsafe()` is how drizzle sends
 * every query it builds. An unprepared query with parameters costs two round trips (Parse/Describe, then
 * Bind/Execute) and a fresh plan in Postgres each time. This wrapper makes `unsafe()` prepare whenever it has
 * parameters (drizzle passes `prepare: false` unless a query is named), in transactions and savepoints
 * too, so a repeated query is one round trip on a cached plan.
 *
 * postgres.js caches statements per connection by their text. Our queries have few shapes (a batched insert
 * has at most 64 row counts), and connections are recycled after `max_lifetime`, so the cache stays small.
 */
import type { Sql, TransactionSql } from 'postgres';

type Unsafe = Sql['unsafe'];

export function preparing<T extends Sql | TransactionSql>(sql: T): T {
  return new Proxy(sql, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'unsafe') {
        // Parameterless strings go through the simple protocol (e.g. multi-statement migrations), and the
        // two-argument form `unsafe(query, options)` is postgres.js's own business: pass those on untouched.
        return (...params: Parameters<Unsafe>) => {
          const [query, args, options] = params;
          return Array.isArray(args) && args.length ? (value as Unsafe).call(target, query, args, { ...options, prepare: true }) : (value as Unsafe).apply(target, params);
        };
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...params: unknown[]) => {
          const callback = params.pop() as (tx: TransactionSql) => unknown;
          return (value as (...a: unknown[]) => unknown).call(target, ...params, (tx: TransactionSql) => callback(preparing(tx)));
        };
      }
      return value;
    },
  });
}
