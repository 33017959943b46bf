/** Labels and formats the console shows: times in the deployment's time zone, outcomes, channels, roles, audit actions. */
import { DateTime } from 'luxon';
import { FIELD_LABELS, SERVICE_LABELS, type IpField, type Service } from '../escalation/agencies.js';
import type { ReferralReason } from '../cases/core.js';
import type { Role } from '../store/console-accounts.js';
import type { QueueKind } from '../store/reviews.js';
import type { CaseStatus } from '../store/schema.js';
import type { Answer, ChannelName, Outcome, PiiKind } from '../types.js';

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/**
 * The deployment's time zone (TIME_ZONE), set once when the console starts. A module setting rather than a
 * parameter of every call: one process serves one deployment, and every page and export formats through here.
 */
let zone = DEFAULT_TIME_ZONE;
let TIME = timeFormat(zone);
let DAY = dayFormat(zone);

function timeFormat(timeZone: string) {
  return new Intl.DateTimeFormat('zh-CN', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
}

function dayFormat(timeZone: string) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
}

export function setTimeZone(timeZone: string): void {
  if (timeZone === zone) return;
  TIME = timeFormat(timeZone);
  DAY = dayFormat(timeZone);
  zone = timeZone;
}

export function timeZone(): string {
  return zone;
}

