/**
 * A webhook agency on 127.0.0.1: records every delivery the service POSTs to it, each verified with the
 * reference `standardwebhooks` library, and answers 200 (or a scripted status). `sign()` makes the agency's
 * own signed requests to the service.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { AgencyWebhookEvent } from '../../src/types.js';
import { LoopbackServer } from './loopback-server.js';

export interface Delivery {
  headers: Record<string, string>;
  body: string;
  /** What the reference library made of it; undefined when it refused the signature. */
  event?: AgencyWebhookEvent;
}

export class FakeAgencyWebhook extends LoopbackServer {
  readonly deliveries: Delivery[] = [];
  /** Statuses to answer with, in order, before answering 200. */
  readonly script: number[] = [];

  constructor(readonly secret: string) {
    super();
  }

  get url(): string {
    return `${this.origin}/hook`;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let event: AgencyWebhookEvent | undefined;
    try {
      event = new Webhook(this.secret).verify(body, headers) as AgencyWebhookEvent;
    } catch {
      event = undefined;
    }
    this.deliveries.push({ headers, body, event });
    res.writeHead(this.script.shift() ?? 200, { 'content-type': 'application/json' });
    res.end('{}');
  }

  /** Headers for the agency's own request with `body`, signed at `at` under `id`. */
  sign(body: string, id: string, at: Date = new Date(), secret = this.secret): Record<string, string> {
    return {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    };
  }

  async waitFor(predicate: (deliveries: Delivery[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.deliveries)) {
      if (Date.now() > deadline) throw new Error(`agency webhook: condition not met; ${this.deliveries.length} deliveries`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
