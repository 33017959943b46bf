/**
 * Consultations: the filtered list (keyset pages of 50), one consultation with everything around it and
 * the review form, and the export of exactly the filtered rows. Viewing a consultation and exporting are
 * audited; every page here sends Cache-Control: no-store (set for the whole console).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../../http/http-error.js';
import { consultationDetail, conversationTurns, decodeCursor, encodeCursor, exportConsultations, listConsultations, type ConsultationDetail, type ExportRow } from '../../store/console-queries.js';
import type { Citation } from '../../types.js';
import { STAFF, audit, sessionOf, type ConsoleDeps } from '../context.js';
import { attachment, csvStream, xlsxStream, type Column } from '../export.js';
import { ANSWERERS, CASE_STATUS_LABELS, OUTCOMES, VERDICTS, channelLabel, confidenceText, day, needsText, percent, piiText, time } from '../format.js';
import { html, type Html } from '../html.js';
import { feedbackCount } from '../icons.js';
import { csrfField, page } from '../layout.js';
import { pager } from '../pager.js';
import { FILTER_KEYS, PLACE_KEYS, backToList, consultationHref, exportForm, filterForm, filterQuery, listUrl, parseFilter, type FilterForm } from './consultation-filter.js';
import { conversationSection } from './conversation.js';
import { reviewForm, type ReviewFormView } from './review-form.js';

const LIST_KEYS = new Set<string>([...FILTER_KEYS, ...PLACE_KEYS]);

/** At most this many rows per export (a larger one asks for a narrower filter). */
export const EXPORT_MAX_ROWS = 200_000;

function citationText(citations: Citation[]): string {
  return citations.map((c) => `《${c.title}》${c.docNumber ?? ''} ${c.section}`.trim()).join('；');
}

const EXPORT_COLUMNS: Column<ExportRow>[] = [
  { header: '时间', value: (r) => time(r.createdAt), width: 17 },
  { header: '渠道', value: (r) => channelLabel(r.channel), width: 8 },
  { header: '问题', value: (r) => r.question, width: 40 },
  { header: '回答', value: (r) => r.answer, width: 60 },
  { header: '结果', value: (r) => OUTCOMES[r.outcome as keyof typeof OUTCOMES] ?? r.outcome },
  { header: '置信度', value: (r) => confidenceText(r.outcome, r.confidence), width: 10 },
  { header: '回答方式', value: (r) => ANSWERERS[r.answerer as keyof typeof ANSWERERS] ?? r.answerer },
  { header: '耗时(毫秒)', value: (r) => r.latencyMs, width: 10 },
  { header: '主题', value: (r) => r.topics.join('、') },
  { header: '引用条款', value: (r) => citationText(r.citations), width: 50 },
  { header: '好评', value: (r) => r.up, width: 6 },
  { header: '差评', value: (r) => r.down, width: 6 },
  { header: '反馈意见', value: (r) => r.feedbackComments, width: 30 },
  { header: '已转介', value: (r) => (r.referred ? '是' : '否'), width: 8 },
  { header: '审核时间', value: (r) => time(r.reviewedAt), width: 17 },
  { header: '审核结论', value: (r) => (r.verdict ? VERDICTS[r.verdict as keyof typeof VERDICTS] : '') },
  { header: '审核意见', value: (r) => r.reviewNote, width: 30 },
  { header: '修正答复', value: (r) => r.correctedAnswer, width: 50 },
  { header: '审核人', value: (r) => r.reviewer },
  { header: '记录编号', value: (r) => r.id, width: 38 },
];

function flag(on: boolean, label: string): Html | string {
  return on ? html`<span class="tag">${label}</span>` : '';
}

