/**
 * Approved answers: proposals waiting for an admin (never their author), the answers in use with their
 * hit counts, one answer's versions and hit history, edits (a new version, approved like the first),
 * retire/reactivate, and CSV export and import.
 * Imported rows become proposals of the importing account, so they too need a second admin.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse } from 'csv-parse/sync';
import { HttpError } from '../../http/http-error.js';
import { ApprovalError, type ApprovedAnswerStore, type VersionView } from '../../store/approved-answers.js';
import type { Session } from '../../store/console-accounts.js';
import type { Citation } from '../../types.js';
import { findArticles, type ArticleHit } from '../article-search.js';
import { ADMIN, STAFF, audit, sessionOf, type ConsoleDeps, type Knowledge } from '../context.js';
import { checkCsrf } from '../auth.js';
import { CONFIRM_QUESTIONS, confirmAttr, isConfirmed, sendConfirmation } from '../confirm.js';
import { BOM, attachment, csvStream, restoreNeutralised, type Column } from '../export.js';
import { day, percent, time } from '../format.js';
import { attr, html, type Html } from '../html.js';
import { csrfField, page } from '../layout.js';
import { OfferedArticles, articlePicker, citedIds } from './article-picker.js';
import { citationsFor } from './review.js';

const STATE_LABEL = { pending: '待审批', active: '使用中', retired: '已停用' } as const;
const STATUS_LABEL = { proposed: '待审批', approved: '已批准', rejected: '已驳回' } as const;
const MAX_IMPORT_BYTES = 1024 * 1024;

function articles(citations: Citation[]): string {
  return citations.map((c) => `${c.documentId}#${c.article}`).join(';');
}

function citationList(citations: Citation[]): Html {
  return citations.length ? html`<ul class="basis-list">${citations.map((c) => html`<li>《${c.title}》${c.docNumber ? `（${c.docNumber}）` : ''} ${c.section}</li>`)}</ul>` : html`<p class="empty">未注明依据条款。</p>`;
}

function decisionButtons(v: VersionView, session: Session): Html | string {
  if (v.status !== 'proposed' || session.account.role !== 'admin') return '';
  if (v.authorId === session.account.id) return html`<p class="muted">您是作者，需由另一位管理员审批。</p>`;
  const action = `/console/approved/${v.answerId}/versions/${v.version}`;
  return html`<div class="actions">
    <form method="post" action="${action}/approve"${confirmAttr('approve')}>${csrfField(session)}<button type="submit">批准</button></form>
    <form method="post" action="${action}/reject">${csrfField(session)}<button type="submit" class="secondary">驳回</button></form>
  </div>`;
}

function versionCard(v: VersionView, session: Session, current?: number | null): Html {
  return html`<article class="card version${v.version === current ? ' current' : ''}" data-answer="${v.answerId}" data-version="${v.version}">
    <h3>第 ${v.version} 版 <span class="tag ${v.status}">${STATUS_LABEL[v.status]}</span>${v.version === current ? html` <span class="tag active">当前使用</span>` : ''}</h3>
    <p><strong>问题：</strong>${v.question}</p>
    <div class="answer">${v.answer}</div>
    ${citationList(v.citations)}
    <p class="muted">作者 ${v.author} · ${time(v.createdAt)}${v.approver ? ` · ${v.status === 'approved' ? '批准' : '驳回'} ${v.approver} · ${time(v.decidedAt)}` : ''}${
      v.sourceConsultationId ? html` · <a href="/console/consultations/${v.sourceConsultationId}">来源咨询</a>` : ''
    }</p>
    ${decisionButtons(v, session)}
  </article>`;
}

interface EditBody {
  question?: string;
  answer?: string;
  cite?: string | string[];
  /** `find`: search the knowledge for articles and show the form again with the draft; else propose. */
  intent?: string;
  find?: string;
}

interface EditDraft {
  question: string;
  answer: string;
  cite: string[];
  find: string;
}

