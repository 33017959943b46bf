/**
 * The cases board's filter: state, agency, creation dates, breaches only. None of it is personal data, so it
 * travels in the query string (links from the state tiles, paging) and, for an export, in a POST body.
 * Bad values are reported, not silently dropped.
 */
import type { AgencyRegistry } from '../../escalation/agencies.js';
import type { CaseFilter } from '../../store/console-cases.js';
import { CASE_STATUSES, type CaseStatus } from '../../store/schema.js';
import { CASE_STATUS_LABELS, parseDayRange } from '../format.js';
import { attr, html, type Html } from '../html.js';

export type CaseFilterForm = Partial<Record<'status' | 'agency' | 'from' | 'to' | 'breached' | 'after' | 'before' | 'page', string>>;

export function parseCaseFilter(form: CaseFilterForm, registry: AgencyRegistry): { filter: CaseFilter; problems: string[] } {
  const problems: string[] = [];
  const filter: CaseFilter = {};
  const text = (k: keyof CaseFilterForm) => (typeof form[k] === 'string' ? form[k]!.trim() : '');
  const status = text('status');
  if (status) {
    if ((CASE_STATUSES as readonly string[]).includes(status)) filter.status = status as CaseStatus;
    else problems.push('状态不正确');
  }
  const agency = text('agency');
  if (agency) {
    if (registry.get(agency)) filter.agencyId = agency;
    else problems.push('机构不正确');
  }
  Object.assign(filter, parseDayRange(text('from'), text('to'), problems));
  const breached = text('breached');
  if (breached === 'yes') filter.breached = true;
  else if (breached) problems.push('超时条件不正确');
  return { filter, problems };
}

/** The filter values as query parameters (for paging links), the place (cursor, page) left out for `extra`. */
export function caseFilterQuery(form: CaseFilterForm, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const key of ['status', 'agency', 'from', 'to', 'breached'] as const) if (form[key]) params.set(key, form[key]!);
  for (const [k, v] of Object.entries(extra)) if (v) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

function options(entries: [string, string][], selected: string | undefined): Html {
  return html`<option value="">全部</option>${entries.map(([value, label]) => html`<option value="${value}"${attr(selected === value, 'selected')}>${label}</option>`)}`;
}

export function caseFilterForm(form: CaseFilterForm, registry: AgencyRegistry): Html {
  const v = (k: keyof CaseFilterForm) => form[k] ?? '';
  return html`<form method="get" action="/console/cases" class="filters card" id="case-filters">
    <label>状态<select name="status">${options(Object.entries(CASE_STATUS_LABELS), form.status)}</select></label>
    <label>机构<select name="agency">${options(registry.agencies.map((a) => [a.id, a.name]), form.agency)}</select></label>
    <label>开始日期<input type="date" name="from" value="${v('from')}"></label>
    <label>结束日期<input type="date" name="to" value="${v('to')}"></label>
    <label>超时<select name="breached">${options([['yes', '超时或曾超时']], form.breached)}</select></label>
    <div class="actions">
      <button type="submit">筛选</button>
      <a class="button secondary" href="/console/cases">清除</a>
    </div>
  </form>`;
}

/** Export buttons: a POST form of its own (with the CSRF token), carrying the filter shown. */
export function caseExportForm(form: CaseFilterForm, csrf: Html): Html {
  return html`<form method="post" action="/console/cases/export" class="actions export">
    ${csrf}
    ${(['status', 'agency', 'from', 'to', 'breached'] as const).map((k) => (form[k] ? html`<input type="hidden" name="${k}" value="${form[k]}">` : ''))}
    <button type="submit" class="secondary" formaction="/console/cases/export?format=csv">导出 CSV</button>
    <button type="submit" class="secondary" formaction="/console/cases/export?format=xlsx">导出 Excel</button>
  </form>`;
}