export async function consultationRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const list = async (form: FilterForm, request: FastifyRequest) => {
    const session = sessionOf(request);
    const { filter, problems } = parseFilter(form);
    const result = problems.length ? undefined : await listConsultations(deps.db, filter, { after: decodeCursor(form.after), before: decodeCursor(form.before) });
    const here = listUrl(form);
    const body = html`<main>
      <h1>咨询记录</h1>
      ${filterForm(form)}
      ${problems.length ? html`<p class="error" role="alert">${problems.join('；')}</p>` : ''}
      ${result
        ? html`<div class="list-head"><p class="summary">共 <strong id="total">${result.capped ? `${result.total}+` : result.total}</strong> 条</p>${exportForm(form, csrfField(session))}</div>
          <div class="table-wrap"><table class="list">
            <thead><tr><th>时间</th><th>渠道</th><th>问题</th><th>结果</th><th>置信度</th><th>反馈</th><th>状态</th></tr></thead>
            <tbody>${result.rows.map(
              (r) => html`<tr>
                <td class="nowrap">${time(r.createdAt)}</td>
                <td>${channelLabel(r.channel)}</td>
                <td class="text"><a href="${consultationHref(r.id, here)}">${r.question}</a>${r.topics.length ? html`<div class="topics">${r.topics.join(' · ')}</div>` : ''}</td>
                <td><span class="outcome ${r.outcome}">${OUTCOMES[r.outcome]}</span>${r.answerer === 'reviewed' ? html` <span class="tag">标准答复</span>` : ''}</td>
                <td class="nowrap">${confidenceText(r.outcome, r.confidence)}</td>
                <td class="nowrap feedback">${feedbackCount('up', r.up, true)}${feedbackCount('down', r.down, true)}</td>
                <td>${flag(r.referred, '已转介')}${r.verdict ? html`<span class="tag ${r.verdict}">${VERDICTS[r.verdict]}</span>` : r.reviewedAt ? flag(true, '已审核') : ''}</td>
              </tr>`,
            )}</tbody>
          </table></div>
          ${result.rows.length ? '' : html`<p class="empty">没有符合条件的记录。</p>`}
          ${pager({ page: form.page, previous: result.previous, next: result.next }, (to) =>
            `/console/consultations${filterQuery(form, { after: to.after && encodeCursor(to.after), before: to.before && encodeCursor(to.before), page: to.page ? String(to.page) : undefined })}`,
          )}`
        : ''}
    </main>`;
    return page({ title: '咨询记录', session, active: '/console/consultations', body });
  };

  app.get<{ Querystring: FilterForm }>('/console/consultations', { config: { roles: STAFF } }, async (request, reply) => {
    // The form sends every field, empty or not: answered with the short URL of the same list, so the
    // address bar, history and Back hold `?q=商标&page=2`, not a dozen empty parameters.
    const given = [...new URLSearchParams(request.url.split('?')[1] ?? '')];
    if (given.some(([key, value]) => !value.trim() || !LIST_KEYS.has(key))) return reply.redirect(listUrl(request.query ?? {}), 303);
    return reply.type('text/html; charset=utf-8').send(await list(request.query ?? {}, request));
  });
  // The list used to be a POST (a form in older tabs, bookmarks of the old paging): answered with its GET URL.
  app.post<{ Body: FilterForm }>('/console/consultations', { config: { roles: STAFF } }, async (request, reply) =>
    reply.redirect(listUrl(request.body ?? {}), 303),
  );

  app.post<{ Body: FilterForm; Querystring: { format?: string } }>('/console/consultations/export', { config: { roles: STAFF } }, async (request, reply) => {
    const format = request.query.format === 'xlsx' ? 'xlsx' : 'csv';
    const { filter, problems } = parseFilter({ ...request.body, after: undefined, before: undefined });
    if (problems.length) throw new HttpError(400, 'input_invalid', problems.join('；'));
    await audit(deps.db, request, {
      action: 'consultation.export',
      targetType: 'consultations',
      // The filter without the search text, which may hold personal data.
      details: { format, filter: { ...filter, search: filter.search ? '(given)' : undefined } },
    });
    const rows = exportConsultations(deps.db, filter, EXPORT_MAX_ROWS);
    const name = `咨询记录-${day(new Date())}.${format}`;
    reply.header('content-disposition', attachment(name));
    if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(csvStream(rows, EXPORT_COLUMNS));
    return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(xlsxStream(rows, EXPORT_COLUMNS, '咨询记录'));
  });

  app.get<{ Params: { id: string }; Querystring: { done?: string; back?: string } }>('/console/consultations/:id', { config: { roles: STAFF } }, async (request, reply) => {
    const detail = await consultationDetail(deps.db, request.params.id);
    if (!detail) throw new HttpError(404, 'not_found', '没有找到这条咨询记录。');
    await audit(deps.db, request, { action: 'consultation.view', targetType: 'consultation', targetId: detail.consultation.id });
    const notice = request.query.done === 'reviewed' ? '审核已保存。' : undefined;
    return reply.type('text/html; charset=utf-8').send(await consultationPage(deps, request, detail, { back: backToList(request.query.back), notice }));
  });
}

/**
 * One consultation with everything around it: the conversation it belongs to, citations, passages,
 * referrals, reviews and the review form (with the reviewer's draft and the articles found, after a search).
 */
