/**
 * Delivers outbox rows through each channel's deliverer. The row is marked `sending` (leased) before the
 * send and `sent` right after, which keeps the window for a duplicate after a crash as short as it can be;
 * deliverers pass `reply.id` to platforms that take an idempotency key.
 */
import type { Failpoint } from '../failpoint.js';
import type { ChannelName, Deliverer, DeliveryReceipt, OutgoingReply } from '../types.js';
import { DeliveryError } from './delivery-error.js';
import type { Outbox } from './outbox.js';
import { startPollLoop, type PollLoop } from './poll-loop.js';
import { canRetry, DEFAULT_OUTBOX_POLICY, retryDelayMs, type RetryPolicy } from './retry-policy.js';
import { waitForSendSlots, type SendLimiter } from './send-limits.js';
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

/**
 * What the sender lets the domain do around a send, without knowing it: fill in what the queue must not
 * hold (a contact, read and decrypted at send time) and record where the posted message belongs.
 */
export interface SendHooks {
  /** The reply as it is sent; the stored row is not changed. */
  prepare?(reply: OutgoingReply): Promise<OutgoingReply>;
  /** Told after the platform took the message, before the row is marked sent. */
  delivered?(reply: OutgoingReply, receipt: DeliveryReceipt | undefined): Promise<void>;
}

export interface SenderDeps {
  outbox: Outbox;
  hooks?: SendHooks;
  deliverers: Deliverer[];
  /** Enforces the deliverers' `sendLimits()`; without one, replies leave as fast as they are claimed. */
  limiter?: SendLimiter;
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
    if (deps.limiter && deliverer.sendLimits) await waitForSendSlots(deps.limiter, deliverer.sendLimits(reply));
    const sent = deps.hooks?.prepare ? await deps.hooks.prepare(reply) : reply;
    const receipt = await deliverer.send(sent, {
      partSent: async (parts) => {
        deps.failpoint?.('delivery.sent', { channel: reply.channel });
        await deps.outbox.markPartsSent(reply.id, parts);
      },
    });
    deps.failpoint?.('delivery.sent', { channel: reply.channel });
    // The message is out: a failure to record where it belongs must not send it again.
    await deps.hooks?.delivered?.(reply, receipt ?? undefined).catch((error: unknown) => deps.onError(error, reply));
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
