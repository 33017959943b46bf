/**
 * The HTML of the cases board and case pages (routes in cases.ts). Staff pages never show a contact: the
 * user gave it for the agency alone (PIPL art. 23), so staff see whether one was given, not what it is.
 */
import type { ConsentEnd } from '../../cases/core.js';
import type { AgencyRegistry } from '../../escalation/agencies.js';
import { agencyName } from '../../escalation/notices.js';
import type { AgencyPerformance, CaseDetail, CaseListRow } from '../../store/console-cases.js';
import type { CaseStatus } from '../../store/schema.js';
import type { Session } from '../../store/console-accounts.js';
import { CASE_EVENT_LABELS, CASE_STATUS_LABELS, channelLabel, duration, needsText, percent, time, referralReason } from '../format.js';
import { html, type Html } from '../html.js';
import { confirmAttr } from '../confirm.js';
import { csrfField } from '../layout.js';

/** Within this long of its due time a running SLA is shown as close. */
const SOON_MS = 60 * 60_000;

export function agencyLabel(registry: AgencyRegistry, id: string | null, fallback?: string | null): string {
  if (!id) return '—';
  const agency = registry.get(id);
  return agency ? agencyName(agency) : (fallback ?? id);
}

export function statusTag(status: CaseStatus): Html {
  return html`<span class="tag status-${status}">${CASE_STATUS_LABELS[status]}</span>`;
}

/** The running SLA: due time, with what is left or how late it is; breaches in red. */
export function dueCell(due: CaseListRow['due'], now = Date.now()): Html {
  if (!due) return html`<span class="muted">—</span>`;
  const left = due.at.getTime() - now;
  const what = due.kind === 'accept' ? '接受' : '答复';
  if (left < 0) return html`<span class="breach" title="${what}时限已过">${time(due.at)}<br>${what}已超时 ${duration(-left)}</span>`;
  return html`<span class="${left < SOON_MS ? 'soon' : ''}">${time(due.at)}<br><span class="muted">${what}剩 ${duration(left)}</span></span>`;
}

/** State tiles: each links to the list filtered by it; the breach tile to the breached ones. */
export function statusTiles(counts: { byStatus: Record<CaseStatus, number>; overdue: number }, states: readonly CaseStatus[]): Html {
  return html`<nav class="tiles status-tiles" aria-label="按状态">
    ${states.map((s) => html`<a class="tile status-${s}" href="/console/cases?status=${s}"><span class="count">${counts.byStatus[s]}</span><span>${CASE_STATUS_LABELS[s]}</span></a>`)}
    <a class="tile${counts.overdue ? ' breach' : ''}" href="/console/cases?breached=yes"><span class="count">${counts.overdue}</span><span>SLA 超时未处理</span></a>
  </nav>`;
}

const AGENCY_STEP_LABELS: Record<string, string> = {
  declined: '本机构已拒绝',
  sla_breached: '超时未处理，已转出',
  withdrawn: '用户已撤回',
};

