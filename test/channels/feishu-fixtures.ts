/** Feishu events as the platform sends them: v2 envelopes, encrypted and signed like the real pushes. */
import { randomBytes } from 'node:crypto';
import * as lark from '@larksuiteoapi/node-sdk';
import { encryptFeishu, feishuSignature } from '../../src/channels/feishu-verify.js';
import { FeishuChannel, type FeishuOptions } from '../../src/channels/feishu.js';
import type { Inbox } from '../../src/queue/inbox.js';
import type { Outbox } from '../../src/queue/outbox.js';
import type { CaseService } from '../../src/escalation/case-service.js';
import { deliverOne, type SenderDeps } from '../../src/queue/sender.js';
import { workJob, type WorkerDeps } from '../../src/queue/worker.js';
import type { Deliverer } from '../../src/types.js';
import type { FakeFeishuApi, PostedMessage } from '../fakes/feishu-api.js';

export const APP_ID = 'cli_a1b2c3d4e5f60718';
export const APP_SECRET = 'app-secret-DO-NOT-LOG-0123456789';
export const KEYS = { encryptKey: 'encrypt-key-DO-NOT-LOG-42', verificationToken: 'verification-token-DO-NOT-LOG' };

/** The environment of a service in webhook mode whose Feishu open API is at `domain`. */
export function webhookEnv(domain: string): NodeJS.ProcessEnv {
  return { FEISHU_APP_ID: APP_ID, FEISHU_APP_SECRET: APP_SECRET, FEISHU_MODE: 'webhook', FEISHU_ENCRYPT_KEY: KEYS.encryptKey, FEISHU_VERIFICATION_TOKEN: KEYS.verificationToken, FEISHU_DOMAIN: domain };
}

let sequence = 0;
const next = () => `${process.pid}_${++sequence}`;

export interface MessageEventOptions {
  eventId?: string;
  messageId?: string;
  chatId?: string;
  chatType?: 'p2p' | 'group';
  openId?: string;
  text?: string;
  mentions?: { key: string; openId: string; name: string }[];
  token?: string;
  /** The message this one replies to. */
  parentId?: string;
}

/** An `im.message.receive_v1` event (schema 2.0); each call gets new event and message ids unless given. */
export function messageEvent(o: MessageEventOptions = {}) {
  const n = next();
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId ?? `ev_${n}`,
      token: o.token ?? KEYS.verificationToken,
      create_time: String(Date.now()),
      event_type: 'im.message.receive_v1',
      tenant_key: 'tenant_1',
      app_id: APP_ID,
    },
    event: {
      sender: { sender_id: { open_id: o.openId ?? 'ou_user_alice', user_id: 'u1', union_id: 'on_1' }, sender_type: 'user', tenant_key: 'tenant_1' },
      message: {
        message_id: o.messageId ?? `om_q_${n}`,
        create_time: String(Date.now()),
        chat_id: o.chatId ?? 'oc_chat_p2p_alice',
        chat_type: o.chatType ?? 'p2p',
        message_type: 'text',
        content: JSON.stringify({ text: o.text ?? '知识产权保险有哪些?' }),
        mentions: (o.mentions ?? []).map((m) => ({ key: m.key, id: { open_id: m.openId, user_id: '', union_id: '' }, name: m.name, tenant_key: 'tenant_1' })),
        ...(o.parentId ? { parent_id: o.parentId, root_id: o.parentId } : {}),
      },
    },
  };
}

/** A `card.action.trigger` callback (schema 2.0) for a button of ours. */
export function cardActionEvent(value: unknown, o: { openId?: string; messageId?: string; token?: string; chatId?: string } = {}) {
  return {
    schema: '2.0',
    header: { event_id: `ev_card_${next()}`, token: o.token ?? KEYS.verificationToken, create_time: String(Date.now()), event_type: 'card.action.trigger', tenant_key: 'tenant_1', app_id: APP_ID },
    event: {
      operator: { tenant_key: 'tenant_1', user_id: 'u1', open_id: o.openId ?? 'ou_user_alice', union_id: 'on_1' },
      token: 'c-update-token',
      action: { value, tag: 'button' },
      host: 'im_message',
      context: { open_message_id: o.messageId ?? 'om_fake_1', open_chat_id: o.chatId ?? 'oc_chat_p2p_alice' },
    },
  };
}

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/** The payload encrypted into `{"encrypt": …}` and signed over the exact body bytes. */
export function signed(payload: unknown, keys = KEYS): SignedRequest {
  const body = JSON.stringify({ encrypt: encryptFeishu(JSON.stringify(payload), keys.encryptKey) });
  return signBody(body, keys);
}

export function signBody(body: string, keys = KEYS): SignedRequest {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString('hex');
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': feishuSignature(timestamp, nonce, keys.encryptKey, body),
    },
  };
}

/** A channel whose real SDK client talks to the fake, with its own token cache. */
export function channelFor(api: FakeFeishuApi, options: Partial<FeishuOptions> = {}): FeishuChannel {
  return new FeishuChannel({
    appId: APP_ID,
    appSecret: APP_SECRET,
    mode: 'webhook',
    ...KEYS,
    domain: api.baseUrl,
    timeoutMs: 2_000,
    cache: new lark.DefaultCache(),
    ...options,
  });
}

/** Works the queue until nothing is left: every inbox job handled, every outbox row delivered through `channel`. */
export async function drainQueue(parts: { inbox: Inbox; outbox: Outbox; deps: WorkerDeps; errors: unknown[]; cases?: CaseService }, channel: Deliverer): Promise<void> {
  const senderDeps: SenderDeps = { outbox: parts.outbox, hooks: parts.cases?.deliveryHooks(), deliverers: [channel], onError: (e) => parts.errors.push(e) };
  for (;;) {
    const jobs = await parts.inbox.claim(10, 60_000);
    for (const job of jobs) await workJob(parts.deps, job);
    const replies = await parts.outbox.claim(['feishu'], 10, 60_000);
    for (const reply of replies) await deliverOne(senderDeps, new Map([['feishu', channel]]), reply);
    if (!jobs.length && !replies.length) return;
  }
}

/** The value of the button labelled `label` on a posted card. */
export function buttonValue(message: PostedMessage, label: string): unknown {
  const found: unknown[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as { tag?: string; text?: { content?: string }; behaviors?: { value?: unknown }[] };
      if (o.tag === 'button' && o.text?.content === label) found.push(o.behaviors?.[0]?.value);
      Object.values(o).forEach(walk);
    }
  };
  walk(message.content);
  if (!found.length) throw new Error(`no button ${label} in ${message.text}`);
  return found[0];
}
