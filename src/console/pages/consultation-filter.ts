/**
 * The list filter as a GET form: the filter, the page and its cursor travel in the query string, so Back,
 * a bookmark and "← 返回咨询记录" land on the same filtered page. The search text (`q`) and the user id may
 * be personal data; they stay out of the server's logs and the audit log because both record the path
 * only, never the query string (src/http/log-path.ts; the console's audit entries name targets, not URLs),
 * and the console's Referrer-Policy (same-origin) keeps them from other sites. Bad values are reported,
 * not silently dropped.
 */
import { TOPIC_NAMES } from '../../answer/topics.js';
import type { ConsoleFilter } from '../../store/console-queries.js';
import type { ChannelName, Outcome } from '../../types.js';
import { CHANNELS, FEEDBACK_LABELS, OUTCOMES, VERDICTS, parseDayRange } from '../format.js';
import { attr, html, type Html } from '../html.js';

/** The filter's own fields, in the order their query parameters are written. */
export const FILTER_KEYS = ['from', 'to', 'channel', 'outcome', 'topic', 'feedback', 'referred', 'reviewed', 'verdict', 'below', 'q', 'conversation', 'user'] as const;
/** Where in the filtered list: the page number shown and the cursor the page starts after (or ends before). */
export const PLACE_KEYS = ['after', 'before', 'page'] as const;

export type FilterForm = Partial<Record<(typeof FILTER_KEYS)[number] | (typeof PLACE_KEYS)[number], string>>;

/** Ids of conversations and users are the platforms' (a few dozen characters); anything longer is no id. */
const MAX_ID = 200;

export function parseFilter(form: FilterForm): { filter: ConsoleFilter; problems: string[] } {
  const problems: string[] = [];
  const filter: ConsoleFilter = {};
  const text = (k: keyof FilterForm) => (typeof form[k] === 'string' ? form[k]!.trim() : '');
  Object.assign(filter, parseDayRange(text('from'), text('to'), problems));
  const channel = text('channel');
  if (channel) {
    if (channel in CHANNELS) filter.channel = channel as ChannelName;
    else problems.push('渠道不正确');
  }
  const outcome = text('outcome');
  if (outcome) {
    if (outcome in OUTCOMES) filter.outcome = outcome as Outcome;
    else problems.push('结果不正确');
  }
  const topic = text('topic');
  if (topic) {
    if (TOPIC_NAMES.includes(topic)) filter.topic = topic;
    else problems.push('主题不正确');
  }
  const feedback = text('feedback');
  if (feedback === 'up' || feedback === 'down' || feedback === 'none') filter.feedback = feedback;
  else if (feedback) problems.push('反馈不正确');
  for (const key of ['referred', 'reviewed'] as const) {
    const v = text(key);
    if (v === 'yes' || v === 'no') filter[key] = v === 'yes';
    else if (v) problems.push(`${key === 'referred' ? '转介' : '审核'}条件不正确`);
  }
  const verdict = text('verdict');
  if (verdict === 'correct' || verdict === 'incorrect') filter.verdict = verdict;
  else if (verdict) problems.push('审核结论不正确');
  const below = text('below');
  if (below) {
    const n = Number(below);
    if (Number.isFinite(n) && n > 0 && n <= 1) filter.confidenceBelow = n;
    else problems.push('置信度上限应在 0 到 1 之间');
  }
  const q = text('q');
  if (q.length > 100) problems.push('搜索词最多 100 字');
  else if (q) filter.search = q;
  const conversation = text('conversation');
  if (conversation.length > MAX_ID) problems.push('会话编号不正确');
  else if (conversation) filter.conversationId = conversation;
  const user = text('user');
  if (user.length > MAX_ID) problems.push('用户编号不正确');
  else if (user && !filter.channel) problems.push('按用户筛选时请同时选择渠道');
  else if (user && filter.channel) filter.user = { channel: filter.channel, id: user };
  return { filter, problems };
}

/**
 * The query string (with `?`, or empty) of a list URL: the filter's fields that are set, then `extra`
 * (the place: page and cursor). Only known keys are written, so a list URL carried through another page
 * comes back as a list URL and nothing else.
 */
export function filterQuery(form: FilterForm, extra: FilterForm = {}): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (form[key]?.trim()) params.set(key, form[key]!.trim());
  for (const key of PLACE_KEYS) if (extra[key]) params.set(key, extra[key]!);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The list URL for a form: the filter with its place. */
