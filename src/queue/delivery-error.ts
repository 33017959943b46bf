/** How a deliverer reports a failed send; anything else it throws counts as a retryable failure. */
export class DeliveryError extends Error {
  /** Wait at least this long before the next attempt (Telegram `retry_after`, Feishu rate-limit reset). */
  readonly retryAfterMs?: number;
  /** Retrying cannot help (chat gone, bot blocked): the row goes straight to `dead`. */
  readonly permanent: boolean;

  constructor(message: string, options: { retryAfterMs?: number; permanent?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DeliveryError';
    this.retryAfterMs = options.retryAfterMs;
    this.permanent = options.permanent ?? false;
  }
}
