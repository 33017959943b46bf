/**
 * Starts the messaging channels after the server listens, each on its own, and keeps trying: a platform
 * that is down (closed port, an API that never answers) must not keep the service from starting or from
 * answering the web chat, the API and the other channel. Each channel's state is kept for /readyz and
 * /metrics: `connecting` until its start succeeds, `ready` after, `failed: …` (retried with back-off,
 * 1 s doubling to 60 s) when a start failed; a channel may report later changes itself (a long connection
 * that drops and comes back).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export type ChannelState = 'connecting' | 'ready' | `failed: ${string}`;

/** What the supervisor needs of a channel. */
export interface SupervisedChannel {
  readonly name: string;
  /** Connects (reads the bot's identity, opens a poller or long connection); throws when it could not. */
  start?(report: (state: ChannelState) => void): Promise<void>;
}

export interface ChannelSupervisor {
  /** Every channel's state, by name. */
  states(): Record<string, ChannelState>;
  /** Stops retrying; a start in progress is cancelled by stopping the channel itself. */
  stop(): void;
}

export interface SuperviseOptions {
  log?: (level: 'info' | 'warn', details: object, message: string) => void;
  /** First pause after a failed start; doubles up to maxDelayMs. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export function superviseChannels(channels: SupervisedChannel[], options: SuperviseOptions = {}): ChannelSupervisor {
  const states = new Map<string, ChannelState>();
  const abort = new AbortController();
  const log = options.log ?? (() => {});
  const first = options.firstDelayMs ?? 1_000;
  const max = options.maxDelayMs ?? 60_000;

  const run = async (channel: SupervisedChannel) => {
    const set = (state: ChannelState) => {
      if (abort.signal.aborted || states.get(channel.name) === state) return;
      states.set(channel.name, state);
      log(state === 'ready' ? 'info' : 'warn', { channel: channel.name, state }, `channel ${channel.name}: ${state}`);
    };
    set('connecting');
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      let reported = false;
      const report = (state: ChannelState) => {
        reported = true;
        set(state);
      };
      try {
        await channel.start!(report);
        if (!reported) set('ready'); // a channel that reported its own state (a long connection) knows better
        return;
      } catch (error) {
        if (abort.signal.aborted) return;
        const delay = Math.min(max, first * 2 ** attempt);
        set(`failed: ${describe(error)} (retrying in ${Math.round(delay / 1000)} s)`);
        await sleep(delay, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  };
  for (const c of channels) {
    if (c.start) void run(c);
    else states.set(c.name, 'ready');
  }
  return {
    states: () => Object.fromEntries(states),
    stop: () => abort.abort(),
  };
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').slice(0, 200);
}
