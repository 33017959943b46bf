/**
 * The review form under a consultation: correct or incorrect, a note, and for an incorrect answer a
 * corrected one with the question it answers and the articles it rests on, which becomes a proposed
 * approved answer for an admin (not its author) to approve. The articles offered are those retrieved and
 * cited, plus any article of a document in force the reviewer finds with the search box (article-picker.ts).
 */
import type { Session } from '../../store/console-accounts.js';
import type { ConsultationDetail } from '../../store/console-queries.js';
import type { Chunk } from '../../types.js';
import type { ArticleHit } from '../article-search.js';
import type { Knowledge } from '../context.js';
import { time } from '../format.js';
import { attr, html, type Html } from '../html.js';
import { csrfField } from '../layout.js';
import { OfferedArticles, articlePicker } from './article-picker.js';

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

export function reviewForm(detail: ConsultationDetail, session: Session, knowledge: Knowledge, view: ReviewFormView): Html {
  const c = detail.consultation;
  const claim = detail.claim;
  const heldByOther = claim && claim.reviewerId !== session.account.id;
  const draft = view.draft;
  const byId = new Map(knowledge.chunks.map((k) => [k.id, k]));
  const cited = new Set(c.citations.map((ct) => `${ct.documentId}#${ct.article}`));
  // Articles offered as the basis: those retrieved, the cited ones, the ones the draft chose; ticked as the
  // draft has them, else the cited ones.
  const offered = new OfferedArticles();
  const offer = (chunk: Chunk | undefined, citedNow: boolean) => offered.add(chunk, draft ? draft.cite.includes(chunk?.id ?? '') : citedNow);
  for (const p of c.passages) offer(byId.get(p.chunkId), cited.has(`${p.documentId}#${p.article}`));
  for (const ct of c.citations) offer(knowledge.chunks.find((k) => k.documentId === ct.documentId && k.article === ct.article), true);
  for (const id of draft?.cite ?? []) offer(byId.get(id), true);
  const action = `/console/consultations/${c.id}/review`;
  const open = Boolean(draft && (draft.corrected || draft.find !== undefined || draft.cite.length));
  return html`<section class="card review" id="review">
    <h2>审核</h2>
    ${claim ? html`<p class="${heldByOther ? 'warning' : 'notice'}">${heldByOther ? `此条已由 ${claim.reviewer} 领取` : '此条由您领取'}，锁定至 ${time(claim.lockedUntil)}。</p>` : ''}
    <form method="post" action="${action}" class="review-form">
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
        ${articlePicker({ action, offered, knowledge, find: draft?.find, found: view.found, none: '本次没有检索到条款。' })}
      </details>
      <button type="submit" name="intent" value="submit"${attr(Boolean(heldByOther), 'disabled')}>提交审核</button>
    </form>
  </section>`;
}
