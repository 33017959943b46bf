/** The console's page frame: head, navigation by role, the signed-in user and the logout button. */
import type { Role, Session } from '../store/console-accounts.js';
import type { Waiting } from '../store/console-waiting.js';
import { html, type Html } from './html.js';
import { ROLE_LABELS } from './format.js';
import { waitingOf } from './waiting.js';

export const ASSETS = '/console/assets';

interface NavItem {
  href: string;
  label: string;
  roles: readonly Role[];
  /** What waits behind this entry for the account, and how a screen reader says it. */
  waiting?: (w: Waiting) => { n: number | undefined; say: (n: number) => string };
}

const NAV: NavItem[] = [
  { href: '/console/consultations', label: '咨询记录', roles: ['admin', 'reviewer'] },
  { href: '/console/review', label: '审核队列', roles: ['admin', 'reviewer'], waiting: (w) => ({ n: w.review, say: (n) => `${n} 条待审核` }) },
  { href: '/console/approved', label: '标准答复', roles: ['admin', 'reviewer'] },
  {
    href: '/console/cases',
    label: '转介案件',
    roles: ['admin', 'reviewer', 'agency'],
    waiting: (w) => (w.toAccept !== undefined ? { n: w.toAccept, say: (n) => `${n} 件新案件待接受` } : { n: w.staffQueue, say: (n) => `${n} 件待人工分派` }),
  },
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

/** The count next to a nav label: the number for the eye, a sentence for screen readers; nothing at zero. */
function badge(item: NavItem, waiting: Waiting | undefined): Html | string {
  const shown = waiting && item.waiting?.(waiting);
  if (!shown?.n) return '';
  return html` <span class="badge" data-count="${shown.n}" title="${shown.say(shown.n)}"><span aria-hidden="true">${shown.n > 99 ? '99+' : shown.n}</span><span class="sr-only">（${shown.say(shown.n)}）</span></span>`;
}

export function page(options: PageOptions): string {
  const { session } = options;
  const waiting = session && waitingOf(session);
  const nav = session
    ? html`<header class="top">
        <a class="brand" href="/console">知识产权咨询 · 管理台</a>
        <nav aria-label="主菜单">${NAV.filter((n) => session.stage === 'full' && n.roles.includes(session.account.role)).map(
          (n) => html`<a href="${n.href}"${options.active === n.href ? html` aria-current="page"` : ''}>${n.label}${badge(n, waiting)}</a>`,
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
<link rel="icon" href="${ASSETS}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS}/console.css">
${['confirm.js', ...(options.scripts ?? [])].map((s) => html`<script src="${ASSETS}/${s}" defer></script>`)}
</head>
<body>
${nav}
${options.body}
</body>
</html>`.value;
}