/** The list of cases. `agency`: an agency's own list (held: with the question; past: dates and its step only). */
export function caseTable(rows: CaseListRow[], registry: AgencyRegistry, mode: 'staff' | 'held' | 'past'): Html {
  if (!rows.length) return html`<p class="empty">没有符合条件的案件。</p>`;
  const now = Date.now();
  return html`<div class="table-wrap"><table class="list cases">
    <thead><tr><th class="pin">案件</th><th class="due">SLA 截止</th><th>状态</th>${mode === 'past' ? '' : html`<th>问题</th>`}<th>${mode === 'staff' ? '发起时间' : '收到时间'}</th><th>事项</th><th>区县</th>${mode === 'staff' ? html`<th>当前机构</th>` : ''}${mode === 'staff' ? html`<th>评分</th>` : ''}</tr></thead>
    <tbody>${rows.map((r) => {
      const late = r.due && r.due.at.getTime() < now;
      return html`<tr class="${late ? 'late' : ''}">
        <td class="pin"><a href="/console/cases/${r.id}">${r.id.slice(0, 8)}</a>${r.breaches ? html`<div class="breach small">曾超时 ${r.breaches} 次</div>` : ''}</td>
        <td class="due">${mode === 'past' ? html`<span class="muted">—</span>` : dueCell(r.due, now)}</td>
        <td>${mode === 'past' ? html`<span class="tag">${AGENCY_STEP_LABELS[r.agencyStep ?? ''] ?? '已转其他机构'}</span>` : statusTag(r.status)}</td>
        ${mode === 'past' ? '' : html`<td class="question-cell">${r.question ?? html`<span class="muted">（已删除）</span>`}</td>`}
        <td>${time(mode === 'staff' ? r.createdAt : (r.reachedAt ?? r.createdAt))}</td>
        <td>${needsText(r) || '—'}</td>
        <td>${r.district ?? '—'}</td>
        ${mode === 'staff' ? html`<td class="text short">${agencyLabel(registry, r.agencyId, r.agencyName)}${r.triedAgencies.length ? html`<div class="muted">已试 ${r.triedAgencies.length} 家</div>` : ''}</td>` : ''}
        ${mode === 'staff' ? html`<td class="nowrap">${r.rating ? `${r.rating} 分` : '—'}${r.resolved === null ? '' : r.resolved ? ' · 已解决' : ' · 未解决'}</td>` : ''}
      </tr>`;
    })}</tbody>
  </table></div>`;
}

/** The form staff use to give a case to an agency by hand (consent is asked again, naming it). */
export function assignForm(caseId: string, tried: string[], registry: AgencyRegistry, session: Session): Html {
  if (!registry.agencies.length) return html`<p class="muted">登记表中没有服务机构。</p>`;
  return html`<form method="post" action="/console/cases/${caseId}/assign" class="assign"${confirmAttr('assign')}>
    ${csrfField(session)}
    <label class="sr-only" for="assign-${caseId}">分派给</label>
    <select name="agency" id="assign-${caseId}" required>
      <option value="">选择机构…</option>
      ${registry.agencies.map((a) => html`<option value="${a.id}">${agencyName(a)}${tried.includes(a.id) ? '（曾拒绝或超时）' : ''}</option>`)}
    </select>
    <button type="submit">分派</button>
  </form>`;
}

export function staffQueueTable(rows: CaseListRow[], registry: AgencyRegistry, session: Session): Html {
  if (!rows.length) return html`<p class="empty">没有待分派的案件。</p>`;
  return html`<div class="table-wrap"><table class="list queue">
    <thead><tr><th class="pin">案件</th><th>转入队列</th><th>分派</th><th>问题</th><th>事项</th><th>区县</th><th>已试机构</th></tr></thead>
    <tbody>${rows.map(
      (r) => html`<tr>
        <td class="pin"><a href="/console/cases/${r.id}">${r.id.slice(0, 8)}</a></td>
        <td>${time(r.updatedAt)}<div class="muted">已等 ${duration(Date.now() - r.updatedAt.getTime())}</div></td>
        <td>${assignForm(r.id, r.triedAgencies, registry, session)}</td>
        <td class="question-cell">${r.question ?? html`<span class="muted">（已删除）</span>`}</td>
        <td>${needsText(r) || '—'}</td>
        <td>${r.district ?? '—'}</td>
        <td class="text short">${r.triedAgencies.map((id) => agencyLabel(registry, id)).join('、') || '—'}</td>
      </tr>`,
    )}</tbody>
  </table></div>`;
}

