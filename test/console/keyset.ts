/** The check both keyset lists of the console share: five rows in pages of two, forward then back. */
import { expect } from 'vitest';

interface Page<C> {
  rows: { id: string }[];
  next?: C;
  previous?: C;
}

/** Pages 1–3 going on, then back from page 3 by its first row's cursor: page 2, then page 1, the same rows. */
export async function expectPagingBothWays<C>(list: (place: { limit: number; after?: C; before?: C }) => Promise<Page<C>>): Promise<void> {
  const ids = (page: Page<C>) => page.rows.map((r) => r.id);
  const pages = [await list({ limit: 2 })];
  pages.push(await list({ limit: 2, after: pages[0]!.next }));
  pages.push(await list({ limit: 2, after: pages[1]!.next }));
  expect(pages.map((p) => p.rows.length)).toEqual([2, 2, 1]);
  expect(pages[0]!.previous).toBeUndefined();
  expect(pages[2]!.next).toBeUndefined();
  const back2 = await list({ limit: 2, before: pages[2]!.previous });
  expect(ids(back2)).toEqual(ids(pages[1]!));
  const back1 = await list({ limit: 2, before: back2.previous });
  expect(ids(back1)).toEqual(ids(pages[0]!));
  expect(back1.previous).toBeUndefined();
  expect(back1.next).toEqual(pages[0]!.next);
}
