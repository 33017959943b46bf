/**
 * The case as its user sees it (DESIGN "Cases": the body of every user-side case endpoint): state, the
 * agency, what consent is asked for, the messages, and the events (types and times only).
 */
import { and, asc, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../store/db.js';
import { caseConsents, caseEvents, caseMessages, type cases, type CaseStatus } from '../store/schema.js';
import type { AgencyRegistry } from './agencies.js';
import { nextQuestion, type Needs } from './intake.js';
import { agencyName, SHARED_DATA } from './notices.js';

export interface CaseView {
  id: string;
  status: CaseStatus;
  agency: { id: string; name: string; contact?: string } | null;
  consent: { required: boolean; text?: string; data?: string[]; consentId?: number };
  messages: { from: 'agency' | 'bot'; text: string; at: string }[];
  events: { type: string; at: string }[];
  /** While the intake waits for an answer: what is asked and the choices (`-`: not sure). */
  intake?: { ask: 'district' | 'field'; options: string[] };
  rating?: { resolved: boolean | null; rating: number | null };
}

export async function caseView(db: Database, c: typeof cases.$inferSelect, registry: AgencyRegistry): Promise<CaseView> {
  const [messages, events, pending] = await Promise.all([
    db.select().from(caseMessages).where(eq(caseMessages.caseId, c.id)).orderBy(asc(caseMessages.id)),
    db.select({ type: caseEvents.type, at: caseEvents.createdAt }).from(caseEvents).where(eq(caseEvents.caseId, c.id)).orderBy(asc(caseEvents.id)),
    c.status === 'awaiting_consent'
      ? db.select().from(caseConsents).where(and(eq(caseConsents.caseId, c.id), isNull(caseConsents.decision))).orderBy(desc(caseConsents.id)).limit(1)
      : Promise.resolve([]),
  ]);
  const agency = c.agencyId ? registry.get(c.agencyId) : undefined;
  const notice = pending[0];
  const view: CaseView = {
    id: c.id,
    status: c.status,
    agency: agency ? { id: agency.id, name: agencyName(agency), ...(agency.contact ? { contact: agency.contact } : {}) } : null,
    consent: notice ? { required: true, text: notice.noticeText, data: [...SHARED_DATA], consentId: notice.id } : { required: false },
    messages: messages.map((m) => ({ from: m.from, text: m.text, at: m.createdAt.toISOString() })),
    events: events.map((e) => ({ type: e.type, at: e.at.toISOString() })),
  };
  if (c.status === 'offered' && (c.pending === 'district' || c.pending === 'field')) {
    const needs: Needs = { field: (c.field ?? undefined) as Needs['field'], service: (c.service ?? undefined) as Needs['service'], district: c.district ?? undefined };
    const question = nextQuestion(registry.routable(), needs, new Set(c.pending === 'district' ? ['field'] : []));
    view.intake = { ask: c.pending, options: question?.slot === c.pending ? [...question.options, ...(c.pending === 'district' ? ['-'] : [])] : ['-'] };
  }
  if (c.status === 'completed') view.rating = { resolved: c.resolved, rating: c.rating };
  return view;
}
