/**
 * Turns a case's tell-the-user and tell-the-agency effects into the messages that carry them: outbox rows to
 * the user's chat, and a signed webhook event or a chat notice to the agency. Pure: the writer stores what
 * it returns. The user's contact is never copied into a message: agency messages name the case, and the
 * sender fills the contact in at send time (case-delivery.ts).
 */
import { isHttpChannel } from '../cases/core.js';
import type { NewOutboxRow } from '../queue/outbox.js';
import type { ReplyButton } from '../types.js';
import type { Agency } from './agencies.js';
import type { CaseSettings } from './case-deps.js';
import type { AgencyNews, CaseRow, Effect } from './case-effects.js';
import { AGENCY_TEXT, agencyRequest, CONTACT_SLOT, formatDue } from './notices.js';

/**
 * Chat channels get case messages pushed into the user's chat; the web chat and the API read them from the
 * case view.
 */
export function userMessage(c: CaseRow, event: number, effect: Extract<Effect, { type: 'tell_user' }>): NewOutboxRow | undefined {
  if (isHttpChannel(c.channel) || !c.chatId) return undefined;
  return {
    source: `case:${c.id}:${event}:${effect.part ?? 'user'}`,
    channel: c.channel,
    botId: c.botId,
    chatId: c.chatId,
    replyTo: c.replyTo ?? undefined,
    payload: { kind: 'notice', text: effect.text, buttons: effect.buttons, caseId: c.id, contacts: effect.contacts ?? false },
  };
}

/** The message to the agency: a webhook event, or a notice in its Telegram/Feishu chat; nothing for console-only agencies. */
export function agencyMessage(settings: Pick<CaseSettings, 'bots' | 'calendar'>, c: CaseRow, event: number, agency: Agency, news: AgencyNews, due: Date | undefined, now: Date): NewOutboxRow | undefined {
  const channel = agency.channel;
  if (!channel) return undefined;
  const source = `case:${c.id}:${event}:agency`;
  const contact = news === 'requested' && Boolean(c.contactCipher);
  const agencyCase = { caseId: c.id, agencyId: agency.id, ...(contact ? { contact } : {}) };
  if (channel.type === 'webhook') {
    if (news === 'accepted') return undefined; // the agency accepted through its own endpoint: nothing to tell it
    return {
      source,
      channel: 'webhook',
      botId: 'agency',
      chatId: agency.id,
      payload: {
        kind: 'agency_event',
        caseId: c.id,
        agencyCase,
        event: {
          type: news === 'requested' ? 'case.requested' : news === 'closed' ? 'case.closed' : 'case.withdrawn',
          timestamp: now.toISOString(),
          data: {
            caseId: c.id,
            agencyId: agency.id,
            ...(c.field ? { field: c.field } : {}),
            ...(c.service ? { service: c.service } : {}),
            ...(c.district ? { district: c.district } : {}),
            question: news === 'requested' ? (c.question ?? '') : '',
            conversation: news === 'requested' ? (c.conversation ?? []) : [],
            ...(due ? { respondBy: due.toISOString() } : {}),
          },
        },
      },
    };
  }
  const botId = settings.bots[channel.type];
  if (!botId) return undefined; // that platform is not configured here: the agency sees the case in the console
  const text =
    news === 'requested'
      ? agencyRequest({ ...c, question: c.question ?? '', conversation: c.conversation ?? [] }, contact ? CONTACT_SLOT : undefined, formatDue(due ?? now, settings.calendar.zone))
      : news === 'accepted'
        ? AGENCY_TEXT.accepted
        : news === 'closed'
          ? AGENCY_TEXT.closed
          : AGENCY_TEXT.withdrawn;
  const buttons: ReplyButton[][] | undefined =
    news === 'requested'
      ? [[{ label: '接受', action: { type: 'agency', caseId: c.id, op: 'accept' }, primary: true }, { label: '拒绝', action: { type: 'agency', caseId: c.id, op: 'decline' } }]]
      : news === 'accepted'
        ? [[{ label: '结案', action: { type: 'agency', caseId: c.id, op: 'close' } }]]
        : undefined;
  return { source, channel: channel.type, botId, chatId: channel.chatId, payload: { kind: 'notice', text: `${text}\n（案件 ${c.id.slice(0, 8)}）`, buttons, caseId: c.id, contacts: contact, agencyCase } };
}
