/** Labels and formats the console shows: times in China Standard Time, outcomes, channels, roles. */
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

export const CHANNELS: Record<Exclude<ChannelName, 'cli'>, string> = { telegram: 'Telegram', feishu: '飞书', web: '网页', api: 'API' };

export const ANSWERERS: Record<Answer['answerer'], string> = { extractive: '原文摘录', llm: '大模型', guard: '规则', reviewed: '标准答复' };

export const VERDICTS = { correct: '正确', incorrect: '有误' } as const;

export function channelLabel(channel: string): string {
  return (CHANNELS as Record<string, string>)[channel] ?? channel;
}

export function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}
