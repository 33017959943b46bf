/**
 * Delivers case events to webhook agencies (outbox channel `webhook`, chat = agency id): a signed POST per
 * Standard Webhooks. The `webhook-id` is derived from the outbox row, so a retry carries the same id and the
 * agency can drop a duplicate. 2xx is delivered; 429 and 5xx are retried with the outbox's back-off (honouring
 * Retry-After); 410 means the endpoint is gone for good. The secret comes from the registry, never the database.
 */
import { DeliveryError } from '../queue/delivery-error.js';
import type { Deliverer, OutgoingReply } from '../types.js';
import type { AgencyRegistry } from './agencies.js';
import { signDelivery } from './webhook-signing.js';

export class WebhookDeliverer implements Deliverer {
  readonly channel = 'webhook' as const;

  constructor(
    private readonly registry: AgencyRegistry,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  async send(reply: OutgoingReply): Promise<void> {
    const agency = this.registry.get(reply.chatId);
    if (!reply.event) throw new DeliveryError('webhook row without an event', { permanent: true });
    if (agency?.channel?.type !== 'webhook') throw new DeliveryError(`agency ${reply.chatId} has no webhook any more`, { permanent: true });
    const body = JSON.stringify(reply.event);
    const headers = signDelivery(agency.channel.secret, `msg_ipcb_${reply.id}`, body);
    let response: Response;
    try {
      response = await fetch(agency.channel.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ip-consult-bot', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new DeliveryError(`agency ${agency.id} webhook unreachable: ${(error as Error).message}`, { cause: error });
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return;
    const description = `agency ${agency.id} webhook answered ${response.status}`;
    if (response.status === 410) throw new DeliveryError(description, { permanent: true });
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new DeliveryError(description, Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {});
  }
}
