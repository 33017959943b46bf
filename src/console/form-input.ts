/**
 * What console handlers may assume of their input: a form's fields and a query's parameters are strings,
 * and only the checkbox fields (`cite`) may repeat. A browser posting a console form sends nothing else; a
 * script posting JSON objects, numbers or repeated fields gets a 400 here instead of a TypeError in a handler.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../http/http-error.js';

/** Fields a form sends once per ticked checkbox. */
const REPEATABLE = new Set(['cite']);

function problemIn(input: unknown, what: string): string | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) return `${what} is not a form`;
  for (const [key, value] of Object.entries(input)) {
    if (typeof value === 'string') continue;
    if (REPEATABLE.has(key) && Array.isArray(value) && value.every((v) => typeof v === 'string')) continue;
    // The field's name is the client's text too: it stays out of the log.
    return `a ${what} field is not a single text value`;
  }
  return undefined;
}

export function formInputHook(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    // The CSV import streams its multipart body in the handler (request.body is unset there).
    const problem = problemIn(request.query, 'query') ?? (request.isMultipart() ? undefined : problemIn(request.body, 'body'));
    if (problem) {
      request.log.info({ problem }, 'console input refused');
      throw new HttpError(400, 'input_invalid', '请求格式不正确：每个字段只能填写一项文字。');
    }
  });
}
