/** The audit log for admins: newest first, keyset pages, optional filter by action. Read-only: the log is append-only. */
import type { FastifyInstance } from 'fastify';
import { recentAudit } from '../../store/audit.js';
import { ADMIN, sessionOf, type ConsoleDeps } from '../context.js';
import { time } from '../format.js';
import { html } from '../html.js';
import { page } from '../layout.js';

export async function auditRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  app.get<{ Querystring: { before?: string; action?: string } }>('/console/audit', { config: { roles: ADMIN } }, async (request, reply) => {
    const session = sessionOf(request);
    const before = Number(request.query.before);
    const action = /^[a-z_.]{1,64}$/.test(request.query.action ?? '') ? request.query.action : undefined;
    const rows = await recentAudit(deps.db, { limit: 100, beforeId: Number.isSafeInteger(before) && before > 0 ? before : undefined, action });
    const last = rows.at(-1);
    const body = html`<main>
      <h1>审计日志</h1>
      <form method="get" action="/console/audit" class="filters card inline">
        <label>操作<input name="action" value="${action ?? ''}" placeholder="如 consultation.view"></label>
        <button type="submit">筛选</button>
      </form>
      <div class="table-wrap"><table class="list audit">
        <thead><tr><th>#</th><th>时间</th><th>操作者</th><th>操作</th><th>对象</th><th>详情</th></tr></thead>
        <tbody>${rows.map(
          (r) => html`<tr><td>${r.id}</td><td class="nowrap">${time(r.createdAt)}</td><td>${(r.details as { username?: string } | null)?.username ?? r.actor}</td><td><code>${r.action}</code></td>
            <td class="text short">${r.targetType ?? ''} ${r.targetId ?? ''}</td><td class="text"><code class="details">${r.details ? JSON.stringify(r.details) : ''}</code></td></tr>`,
        )}</tbody>
      </table></div>
      ${last && rows.length === 100 ? html`<p class="pager"><a class="button" href="/console/audit?before=${last.id}${action ? `&action=${action}` : ''}">更早</a></p>` : ''}
    </main>`;
    return reply.type('text/html; charset=utf-8').send(page({ title: '审计日志', session, active: '/console/audit', body }));
  });
}
