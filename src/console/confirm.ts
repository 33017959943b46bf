/**
 * Confirmation before an action that cannot be undone (an agency's decline and close, staff assignment,
 * approving an approved answer). Two layers, so one stray click or one replayed POST never acts:
 *
 * - In the browser, static/confirm.js asks `confirm()` with the form's `data-confirm` text and, on yes,
 *   adds `confirmed=1` to the form before it is sent: one click and one dialog, as staff expect.
 * - On the server, such a route acts only when the body carries `confirmed=1`. Without it (scripts off, an
 *   old tab, a form posted by hand) it answers with a confirmation page that repeats the action's fields
 *   and asks again; nothing changes until that page's button is pressed.
 *
 * A required "I confirm" checkbox would also have worked without scripts, but it costs every user a second
 * click on every decision all day; the confirmation page costs that only when scripts are off.
 */
import type { FastifyReply } from 'fastify';
import type { Session } from '../store/console-accounts.js';
import type { ConsoleDeps } from './context.js';
import { html, type Html } from './html.js';
import { csrfField, page } from './layout.js';
import { readWaiting } from './waiting.js';

export const CONFIRM_FIELD = 'confirmed';

/** The question asked before each such action, in the dialog and on the confirmation page alike. */
export const CONFIRM_QUESTIONS = {
  decline: '确定拒绝此案件吗？案件会转给其他机构，本机构将不能再查看问题和联系方式。',
  close: '确定办结此案件吗？办结后不能再答复，系统会请用户确认并评分。',
  assign: '确定把此案件分派给所选机构吗？系统会请用户同意向该机构提供信息。',
  approve: '确定批准此版本吗？批准后机器人会对相同或相近的问题直接使用这条答复。',
} as const;

/** The attribute that makes static/confirm.js ask before the form is sent. */
export function confirmAttr(action: keyof typeof CONFIRM_QUESTIONS): Html {
  return html` data-confirm="${CONFIRM_QUESTIONS[action]}"`;
}

/** Whether the request body says the user confirmed (in the dialog or on the confirmation page). */
export function isConfirmed(body: unknown): boolean {
  return (body as Record<string, unknown> | undefined)?.[CONFIRM_FIELD] === '1';
}

export interface Confirmation {
  title: string;
  question: string;
  /** What the action will do, shown under the question. */
  details?: Html | string;
  /** Where the form posts (the route that asked). */
  action: string;
  /** The fields to post again, exactly as they came. */
  fields: Record<string, string | undefined>;
  /** The confirm button's label. */
  button: string;
  /** Where "cancel" leads. */
  back: string;
  active?: string;
}

/** The page a POST without confirmation gets: the question, the action's fields again, confirm or go back. */
export async function sendConfirmation(reply: FastifyReply, deps: ConsoleDeps, session: Session, c: Confirmation) {
  await readWaiting(deps, session);
  const body = html`<main class="confirm-page">
    <h1>${c.title}</h1>
    <section class="card">
      <p class="warning" role="alert">${c.question}</p>
      ${c.details ? html`<div class="confirm-details">${c.details}</div>` : ''}
      <form method="post" action="${c.action}" class="actions">
        ${csrfField(session)}
        ${Object.entries(c.fields).map(([name, value]) => (value === undefined ? '' : html`<input type="hidden" name="${name}" value="${value}">`))}
        <input type="hidden" name="${CONFIRM_FIELD}" value="1">
        <button type="submit">${c.button}</button>
        <a class="button secondary" href="${c.back}">取消，返回</a>
      </form>
    </section>
  </main>`;
  return reply.type('text/html; charset=utf-8').send(page({ title: c.title, session, active: c.active, body }));
}

