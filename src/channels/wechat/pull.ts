/**
 * Reading an account's messages after a callback: `kf/sync_msg` from the cursor kept in Postgres, page
 * after page while `has_more`. Each page's messages are stored in the inbox (unique on their msgid) in the
 * transaction that moves the cursor past them, and the cursor moves only from the value this reader started
 * from (compare-and-set): a second reader at the same time (another instance, a retried callback) finds it
 * moved, rolls back and reads on from where the other stopped. So a restart, a second instance or a
 * repeated event never stores a message twice, and no message is skipped: the cursor never passes one that
 * is not stored.
 */
import { and, eq } from 'drizzle-orm';
import type { Inbox } from '../../queue/inbox.js';
import type { Outbox } from '../../queue/outbox.js';
import type { Database } from '../../store/db.js';
import { wecomCursors } from '../../store/schema.js';
import { WAITS_FOR_CUSTOMER, WecomApiError, type KfMessage, type WecomApi } from './api.js';
import { fromKfMessage } from './decode.js';
import type { SendQuota } from './quota.js';

export interface PullDeps {
  db: Database;
  inbox: Pick<Inbox, 'acceptAllIn'>;
  outbox: Pick<Outbox, 'reviveIn'>;
  api: WecomApi;
  quota: SendQuota;
  openKfId: string;
  /** Told of a message WeCom accepted but could not deliver (a customer refused it). */
  onSendFailed?: (message: KfMessage) => Promise<void>;
}

/** The event's token is no longer accepted (older than 10 minutes): read without it. */
const BAD_EVENT_TOKEN = new Set([95007, 95008]);
/** Pages read for one callback before the rest is left to the next (1 000 messages a page). */
const MAX_PAGES = 50;

/**
 * Reads and stores every message after the cursor. `finish` runs in the transaction of the last page (the
 * callback's inbox row is completed there). Returns how many new items were stored.
 */
export async function pullMessages(deps: PullDeps, eventToken: string | undefined, finish: (tx: Database) => Promise<void>): Promise<number> {
  let token = eventToken;
  let stored = 0;
  await deps.db.insert(wecomCursors).values({ openKfId: deps.openKfId }).onConflictDoNothing();
  for (let page = 0; page < MAX_PAGES; page++) {
    const [row] = await deps.db.select({ cursor: wecomCursors.cursor }).from(wecomCursors).where(eq(wecomCursors.openKfId, deps.openKfId));
    const cursor = row?.cursor ?? '';
    let result;
    try {
      result = await deps.api.syncMsg({ cursor, token, openKfId: deps.openKfId });
    } catch (error) {
      if (token && error instanceof WecomApiError && error.errcode !== undefined && BAD_EVENT_TOKEN.has(error.errcode)) {
        token = undefined;
        continue;
      }
      throw error;
    }
    for (const m of result.msg_list) if (m.msgtype === 'event' && m.event?.event_type === 'msg_send_fail') await deps.onSendFailed?.(m);
    const pairs = result.msg_list.flatMap((m) => {
      const item = fromKfMessage(m, deps.openKfId);
      return item ? [{ message: m, item }] : [];
    });
    const committed = await deps.db.transaction(async (tx) => {
      const moved = await tx
        .update(wecomCursors)
        .set({ cursor: result.next_cursor, updatedAt: new Date() })
        .where(and(eq(wecomCursors.openKfId, deps.openKfId), eq(wecomCursors.cursor, cursor)))
        .returning({ cursor: wecomCursors.cursor });
      if (!moved.length) return undefined; // another reader moved it first: read on from there
      const fresh = await deps.inbox.acceptAllIn(tx, pairs.map((p) => p.item));
      const writers = new Map<string, Date>();
      pairs.forEach(({ message, item }, i) => {
        if (!fresh[i]) return;
        const at = new Date((message.send_time ?? Math.floor(Date.now() / 1000)) * 1000);
        const before = writers.get(item.chatId);
        if (!before || before < at) writers.set(item.chatId, at);
      });
      for (const [user, at] of writers) {
        await deps.quota.customerWroteIn(tx, user, at);
        // What could not be sent while their window was closed goes out first, now that they wrote.
        await deps.outbox.reviveIn(tx, { channel: 'wechat', botId: deps.openKfId, chatId: user }, WAITS_FOR_CUSTOMER);
      }
      if (!result.has_more) await finish(tx);
      return fresh.filter(Boolean).length;
    });
    if (committed === undefined) continue;
    stored += committed;
    if (!result.has_more) return stored;
  }
  throw new Error(`wecom sync_msg: more than ${MAX_PAGES} pages for one callback; the rest is read on the next`);
}