/** Response times per agency (requested → accepted, accepted → answered), acceptance, SLA met, ratings. */
export function performanceTable(rows: AgencyPerformance[]): Html {
  const shown = rows.filter((r) => r.requested || r.open || r.ratings.count);
  if (!shown.length) return html`<p class="empty">所选时间内没有送达机构的案件。</p>`;
  return html`<div class="table-wrap"><table class="list performance">
    <thead><tr><th class="pin">机构</th><th>送达</th><th>接受</th><th>拒绝</th><th>接受率</th><th>接受用时（中位 / P90）</th><th>答复用时（中位 / P90）</th><th>SLA 达标</th><th>评分</th><th>在办</th></tr></thead>
    <tbody>${shown.map((r) => {
      const judged = r.sla.met + r.sla.missed;
      return html`<tr>
        <td class="pin">${r.name}</td>
        <td>${r.requested}</td>
        <td>${r.accepted}</td>
        <td>${r.declined}${r.acceptBreached ? html`<div class="breach small">超时 ${r.acceptBreached}</div>` : ''}</td>
        <td>${r.acceptanceRate === null ? '—' : percent(r.acceptanceRate)}</td>
        <td class="nowrap">${duration(r.acceptMs.median)} / ${duration(r.acceptMs.p90)}</td>
        <td class="nowrap">${duration(r.answerMs.median)} / ${duration(r.answerMs.p90)}</td>
        <td class="${judged && r.sla.missed / judged > 0.2 ? 'breach' : ''}">${judged ? `${percent(r.sla.met / judged)}（${r.sla.met}/${judged}）` : '—'}</td>
        <td>${r.ratings.average === null ? '—' : `${r.ratings.average.toFixed(1)} 分（${r.ratings.count}）`}</td>
        <td>${r.open}</td>
      </tr>`;
    })}</tbody>
  </table></div>`;
}

function conversationList(turns: { question: string; answer: string }[] | null): Html {
  if (!turns?.length) return html`<p class="empty">无此前对话。</p>`;
  return html`<ol class="conversation">${turns.map((t) => html`<li><div><strong>问：</strong>${t.question}</div><div class="muted"><strong>答：</strong>${t.answer}</div></li>`)}</ol>`;
}

export function actorLabel(actor: string, registry: AgencyRegistry, staff: Map<string, string>): string {
  if (actor === 'user') return '用户';
  if (actor === 'system') return '系统';
  if (actor.startsWith('agency:')) return agencyLabel(registry, actor.slice('agency:'.length));
  if (actor.startsWith('staff:')) return `账户 ${staff.get(actor.slice('staff:'.length)) ?? actor.slice('staff:'.length, 'staff:'.length + 8)}`;
  return actor;
}

const TIMER_KIND = { accept: '接受时限', answer: '答复时限' } as const;
const DATA_NAMES: Record<string, string> = { question: '问题', conversation: '此前对话', contact: '联系方式' };
/** Why a consent given ended: it is not always the user who withdrew it. */
const CONSENT_ENDS: Record<ConsentEnd, string> = { withdrawn: '用户撤回', declined: '机构拒绝', sla_breached: '机构超时未处理' };

