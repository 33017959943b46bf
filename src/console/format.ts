/** Labels and formats the console shows: times in China Standard Time, outcomes, channels, roles. */
import { FIELD_LABELS, SERVICE_LABELS, type IpField, type Service } from '../escalation/agencies.js';
import type { CaseStatus } from '../store/schema.js';
import type { Answer, ChannelName, Outcome } from '../types.js';

const TIME = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
const DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

export function time(at: Date | string | null | undefined): string {
  if (!at) return '';
  return TIME.format(new Date(at)).replace(/\//g, '-');
}

/** YYYY-MM-DD in China Standard Time. */
export function day(at: Date): string {
  return DAY.format(at);
}

/** The start of a YYYY-MM-DD day in China Standard Time. */
export function dayStart(text: string): Date | undefined {
  if (!/^\d{4}-\d\d-\d\d$/.test(text)) return undefined;
  const at = new Date(`${text}T00:00:00+08:00`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/**
 * A filter's day range from YYYY-MM-DD texts: `from` at the start of its day, `to` at the end of its day
 * (exclusive bound). Problems are added to `problems` in the console's words.
 */
export function parseDayRange(fromText: string, toText: string, problems: string[]): { from?: Date; to?: Date } {
  const range: { from?: Date; to?: Date } = {};
  if (fromText) {
    range.from = dayStart(fromText);
    if (!range.from) problems.push('开始日期格式应为 YYYY-MM-DD');
  }
  if (toText) {
    const to = dayStart(toText);
    if (!to) problems.push('结束日期格式应为 YYYY-MM-DD');
    else range.to = new Date(to.getTime() + 86_400_000);
  }
  if (range.from && range.to && range.from >= range.to) problems.push('开始日期晚于结束日期');
  return range;
}

export const OUTCOMES: Record<Outcome, string> = {
  answered: '已回答',
  not_covered: '文件未涉及',
  out_of_scope: '超出范围',
  declined: '已拒绝',
  escalation_offered: '建议转介',
};

export const CHANNELS: Record<Exclude<ChannelName, 'cli' | 'webhook'>, string> = { telegram: 'Telegram', feishu: '飞书', wechat: '微信', web: '网页', api: 'API' };

export const ANSWERERS: Record<Answer['answerer'], string> = { extractive: '原文摘录', llm: '大模型', guard: '规则', reviewed: '标准答复' };

export const VERDICTS = { correct: '正确', incorrect: '有误' } as const;

export function channelLabel(channel: string): string {
  return (CHANNELS as Record<string, string>)[channel] ?? channel;
}

export function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export const CASE_STATUS_LABELS: Record<CaseStatus, string> = {
  offered: '询问中',
  awaiting_consent: '待用户同意',
  requested: '待机构接受',
  accepted: '机构已接受',
  answered: '机构已答复',
  completed: '已办结',
  cancelled: '已撤回',
  staff_queue: '待人工分派',
};

/** What the case is about: IP field and service, in words. */
export function needsText(c: { field: string | null; service: string | null }): string {
  return [c.field ? FIELD_LABELS[c.field as IpField] : undefined, c.service ? SERVICE_LABELS[c.service as Service] : undefined].filter(Boolean).join(' · ');
}

export const CASE_EVENT_LABELS: Record<string, string> = {
  offered: '发起转介',
  intake: '补充信息',
  consent_requested: '请求用户同意',
  consent_given: '用户同意，已送达机构',
  consent_refused: '用户不同意',
  contact_given: '用户留下联系方式',
  accepted: '机构接受',
  declined: '机构拒绝',
  answered: '机构答复',
  completed: '机构办结',
  sla_breached: '超过时限',
  staff_queue: '转入人工分派',
  assigned: '工作人员分派',
  withdrawn: '用户撤回',
  resolved: '用户确认结果',
  rated: '用户评分',
};

/** A span of time in words: 45 秒, 12 分钟, 3 小时 5 分, 2 天 4 小时. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} 秒`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} 分钟`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} 小时 ${m % 60} 分` : `${h} 小时`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} 天 ${h % 24} 小时` : `${d} 天`;
}

/** A user's thumbs on an answer, in words: a PC without an emoji font draws the thumb emoji as empty boxes. */
export const FEEDBACK_LABELS = { up: '好评', down: '差评' } as const;
