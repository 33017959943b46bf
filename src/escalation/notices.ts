/**
 * Every text a case sends to a user or an agency, in one place: the consent notice (PIPL art. 23: the
 * recipient, its contact, the purpose, the data), status messages, and the summary an agency receives.
 * The consent notice is versioned and hashed; the hash is stored with the user's answer.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { maskPersonalInfo } from '../privacy/pii.js';
import { FIELD_LABELS, SERVICE_LABELS, type Agency, type IpField, type Service } from './agencies.js';

export const NOTICE_VERSION = 'consent-v1';
/** What an agency receives, in the order the notice lists it. */
export const SHARED_DATA = ['question', 'conversation', 'contact'] as const;
export type SharedDatum = (typeof SHARED_DATA)[number];
export const DATA_LABELS: Record<SharedDatum, string> = {
  question: '您的问题（手机号、身份证号等号码已隐去）',
  conversation: '本次对话中此前的问答记录（已打码）',
  contact: '您选择留下的联系方式（如留）',
};

export function agencyName(agency: Pick<Agency, 'name' | 'example'>): string {
  return agency.example ? `${agency.name}（示例机构）` : agency.name;
}

function needsLabel(field?: string, service?: string): string {
  const f = field ? FIELD_LABELS[field as IpField] : undefined;
  const s = service ? SERVICE_LABELS[service as Service] : undefined;
  return [f, s].filter(Boolean).join('·') || '知识产权';
}

/** The separate-consent notice naming one agency. Its hash identifies exactly what the user agreed to. */
export function consentNotice(agency: Agency, needs: { field?: string; service?: string }): { text: string; hash: string; version: string } {
  const text = [
    '转介前需要您的单独同意：',
    `接收机构：${agencyName(agency)}`,
    `机构联系方式：${agency.contact || '机构接受后告知'}`,
    `用途：由该机构就您的${needsLabel(needs.field, needs.service)}问题提供专业服务，它只能为此使用您的信息。`,
    `提供的信息：${SHARED_DATA.map((d) => DATA_LABELS[d]).join('；')}。`,
    '如希望机构直接联系您，请先回复“联系方式 + 电话或邮箱”（例如：联系方式 138xxxxxxxx），再点“同意转介”。',
    '您可以随时撤回同意（发送 /privacy 或点“撤回转介”），撤回后机构须删除您的联系方式。不同意不影响您继续咨询。',
  ].join('\n');
  return { text, hash: createHash('sha256').update(`${NOTICE_VERSION}\n${text}`).digest('hex'), version: NOTICE_VERSION };
}

export const TEXT = {
  askDistrict: '为了转给离您最近的服务机构，请选择您企业所在的区县：',
  askField: '请选择您的问题涉及的知识产权类型：',
  unknownDistrict: '不确定 / 其他',
  staffQueue: '暂时没有能接手的服务机构，已转交知识产权主管部门的工作人员处理，有进展会在这里告诉您。',
  refused: '好的，不会向任何机构提供您的信息。您可以继续提问。',
  contactSaved: (masked: string, agency?: string) => `已记下您的联系方式（${masked}）。${agency ? `点“同意转介”后会提供给${agency}。` : ''}`,
  contactUnavailable: '本服务暂不接收联系方式，机构会在这里答复您。',
  requested: (agency: string, due: string) => `已将您的问题转交${agency}，请等待机构接受（一般在${due}前）。如需撤回，请点“撤回转介”或发送 /privacy。`,
  accepted: (agency: string, contact: string, hasContact: boolean) =>
    `${agency}已接受您的案件。${hasContact ? '机构会通过您留下的联系方式联系您，' : ''}机构的答复也会发到这里。${contact ? `机构联系方式：${contact}` : ''}`,
  answer: (agency: string, text: string) => `【${agency}答复】\n${text}`,
  closed: (agency: string) => `${agency}已办结您的案件。您的问题解决了吗？`,
  askRating: '请为这次服务打分（1 分最低，5 分最高）：',
  rated: '感谢您的评价！',
  withdrawn: (toldAgency: boolean) => `已撤回转介。${toldAgency ? '已通知机构删除您的联系方式。' : '没有向任何机构提供您的信息。'}`,
  declinedNext: (agency: string) => `${agency}暂时无法接手您的案件，为您换一家机构：`,
  slaNext: (agency: string) => `${agency}未能在约定时间内处理，为您换一家机构：`,
  noOpenCases: '您没有进行中的转介案件。',
  openCases: '您进行中的转介案件如下，点“撤回”即撤回同意并通知机构删除您的信息：',
  notYours: '只有提问人本人可以操作这个案件。',
  notAsker: '只有提问人本人可以为这个问题申请转人工。',
  stale: '这个按钮已失效，请使用最新的消息。',
} as const;

/** Local time for users and agencies: "12月5日 09:30". */
export function formatDue(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('M月d日 HH:mm');
}

/** Where the user's contact goes in an agency's message; filled in at send time (src/escalation/case-delivery.ts). */
export const CONTACT_SLOT = '〔联系方式〕';
export const NO_CONTACT = '用户未留联系方式，请通过本对话答复';

/** The message an agency chat receives for a new case; `contact` is CONTACT_SLOT when the user gave one. */
export function agencyRequest(c: { field?: string | null; service?: string | null; district?: string | null; question: string; conversation: { question: string; answer: string }[] }, contact: string | undefined, due: string): string {
  const lines = [
    `【新转介案件】${needsLabel(c.field ?? undefined, c.service ?? undefined)}${c.district ? ` · ${c.district}` : ''}`,
    `问题：${c.question}`,
  ];
  if (c.conversation.length) {
    lines.push('此前的对话：');
    for (const turn of c.conversation) lines.push(`· 问：${truncate(turn.question, 120)}`, `  答：${truncate(turn.answer, 160)}`);
  }
  lines.push(`联系方式：${contact ?? NO_CONTACT}`);
  lines.push(`请在 ${due} 前点“接受”或“拒绝”。`);
  return lines.join('\n');
}

export const AGENCY_TEXT = {
  accepted: '已接受。请直接回复本消息来答复用户（可多次回复）；处理完毕后点“结案”。',
  withdrawn: '用户已撤回转介（或案件已转出）。请删除已收到的联系方式等信息，不再联系该用户。',
  closed: '案件已结案，请删除已收到的联系方式等信息。',
  notYourCase: '这个案件不在贵机构名下。',
  replyHint: '要答复用户，请直接回复案件消息。',
} as const;

/** A masked form of the user's contact for echoes back to them. */
export function maskedContact(contact: string): string {
  return maskPersonalInfo(contact).text;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
