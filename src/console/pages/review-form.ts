/**
 * The review form under a consultation: correct or incorrect, a note, and for an incorrect answer a
 * corrected one with the question it answers and the articles it rests on, which becomes a proposed
 * approved answer for an admin (not its author) to approve. The articles offered are those retrieved and
 * cited, plus any article of a document in force the reviewer finds with the search box: the search posts
 * the draft with it and the page comes back with the draft kept and the articles found (no script needed).
 */
import type { Session } from '../../store/console-accounts.js';
import type { ConsultationDetail } from '../../store/console-queries.js';
import type { Chunk } from '../../types.js';
import { articleLabel, type ArticleHit } from '../article-search.js';
import type { Knowledge } from '../context.js';
import { time } from '../format.js';
import { attr, html, type Html } from '../html.js';
import { csrfField } from '../layout.js';

/** What the reviewer has written so far, sent back when they search for an article. */
export interface ReviewDraft {
  verdict?: string;
  note?: string;
  corrected?: string;
  question?: string;
  cite: string[];
  /** The article search text. */
  find?: string;
}

export interface ReviewFormView {
  /** The list URL the page links back to; kept through the review's redirect. */
  back: string;
  draft?: ReviewDraft;
  /** Articles the search found (undefined: no search made). */
  found?: ArticleHit[];
}

function articleChoice(chunk: Chunk, knowledge: Knowledge, checked: boolean, withText: boolean): Html {
  return html`<label class="article-choice"><input type="checkbox" name="cite" value="${chunk.id}"${attr(checked, 'checked')}> <span class="article-label">${articleLabel(chunk, knowledge.document(chunk.documentId))}</span>${
    withText ? html`<blockquote class="article-text">${chunk.text}</blockquote>` : ''
  }</label>`;
}

export function reviewForm(detail: ConsultationDetail, session: Session, knowledge: Knowledge, view: ReviewFormView): Html {
  const c = detail.consultation;
  const claim = detail.claim;
  const heldByOther = claim && claim.reviewerId !== session.account.id;
  const draft = view.draft;
  const byId = new Map(knowledge.chunks.map((k) => [k.id, k]));
  const cited = new Set(c.citations.map((ct) => `${ct.documentId}#${ct.article}`));
  // Articles offered as the basis: those retrieved, the cited ones, the ones the draft chose; ticked as the
  // draft has them, else the cited ones.
  const offered = new Map<string, { chunk: Chunk; checked: boolean }>();
  const offer = (chunk: Chunk | undefined, citedNow: boolean) => {
    if (chunk && !offered.has(chunk.id)) offered.set(chunk.id, { chunk, checked: draft ? draft.cite.includes(chunk.id) : citedNow });
  };
  for (const p of c.passages) offer(byId.get(p.chunkId), cited.has(`${p.documentId}#${p.article}`));
  for (const ct of c.citations) offer(knowledge.chunks.find((k) => k.documentId === ct.documentId && k.article === ct.article), true);
  for (const id of draft?.cite ?? []) offer(byId.get(id), true);
  const found = (view.found ?? []).filter((hit) => !offered.has(hit.chunk.id));
  const open = Boolean(draft && (draft.corrected || draft.find !== undefined || draft.cite.length));
  return html`<section class="card review" id="review">
    <h2>审核</h2>
    ${claim ? html`<p class="${heldByOther ? 'warning' : 'notice'}">${heldByOther ? `此条已由 ${claim.reviewer} 领取` : '此条由您领取'}，锁定至 ${time(claim.lockedUntil)}。</p>` : ''}
    <form method="post" action="/console/consultations/${c.id}/review#review" class="review-form">
      ${csrfField(session)}
      <input type="hidden" name="back" value="${view.back}">
      <fieldset class="verdict"><legend>回答是否正确</legend>
        <label><input type="radio" name="verdict" value="correct" required${attr(draft?.verdict === 'correct', 'checked')}> 正确</label>
        <label><input type="radio" name="verdict" value="incorrect"${attr(draft?.verdict === 'incorrect', 'checked')}> 有误</label>
      </fieldset>
      <label>审核意见<textarea name="note" rows="2" maxlength="2000" placeholder="说明判断依据（可选）">${draft?.note ?? ''}</textarea></label>
      <details class="correction"${attr(open, 'open')}>
        <summary>撰写修正答复（提交后由另一位管理员审批，批准后机器人对相同或相近问题直接采用）</summary>
        <label>匹配的问题<textarea name="question" rows="2" maxlength="500">${draft?.question ?? c.question}</textarea></label>
        <label>修正答复<textarea name="corrected" rows="6" maxlength="4000" placeholder="请写出正确、完整的答复">${draft?.corrected ?? ''}</textarea></label>
        <fieldset class="basis"><legend>依据条款</legend>
          ${offered.size ? [...offered.values()].map((o) => articleChoice(o.chunk, knowledge, o.checked, false)) : html`<p class="empty">本次没有检索到条款。</p>`}
          <div class="article-search">
            <label>在知识库中查找条款（现行有效的文件）<input type="search" name="find" maxlength="100" value="${draft?.find ?? ''}" placeholder="如 商标法 第三十三条、异议"></label>
            <button type="submit" name="intent" value="find" class="secondary" formnovalidate>查找条款</button>
          </div>
          ${view.found === undefined
            ? ''
            : html`<div class="article-results" role="status">
                <p class="muted">找到 ${found.length} 条${view.found.length > found.length ? '（已在上方列出的不再重复）' : ''}，勾选后随审核一并提交：</p>
                ${found.map((hit) => articleChoice(hit.chunk, knowledge, false, true))}
              </div>`}
        </fieldset>
      </details>
      <button type="submit" name="intent" value="submit"${attr(Boolean(heldByOther), 'disabled')}>提交审核</button>
    </form>
  </section>`;
}
