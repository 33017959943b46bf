/**
 * The review queue page, "next item" (claimed for REVIEW_LOCK_MS) and the review itself. An incorrect
 * verdict with a corrected answer proposes an approved answer: a new version of the active approved
 * answer the question already matches, or a new one.
 */
import type { FastifyInstance } from 'fastify';
import { cite } from '../../answer/extractive.js';
import { HttpError } from '../../http/http-error.js';
import { consultationDetail } from '../../store/console-queries.js';
import { findArticles } from '../article-search.js';
import type { ApprovedAnswerStore } from '../../store/approved-answers.js';
import type { ReviewStore, QueueKind } from '../../store/reviews.js';
import type { Citation } from '../../types.js';
import { STAFF, audit, sessionOf, type ConsoleDeps, type Knowledge } from '../context.js';
import { QUEUE_KIND_LABELS, time } from '../format.js';
import { html } from '../html.js';
import { thumb } from '../icons.js';
import { csrfField, page } from '../layout.js';
import { citedIds } from './article-picker.js';
import { backToList, consultationHref } from './consultation-filter.js';
import { consultationPage } from './consultations.js';

/** How long "next item" keeps a consultation for one reviewer. */
export const REVIEW_LOCK_MS = 15 * 60_000;


interface ReviewBody {
  verdict?: string;
  note?: string;
  corrected?: string;
  question?: string;
  cite?: string | string[];
  /** `find`: search the knowledge for articles and show the form again with the draft; else submit. */
  intent?: string;
  find?: string;
  back?: string;
}

/** Citations for an approved answer from the chunks staff ticked, quoted as the bot would quote them. */
export function citationsFor(chunkIds: string[], question: string, knowledge: Knowledge): Citation[] {
  const query = knowledge.analyze(question);
  return chunkIds.flatMap((id) => {
    const chunk = knowledge.chunks.find((k) => k.id === id);
    return chunk ? [cite({ chunk, score: 1, coverage: 1 }, query, knowledge.document(chunk.documentId))] : [];
  });
}

export async function reviewRoutes(app: FastifyInstance, deps: ConsoleDeps, stores: { reviews: ReviewStore; approvedStore: ApprovedAnswerStore }) {
  const { reviews, approvedStore } = stores;

  app.get<{ Querystring: { empty?: string; done?: string } }>('/console/review', { config: { roles: STAFF } }, async (request, reply) => {
    const session = sessionOf(request);
    const [counts, next] = await Promise.all([reviews.counts(), reviews.preview()]);
    const body = html`<main>
      <h1>审核队列</h1>
      ${request.query.done ? html`<p class="notice" role="status">审核已保存。</p>` : ''}
      ${request.query.empty ? html`<p class="notice" role="status">队列已清空，没有待审核的记录。</p>` : ''}
      <p class="muted">按优先级排列：用户差评、文件未涉及、低置信度、转介。领取后该条锁定 ${REVIEW_LOCK_MS / 60_000} 分钟，其他审核员不会领到。</p>
      <div class="tiles">${(Object.keys(QUEUE_KIND_LABELS) as QueueKind[]).map(
        (k) => html`<div class="tile"><div class="count" data-kind="${k}">${counts[k]}</div><div>${k === 'thumbs_down' ? thumb('down') : ''}${QUEUE_KIND_LABELS[k]}</div></div>`,
      )}</div>
      <form method="post" action="/console/review/next">${csrfField(session)}<button type="submit" class="big">领取下一条</button></form>
      <h2>待审核（每类最近 5 条）</h2>
      ${next.length
        ? html`<div class="table-wrap"><table class="list queue"><thead><tr><th>类别</th><th>问题</th><th>时间</th><th>领取人</th></tr></thead><tbody>${next.map(
            (n) => html`<tr><td class="nowrap">${QUEUE_KIND_LABELS[n.kind]}</td><td class="text"><a href="/console/consultations/${n.id}">${n.question}</a></td><td class="nowrap">${time(n.createdAt)}</td><td>${n.holder ?? '—'}</td></tr>`,
          )}</tbody></table></div>`
        : html`<p class="empty">没有待审核的记录。</p>`}
    </main>`;
    return reply.type('text/html; charset=utf-8').send(page({ title: '审核队列', session, active: '/console/review', body }));
  });

  app.post('/console/review/next', { config: { roles: STAFF } }, async (request, reply) => {
    const session = sessionOf(request);
    const claimed = await reviews.claimNext(session.account.id, REVIEW_LOCK_MS);
    if (!claimed) return reply.redirect('/console/review?empty=1', 303);
    await audit(deps.db, request, { action: 'review.claim', targetType: 'consultation', targetId: claimed.consultationId, details: { kind: claimed.kind } });
    return reply.redirect(`/console/consultations/${claimed.consultationId}`, 303);
  });

  app.post<{ Params: { id: string }; Body: ReviewBody }>('/console/consultations/:id/review', { config: { roles: STAFF } }, async (request, reply) => {
    const session = sessionOf(request);
    const body = request.body ?? {};
    const detail = await consultationDetail(deps.db, request.params.id);
    if (!detail) throw new HttpError(404, 'not_found', '没有找到这条咨询记录。');
    const back = backToList(body.back);
    const chunkIds = citedIds(body.cite);
    if (body.intent === 'find') {
      // Nothing is saved: the page comes back with the draft as written and the articles found.
      const find = (body.find ?? '').trim().slice(0, 100);
      const found = find ? await findArticles(deps.knowledge(), find) : [];
      const draft = { verdict: body.verdict, note: body.note, corrected: body.corrected, question: body.question, cite: chunkIds, find };
      return reply.type('text/html; charset=utf-8').send(await consultationPage(deps, request, detail, { back, draft, found }));
    }
    if (body.verdict !== 'correct' && body.verdict !== 'incorrect') throw new HttpError(400, 'input_invalid', '请选择“正确”或“有误”。');
    const holder = await reviews.holder(detail.consultation.id);
    if (holder && holder !== session.account.id) throw new HttpError(409, 'claimed', '此条已由其他审核员领取，请稍后再试。');
    const corrected = body.verdict === 'incorrect' ? body.corrected?.trim() : undefined;
    const question = (body.question?.trim() || detail.consultation.question).slice(0, 500);
    const reviewId = await reviews.submit({ consultationId: detail.consultation.id, reviewerId: session.account.id, verdict: body.verdict, note: body.note, correctedAnswer: corrected });
    await audit(deps.db, request, { action: 'review.submit', targetType: 'consultation', targetId: detail.consultation.id, details: { verdict: body.verdict, reviewId, corrected: Boolean(corrected) } });
    if (corrected) {
      const existing = await deps.approved.match(question);
      const proposed = await approvedStore.propose({
        answerId: existing?.item.answerId,
        question,
        answer: corrected.slice(0, 4000),
        citations: citationsFor(chunkIds, question, deps.knowledge()),
        sourceConsultationId: detail.consultation.id,
        authorId: session.account.id,
      });
      await audit(deps.db, request, { action: 'approved.propose', targetType: 'approved_answer', targetId: proposed.answerId, details: { version: proposed.version, fromConsultation: detail.consultation.id } });
    }
    const shown = consultationHref(detail.consultation.id, back);
    return reply.redirect(`${shown}${shown.includes('?') ? '&' : '?'}done=reviewed`, 303);
  });
}