export async function consultationPage(deps: ConsoleDeps, request: FastifyRequest, detail: ConsultationDetail, view: ReviewFormView & { notice?: string }): Promise<string> {
  const session = sessionOf(request);
  const c = detail.consultation;
  const knowledge = deps.knowledge();
  const turns = await conversationTurns(deps.db, c.conversationId, c.id);
  const chunkText = new Map(knowledge.chunks.map((k) => [k.id, k.text]));
  const up = detail.feedback.filter((f) => f.rating === 1).length;
  const down = detail.feedback.filter((f) => f.rating === -1).length;
  const documentTitle = (id: string) => knowledge.document(id)?.title;
  const body = html`<main class="detail">
      <p><a href="${view.back}" class="back">← 返回咨询记录</a></p>
      ${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
      <h1>咨询详情</h1>
      <section class="card">
        <h2>问题</h2>
        <p class="question">${c.question}</p>
        <h2>回答 <span class="outcome ${c.outcome}">${OUTCOMES[c.outcome]}</span></h2>
        <div class="answer">${c.answer}</div>
        <dl class="meta">
          <dt>时间</dt><dd>${time(c.createdAt)}</dd>
          <dt>渠道</dt><dd>${channelLabel(c.channel)}</dd>
          <dt>置信度</dt><dd>${confidenceText(c.outcome, c.confidence)}</dd>
          <dt>回答方式</dt><dd>${ANSWERERS[c.answerer] ?? c.answerer}</dd>
          <dt>耗时</dt><dd>${c.latencyMs} 毫秒</dd>
          <dt>主题</dt><dd>${c.topics.join('、') || '—'}</dd>
          <dt>反馈</dt><dd class="feedback">${feedbackCount('up', up)}${feedbackCount('down', down)}${detail.feedback
            .filter((f) => f.comment)
            .map((f) => html`<div class="comment">“${f.comment}”</div>`)}</dd>
          <dt>已遮蔽信息</dt><dd>${piiText(c.piiFound) || '无'}</dd>
        </dl>
      </section>
      ${conversationSection(c, turns, view.back)}
      <section class="card">
        <h2>引用条款（${c.citations.length}）</h2>
        ${c.citations.length
          ? html`<ol class="citations">${c.citations.map(
              (ct) => html`<li><strong>《${ct.title}》${ct.docNumber ? `（${ct.docNumber}）` : ''} ${ct.section}</strong><blockquote>${ct.excerpt}</blockquote></li>`,
            )}</ol>`
          : html`<p class="empty">无引用。</p>`}
      </section>
      <section class="card">
        <h2>检索到的段落（${c.passages.length}）</h2>
        ${c.passages.length
          ? html`<div class="table-wrap"><table class="list passages"><thead><tr><th>#</th><th>条款</th><th title="问题的词语在这一段里出现的比例">覆盖问题词语</th><th>原文</th></tr></thead><tbody>${c.passages.map(
              (p, i) => html`<tr><td>${i + 1}</td><td class="text short">${documentTitle(p.documentId) ? `《${documentTitle(p.documentId)}》` : ''}${p.section}</td><td>${percent(p.coverage)}</td>
                <td class="text"><details><summary>展开</summary><div class="chunk">${chunkText.get(p.chunkId) ?? '（知识库中已无此段落）'}</div></details></td></tr>`,
            )}</tbody></table></div>`
          : html`<p class="empty">未检索（问候、拒答或标准答复）。</p>`}
      </section>
      <section class="card">
        <h2>转介</h2>
        ${detail.referrals.length
          ? html`<ul>${detail.referrals.map(
              (r) => html`<li><a href="/console/cases/${r.id}">案件 ${r.id.slice(0, 8)}</a> · ${time(r.createdAt)} · <span class="tag status-${r.status}">${CASE_STATUS_LABELS[r.status]}</span>${r.agency ? ` · ${r.agency}` : ''}${needsText(r) ? ` · ${needsText(r)}` : ''}</li>`,
            )}</ul>`
          : html`<p class="empty">未转介。</p>`}
      </section>
      <section class="card">
        <h2>审核记录</h2>
        ${detail.reviews.length
          ? html`<ul class="reviews">${detail.reviews.map(
              (r) => html`<li><span class="tag ${r.verdict}">${VERDICTS[r.verdict]}</span> ${r.reviewer} · ${time(r.createdAt)}${r.note ? html`<div>意见：${r.note}</div>` : ''}${
                r.correctedAnswer ? html`<div>修正答复：<div class="answer">${r.correctedAnswer}</div></div>` : ''
              }</li>`,
            )}</ul>`
          : html`<p class="empty">尚未审核。</p>`}
      </section>
      ${reviewForm(detail, session, knowledge, view)}
    </main>`;
  return page({ title: '咨询详情', session, active: '/console/consultations', body });
}
