/**
 * The 依据条款 fieldset of a correction or an edited approved answer: the articles offered (ticked or not),
 * a search box over the whole knowledge in force, and the articles the last search found. The search is a
 * submit button of the surrounding form (`intent=find`), so the page comes back with the draft kept and
 * no script is needed.
 */
import type { Chunk } from '../../types.js';
import { articleLabel, type ArticleHit } from '../article-search.js';
import type { Knowledge } from '../context.js';
import { attr, html, type Html } from '../html.js';

/** At most this many articles may be cited by one answer. */
export const MAX_CITED = 10;

/** The chunk ids a form's `cite` checkboxes sent (one, several or none). */
export function citedIds(cite: string | string[] | undefined): string[] {
  return [cite ?? []].flat().slice(0, MAX_CITED);
}

export interface Offered {
  chunk: Chunk;
  checked: boolean;
}

function articleChoice(chunk: Chunk, knowledge: Knowledge, checked: boolean, withText: boolean): Html {
  return html`<label class="article-choice"><input type="checkbox" name="cite" value="${chunk.id}"${attr(checked, 'checked')}> <span class="article-label">${articleLabel(chunk, knowledge.document(chunk.documentId))}</span>${
    withText ? html`<blockquote class="article-text">${chunk.text}</blockquote>` : ''
  }</label>`;
}

/** Offered articles in order, each once: `add` keeps the first entry of a chunk. */
export class OfferedArticles {
  readonly entries = new Map<string, Offered>();
  add(chunk: Chunk | undefined, checked: boolean): void {
    if (chunk && !this.entries.has(chunk.id)) this.entries.set(chunk.id, { chunk, checked });
  }
}

/**
 * `action`: the form's own action; the search submits there too, landing at the search box (a fragment on
 * the form's action would also follow the final submit's redirect, which browsers give the same fragment).
 */
export function articlePicker(options: { action: string; offered: OfferedArticles; knowledge: Knowledge; find?: string; found?: ArticleHit[]; none: string }): Html {
  const { offered, knowledge } = options;
  const found = (options.found ?? []).filter((hit) => !offered.entries.has(hit.chunk.id));
  return html`<fieldset class="basis"><legend>依据条款</legend>
    ${offered.entries.size ? [...offered.entries.values()].map((o) => articleChoice(o.chunk, knowledge, o.checked, false)) : html`<p class="empty">${options.none}</p>`}
    <div class="article-search" id="article-search">
      <label>在知识库中查找条款（仅现行有效的文件）<input type="search" name="find" maxlength="100" value="${options.find ?? ''}" placeholder="如 商标法 第三十三条、异议"></label>
      <button type="submit" name="intent" value="find" class="secondary" formaction="${options.action}#article-search" formnovalidate>查找条款</button>
    </div>
    ${options.found === undefined
      ? ''
      : html`<div class="article-results" role="status">
          <p class="muted">找到 ${found.length} 条${options.found.length > found.length ? '（已在上方列出的不再重复）' : ''}${found.length ? '，勾选后随表单一并提交：' : '。'}</p>
          ${found.map((hit) => articleChoice(hit.chunk, knowledge, false, true))}
        </div>`}
  </fieldset>`;
}
