/** A background loop that runs `tick` until stopped, sleeping when a tick found nothing to do. */
export interface PollLoop {
  /** Runs the next tick now instead of after the idle sleep (e.g. right after an enqueue). */
  wake(): void;
  /** Stops after the current tick; resolves when it has finished. */
  stop(): Promise<void>;
}

/**
 * `tick` returns how many items it handled: 0 means idle, so the loop sleeps `idleMs` (or until woken).
 * Errors are reported and followed by an idle sleep, never thrown out of the loop.
 */
export function startPollLoop(tick: () => Promise<number>, options: { idleMs: number; onError: (error: unknown) => void }): PollLoop {
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  const sleep = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.idleMs);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });
  const running = (async () => {
    while (!stopped) {
      let handled = 0;
      try {
        handled = await tick();
      } catch (error) {
        options.onError(error);
      }
      if (handled === 0 && !stopped) await sleep();
    }
  })();
  return {
    wake: () => wakeUp?.(),
    async stop() {
      stopped = true;
      wakeUp?.();
      await running;
    },
  };
}