/** A case as staff see it: everything in the record but the contact. */
export function staffCaseDetail(detail: CaseDetail, registry: AgencyRegistry, staff: Map<string, string>, session: Session, notice?: Html): Html {
  const c = detail.case;
  const now = Date.now();
  const assignable = c.status === 'staff_queue' || c.status === 'offered' || c.status === 'awaiting_consent';
  const contactGiven = detail.events.some((e) => e.type === 'contact_given') || detail.consents.some((k) => k.decision === 'given' && k.data.includes('contact'));
  return html`<main class="detail">
    <p><a href="/console/cases">← 返回转介案件</a></p>
    ${notice ?? ''}
    <h1>案件 ${c.id.slice(0, 8)} ${statusTag(c.status)}</h1>
    <section class="card">
      <dl class="meta">
        <dt>案件编号</dt><dd><code>${c.id}</code></dd>
        <dt>发起</dt><dd>${time(c.createdAt)} · ${channelLabel(c.channel)} · ${referralReason(c.reason)}</dd>
        <dt>事项</dt><dd>${needsText(c) || '—'}${c.district ? ` · ${c.district}` : ''}</dd>
        <dt>当前机构</dt><dd>${agencyLabel(registry, c.agencyId, detail.agencyName)}</dd>
        <dt>已试机构</dt><dd>${c.triedAgencies.map((id) => agencyLabel(registry, id)).join('、') || '—'}</dd>
        <dt>联系方式</dt><dd>${c.contactCipher ? '已提供（仅承办机构可见）' : contactGiven ? '已删除（同意结束或案件结束）' : '未提供'}</dd>
        <dt>更新</dt><dd>${time(c.updatedAt)}${c.closedAt ? html` · 结束于 ${time(c.closedAt)}` : ''}</dd>
        <dt>用户评价</dt><dd>${c.rating ? `${c.rating} 分` : '—'}${c.resolved === null ? '' : c.resolved ? ' · 已解决' : ' · 未解决'}${c.ratingComment ? html`<div class="comment">“${c.ratingComment}”</div>` : ''}</dd>
        <dt>咨询记录</dt><dd>${c.consultationId ? html`<a href="/console/consultations/${c.consultationId}">查看咨询</a>` : '（已删除）'}</dd>
      </dl>
    </section>
    <section class="card">
      <h2>问题（已打码）</h2>
      ${c.question ? html`<p class="question">${c.question}</p>` : html`<p class="empty">${c.erasedAt ? `已于 ${time(c.erasedAt)} 删除。` : '无。'}</p>`}
      <h3>此前对话</h3>
      ${conversationList(c.conversation)}
    </section>
    ${assignable
      ? html`<section class="card"><h2>人工分派</h2><p class="muted">分派后会请用户重新同意，同意前不向机构提供任何信息。</p>${assignForm(c.id, c.triedAgencies, registry, session)}</section>`
      : ''}
    <section class="card">
      <h2>SLA 计时</h2>
      ${detail.timers.length
        ? html`<div class="table-wrap"><table class="list"><thead><tr><th>时限</th><th>机构</th><th>截止</th><th>结果</th></tr></thead><tbody>${detail.timers.map((t) => {
            const state = t.firedAt
              ? html`<span class="breach">已超时（${time(t.firedAt)} 转出）</span>`
              : t.cancelledAt
                ? t.cancelledAt > t.dueAt
                  ? html`<span class="breach">超时后完成（${time(t.cancelledAt)}）</span>`
                  : html`<span>按时完成（${time(t.cancelledAt)}）</span>`
                : t.dueAt.getTime() < now
                  ? html`<span class="breach">已超时 ${duration(now - t.dueAt.getTime())}</span>`
                  : html`<span>进行中，剩 ${duration(t.dueAt.getTime() - now)}</span>`;
            return html`<tr><td>${TIMER_KIND[t.kind]}</td><td>${agencyLabel(registry, t.agencyId)}</td><td class="nowrap">${time(t.dueAt)}</td><td>${state}</td></tr>`;
          })}</tbody></table></div>`
        : html`<p class="empty">尚未送达机构。</p>`}
    </section>
    <section class="card">
      <h2>同意记录</h2>
      ${detail.consents.length
        ? html`<div class="table-wrap"><table class="list"><thead><tr><th>机构</th><th>请求时间</th><th>结果</th><th>提供的信息</th><th>告知书</th><th>同意结束</th></tr></thead><tbody>${detail.consents.map(
            (k) => html`<tr><td>${agencyLabel(registry, k.agencyId)}</td><td class="nowrap">${time(k.createdAt)}</td>
              <td>${k.decision === 'given' ? `同意（${time(k.decidedAt)}）` : k.decision === 'refused' ? (k.decidedVia === 'superseded' ? '已改派' : `不同意（${time(k.decidedAt)}）`) : '待答复'}</td>
              <td class="text short">${k.data.map((d) => DATA_NAMES[d] ?? d).join('、')}</td><td><code title="${k.noticeHash}">${k.noticeVersion} · ${k.noticeHash.slice(0, 12)}</code></td><td>${k.withdrawnAt ? `${time(k.withdrawnAt)}${k.endedBy ? ` · ${CONSENT_ENDS[k.endedBy]}` : ''}` : '—'}</td></tr>`,
          )}</tbody></table></div>`
        : html`<p class="empty">尚未请求同意。</p>`}
    </section>
    <section class="card">
      <h2>经过</h2>
      <ol class="events">${detail.events.map(
        (e) => html`<li><span class="nowrap">${time(e.createdAt)}</span> · <strong>${CASE_EVENT_LABELS[e.type] ?? e.type}</strong> · ${actorLabel(e.actor, registry, staff)}${
          e.fromStatus && e.toStatus && e.fromStatus !== e.toStatus ? html` · ${CASE_STATUS_LABELS[e.fromStatus]} → ${CASE_STATUS_LABELS[e.toStatus]}` : ''
        }${e.agencyId && e.type !== 'assigned' ? html` <span class="muted">（${agencyLabel(registry, e.agencyId)}）</span>` : ''}${
          e.type === 'declined' && typeof e.details?.reason === 'string' && e.details.reason ? html`<div class="muted">理由：${e.details.reason}</div>` : ''
        }${e.type === 'assigned' && typeof e.details?.agencyId === 'string' ? html`<div class="muted">分派给 ${agencyLabel(registry, e.details.agencyId)}</div>` : ''}</li>`,
      )}</ol>
    </section>
    <section class="card">
      <h2>发给用户的消息</h2>
      ${detail.messages.length
        ? html`<ul class="messages">${detail.messages.map((m) => html`<li class="from-${m.from}"><div class="muted">${m.from === 'agency' ? '机构' : '系统'} · ${time(m.createdAt)}</div><div class="answer">${m.text}</div></li>`)}</ul>`
        : html`<p class="empty">无。</p>`}
    </section>
  </main>`;
}

