import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { validateQuestion } from '../consult.js';

/** An error with an HTTP status and a message fit to show the user. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = () => new HttpError(404, 'not_found', '没有找到这条咨询记录。');

/**
 * One place turns errors into responses: 4xx carry their own message, anything else is logged and
 * answered with a generic one (no stack, no SQL).
 */
export function handleError(error: FastifyError | HttpError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  if ('validation' in error && error.validation) {
    return reply.status(400).send({ error: 'input_invalid', message: validationMessage(error as FastifyError, request) });
  }
  if (error instanceof AppError && error.code === 'input_invalid') {
    return reply.status(400).send({ error: 'input_invalid', message: error.message });
  }
  if (error instanceof HttpError) {
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', error.retryAfterSeconds);
    return reply.status(error.statusCode).send({ error: error.code, message: error.message, retryAfterSeconds: error.retryAfterSeconds });
  }
  const status = (error as FastifyError).statusCode ?? 500;
  if (status < 500) {
    // Fastify's own client errors (malformed JSON, body too large, wrong content type).
    return reply.status(status).send({ error: 'input_invalid', message: `请求格式不正确（${(error as FastifyError).code ?? status}）。` });
  }
  request.log.error({ err: error }, 'request failed');
  return reply.status(500).send({ error: 'internal', message: '服务暂时出错，请稍后再试。' });
}

/** A question problem is explained by validateQuestion() itself; other fields get a short pointer. */
function validationMessage(error: FastifyError, request: FastifyRequest): string {
  const first = error.validation?.[0];
  const field = first?.instancePath.replace(/^\//, '') || (first?.params as { missingProperty?: string } | undefined)?.missingProperty || '';
  if (field === 'question' || (field === '' && request.url.endsWith('/ask'))) {
    try {
      validateQuestion((request.body as { question?: unknown } | undefined)?.question);
    } catch (e) {
      if (e instanceof AppError) return e.message;
    }
    return '问题太长或格式不正确，请精简后再试。';
  }
  return field ? `请求中的 ${field} 不正确。` : '请求格式不正确。';
}
