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

export const OUTCOMES: Record<Outcome, string> = {
  answered: '已回答',
  not_covered: '文件未涉及',
  out_of_scope: '超出范围',
  declined: '已拒绝',
  escalation_offered: '建议转介',
};

export const CHANNELS: Record<Exclude<ChannelName, 'cli' | 'webhook'>, string> = { telegram: 'Telegram', feishu: '飞书', web: '网页', api: 'API' };

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
