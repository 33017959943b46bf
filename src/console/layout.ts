/** The console's page frame: head, navigation by role, the signed-in user and the logout button. */
import type { Role, Session } from '../store/console-accounts.js';
import { html, type Html } from './html.js';
import { ROLE_LABELS } from './format.js';

export const ASSETS = '/console/assets';

interface NavItem {
  href: string;
  label: string;
  roles: readonly Role[];
}

const NAV: NavItem[] = [
  { href: '/console/consultations', label: '咨询记录', roles: ['admin', 'reviewer'] },
  { href: '/console/review', label: '审核队列', roles: ['admin', 'reviewer'] },
  { href: '/console/approved', label: '标准答复', roles: ['admin', 'reviewer'] },
  { href: '/console/cases', label: '转介案件', roles: ['admin', 'reviewer', 'agency'] },
  { href: '/console/analytics', label: '统计分析', roles: ['admin', 'reviewer'] },
  { href: '/console/audit', label: '审计日志', roles: ['admin'] },
  { href: '/console/account', label: '账户安全', roles: ['admin', 'reviewer', 'agency'] },
];


export interface PageOptions {
  title: string;
  body: Html;
  session?: Session;
  /** The nav entry to highlight. */
  active?: string;
  /** Extra scripts (served from the console's assets). */
  scripts?: string[];
}

/** Hidden CSRF field for forms. */
export function csrfField(session: Session): Html {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;
}

export function page(options: PageOptions): string {
  const { session } = options;
  const nav = session
    ? html`<header class="top">
        <a class="brand" href="/console">知识产权咨询 · 管理台</a>
        <nav>${NAV.filter((n) => session.stage === 'full' && n.roles.includes(session.account.role)).map(
          (n) => html`<a href="${n.href}"${options.active === n.href ? html` aria-current="page"` : ''}>${n.label}</a>`,
        )}</nav>
        <form method="post" action="/console/logout" class="who">
          <span>${session.account.displayName}（${ROLE_LABELS[session.account.role]}）</span>
          ${csrfField(session)}<button type="submit" class="link">退出</button>
        </form>
      </header>`
    : '';
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${options.title} · 知识产权咨询管理台</title>
<link rel="stylesheet" href="${ASSETS}/console.css">
${(options.scripts ?? []).map((s) => html`<script src="${ASSETS}/${s}" defer></script>`)}
</head>
<body>
${nav}
${options.body}
</body>
</html>`.value;
}
