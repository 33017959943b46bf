/**
 * Paging links of the console's keyset lists: 上一页, 第 N 页, 下一页. The page number travels in the URL with
 * the cursor (it only labels the page; the cursor decides the rows), and a page with no newer rows before
 * it is page 1 whatever number it was given, so 上一页 from page 2 is the plain first page again.
 */
import { html, type Html } from './html.js';

/** The page number a URL gives (1 when absent or not a sensible number). */
export function pageNumber(text: string | undefined): number {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= 1_000_000 ? n : 1;
}

export interface PagerPlace<C> {
  /** The number the URL gave. */
  page: string | undefined;
  /** This page's first row, when newer rows come before it. */
  previous?: C;
  /** This page's last row, when older rows follow. */
  next?: C;
}

/**
 * The links, or nothing for a list that fits on one page. `href` makes a page's URL from its place:
 * no cursor for the first page, `before` (the previous page ends before it) or `after`.
 */
export function pager<C>(place: PagerPlace<C>, href: (to: { before?: C; after?: C; page?: number }) => string): Html | string {
  if (!place.previous && !place.next) return '';
  const n = place.previous ? Math.max(2, pageNumber(place.page)) : 1;
  return html`<nav class="pager" aria-label="翻页">
    ${place.previous
      ? html`<a class="button secondary" rel="prev" href="${n - 1 <= 1 ? href({}) : href({ before: place.previous, page: n - 1 })}">上一页</a>`
      : html`<span class="button secondary disabled" aria-disabled="true">上一页</span>`}
    <span class="page-number" aria-current="page">第 ${n} 页</span>
    ${place.next
      ? html`<a class="button secondary" rel="next" href="${href({ after: place.next, page: n + 1 })}">下一页</a>`
      : html`<span class="button secondary disabled" aria-disabled="true">下一页</span>`}
  </nav>`;
}
