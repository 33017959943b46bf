/**
 * The cases board: cases by state, running SLA due times (breaches in red), the staff queue with assignment
 * by hand, per-agency response times, the filtered list and its export; and the agency's own board, where an
 * agency account accepts, declines, answers and closes its cases. Every change goes through CaseService
 * (its rules, events and notifications) in one transaction with its audit entry.
 *
 * Who sees what:
 * - staff (admin, reviewer): every case and its history, never the contact (shown as given or not);
 * - an agency account: the cases it received (consent given naming its agency). The question, the
 *   conversation and, while consent stands, the contact, only while the case is with it or after it closed
 *   it (CaseService.forAgency); of a case it declined, let time out, or that the user withdrew, only the dates
 *   and its own steps. Any other case id, existing or not, is a 403, audited as `case.denied`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AgencyOp } from '../../escalation/case-service.js';
import { CaseConflict, CaseNotFound } from '../../cases/core.js';
import { HttpError } from '../../http/http-error.js';
import {
  accountNames,
  agencyCaseExtras,
  agencyPerformance,
  caseCounts,
  caseHolder,
  caseDetail,
  decodeCaseCursor,
  encodeCaseCursor,
  type CaseCursor,
  exportCases,
  heldBy,
  listCases,
  pastCaseOf,
  staffQueue,
  type CaseExportRow,
} from '../../store/console-cases.js';
import type { CaseStatus } from '../../store/schema.js';
import { CONFIRM_QUESTIONS, isConfirmed, sendConfirmation } from '../confirm.js';
import { ANYONE, STAFF, audit, sessionOf, type ConsoleDeps } from '../context.js';
import { attachment, csvStream, xlsxStream, type Column } from '../export.js';
import { CASE_STATUS_LABELS, day, needsText, referralReason, time } from '../format.js';
import { html } from '../html.js';
import { csrfField, page } from '../layout.js';
import { pager } from '../pager.js';
import { caseExportForm, caseFilterForm, caseFilterQuery, parseCaseFilter, type CaseFilterForm } from './case-filter.js';
import { agencyCaseDetail, agencyLabel, caseTable, pastCaseDetail, performanceTable, staffCaseDetail, staffQueueTable, statusTiles } from './case-views.js';

export const CASE_EXPORT_MAX_ROWS = 200_000;
const DAY_MS = 86_400_000;
/** The board's response times look back this far. */
const PERFORMANCE_DAYS = 30;

const STAFF_TILES: readonly CaseStatus[] = ['staff_queue', 'offered', 'awaiting_consent', 'requested', 'accepted', 'answered', 'completed', 'cancelled'];
const AGENCY_TILES: readonly CaseStatus[] = ['requested', 'accepted', 'answered', 'completed'];

const DONE: Record<string, string> = {
  accept: '已接受案件，用户已收到通知。',
  decline: '已拒绝，案件将转给其他机构。',
  answer: '答复已发送给用户。',
  close: '案件已办结，已请用户确认并评分。',
  assign: '已分派，正在请用户同意向该机构提供信息。',
};

const duration = (from: Date | null, to: Date | null) => (from && to ? Math.round((to.getTime() - from.getTime()) / 60_000) : null);

const EXPORT_COLUMNS = (label: (id: string | null) => string): Column<CaseExportRow>[] => [
  { header: '案件编号', value: (r) => r.id, width: 38 },
  { header: '发起时间', value: (r) => time(r.createdAt), width: 17 },
  { header: '状态', value: (r) => CASE_STATUS_LABELS[r.status] },
  { header: '转介原因', value: (r) => referralReason(r.reason) },
  { header: '事项', value: (r) => needsText(r), width: 18 },
  { header: '区县', value: (r) => r.district },
  { header: '当前机构', value: (r) => label(r.agencyId), width: 28 },
  { header: '已试机构', value: (r) => r.triedAgencies.map(label).join('、'), width: 28 },
  { header: '问题（已打码）', value: (r) => r.question, width: 50 },
  { header: '留有联系方式', value: (r) => (r.holdsContact ? '是' : r.hadContact ? '已删除' : '否'), width: 8 },
  { header: '送达机构时间', value: (r) => time(r.requestedAt), width: 17 },
  { header: '接受时间', value: (r) => time(r.acceptedAt), width: 17 },
  { header: '首次答复时间', value: (r) => time(r.answeredAt), width: 17 },
  { header: '接受用时(分钟)', value: (r) => duration(r.requestedAt, r.acceptedAt), width: 10 },
  { header: '答复用时(分钟)', value: (r) => duration(r.acceptedAt, r.answeredAt), width: 10 },
  { header: '当前时限', value: (r) => (r.due ? `${r.due.kind === 'accept' ? '接受' : '答复'} ${time(r.due.at)}` : ''), width: 22 },
  { header: '超时次数', value: (r) => r.breaches, width: 8 },
  { header: '办结时间', value: (r) => time(r.closedAt), width: 17 },
  { header: '是否解决', value: (r) => (r.resolved === null ? '' : r.resolved ? '是' : '否'), width: 8 },
  { header: '评分', value: (r) => r.rating, width: 6 },
  { header: '评价', value: (r) => r.ratingComment, width: 30 },
  { header: '咨询编号', value: (r) => r.consultationId, width: 38 },
];