export interface AgencyCase {
  id: string;
  status: CaseStatus;
  createdAt: Date;
  field: string | null;
  service: string | null;
  district: string | null;
  question: string | null;
  conversation: { question: string; answer: string }[] | null;
  contact?: string;
  rating: number | null;
  resolved: boolean | null;
}

/** A case as the agency holding it sees it: the data the user shared with it, and what it can do next. */
export function agencyCaseDetail(
  c: AgencyCase,
  extra: { due: CaseListRow['due']; steps: { type: string; createdAt: Date }[]; answers: { text: string; createdAt: Date }[]; contactGiven: boolean },
  session: Session,
  notice?: Html,
): Html {
  const csrf = csrfField(session);
  const open = c.status === 'requested' || c.status === 'accepted' || c.status === 'answered';
  return html`<main class="detail">
    <p><a href="/console/cases">← 返回本机构案件</a></p>
    ${notice ?? ''}
    <h1>案件 ${c.id.slice(0, 8)} ${statusTag(c.status)}</h1>
    <section class="card">
      <dl class="meta">
        <dt>收到</dt><dd>${time(reachedAt(extra.steps) ?? c.createdAt)}</dd>
        <dt>事项</dt><dd>${needsText(c) || '—'}${c.district ? ` · ${c.district}` : ''}</dd>
        ${open && extra.due ? html`<dt>时限</dt><dd>${dueCell(extra.due)}</dd>` : ''}
        <dt>用户联系方式</dt><dd>${c.contact ? html`<strong class="contact">${c.contact}</strong> <span class="muted">（用户同意提供给本机构，仅用于本案件）</span>` : extra.contactGiven ? '已删除（案件已结束，或用户对本机构的同意已结束）' : '用户未留联系方式，请通过本平台答复。'}</dd>
        ${c.status === 'completed' ? html`<dt>用户评价</dt><dd>${c.rating ? `${c.rating} 分` : '尚未评分'}${c.resolved === null ? '' : c.resolved ? ' · 已解决' : ' · 未解决'}</dd>` : ''}
      </dl>
    </section>
    <section class="card">
      <h2>用户的问题</h2>
      ${c.question ? html`<p class="question">${c.question}</p>` : html`<p class="empty">已删除。</p>`}
      <h3>此前对话</h3>
      ${conversationList(c.conversation)}
    </section>
    ${c.status === 'requested'
      ? html`<section class="card actions-card">
          <h2>是否接受</h2>
          <form method="post" action="/console/cases/${c.id}/agency" class="inline-form">${csrf}<input type="hidden" name="op" value="accept"><button type="submit" class="big">接受案件</button></form>
          <form method="post" action="/console/cases/${c.id}/agency" class="stack"${confirmAttr('decline')}>${csrf}<input type="hidden" name="op" value="decline">
            <label>拒绝理由（可选，会记录在案）<textarea name="reason" rows="2" maxlength="200"></textarea></label>
            <button type="submit" class="secondary">拒绝，转给其他机构</button></form>
        </section>`
      : ''}
    ${c.status === 'accepted' || c.status === 'answered'
      ? html`<section class="card actions-card">
          <h2>答复用户</h2>
          <form method="post" action="/console/cases/${c.id}/agency" class="stack">${csrf}<input type="hidden" name="op" value="answer">
            <label>答复内容（会发到用户的对话中）<textarea name="text" rows="5" maxlength="4000" required></textarea></label>
            <button type="submit">发送答复</button></form>
          <form method="post" action="/console/cases/${c.id}/agency" class="stack"${confirmAttr('close')}>${csrf}<input type="hidden" name="op" value="close">
            <label>结案说明（可选，会发给用户）<textarea name="text" rows="2" maxlength="4000"></textarea></label>
            <button type="submit" class="secondary">办结案件</button></form>
        </section>`
      : ''}
    <section class="card">
      <h2>本机构的答复</h2>
      ${extra.answers.length ? html`<ul class="messages">${extra.answers.map((m) => html`<li><div class="muted">${time(m.createdAt)}</div><div class="answer">${m.text}</div></li>`)}</ul>` : html`<p class="empty">尚未答复。</p>`}
      <h3>经过</h3>
      <ol class="events">${extra.steps.map((e) => html`<li>${time(e.createdAt)} · ${CASE_EVENT_LABELS[e.type] ?? e.type}</li>`)}</ol>
    </section>
  </main>`;
}

