/**
 * The review form under a consultation: correct or incorrect, a note, and for an incorrect answer a
 * corrected one with the question it answers and the articles it rests on, which becomes a proposed
 * approved answer for an admin (not its author) to approve.
 */
import type { Session } from '../../store/console-accounts.js';
import type { ConsultationDetail } from '../../store/console-queries.js';
import type { Knowledge } from '../context.js';
import { time } from '../format.js';
import { attr, html, type Html } from '../html.js';
import { csrfField } from '../layout.js';

export function reviewForm(detail: ConsultationDetail, session: Session, knowledge: Knowledge): Html {
  const c = detail.consultation;
  const claim = detail.claim;
  const heldByOther = claim && claim.reviewerId !== session.account.id;
  const cited = new Set(c.citations.map((ct) => `${ct.documentId}#${ct.article}`));
  // Articles offered as the basis: those retrieved, the cited ones ticked.
  const offered = new Map<string, { id: string; label: string; checked: boolean }>();
  for (const p of c.passages) {
    if (!knowledge.chunks.some((k) => k.id === p.chunkId)) continue;
    offered.set(p.chunkId, { id: p.chunkId, label: p.section, checked: cited.has(`${p.documentId}#${p.article}`) });
  }
  for (const ct of c.citations) {
    const chunk = knowledge.chunks.find((k) => k.documentId === ct.documentId && k.article === ct.article);
    if (chunk && !offered.has(chunk.id)) offered.set(chunk.id, { id: chunk.id, label: chunk.section, checked: true });
  }
  return html`<section class="card review">
    <h2>审核</h2>
    ${claim ? html`<p class="${heldByOther ? 'warning' : 'notice'}">${heldByOther ? `此条已由 ${claim.reviewer} 领取` : '此条由您领取'}，锁定至 ${time(claim.lockedUntil)}。</p>` : ''}
    <form method="post" action="/console/consultations/${c.id}/review" class="review-form">
      ${csrfField(session)}
      <fieldset class="verdict"><legend>回答是否正确</legend>
        <label><input type="radio" name="verdict" value="correct" required> 正确</label>
        <label><input type="radio" name="verdict" value="incorrect"> 有误</label>
      </fieldset>
      <label>审核意见<textarea name="note" rows="2" maxlength="2000" placeholder="说明判断依据（可选）"></textarea></label>
      <details class="correction"${attr(false, 'open')}>
        <summary>撰写修正答复（提交后由另一位管理员审批，批准后机器人对相同或相近问题直接采用）</summary>
        <label>匹配的问题<textarea name="question" rows="2" maxlength="500">${c.question}</textarea></label>
        <label>修正答复<textarea name="corrected" rows="6" maxlength="4000" placeholder="请写出正确、完整的答复"></textarea></label>
        <fieldset class="basis"><legend>依据条款</legend>
          ${offered.size ? [...offered.values()].map((o) => html`<label><input type="checkbox" name="cite" value="${o.id}"${attr(o.checked, 'checked')}> ${o.label}</label>`) : html`<p class="empty">本次没有检索到条款。</p>`}
        </fieldset>
      </details>
      <button type="submit"${attr(Boolean(heldByOther), 'disabled')}>提交审核</button>
    </form>
  </section>`;
}
