/**
 * Platform send limits, enforced by the sender before each delivery. A limiter reserves the next free slot
 * of a key and says how long to wait for it; the slot is taken at once, so concurrent senders queue up
 * behind each other instead of racing. Two limiters, one contract:
 * - `MemorySendLimiter` counts in this process: right for the embedded database, which one process owns;
 * - `SharedSendLimiter` (src/store/send-windows.ts) counts in the database, so that every instance on one
 *   Postgres shares a platform's per-app limit instead of each taking all of it.
 * Both keep a sliding window (the last `limit` slots of a key), never a fixed one: a fixed window lets
 * `limit` sends through at the end of one window and `limit` more at the start of the next, twice the limit
 * in any second a platform counts.
 */
import type { SendLimit } from '../types.js';
import { DeliveryError } from './delivery-error.js';

export interface SendLimiter {
  /** Reserves the next free slot under `limit.key`; resolves with the milliseconds until it begins. */
  reserve(limit: SendLimit): Promise<number>;
}

/** A sliding window per key, in this process. */
export class MemorySendLimiter implements SendLimiter {
  private readonly slots = new Map<string, number[]>();

  async reserve(limit: SendLimit): Promise<number> {
    return this.reserveAt(limit, Date.now());
  }

  /** `reserve()` at a given clock, for tests. */
  reserveAt({ key, limit, windowMs }: SendLimit, now: number): number {
    const times = (this.slots.get(key) ?? []).filter((t) => t > now - windowMs);
    const at = times.length >= limit ? Math.max(now, times[times.length - limit]! + windowMs) : now;
    times.push(at);
    this.slots.set(key, times.slice(-limit));
    if (this.slots.size > 10_000) this.prune(now, windowMs);
    return at - now;
  }

  private prune(now: number, windowMs: number): void {
    for (const [key, times] of this.slots) if ((times[times.length - 1] ?? 0) <= now - windowMs) this.slots.delete(key);
  }
}

/** How long the sender waits before retrying a reply whose limiter could not be asked (the database failing). */
const LIMITER_FAILURE_RETRY_MS = 1_000;

/**
 * Waits for a slot under each limit in turn. A limiter that fails (its database unreachable) fails the
 * delivery with a retryable error: the reply stays in the outbox and goes out later, never unlimited.
 */
export async function waitForSendSlots(limiter: SendLimiter, limits: readonly SendLimit[]): Promise<void> {
  for (const limit of limits) {
    let wait: number;
    try {
      wait = await limiter.reserve(limit);
    } catch (error) {
      throw new DeliveryError(`send limiter unavailable (${limit.key}): ${error instanceof Error ? error.message : String(error)}`, { retryAfterMs: LIMITER_FAILURE_RETRY_MS, cause: error });
    }
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
