/**
 * An error as a log line may carry it. A failed query's error (drizzle's DrizzleQueryError) puts the query's
 * parameters in its message and stack, and the database's own message often quotes the offending value
 * (`invalid input syntax for type timestamp: "…"`): either can be a staff member's search term or a
 * user's question. Such an error is logged with the SQL text, the SQLSTATE and the stack frames only.
 * Other errors keep pino's usual fields, their message masked for personal data.
 */
import { stdSerializers } from 'pino';
import { loggableText } from '../privacy/log-text.js';

interface QueryError extends Error {
  query: string;
  params: unknown[];
}

function isQueryError(error: Error): error is QueryError {
  return typeof (error as Partial<QueryError>).query === 'string' && Array.isArray((error as Partial<QueryError>).params);
}

/** SQLSTATE of a Postgres error (postgres.js and PGlite both call it `code`). */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

const frames = (stack: string | undefined) => (stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)).join('\n');

/** The fields pino's error serializer is typed to give. */
export interface LoggedError {
  [key: string]: unknown;
  type: string;
  message: string;
  stack: string;
}

export function loggableError(error: unknown): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: loggableText(String(error)), stack: '' };
  if (isQueryError(error)) {
    const cause = error.cause instanceof Error ? error.cause : undefined;
    return {
      type: error.name,
      message: `Failed query: ${error.query.slice(0, 2000)}`,
      params: `(${error.params.length} not logged)`,
      ...(cause ? { cause: { type: cause.name, code: sqlState(cause) } } : {}),
      stack: frames(error.stack),
    };
  }
  const plain = stdSerializers.err(error) as unknown as Record<string, unknown>;
  const state = sqlState(error);
  // A database error outside drizzle (a raw query): its message may quote a value too.
  if (state) return { type: error.name, message: `database error ${state}`, code: state, stack: frames(error.stack) };
  return { ...plain, type: error.name, message: loggableText(error.message, 2000), stack: frames(error.stack) };
}
