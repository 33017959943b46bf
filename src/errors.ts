/** The few error kinds the service distinguishes; each carries a code for logs and HTTP mapping. */
export type ErrorCode = 'config_invalid' | 'input_invalid' | 'knowledge_invalid' | 'retrieval_failed' | 'store_failed';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}
