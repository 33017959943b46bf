import Fastify, { type FastifyInstance } from 'fastify';
import { registerTelegramWebhook, TelegramChannel, type TelegramOptions } from '../../src/channels/telegram.js';
import type { Consult } from '../../src/consult.js';
import type { PollLoop } from '../../src/queue/poll-loop.js';
import { startSender } from '../../src/queue/sender.js';
import { startWorker } from '../../src/queue/worker.js';
import type { Database } from '../../src/store/db.js';
import type { CaseServiceDeps } from '../../src/escalation/case-service.js';
import { BOT_TOKEN, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { queueParts } from '../queue/fixtures.js';

export const SECRET = 'webhook-secret_0123456789abcdefABCDEF';
export const FAST_POLICY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

/** A channel over `db` with the webhook on a bare fastify app, plus a running worker and sender. */
export async function telegramRig(db: Database, fake: FakeTelegramApi, options: Partial<TelegramOptions> = {}, consult?: Consult, caseOptions: Partial<CaseServiceDeps> = {}) {
  const parts = await queueParts(db, consult, caseOptions);
  const logs: { level: string; message: string }[] = [];
  const log = {
    info: (_: object, message: string) => logs.push({ level: 'info', message }),
    warn: (_: object, message: string) => logs.push({ level: 'warn', message }),
    error: (_: object, message: string) => logs.push({ level: 'error', message }),
  };
  const channel = new TelegramChannel({ token: BOT_TOKEN, apiRoot: fake.apiRoot, throttle: false, pollTimeoutSeconds: 1, log, ...options });
  channel.connect({ inbox: parts.inbox });
  await channel.init();
  const app: FastifyInstance = Fastify();
  registerTelegramWebhook(app, channel, SECRET);
  await app.ready();
  const loops: PollLoop[] = [];
  const rig = {
    ...parts,
    channel,
    app,
    logs,
    /** Starts a worker and a sender with short idle intervals. */
    run() {
      const sender = startSender({ outbox: parts.outbox, hooks: parts.cases.deliveryHooks(), deliverers: [channel.deliverer], onError: (e) => parts.errors.push(e) }, { idleMs: 10, policy: FAST_POLICY });
      const worker = startWorker({ ...parts.deps, onQueued: () => sender.wake() }, { idleMs: 10, policy: FAST_POLICY });
      loops.push(worker, sender);
      return rig;
    },
    /** Posts an update to the webhook with `secret` (null: no header). */
    post(update: unknown, secret: string | null = SECRET) {
      return app.inject({ method: 'POST', url: '/webhooks/telegram', headers: secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }, payload: update as object });
    },
    async close() {
      await channel.stop();
      for (const loop of loops.splice(0)) await loop.stop();
      await app.close();
    },
  };
  return rig;
}
