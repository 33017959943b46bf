/**
 * Delivers outbox rows through each channel's deliverer. The row is marked `sending` (leased) before the
 * send and `sent` right after, which keeps the window for a duplicate after a crash as short as it can be;
 * deliverers pass `reply.id` to platforms that take an idempotency key.
 */
import type { Failpoint } from '../failpoint.js';
import type { ChannelName, Deliverer, OutgoingReply } from '../types.js';
import { DeliveryError } from './delivery-error.js';
import type { Outbox } from './outbox.js';
import { startPollLoop, type PollLoop } from './poll-loop.js';
import { canRetry, DEFAULT_OUTBOX_POLICY, retryDelayMs, type RetryPolicy } from './retry-policy.js';
import { describe } from './worker.js';

export type DeliveryResult = 'sent' | 'retry' | 'dead';

export interface SenderOptions {
  /** Rows sent at once (each from a different chat). */
  concurrency: number;
  /** Lease on a row being sent; longer than a deliverer's own timeout. */
  leaseMs: number;
  idleMs: number;
  policy: RetryPolicy;
}

export const DEFAULT_SENDER_OPTIONS: SenderOptions = { concurrency: 8, leaseMs: 30_000, idleMs: 500, policy: DEFAULT_OUTBOX_POLICY };

export interface SenderDeps {
  outbox: Outbox;
  deliverers: Deliverer[];
  onError: (error: unknown, reply?: OutgoingReply) => void;
  onDelivery?: (reply: OutgoingReply, result: DeliveryResult) => void;
  /** Crash tests stop the process here (src/failpoint.ts). */
  failpoint?: Failpoint;
}

/** Sends one claimed row and settles it: sent, back to pending after a delay, or dead. */
export async function deliverOne(deps: SenderDeps, byChannel: Map<ChannelName, Deliverer>, reply: OutgoingReply, policy: RetryPolicy = DEFAULT_OUTBOX_POLICY): Promise<DeliveryResult> {
  const deliverer = byChannel.get(reply.channel);
  let result: DeliveryResult;
  try {
    if (!deliverer) throw new DeliveryError(`no deliverer for channel ${reply.channel}`, { permanent: true });
    const receipt = await deliverer.send(reply, {
      partSent: async (parts) => {
        deps.failpoint?.('delivery.sent', { channel: reply.channel });
        await deps.outbox.markPartsSent(reply.id, parts);
      },
    });
    deps.failpoint?.('delivery.sent', { channel: reply.channel });
    await deps.outbox.markSent(reply.id, receipt?.messageId);
    result = 'sent';
  } catch (error) {
    deps.onError(error, reply);
    const permanent = error instanceof DeliveryError && error.permanent;
    if (!permanent && canRetry(reply.attempt, policy)) {
      const retryAfter = error instanceof DeliveryError ? error.retryAfterMs : undefined;
      await deps.outbox.retryLater(reply.id, retryDelayMs(reply.attempt, policy, retryAfter), describe(error));
      result = 'retry';
    } else {
      await deps.outbox.bury(reply.id, describe(error));
      result = 'dead';
    }
  }
  deps.onDelivery?.(reply, result);
  return result;
}

export function startSender(deps: SenderDeps, options: Partial<SenderOptions> = {}): PollLoop {
  const o = { ...DEFAULT_SENDER_OPTIONS, ...options };
  const byChannel = new Map(deps.deliverers.map((d) => [d.channel, d] as const));
  const channels = [...byChannel.keys()];
  return startPollLoop(
    async () => {
      const replies = await deps.outbox.claim(channels, o.concurrency, o.leaseMs);
      await Promise.all(replies.map((r) => deliverOne(deps, byChannel, r, o.policy).catch((error: unknown) => deps.onError(error, r))));
      return replies.length;
    },
    { idleMs: o.idleMs, onError: (error) => deps.onError(error) },
  );
}