/** The edit form: the current version's text and articles to start from (or the draft being written). */
function editForm(o: { answerId: string; base: VersionView; current: number | null; next: number; pending: number[]; session: Session; knowledge: Knowledge; draft?: EditDraft; found?: ArticleHit[] }): Html {
  const { knowledge, draft } = o;
  const action = `/console/approved/${o.answerId}/versions`;
  const offered = new OfferedArticles();
  const chunkOf = (c: Citation) => knowledge.chunks.find((k) => k.documentId === c.documentId && k.article === c.article);
  for (const c of o.base.citations) offered.add(chunkOf(c), draft ? draft.cite.includes(chunkOf(c)?.id ?? '') : true);
  for (const id of draft?.cite ?? []) offered.add(knowledge.chunks.find((k) => k.id === id), true);
  return html`<details class="card edit" id="edit"${attr(Boolean(draft), 'open')}>
    <summary>修改答复（提交为第 ${o.next} 版，经另一位管理员批准后替换${o.current ? `第 ${o.current} 版；批准前机器人仍使用第 ${o.current} 版` : '待批准的版本'}）</summary>
    ${o.pending.length ? html`<p class="warning">第 ${o.pending.join('、')} 版尚待审批；以下内容取自${o.current ? `当前使用的第 ${o.current} 版` : `第 ${o.base.version} 版`}。</p>` : ''}
    <form method="post" action="${action}" class="edit-form">
      ${csrfField(o.session)}
      <label>匹配的问题<textarea name="question" rows="2" maxlength="500" required>${draft?.question ?? o.base.question}</textarea></label>
      <label>答复<textarea name="answer" rows="8" maxlength="4000" required>${draft?.answer ?? o.base.answer}</textarea></label>
      ${articlePicker({ action, offered, knowledge, find: draft?.find, found: o.found, none: '当前版本未注明依据条款。' })}
      <button type="submit" name="intent" value="submit">提交新版本</button>
    </form>
  </details>`;
}

interface ExportRecord {
  id: string;
  state: string;
  version: number;
  status: string;
  question: string;
  answer: string;
  citations: Citation[];
  author: string;
  approver: string | null;
  decidedAt: Date | null;
  hitCount: number;
}

/** The columns an import reads, by their exported header; the English names of earlier exports still work. */
const IMPORT_COLUMNS = { id: ['编号', 'id'], question: ['问题', 'question'], answer: ['答复', 'answer'], articles: ['依据条款', 'articles'] } as const;

const CSV_COLUMNS: Column<ExportRecord>[] = [
  { header: IMPORT_COLUMNS.id[0], value: (r) => r.id },
  { header: '状态', value: (r) => STATE_LABEL[r.state as keyof typeof STATE_LABEL] ?? r.state },
  { header: '版本', value: (r) => r.version },
  { header: '版本状态', value: (r) => STATUS_LABEL[r.status as keyof typeof STATUS_LABEL] ?? r.status },
  { header: IMPORT_COLUMNS.question[0], value: (r) => r.question },
  { header: IMPORT_COLUMNS.answer[0], value: (r) => r.answer },
  { header: IMPORT_COLUMNS.articles[0], value: (r) => articles(r.citations) },
  { header: '作者', value: (r) => r.author },
  { header: '审批人', value: (r) => r.approver },
  { header: '审批时间', value: (r) => time(r.decidedAt) },
  { header: '命中次数', value: (r) => r.hitCount },
];

/** A cell of an imported row under any of its column's names. */
function cell(row: Record<string, string>, names: readonly string[]): string {
  for (const name of names) if (row[name] !== undefined) return row[name]!;
  return '';
}