/** A case the agency no longer holds: when it got it and its own steps; the consent that covered the data ended. */
export function pastCaseDetail(past: { case: { id: string; createdAt: Date; field: string | null; service: string | null; district: string | null }; events: { type: string; createdAt: Date }[] }): Html {
  const c = past.case;
  return html`<main class="detail">
    <p><a href="/console/cases">← 返回本机构案件</a></p>
    <h1>案件 ${c.id.slice(0, 8)} <span class="tag">已不在本机构</span></h1>
    <section class="card">
      <p>本机构已不再承办此案件（拒绝、超时转出或用户撤回），用户对本机构的同意随之结束，问题、对话和联系方式不再显示。</p>
      <dl class="meta"><dt>收到</dt><dd>${time(reachedAt(past.events) ?? c.createdAt)}</dd><dt>事项</dt><dd>${needsText(c) || '—'}${c.district ? ` · ${c.district}` : ''}</dd></dl>
      <h2>本机构经手的经过</h2>
      <ol class="events">${past.events.map((e) => html`<li>${time(e.createdAt)} · ${CASE_EVENT_LABELS[e.type] ?? e.type}</li>`)}</ol>
    </section>
  </main>`;
}

/** When the case reached the agency: the latest consent naming it, among the agency's own steps. */
function reachedAt(steps: { type: string; createdAt: Date }[]): Date | undefined {
  return steps.filter((s) => s.type === 'consent_given').at(-1)?.createdAt;
}