export function listUrl(form: FilterForm): string {
  return `/console/consultations${filterQuery(form, form)}`;
}

/**
 * The list URL a consultation page links back to, from its `back` parameter (a list query string): read
 * field by field into a form and written out again, so whatever else was sent is dropped.
 */
export function backToList(back: string | undefined): string {
  if (!back || back.length > 2000) return '/console/consultations';
  const params = new URLSearchParams(back.startsWith('?') ? back.slice(1) : back);
  const form: FilterForm = {};
  for (const key of [...FILTER_KEYS, ...PLACE_KEYS]) {
    const value = params.get(key);
    if (value) form[key] = value;
  }
  return listUrl(form);
}

/** A consultation's page, carrying the list URL it was opened from. */
export function consultationHref(id: string, list: string): string {
  const query = list.split('?')[1];
  return `/console/consultations/${id}${query ? `?${new URLSearchParams({ back: query }).toString()}` : ''}`;
}

function options(entries: [string, string][], selected: string | undefined, any = '全部'): Html {
  return html`<option value="">${any}</option>${entries.map(([value, label]) => html`<option value="${value}"${attr(selected === value, 'selected')}>${label}</option>`)}`;
}

/** A filter set by a link (one conversation, one user): shown, sent again with the form, and removable. */
function fixedField(label: string, key: 'conversation' | 'user', form: FilterForm): Html {
  const without = `/console/consultations${filterQuery({ ...form, [key]: undefined })}`;
  return html`<div class="wide fixed-filter"><span class="label">${label}</span><span class="chip"><input type="hidden" name="${key}" value="${form[key]}">${form[key]} <a href="${without}" aria-label="取消按${label}筛选">×</a></span></div>`;
}

/** The filter form, sent with GET: the filter lands in the URL (see above). Conversation and user come from links. */
export function filterForm(form: FilterForm): Html {
  const v = (k: keyof FilterForm) => form[k] ?? '';
  return html`<form id="filters" method="get" action="/console/consultations" class="filters card">
    <label>开始日期<input type="date" name="from" value="${v('from')}"></label>
    <label>结束日期<input type="date" name="to" value="${v('to')}"></label>
    <label>渠道<select name="channel">${options(Object.entries(CHANNELS), form.channel)}</select></label>
    <label>结果<select name="outcome">${options(Object.entries(OUTCOMES), form.outcome)}</select></label>
    <label>主题<select name="topic">${options(TOPIC_NAMES.map((t) => [t, t]), form.topic)}</select></label>
    <label>用户反馈<select name="feedback">${options([['down', FEEDBACK_LABELS.down], ['up', FEEDBACK_LABELS.up], ['none', '无反馈']], form.feedback)}</select></label>
    <label>转介<select name="referred">${options([['yes', '已转介'], ['no', '未转介']], form.referred)}</select></label>
    <label>审核<select name="reviewed">${options([['yes', '已审核'], ['no', '未审核']], form.reviewed)}</select></label>
    <label>审核结论<select name="verdict">${options(Object.entries(VERDICTS), form.verdict)}</select></label>
    <label>置信度低于<input type="number" name="below" min="0" max="1" step="0.05" value="${v('below')}" placeholder="如 0.5"></label>
    <label class="wide">问题包含<input type="search" name="q" maxlength="100" value="${v('q')}" placeholder="如 商标抢注"></label>
    ${form.conversation ? fixedField('会话', 'conversation', form) : ''}
    ${form.user ? fixedField('用户', 'user', form) : ''}
    <div class="actions">
      <button type="submit">筛选</button>
      <a class="button secondary" href="/console/consultations">清除</a>
    </div>
  </form>`;
}

/** Export buttons: a POST form of its own (with the CSRF token, never in a URL), carrying the filter shown. */
export function exportForm(form: FilterForm, csrf: Html): Html {
  return html`<form method="post" action="/console/consultations/export" class="actions export">
    ${csrf}
    ${FILTER_KEYS.map((k) => (form[k] ? html`<input type="hidden" name="${k}" value="${form[k]}">` : ''))}
    <button type="submit" class="secondary" formaction="/console/consultations/export?format=csv">导出 CSV</button>
    <button type="submit" class="secondary" formaction="/console/consultations/export?format=xlsx">导出 Excel</button>
  </form>`;
}
