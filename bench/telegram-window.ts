/**
 * The Telegram duplicate window, in time: from the moment the Bot API received a sendMessage to the moment
 * the outbox row's sent mark was committed. A process that dies inside it posts that reply again after the
 * restart (Telegram has no idempotency key). Measured with the real sender and grammY client against the
 * fake Bot API, over the real outbox (in-memory PGlite, or a scratch Postgres database).
 */
import { performance } from 'node:perf_hooks';
import { TelegramChannel } from '../src/channels/telegram.js';
import { Outbox } from '../src/queue/outbox.js';
import { startSender } from '../src/queue/sender.js';
import { openDatabase } from '../src/store/db.js';
import { BOT_TOKEN, BOT_USER, FakeTelegramApi } from '../test/fakes/telegram-api.js';
import { scratchDatabase, type DatabaseTarget } from '../test/ops/crash-matrix.js';

export interface WindowFigures {
  replies: number;
  p50: number;
  p99: number;
  max: number;
}

export async function telegramWindow(target: DatabaseTarget, replies = 200, chats = 20): Promise<WindowFigures> {
  const fake = await new FakeTelegramApi().start();
  const scratch = target.kind === 'postgres' ? await scratchDatabase(target.url) : undefined;
  const handle = await openDatabase(scratch ? { databaseUrl: scratch.url } : {});
  try {
    const outbox = new Outbox(handle.db);
    const channel = new TelegramChannel({ token: BOT_TOKEN, apiRoot: fake.apiRoot, throttle: false, botInfo: BOT_USER });
    const rows = Array.from({ length: replies }, (_, i) => ({ source: `window:${i}`, channel: 'telegram' as const, botId: String(BOT_USER.id), chatId: String(1000 + (i % chats)), payload: { kind: 'notice' as const, text: `回复 ${i}` } }));
    await handle.db.transaction((tx) => outbox.enqueueAllIn(tx, rows));
    // The fake stamps each request with Date.now() on arrival; the mark is stamped once it has committed.
    const offset = Date.now() - performance.now();
    const marked = new Map<string, number>();
    const sender = startSender({ outbox, deliverers: [channel.deliverer], onError: () => {}, onDelivery: (reply, result) => result === 'sent' && marked.set(reply.text, performance.now() + offset) }, { idleMs: 10 });
    for (let i = 0; marked.size < replies && i < 6000; i++) await new Promise((r) => setTimeout(r, 10));
    await sender.stop();
    const windows = fake.sent('sendMessage').map((call) => marked.get(call.payload.text)! - call.at).sort((a, b) => a - b);
    const at = (p: number) => Math.round(windows[Math.min(windows.length - 1, Math.floor(p * windows.length))]!);
    return { replies: windows.length, p50: at(0.5), p99: at(0.99), max: Math.round(windows[windows.length - 1]!) };
  } finally {
    await handle.close();
    await scratch?.drop();
    await fake.close();
  }
}