/** YYYY-MM-DD HH:mm in the deployment's time zone. */
export function time(at: Date | string | null | undefined): string {
  if (!at) return '';
  return TIME.format(new Date(at)).replace(/\//g, '-');
}

/** YYYY-MM-DD in the deployment's time zone. */
export function day(at: Date): string {
  return DAY.format(at);
}

/** The start of a YYYY-MM-DD day in the deployment's time zone. */
export function dayStart(text: string): Date | undefined {
  if (!/^\d{4}-\d\d-\d\d$/.test(text)) return undefined;
  const at = DateTime.fromISO(text, { zone });
  return at.isValid ? at.startOf('day').toJSDate() : undefined;
}

/** The start of the day after a YYYY-MM-DD day (days of a clock change are 23 or 25 hours long). */
export function dayEnd(text: string): Date | undefined {
  const start = dayStart(text);
  return start && DateTime.fromJSDate(start, { zone }).plus({ days: 1 }).toJSDate();
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
    const to = dayEnd(toText);
    if (!to) problems.push('结束日期格式应为 YYYY-MM-DD');
    else range.to = to;
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

/** Why a consultation is in the review queue. */
export const QUEUE_KIND_LABELS: Record<QueueKind, string> = { thumbs_down: '用户差评', not_covered: '文件未涉及', low_confidence: '低置信度回答', escalated: '转介 / 建议转介' };

export const ROLE_LABELS: Record<Role, string> = { admin: '管理员', reviewer: '审核员', agency: '服务机构' };

/** Kinds of personal information masked in a question: the kind and how many, never the value. */
export const PII_LABELS: Record<PiiKind, string> = { mobile: '手机号', id_card: '身份证号', email: '邮箱', bank_card: '银行卡号' };

export function piiText(found: { kind: PiiKind; count: number }[]): string {
  return found.map((p) => `${PII_LABELS[p.kind] ?? '其他个人信息'} ${p.count} 处`).join('、');
}

export const REFERRAL_REASONS: Record<ReferralReason, string> = { requested: '用户要求人工', professional_service: '需要专业服务', not_covered: '文件未涉及' };

export function referralReason(reason: string | null | undefined): string {
  return reason ? (REFERRAL_REASONS[reason as ReferralReason] ?? '其他') : '—';
}

/**
 * How sure the bot was of an answer, in words with the figure: only an answer has a confidence (a
 * 文件未涉及 or a refusal carries the retrieval's score, which is no measure of an answer).
 */
export function confidenceText(outcome: string, confidence: number | null | undefined): string {
  if (outcome !== 'answered' || confidence === null || confidence === undefined) return '—';
  const word = confidence >= 0.75 ? '高' : confidence >= 0.45 ? '中' : '低';
  return `${word}（${percent(confidence)}）`;
}

/** Every action the audit log records (the codes written in src/), in words an administrator reads. */
export const AUDIT_ACTIONS: Record<string, string> = {
  'console.login': '登录',
  'console.login_password': '密码验证通过（待动态码）',
  'console.login_failed': '登录失败',
  'console.login_locked': '账户被暂时锁定',
  'console.logout': '退出登录',
  'console.totp_failed': '动态码错误',
  'console.totp_enrolled': '绑定动态码',
  'console.totp_enrol_failed': '绑定动态码失败',
  'console.totp_reset': '重置他人的动态码',
  'console.recovery_code_used': '使用恢复码登录',
  'console.password_changed': '修改密码',
  'console.password_change_refused': '修改密码被拒绝',
  'console.csrf_refused': '拒绝跨站请求',
  'console.denied': '越权访问被拒绝',
  'consultation.view': '查看咨询记录',
  'consultation.export': '导出咨询记录',
  'review.claim': '领取审核任务',
  'review.submit': '提交审核',
  'approved.propose': '提交标准答复',
  'approved.approve': '批准标准答复',
  'approved.reject': '驳回标准答复',
  'approved.approve_refused': '批准标准答复被拒绝',
  'approved.reject_refused': '驳回标准答复被拒绝',
  'approved.retire': '停用标准答复',
  'approved.activate': '重新启用标准答复',
  'approved.export': '导出标准答复',
  'approved.import': '导入标准答复',
  'case.view': '查看案件',
  'case.denied': '越权查看案件被拒绝',
  'case.export': '导出案件',
  'case.assign': '分派案件',
  'case.accept': '机构接受案件',
  'case.decline': '机构拒绝案件',
  'case.answer': '机构答复案件',
  'case.close': '机构办结案件',
  'user.create': '创建账户',
  'user.set_password': '设置密码（命令行）',
  'user.enrol_totp': '绑定动态码（命令行）',
  'user.reset_totp': '重置动态码（命令行）',
  'user.disable': '停用账户',
  'user.forget': '用户要求删除记录',
  'retention.purge': '按保存期限清理数据',
};

export function auditAction(action: string): string {
  return AUDIT_ACTIONS[action] ?? action;
}

export const AUDIT_TARGETS: Record<string, string> = {
  consultation: '咨询记录',
  consultations: '咨询记录',
  case: '案件',
  cases: '案件',
  approved_answer: '标准答复',
  approved_answers: '标准答复',
  staff_account: '账户',
  route: '页面',
};

/** The keys of audit details, in words; values are rendered by `auditValue`. */
const AUDIT_DETAIL_KEYS: Record<string, string> = {
  username: '用户名',
  role: '角色',
  next: '下一步',
  step: '环节',
  locked: '已锁定',
  until: '锁定至',
  left: '剩余恢复码',
  reason: '原因',
  sessionsEnded: '结束的会话数',
  recoveryCodes: '恢复码数',
  target: '对象账户',
  kind: '类别',
  verdict: '结论',
  reviewId: '审核编号',
  corrected: '附修正答复',
  version: '版本',
  fromConsultation: '来源咨询',
  agencyId: '机构',
  attempted: '尝试的操作',
  contactShown: '显示了联系方式',
  past: '已不在本机构',
  status: '状态',
  format: '格式',
  filter: '筛选条件',
  rows: '行数',
  channel: '渠道',
  consultations: '咨询记录数',
  feedback: '反馈数',
  conversations: '对话数',
  processedEvents: '消息事件数',
  cutoff: '清理截止',
  requestedCutoff: '请求的截止',
  path: '地址',
  ip: '来源地址',
  requestId: '请求编号',
  search: '搜索词',
  from: '开始',
  to: '结束',
  outcome: '结果',
  outcomes: '结果',
  channels: '渠道',
  topic: '主题',
  reviewed: '已审核',
  referred: '已转介',
  feedbackKind: '反馈',
  confidenceBelow: '置信度低于',
  // Inside an export's filter: what was filtered on, not a count.
  'filter.feedback': '用户反馈',
  agency: '机构',
  field: '领域',
  service: '服务',
  unreviewed: '仅未审核',
  breached: '仅超时',
  receivedBy: '收到的机构',
  held: '仍在承办',
};

const AUDIT_VALUE_LABELS: Record<string, Record<string, string>> = {
  role: ROLE_LABELS,
  status: CASE_STATUS_LABELS as Record<string, string>,
  verdict: VERDICTS,
  channel: CHANNELS,
  outcome: OUTCOMES,
  next: { totp: '输入动态码', enrol: '绑定动态码' },
  step: { totp: '动态码' },
  kind: QUEUE_KIND_LABELS,
  attempted: { accept: '接受', decline: '拒绝', answer: '答复', close: '办结', view: '查看' },
  format: { csv: 'CSV', xlsx: 'Excel' },
  search: { '(given)': '已填写（内容不记录）' },
  feedback: { up: '好评', down: '差评', none: '无反馈' },
};

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

function auditValue(key: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (Array.isArray(value)) return value.map((v) => auditValue(key, v)).join('、');
  if (typeof value === 'object') return auditDetails(value as Record<string, unknown>, key).join('，');
  const text = String(value);
  if (typeof value === 'string' && ISO_TIME.test(text)) return time(text);
  return AUDIT_VALUE_LABELS[key]?.[text] ?? text;
}

/** An entry's details as 键：值 texts (nested objects such as a filter flattened into one text). */
export function auditDetails(details: Record<string, unknown> | null | undefined, within?: string): string[] {
  if (!details) return [];
  // Where the request came from last: it matters when tracing, less when reading.
  const last = (k: string) => (k === 'ip' || k === 'requestId' ? 1 : 0);
  return Object.entries(details)
    .filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && !v.length))
    .sort(([a], [b]) => last(a) - last(b))
    .map(([k, v]) => `${AUDIT_DETAIL_KEYS[`${within}.${k}`] ?? AUDIT_DETAIL_KEYS[k] ?? k}：${auditValue(k, v)}`);
}

/** A document's title short enough for a chart label: without 中华人民共和国, 企业指引：, or a closing （…）. */
export function shortTitle(title: string): string {
  const short = title.replace(/^中华人民共和国/, '').replace(/^企业指引：/, '').replace(/^关于/, '').replace(/（[^）]*）$/, '');
  return [...short].length > 12 ? `${[...short].slice(0, 11).join('')}…` : short;
}

/** An article as a reader tells it apart from the same number in another document: 《专利法》第七条. */
export function articleLabel(documentTitle: string | undefined, section: string): string {
  const tail = section.split('›').at(-1)!.trim();
  // The label is 《document》article; a chart may break it after 》.
  return documentTitle ? `《${shortTitle(documentTitle)}》${tail}` : tail;
}

/** A user's thumbs on an answer, in words: a PC without an emoji font draws the thumb emoji as empty boxes. */
export const FEEDBACK_LABELS = { up: '好评', down: '差评' } as const;
