/** Bounded retries with exponential back-off; a platform's retry-after always wins when it is longer. */
export interface RetryPolicy {
  /** Attempts in all, the first one included; after the last failure the row is dead. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles with each further one. */
  baseDelayMs: number;
  /** Ceiling for the exponential part (a retry-after may exceed it). */
  maxDelayMs: number;
}

export const DEFAULT_INBOX_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000 };
export const DEFAULT_OUTBOX_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

/**
 * Delay before attempt `failedAttempt + 1`: base·2^(n−1), capped, with ±25 % jitter so that rows failing
 * together do not retry together; never shorter than `retryAfterMs`.
 */
export function retryDelayMs(failedAttempt: number, policy: RetryPolicy, retryAfterMs = 0, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  const jittered = Math.round(exponential * (0.75 + 0.5 * random()));
  return Math.max(retryAfterMs, jittered);
}

/** Whether another attempt is allowed after `failedAttempt` failures. */
export function canRetry(failedAttempt: number, policy: RetryPolicy): boolean {
  return failedAttempt < policy.maxAttempts;
}
