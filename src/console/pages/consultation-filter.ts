/**
 * The list filter as a form: parsed from a POST body (filters may hold personal data, so they never go into
 * a URL) and rendered back with the values given. Bad values are reported, not silently dropped.
 */
import { TOPIC_NAMES } from '../../answer/topics.js';
import type { ConsoleFilter } from '../../store/console-queries.js';
import type { ChannelName, Outcome } from '../../types.js';
import { CHANNELS, FEEDBACK_LABELS, OUTCOMES, VERDICTS, parseDayRange } from '../format.js';
import { attr, html, type Html } from '../html.js';

export type FilterForm = Partial<Record<'from' | 'to' | 'channel' | 'outcome' | 'topic' | 'feedback' | 'referred' | 'reviewed' | 'verdict' | 'below' | 'q' | 'after', string>>;

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
  return { filter, problems };
}

function options(entries: [string, string][], selected: string | undefined, any = '全部'): Html {
  return html`<option value="">${any}</option>${entries.map(([value, label]) => html`<option value="${value}"${attr(selected === value, 'selected')}>${label}</option>`)}`;
}

/** The filter form; `id="filters"` so paging and export buttons elsewhere on the page submit it. */
export function filterForm(form: FilterForm, csrf: Html): Html {
  const v = (k: keyof FilterForm) => form[k] ?? '';
  return html`<form id="filters" method="post" action="/console/consultations" class="filters card">
    ${csrf}
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
    <div class="actions">
      <button type="submit">筛选</button>
      <a class="button secondary" href="/console/consultations">清除</a>
      <button type="submit" class="secondary" formaction="/console/consultations/export?format=csv" name="export" value="csv">导出 CSV</button>
      <button type="submit" class="secondary" formaction="/console/consultations/export?format=xlsx" name="export" value="xlsx">导出 Excel</button>
    </div>
  </form>`;
}
