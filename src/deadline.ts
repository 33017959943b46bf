/**
 * An AbortSignal that fires after `ms` or when any parent fires. Made by hand rather than with
 * AbortSignal.any([…, AbortSignal.timeout(ms)]): on Node 20 such a combined signal can be collected with its
 * timer and then never fire, and a request meant to give up after seconds hangs for good. `stopTimer()`
 * keeps only the parents; `clear()` detaches everything (call it when done).
 */
export function deadline(ms: number, reason: string, ...parents: AbortSignal[]): { signal: AbortSignal; stopTimer(): void; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(reason, 'TimeoutError')), ms);
  const onParent = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  for (const parent of parents) {
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener('abort', onParent, { once: true });
  }
  const clear = () => {
    clearTimeout(timer);
    for (const parent of parents) parent.removeEventListener('abort', onParent);
  };
  controller.signal.addEventListener('abort', clear, { once: true });
  return { signal: controller.signal, stopTimer: () => clearTimeout(timer), clear };
}