/** An agency account's agency; an agency account without one (never made by `admin`) sees nothing. */
function agencyOf(request: FastifyRequest): string {
  const { account } = sessionOf(request);
  if (!account.agencyId) throw new HttpError(403, 'forbidden', '此账户未绑定服务机构。');
  return account.agencyId;
}

/** A cases list URL's query: the filter, then the page and its cursor. */
function placeQuery(form: CaseFilterForm, to: { after?: CaseCursor; before?: CaseCursor; page?: number }): string {
  return caseFilterQuery(form, { after: to.after && encodeCaseCursor(to.after), before: to.before && encodeCaseCursor(to.before), page: to.page ? String(to.page) : undefined });
}

export async function caseRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { registry } = deps;
  const label = (id: string | null) => agencyLabel(registry, id);

  /** A case an agency may not see: 403 whether it exists or not, and written to the audit log. */
  const deny = async (request: FastifyRequest, caseId: string, agencyId: string, what: string): Promise<never> => {
    await audit(deps.db, request, { action: 'case.denied', targetType: 'case', targetId: caseId.slice(0, 64), details: { agencyId, attempted: what } });
    throw new HttpError(403, 'forbidden', '无权查看此案件：它不是本机构的案件。');
  };

  app.get<{ Querystring: CaseFilterForm & { done?: string } }>('/console/cases', { config: { roles: ANYONE } }, async (request, reply) => {
    const session = sessionOf(request);
    const form = request.query;
    if (session.account.role === 'agency') {
      const agencyId = agencyOf(request);
      const [counts, held, past] = await Promise.all([
        caseCounts(deps.db, { receivedBy: agencyId, held: true }),
        listCases(deps.db, { receivedBy: agencyId, held: true }, { after: decodeCaseCursor(form.after), before: decodeCaseCursor(form.before), limit: 100 }),
        listCases(deps.db, { receivedBy: agencyId, held: false }, { limit: 100 }),
      ]);
      const body = html`<main class="cases">
        <h1>本机构案件 · ${label(agencyId)}</h1>
        ${statusTiles(counts, AGENCY_TILES)}
        <section><h2>承办中与已办结</h2>${caseTable(held.rows, registry, 'held')}
          ${pager({ page: form.page, previous: held.previous, next: held.next }, (to) => `/console/cases${placeQuery({}, to)}`)}</section>
        <section><h2>曾经手的案件</h2><p class="muted">拒绝、超时转出或用户撤回后，用户对本机构的同意即结束，这些案件只显示日期和本机构的经过。</p>${caseTable(past.rows, registry, 'past')}</section>
      </main>`;
      return reply.type('text/html; charset=utf-8').send(page({ title: '本机构案件', session, active: '/console/cases', body }));
    }
    const { filter, problems } = parseCaseFilter(form, registry);
    const now = Date.now();
    const [counts, queue, list, performance] = await Promise.all([
      caseCounts(deps.db),
      staffQueue(deps.db),
      problems.length ? undefined : listCases(deps.db, filter, { after: decodeCaseCursor(form.after), before: decodeCaseCursor(form.before) }),
      agencyPerformance(deps.db, { from: new Date(now - PERFORMANCE_DAYS * DAY_MS), to: new Date(now + 60_000) }),
    ]);
    const notice = form.done && DONE[form.done] ? html`<p class="notice" role="status">${DONE[form.done]}</p>` : '';
    const body = html`<main class="cases">
      <h1>转介案件</h1>
      ${notice}
      ${statusTiles(counts, STAFF_TILES)}
      <section class="card queue-card" id="staff-queue">
        <h2>待人工分派（${counts.byStatus.staff_queue}）</h2>
        <p class="muted">没有机构接手的案件。分派后会请用户重新同意，同意前不向机构提供任何信息。</p>
        ${staffQueueTable(queue, registry, session)}
      </section>
      <section id="case-list">
        <h2>案件列表</h2>
        ${caseFilterForm(form, registry)}
        ${problems.length ? html`<p class="error" role="alert">${problems.join('；')}</p>` : ''}
        ${list
          ? html`<div class="list-head">${caseExportForm(form, csrfField(session))}</div>
            ${caseTable(list.rows, registry, 'staff')}
            ${pager({ page: form.page, previous: list.previous, next: list.next }, (to) => `/console/cases${placeQuery(form, to)}#case-list`)}`
          : ''}
      </section>
      <section class="card" id="agency-performance">
        <h2>各机构响应（近 ${PERFORMANCE_DAYS} 天送达的案件）</h2>
        ${performanceTable(performance)}
        <p class="muted">接受用时：送达机构到机构接受；答复用时：接受到首次答复（或直接办结）。SLA 按工作时间日历计时，拒绝也算按时处理。更长时段见“统计分析”。</p>
      </section>
    </main>`;
    return reply.type('text/html; charset=utf-8').send(page({ title: '转介案件', session, active: '/console/cases', body }));
  });

  app.get<{ Params: { id: string }; Querystring: { done?: string } }>('/console/cases/:id', { config: { roles: ANYONE } }, async (request, reply) => {
    const session = sessionOf(request);
    const id = request.params.id;
    const notice = request.query.done && DONE[request.query.done] ? html`<p class="notice" role="status">${DONE[request.query.done]}</p>` : undefined;
    const send = (title: string, body: ReturnType<typeof html>) => reply.type('text/html; charset=utf-8').send(page({ title, session, active: '/console/cases', body }));
    if (session.account.role === 'agency') {
      const agencyId = agencyOf(request);
      const held = await deps.cases.forAgency(id, agencyId);
      if (held) {
        const extras = await agencyCaseExtras(deps.db, id, agencyId);
        await audit(deps.db, request, { action: 'case.view', targetType: 'case', targetId: id, details: { agencyId, contactShown: Boolean(held.contact) } });
        return send('案件', agencyCaseDetail(held, extras, session, notice));
      }
      const past = await pastCaseOf(deps.db, id, agencyId);
      if (!past) return deny(request, id, agencyId, 'view');
      await audit(deps.db, request, { action: 'case.view', targetType: 'case', targetId: id, details: { agencyId, past: true } });
      return send('案件', pastCaseDetail(past));
    }
    const detail = await caseDetail(deps.db, id);
    if (!detail) throw new HttpError(404, 'not_found', '没有找到这个案件。');
    await audit(deps.db, request, { action: 'case.view', targetType: 'case', targetId: id });
    const staff = await accountNames(deps.db, detail.events.flatMap((e) => (e.actor.startsWith('staff:') ? [e.actor.slice('staff:'.length)] : [])));
    return send('案件详情', staffCaseDetail(detail, registry, staff, session, notice));
  });

  /** Runs a case change and its audit entry in one transaction, then wakes the sender for its messages. */
  const change = async (request: FastifyRequest, caseId: string, action: string, details: Record<string, unknown>, work: (tx: ConsoleDeps['db']) => Promise<{ status: CaseStatus }>) => {
    try {
      const view = await deps.db.transaction(async (tx) => {
        const result = await work(tx);
        await audit(tx, request, { action, targetType: 'case', targetId: caseId, details: { ...details, status: result.status } });
        return result;
      });
      deps.cases.wake();
      return view;
    } catch (error) {
      if (error instanceof CaseConflict) throw new HttpError(409, 'conflict', `案件当前状态为“${CASE_STATUS_LABELS[error.status]}”，不能执行此操作（可能已有人处理）。请刷新页面。`);
      throw error;
    }
  };

  app.post<{ Params: { id: string }; Body: { op?: string; text?: string; reason?: string } }>('/console/cases/:id/agency', { config: { roles: ['agency'] } }, async (request, reply) => {
    const session = sessionOf(request);
    const agencyId = agencyOf(request);
    const id = request.params.id;
    const body = request.body ?? {};
    const op = toOp(body);
    // Only a case it holds: anything else (another agency's, one offered to it without consent yet) is a 403.
    const current = await caseHolder(deps.db, id);
    if (!current || !heldBy(current, agencyId)) return deny(request, id, agencyId, op.type);
    if ((op.type === 'decline' || op.type === 'close') && !isConfirmed(body)) {
      const said = op.type === 'decline' ? op.reason : op.text;
      return sendConfirmation(reply, deps, session, {
        title: op.type === 'decline' ? '确认拒绝' : '确认办结',
        question: CONFIRM_QUESTIONS[op.type],
        details: said ? html`<p>${op.type === 'decline' ? '拒绝理由' : '结案说明'}：</p><div class="answer">${said}</div>` : '',
        action: `/console/cases/${id}/agency`,
        fields: op.type === 'decline' ? { op: 'decline', reason: op.reason } : { op: 'close', text: op.text },
        button: op.type === 'decline' ? '确认拒绝，转给其他机构' : '确认办结',
        back: `/console/cases/${id}`,
        active: '/console/cases',
      });
    }
    try {
      await change(request, id, `case.${op.type}`, { agencyId }, (tx) => deps.cases.inTx(tx).agencyAction(id, agencyId, op, `staff:${session.account.id}`));
    } catch (error) {
      if (error instanceof CaseNotFound) return deny(request, id, agencyId, op.type);
      throw error;
    }
    return reply.redirect(`/console/cases/${id}?done=${op.type}`, 303);
  });

  app.post<{ Params: { id: string }; Body: { agency?: string } }>('/console/cases/:id/assign', { config: { roles: STAFF } }, async (request, reply) => {
    const session = sessionOf(request);
    const id = request.params.id;
    const agencyId = String(request.body?.agency ?? '');
    if (!registry.get(agencyId)) throw new HttpError(400, 'input_invalid', '请选择登记表中的服务机构。');
    if (!isConfirmed(request.body)) {
      return sendConfirmation(reply, deps, session, {
        title: '确认分派',
        question: CONFIRM_QUESTIONS.assign,
        details: html`<p>案件 ${id.slice(0, 8)} → ${label(agencyId)}</p>`,
        action: `/console/cases/${id}/assign`,
        fields: { agency: agencyId },
        button: `确认分派给 ${label(agencyId)}`,
        back: `/console/cases/${id}`,
        active: '/console/cases',
      });
    }
    try {
      await change(request, id, 'case.assign', { agencyId }, (tx) => deps.cases.inTx(tx).assign(id, agencyId, session.account.id));
    } catch (error) {
      if (error instanceof CaseNotFound) throw new HttpError(404, 'not_found', '没有找到这个案件。');
      throw error;
    }
    return reply.redirect(`/console/cases/${id}?done=assign`, 303);
  });

  app.post<{ Body: CaseFilterForm; Querystring: { format?: string } }>('/console/cases/export', { config: { roles: STAFF } }, async (request, reply) => {
    const format = request.query.format === 'xlsx' ? 'xlsx' : 'csv';
    const { filter, problems } = parseCaseFilter({ ...request.body, after: undefined }, registry);
    if (problems.length) throw new HttpError(400, 'input_invalid', problems.join('；'));
    await audit(deps.db, request, { action: 'case.export', targetType: 'cases', details: { format, filter } });
    const rows = exportCases(deps.db, filter, CASE_EXPORT_MAX_ROWS);
    const columns = EXPORT_COLUMNS(label);
    reply.header('content-disposition', attachment(`转介案件-${day(new Date())}.${format}`));
    if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(csvStream(rows, columns));
    return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(xlsxStream(rows, columns, '转介案件'));
  });
}

function toOp(body: { op?: string; text?: string; reason?: string }): AgencyOp {
  const text = typeof body.text === 'string' ? body.text.trim() : '';
  switch (body.op) {
    case 'accept':
      return { type: 'accept' };
    case 'decline':
      return { type: 'decline', reason: typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim().slice(0, 200) : undefined };
    case 'answer':
      if (!text) throw new HttpError(400, 'input_invalid', '请填写答复内容。');
      return { type: 'answer', text: text.slice(0, 4000) };
    case 'close':
      return { type: 'close', text: text ? text.slice(0, 4000) : undefined };
    default:
      throw new HttpError(400, 'input_invalid', '操作不正确。');
  }
}
