/**
 * Write coalescing: calls `run` with batches of the items submitted. At most `maxInFlight` batches run at
 * once; whatever arrives meanwhile waits and goes in the next batch. At low load every item runs alone and
 * at once; under load, batches grow with the queue, so one round trip and one commit serve many items.
 * A failed batch is retried item by item, so one bad item fails only its own caller.
 */
export function coalesce<T, R>(run: (items: T[]) => Promise<R[]>, options: { maxInFlight?: number; maxBatch?: number } = {}): (item: T) => Promise<R> {
  const maxInFlight = options.maxInFlight ?? 2;
  const maxBatch = options.maxBatch ?? 64;
  const waiting: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let inFlight = 0;

  const settle = async (batch: typeof waiting) => {
    try {
      const results = await run(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]!));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      await Promise.all(batch.map((b) => run([b.item]).then(([r]) => b.resolve(r!), b.reject)));
    }
  };

  const pump = () => {
    while (inFlight < maxInFlight && waiting.length) {
      const batch = waiting.splice(0, maxBatch);
      inFlight++;
      void settle(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      pump();
    });
}
