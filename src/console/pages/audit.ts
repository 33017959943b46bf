/**
 * The audit log for admins: newest first, keyset pages, optional filter by action chosen from the list of
 * actions. Every entry reads in words (action, what it was done to, its details as 键：值), with the code
 * kept in a tooltip for whoever has to match it with the database. Read-only: the log is append-only.
 */
import type { FastifyInstance } from 'fastify';
import { recentAudit } from '../../store/audit.js';
import { ADMIN, sessionOf, type ConsoleDeps } from '../context.js';
import type { Role } from '../../store/console-accounts.js';
import { AUDIT_ACTIONS, AUDIT_TARGETS, ROLE_LABELS, auditAction, auditDetails, channelLabel, time } from '../format.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { agencyLabel } from './case-views.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Actions grouped as the select shows them: by the part before the dot. */
const ACTION_GROUPS: [string, string][] = [
  ['console', '登录与账户安全'],
  ['user', '账户管理（命令行）与用户请求'],
  ['consultation', '咨询记录'],
  ['review', '审核'],
  ['approved', '标准答复'],
  ['case', '转介案件'],
  ['retention', '数据清理'],
];

export async function auditRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  app.get<{ Querystring: { before?: string; action?: string } }>('/console/audit', { config: { roles: ADMIN } }, async (request, reply) => {
    const session = sessionOf(request);
    const before = Number(request.query.before);
    const action = /^[a-z_.]{1,64}$/.test(request.query.action ?? '') ? request.query.action : undefined;
    const rows = await recentAudit(deps.db, { limit: 100, beforeId: Number.isSafeInteger(before) && before > 0 ? before : undefined, action });
    const last = rows.at(-1);
    const codes = Object.keys(AUDIT_ACTIONS);
    const body = html`<main>
      <h1>审计日志</h1>
      <form method="get" action="/console/audit" class="filters card inline">
        <label>操作<select name="action">
          <option value="">全部操作</option>
          ${ACTION_GROUPS.map(
            ([prefix, label]) => html`<optgroup label="${label}">${codes
              .filter((code) => code.startsWith(`${prefix}.`))
              .map((code) => html`<option value="${code}"${code === action ? html` selected` : ''}>${AUDIT_ACTIONS[code]}</option>`)}</optgroup>`,
          )}
        </select></label>
        <button type="submit">筛选</button>
      </form>
      ${rows.length
        ? html`<div class="table-wrap"><table class="list audit">
        <thead><tr><th>#</th><th>时间</th><th>操作者</th><th>操作</th><th>对象</th><th>详情</th></tr></thead>
        <tbody>${rows.map((r) => {
          const details = auditDetails(withAgencyNames(shownDetails(r.actor, r.details), (id) => agencyLabel(deps.registry, id)));
          return html`<tr><td>${r.id}</td><td class="nowrap">${time(r.createdAt)}</td><td>${actorText(r.actor, r.details)}</td><td title="${r.action}">${auditAction(r.action)}</td>
            <td class="text short">${r.targetType ? (AUDIT_TARGETS[r.targetType] ?? r.targetType) : ''}${r.targetId ? html` <span class="muted" title="${r.targetId}">${UUID.test(r.targetId) ? r.targetId.slice(0, 8) : r.targetId}</span>` : ''}</td>
            <td class="text">${details.length ? html`<ul class="details">${details.map((d) => html`<li>${d}</li>`)}</ul>` : ''}</td></tr>`;
        })}</tbody>
      </table></div>`
        : html`<p class="empty">${action ? '没有这种操作的记录。' : '还没有审计记录。'}</p>`}
      ${last && rows.length === 100 ? html`<p class="pager"><a class="button" href="/console/audit?before=${last.id}${action ? `&action=${action}` : ''}">更早</a></p>` : ''}
    </main>`;
    return reply.type('text/html; charset=utf-8').send(page({ title: '审计日志', session, active: '/console/audit', body }));
  });
}

const ACTORS: Record<string, string> = { 'cli:admin': '管理命令（命令行）', 'service:retention': '系统（定期清理）', system: '系统', anonymous: '未登录的访问者' };

/**
 * Who acted, in words. A console entry carries the signed-in account's username and role (context.audit);
 * an entry of the admin command carries the account it acted on under the same key, so it is not the actor.
 */
function actorText(actor: string, details: unknown): string {
  const { username, role } = (details ?? {}) as { username?: unknown; role?: unknown };
  if (ACTORS[actor]) return ACTORS[actor];
  if (typeof username === 'string') return typeof role === 'string' && role in ROLE_LABELS ? `${username}（${ROLE_LABELS[role as Role]}）` : username;
  if (actor.startsWith('username:')) return actor.slice('username:'.length);
  if (actor.endsWith(':user')) return `${channelLabel(actor.slice(0, -':user'.length))}用户`;
  return actor;
}

/** The details without what the actor column already says. */
function shownDetails(actor: string, details: unknown): Record<string, unknown> | null {
  if (!details || typeof details !== 'object') return null;
  if (ACTORS[actor]) return details as Record<string, unknown>;
  const { username: _username, role: _role, ...rest } = details as Record<string, unknown>;
  return rest;
}

/** Agencies by name, not by their registry id. */
function withAgencyNames(details: Record<string, unknown> | null, name: (id: string) => string): Record<string, unknown> | null {
  if (!details || typeof details.agencyId !== 'string') return details;
  return { ...details, agencyId: name(details.agencyId) };
}
