/**
 * The routing steps that commands and timers share: ask the next intake question or route, offer the case
 * to an agency under a new consent notice, and move it on after a decline or an SLA breach.
 */
import { assertMove, isHttpChannel } from '../cases/core.js';
import type { ReplyButton } from '../types.js';
import { FIELD_LABELS, type Agency, type IpField } from './agencies.js';
import { cancelTimers, tellUser, type CaseRow } from './case-effects.js';
import type { CaseTx } from './case-tx.js';
import { nextQuestion, type Needs } from './intake.js';
import { consentNotice, TEXT } from './notices.js';
import { pickAgency } from './routing.js';

export const needsOf = (c: CaseRow): Needs => ({ field: (c.field ?? undefined) as Needs['field'], service: (c.service ?? undefined) as Needs['service'], district: c.district ?? undefined });

/** Asks the next intake question, or routes: offer to the best agency, or the staff queue. */
export async function advance(ctx: CaseTx, c: CaseRow, cause: number, asked: Set<string>): Promise<CaseRow> {
  const needs = needsOf(c);
  // The web chat and the API pass the district with the request; only chats are asked for the field.
  if (isHttpChannel(c.channel)) asked.add('field');
  const candidates = ctx.deps.registry.routable().filter((a) => !c.triedAgencies.includes(a.id));
  const question = nextQuestion(candidates, needs, asked);
  if (question) {
    const buttons: ReplyButton[] =
      question.slot === 'district'
        ? [...question.options.map((d) => ({ label: d, action: { type: 'choose' as const, caseId: c.id, slot: 'district' as const, value: d } })), { label: TEXT.unknownDistrict, action: { type: 'choose', caseId: c.id, slot: 'district', value: '-' } }]
        : question.options.map((f) => ({ label: FIELD_LABELS[f as IpField], action: { type: 'choose' as const, caseId: c.id, slot: 'field' as const, value: f } }));
    const text = question.slot === 'district' ? TEXT.askDistrict : TEXT.askField;
    return (await ctx.writer.apply(c, { set: { pending: question.slot }, effects: [tellUser(text, { buttons: rows(buttons, 3), part: 'intake' })] }, cause)).row;
  }
  const agency = await pickAgency(ctx.tx, ctx.deps.registry, needs, c.triedAgencies);
  if (!agency) return toStaffQueue(ctx, c, { pending: null });
  return offerTo(ctx, c, cause, agency);
}

/** Names `agency` in a new consent notice and asks the user; nothing is shared until they agree. */
export async function offerTo(ctx: CaseTx, c: CaseRow, cause: number, agency: Agency): Promise<CaseRow> {
  assertMove(c.status, 'awaiting_consent', 'offer');
  const notice = consentNotice(agency, { field: c.field ?? undefined, service: c.service ?? undefined });
  const consentId = await ctx.repo.newConsent({ caseId: c.id, agencyId: agency.id, noticeVersion: notice.version, noticeHash: notice.hash, noticeText: notice.text, data: ['question', 'conversation', 'contact'] });
  const buttons: ReplyButton[] = [
    { label: '同意转介', action: { type: 'consent', caseId: c.id, consent: true, consentId }, primary: true },
    { label: '不同意', action: { type: 'consent', caseId: c.id, consent: false, consentId } },
  ];
  // A contact given while another agency was named was given for that one: it does not pass to this one.
  const contactCipher = c.agencyId && c.agencyId !== agency.id ? null : c.contactCipher;
  const { row } = await ctx.writer.apply(c, {
    set: { status: 'awaiting_consent', agencyId: agency.id, pending: null, contactCipher },
    event: { type: 'consent_requested', actor: 'system', from: c.status, to: 'awaiting_consent', details: { consent: consentId, noticeHash: notice.hash, cause } },
    effects: [tellUser(notice.text, { buttons: [buttons] })],
  });
  return row;
}

/** After a decline or an SLA breach: the agency is marked tried, its consent ends, and the case is offered to the next one. */
export async function reroute(ctx: CaseTx, c: CaseRow, cause: number, endedBy: 'declined' | 'sla_breached', why: string): Promise<CaseRow> {
  await ctx.repo.endGivenConsents(c.id, endedBy);
  const tried = [...new Set([...c.triedAgencies, ...(c.agencyId ? [c.agencyId] : [])])];
  // The contact was given for the agency that had the case: the next one gets it only if the user gives it again.
  const { row: moved } = await ctx.writer.apply(c, { set: { triedAgencies: tried, contactCipher: null }, effects: [cancelTimers, tellUser(why, { part: 'reroute' })] }, cause);
  const agency = await pickAgency(ctx.tx, ctx.deps.registry, needsOf(c), tried);
  if (agency) return offerTo(ctx, moved, cause, agency);
  return toStaffQueue(ctx, moved, {}, c.status);
}

async function toStaffQueue(ctx: CaseTx, c: CaseRow, set: Partial<CaseRow>, from = c.status): Promise<CaseRow> {
  assertMove(c.status, 'staff_queue', 'route');
  const { row } = await ctx.writer.apply(c, { set: { ...set, status: 'staff_queue', agencyId: null }, event: { type: 'staff_queue', actor: 'system', from, to: 'staff_queue' }, effects: [tellUser(TEXT.staffQueue)] });
  return row;
}

function rows<T>(items: T[], width: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += width) out.push(items.slice(i, i + width));
  return out;
}
