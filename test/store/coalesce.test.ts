import { describe, expect, it } from 'vitest';
import { coalesce } from '../../src/store/coalesce.js';

describe('write coalescing', () => {
  it('runs alone when idle and batches what arrives while writes are in flight', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const write = coalesce(async (items: number[]) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map((i) => i * 10);
    }, { maxInFlight: 1 });
    const first = write(1);
    const rest = [write(2), write(3), write(4)];
    release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('retries a failed batch item by item, failing only the bad item', async () => {
    let calls = 0;
    const write = coalesce(async (items: number[]) => {
      calls++;
      if (items.includes(13)) throw new Error('bad item');
      return items;
    }, { maxInFlight: 1 });
    const results = await Promise.allSettled([write(1), write(13), write(2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toBeGreaterThan(2);
  });
});