export async function approvedRoutes(app: FastifyInstance, deps: ConsoleDeps, approvedStore: ApprovedAnswerStore) {
  app.get<{ Querystring: { done?: string; imported?: string } }>('/console/approved', { config: { roles: STAFF } }, async (request, reply) => {
    const session = sessionOf(request);
    const [proposed, answers] = await Promise.all([approvedStore.proposed(), approvedStore.list()]);
    const done = request.query.done;
    const body = html`<main>
      <h1>标准答复</h1>
      ${done ? html`<p class="notice" role="status">${done === 'approved' ? '已批准，机器人将在 1 秒内开始使用。' : done === 'rejected' ? '已驳回。' : '已更新。'}</p>` : ''}
      ${request.query.imported ? html`<p class="notice" role="status">已导入 ${request.query.imported} 条，等待管理员审批。</p>` : ''}
      <p class="muted">审核员提交的修正答复经另一位管理员批准后生效：机器人对相同或相近的问题直接返回该答复，并注明“经工作人员审核”。</p>
      <h2>待审批（${proposed.length}）</h2>
      ${proposed.length ? proposed.map((v) => versionCard(v, session)) : html`<p class="empty">没有待审批的答复。</p>`}
      <h2>全部答复（${answers.length}）</h2>
      <div class="table-wrap"><table class="list">
        <thead><tr><th>问题</th><th>状态</th><th>版本</th><th>命中</th><th>最近命中</th><th>更新</th></tr></thead>
        <tbody>${answers.map(
          (a) => html`<tr><td class="text"><a href="/console/approved/${a.id}">${a.question}</a>${a.pendingVersions ? html` <span class="tag proposed">${a.pendingVersions} 版待审批</span>` : ''}</td>
            <td><span class="tag ${a.state}">${STATE_LABEL[a.state]}</span></td><td>${a.currentVersion ?? '—'}</td><td class="hits">${a.hitCount}</td><td>${time(a.lastHitAt)}</td><td>${time(a.updatedAt)}</td></tr>`,
        )}</tbody>
      </table></div>
      <section class="card">
        <h2>导入 / 导出</h2>
        <p><a class="button secondary" href="/console/approved/export.csv">导出 CSV</a></p>
        <form method="post" action="/console/approved/import" enctype="multipart/form-data" class="import">
          ${csrfField(session)}
          <label>导入 CSV（列：问题、答复、依据条款；填写编号则为该答复追加新版本。可先导出一份作为模板）<input type="file" name="file" accept=".csv,text/csv" required></label>
          <button type="submit" class="secondary">导入为待审批答复</button>
        </form>
      </section>
    </main>`;
    return reply.type('text/html; charset=utf-8').send(page({ title: '标准答复', session, active: '/console/approved', body }));
  });

  app.get('/console/approved/export.csv', { config: { roles: STAFF } }, async (request, reply) => {
    const rows = await approvedStore.exportAll();
    await audit(deps.db, request, { action: 'approved.export', targetType: 'approved_answers', details: { rows: rows.length } });
    reply.header('content-disposition', attachment(`标准答复-${day(new Date())}.csv`));
    return reply.type('text/csv; charset=utf-8').send(csvStream((async function* () { yield* rows; })(), CSV_COLUMNS));
  });

  app.post('/console/approved/import', { config: { roles: STAFF, csrfInHandler: true } }, async (request, reply) => {
    const session = sessionOf(request);
    let token: unknown;
    let text: string | undefined;
    try {
      for await (const part of request.parts({ limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 4 } })) {
        if (part.type === 'field' && part.fieldname === '_csrf') token = part.value;
        else if (part.type === 'file') {
          // The token comes first in the form; nothing of the file is read before it is checked.
          await checkCsrf(deps, request, token);
          text = (await part.toBuffer()).toString('utf8');
          if (part.file.truncated) throw new HttpError(413, 'too_large', '文件超过 1 MB。');
        }
      }
    } catch (error) {
      // A broken multipart body (cut short, bad boundary) is the sender's fault, as are the parser's limits.
      if (error instanceof HttpError || (error as { statusCode?: number }).statusCode) throw error;
      throw new HttpError(400, 'input_invalid', '上传的表单不完整，请重新选择文件上传。');
    }
    if (text === undefined) {
      await checkCsrf(deps, request, token);
      throw new HttpError(400, 'input_invalid', '请选择要导入的 CSV 文件。');
    }
    let records: Record<string, string>[];
    try {
      records = parse(text.startsWith(BOM) ? text.slice(1) : text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
    } catch (error) {
      throw new HttpError(400, 'input_invalid', `CSV 无法读取：${(error as Error).message.slice(0, 200)}`);
    }
    const problems: string[] = [];
    const knowledge = deps.knowledge();
    const chunkFor = (ref: string) => knowledge.chunks.find((k) => k.id === ref || `${k.documentId}#${k.article}` === ref)?.id;
    const valid = records.flatMap((r, i) => {
      const question = restoreNeutralised(cell(r, IMPORT_COLUMNS.question));
      const answer = restoreNeutralised(cell(r, IMPORT_COLUMNS.answer));
      if (!question || !answer) {
        problems.push(`第 ${i + 2} 行缺少问题或答复`);
        return [];
      }
      const refs = cell(r, IMPORT_COLUMNS.articles).split(';').map((s) => s.trim()).filter(Boolean);
      const chunkIds = refs.map(chunkFor);
      if (chunkIds.some((id) => !id)) problems.push(`第 ${i + 2} 行的依据条款含知识库中没有的条款`);
      const id = cell(r, IMPORT_COLUMNS.id);
      return [{ id: /^[0-9a-f-]{36}$/i.test(id) ? id : undefined, question: question.slice(0, 500), answer: answer.slice(0, 4000), chunkIds: chunkIds.filter((id): id is string => Boolean(id)) }];
    });
    if (problems.length) throw new HttpError(400, 'input_invalid', problems.slice(0, 10).join('；'));
    for (const row of valid) {
      const existing = row.id && (await approvedStore.answer(row.id)) ? row.id : undefined;
      await approvedStore.propose({ answerId: existing, question: row.question, answer: row.answer, citations: citationsFor(row.chunkIds, row.question, knowledge), authorId: session.account.id });
    }
    await audit(deps.db, request, { action: 'approved.import', targetType: 'approved_answers', details: { rows: valid.length } });
    return reply.redirect(`/console/approved?imported=${valid.length}`, 303);
  });

  /** One answer: state, the edit form (a new version), every version newest first, and its hits. */
  const answerPage = async (request: FastifyRequest, answerId: string, view: { notice?: string; draft?: EditDraft; found?: ArticleHit[] } = {}) => {
    const session = sessionOf(request);
    const answer = await approvedStore.answer(answerId);
    if (!answer) throw new HttpError(404, 'not_found', '没有这条标准答复。');
    const [versions, hits] = await Promise.all([approvedStore.versions(answer.id), approvedStore.hits(answer.id)]);
    const stateForm =
      session.account.role === 'admin' && answer.currentVersion
        ? html`<form method="post" action="/console/approved/${answer.id}/state">${csrfField(session)}<input type="hidden" name="state" value="${answer.state === 'active' ? 'retired' : 'active'}"><button type="submit" class="secondary">${answer.state === 'active' ? '停用' : '重新启用'}</button></form>`
        : '';
    const base = versions.find((v) => v.version === answer.currentVersion) ?? versions[0];
    const body = html`<main>
      <p><a href="/console/approved">← 返回标准答复</a></p>
      ${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
      <h1>标准答复 <span class="tag ${answer.state}">${STATE_LABEL[answer.state]}</span></h1>
      <p>当前版本：${answer.currentVersion ?? '—'} · 命中 <strong class="hits">${answer.hitCount}</strong> 次 · 最近命中 ${time(answer.lastHitAt) || '—'}</p>
      ${stateForm}
      ${base ? editForm({ answerId: answer.id, base, current: answer.currentVersion, next: (versions[0]?.version ?? 0) + 1, pending: versions.filter((v) => v.status === 'proposed').map((v) => v.version).reverse(), session, knowledge: deps.knowledge(), ...view }) : ''}
      <h2>版本历史（${versions.length}）</h2>
      ${versions.map((v) => versionCard(v, session, answer.currentVersion))}
      <h2>命中记录（最近 ${hits.length} 次）</h2>
      <div class="table-wrap"><table class="list"><thead><tr><th>时间</th><th>版本</th><th>相似度</th><th>用户问题</th></tr></thead>
      <tbody>${hits.map((h) => html`<tr><td>${time(h.createdAt)}</td><td>${h.version}</td><td>${percent(h.similarity)}</td><td class="text">${h.question}</td></tr>`)}</tbody></table></div>
    </main>`;
    return page({ title: '标准答复', session, active: '/console/approved', body });
  };

  app.get<{ Params: { id: string }; Querystring: { done?: string } }>('/console/approved/:id', { config: { roles: STAFF } }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(await answerPage(request, request.params.id, { notice: request.query.done === 'proposed' ? '新版本已提交，等待另一位管理员审批；批准前机器人仍使用当前版本。' : undefined })),
  );

  // An edit is a new version, approved like the first: until then the current version stays in use.
  app.post<{ Params: { id: string }; Body: EditBody }>('/console/approved/:id/versions', { config: { roles: STAFF } }, async (request, reply) => {
    const session = sessionOf(request);
    const body = request.body ?? {};
    if (!(await approvedStore.answer(request.params.id))) throw new HttpError(404, 'not_found', '没有这条标准答复。');
    const chunkIds = citedIds(body.cite);
    const draft: EditDraft = { question: body.question ?? '', answer: body.answer ?? '', cite: chunkIds, find: (body.find ?? '').trim().slice(0, 100) };
    if (body.intent === 'find') {
      const found = draft.find ? await findArticles(deps.knowledge(), draft.find) : [];
      return reply.type('text/html; charset=utf-8').send(await answerPage(request, request.params.id, { draft, found }));
    }
    const question = draft.question.trim().slice(0, 500);
    const answer = draft.answer.trim().slice(0, 4000);
    if (!question || !answer) throw new HttpError(400, 'input_invalid', '问题和答复都不能为空。');
    const proposed = await approvedStore.propose({ answerId: request.params.id, question, answer, citations: citationsFor(chunkIds, question, deps.knowledge()), authorId: session.account.id });
    await audit(deps.db, request, { action: 'approved.propose', targetType: 'approved_answer', targetId: proposed.answerId, details: { version: proposed.version, edited: true } });
    return reply.redirect(`/console/approved/${proposed.answerId}?done=proposed`, 303);
  });

  for (const decision of ['approve', 'reject'] as const) {
    app.post<{ Params: { id: string; version: string } }>(`/console/approved/:id/versions/:version/${decision}`, { config: { roles: ADMIN } }, async (request, reply) => {
      const session = sessionOf(request);
      const version = Number(request.params.version);
      // Versions are int4 in the database: a larger number is no version, not a database error.
      if (!(Number.isInteger(version) && version > 0 && version <= 2_147_483_647) || !(await approvedStore.answer(request.params.id))) throw new HttpError(404, 'not_found', '没有这条标准答复。');
      // Asked only when approving could go ahead: the author's own or a decided version is refused at once.
      const shown = decision === 'approve' && !isConfirmed(request.body) ? (await approvedStore.versions(request.params.id)).find((v) => v.version === version) : undefined;
      if (shown && shown.status === 'proposed' && shown.authorId !== session.account.id) {
        return sendConfirmation(reply, deps, session, {
          title: '确认批准',
          question: CONFIRM_QUESTIONS.approve,
          details: html`<p><strong>问题：</strong>${shown.question}</p><div class="answer">${shown.answer}</div>`,
          action: `/console/approved/${request.params.id}/versions/${version}/approve`,
          fields: {},
          button: '确认批准',
          back: `/console/approved/${request.params.id}`,
          active: '/console/approved',
        });
      }
      try {
        if (decision === 'approve') await approvedStore.approve(request.params.id, version, session.account.id);
        else await approvedStore.reject(request.params.id, version, session.account.id);
        deps.approved.changed();
      } catch (error) {
        if (error instanceof ApprovalError) {
          await audit(deps.db, request, { action: `approved.${decision}_refused`, targetType: 'approved_answer', targetId: request.params.id, details: { version, reason: error.message } });
          throw new HttpError(409, 'refused', error.message);
        }
        throw error;
      }
      await audit(deps.db, request, { action: `approved.${decision}`, targetType: 'approved_answer', targetId: request.params.id, details: { version } });
      return reply.redirect(`/console/approved?done=${decision === 'approve' ? 'approved' : 'rejected'}`, 303);
    });
  }

  app.post<{ Params: { id: string }; Body: { state?: string } }>('/console/approved/:id/state', { config: { roles: ADMIN } }, async (request, reply) => {
    const state = request.body?.state;
    if (state !== 'active' && state !== 'retired') throw new HttpError(400, 'input_invalid', '状态不正确。');
    if (!(await approvedStore.answer(request.params.id))) throw new HttpError(404, 'not_found', '没有这条标准答复。');
    try {
      await approvedStore.setState(request.params.id, state);
      deps.approved.changed();
    } catch (error) {
      if (error instanceof ApprovalError) throw new HttpError(409, 'refused', error.message);
      throw error;
    }
    await audit(deps.db, request, { action: state === 'retired' ? 'approved.retire' : 'approved.activate', targetType: 'approved_answer', targetId: request.params.id });
    return reply.redirect(`/console/approved/${request.params.id}`, 303);
  });
}
