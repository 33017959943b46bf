/**
 * The case tables as the workflow reads and writes them, inside one transaction: the row lock every
 * command takes first, the case row, its events, consents and timers. No rule lives here (src/cases/core.ts
 * has them) beyond refusing a case its asker may not act on.
 */
import { and, desc, eq, inArray, isNull, lte } from 'drizzle-orm';
import { CaseNotFound, mayAct, OPEN_STATUSES, type Asker, type ConsentEnd } from '../cases/core.js';
import type { Database } from '../store/db.js';
import { caseConsents, caseEvents, cases, caseTimers, consultations } from '../store/schema.js';
import type { Consultation } from '../types.js';
import type { CaseChange, CaseEventSpec, CaseRow } from './case-effects.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isCaseId = (id: string): boolean => UUID.test(id);

export class CaseRepository {
  constructor(
    private readonly tx: Database,
    private readonly now: () => Date,
  ) {}

  async lock(caseId: string): Promise<CaseRow> {
    if (!isCaseId(caseId)) throw new CaseNotFound();
    const [c] = await this.tx.select().from(cases).where(eq(cases.id, caseId)).for('update');
    if (!c) throw new CaseNotFound();
    return c;
  }

  /** Locks a case its asker may act on: the owner, through the channel the case came from. */
  async lockOwn(caseId: string, asker: Asker): Promise<CaseRow> {
    const c = await this.lock(caseId);
    if (!mayAct(c, asker)) throw new CaseNotFound();
    return c;
  }

  /** The open case of a consultation, locked (one open case per consultation). */
  async openCaseOf(consultationId: string): Promise<CaseRow | undefined> {
    const [existing] = await this.tx
      .select()
      .from(cases)
      .where(and(eq(cases.consultationId, consultationId), inArray(cases.status, [...OPEN_STATUSES])))
      .for('update');
    return existing;
  }

  /** The asker's turns of the conversation up to this consultation, newest first. */
  history(consultation: Consultation, turns: number) {
    return this.tx
      .select({ question: consultations.question, answer: consultations.answer, seq: consultations.seq })
      .from(consultations)
      .where(and(eq(consultations.conversationId, consultation.conversationId), eq(consultations.userId, consultation.userId), lte(consultations.createdAt, consultation.createdAt)))
      .orderBy(desc(consultations.createdAt), desc(consultations.seq))
      .limit(turns);
  }

  async insert(values: typeof cases.$inferInsert): Promise<CaseRow> {
    const [row] = await this.tx.insert(cases).values(values).returning();
    return row!;
  }

  async update(c: CaseRow, set: CaseChange): Promise<CaseRow> {
    const [row] = await this.tx
      .update(cases)
      .set({ ...set, updatedAt: this.now() })
      .where(eq(cases.id, c.id))
      .returning();
    return row!;
  }

  async event(c: CaseRow, spec: CaseEventSpec): Promise<number> {
    const [row] = await this.tx
      .insert(caseEvents)
      .values({ caseId: c.id, type: spec.type, actor: spec.actor, fromStatus: spec.from ?? null, toStatus: spec.to ?? null, agencyId: c.agencyId, details: spec.details ?? null })
      .returning({ id: caseEvents.id });
    return row!.id;
  }

  /** The consent notice the user has not answered yet, newest first. */
  async pendingConsent(caseId: string) {
    const [pending] = await this.tx
      .select()
      .from(caseConsents)
      .where(and(eq(caseConsents.caseId, caseId), isNull(caseConsents.decision)))
      .orderBy(desc(caseConsents.id))
      .limit(1);
    return pending;
  }

  /** Whether consent for the case's current agency was given already (by this notice, if named). */
  async alreadyGiven(c: CaseRow, consentId?: number): Promise<boolean> {
    const [given] = await this.tx
      .select({ id: caseConsents.id })
      .from(caseConsents)
      .where(and(eq(caseConsents.caseId, c.id), eq(caseConsents.agencyId, c.agencyId ?? ''), eq(caseConsents.decision, 'given')))
      .orderBy(desc(caseConsents.id))
      .limit(1);
    return Boolean(given) && (consentId === undefined || given!.id === consentId);
  }

  async newConsent(values: typeof caseConsents.$inferInsert): Promise<number> {
    const [row] = await this.tx.insert(caseConsents).values(values).returning({ id: caseConsents.id });
    return row!.id;
  }

  async giveConsent(id: number, via: string, data: string[]): Promise<void> {
    await this.tx.update(caseConsents).set({ decision: 'given', decidedAt: this.now(), decidedVia: via, data }).where(eq(caseConsents.id, id));
  }

  /** Unanswered notices of the case are answered `refused` (by the user, or `superseded` by a newer one). */
  async refuseOpenConsents(caseId: string, via: string | null): Promise<void> {
    await this.tx
      .update(caseConsents)
      .set({ decision: 'refused', decidedAt: this.now(), decidedVia: via })
      .where(and(eq(caseConsents.caseId, caseId), isNull(caseConsents.decision)));
  }

  /** Consent given and still standing ends now, for the reason given (withdrawal, a decline, an SLA breach). */
  async endGivenConsents(caseId: string, endedBy: ConsentEnd): Promise<void> {
    await this.tx
      .update(caseConsents)
      .set({ withdrawnAt: this.now(), endedBy })
      .where(and(eq(caseConsents.caseId, caseId), eq(caseConsents.decision, 'given'), isNull(caseConsents.withdrawnAt)));
  }

  async startTimer(caseId: string, kind: 'accept' | 'answer', agencyId: string, dueAt: Date): Promise<void> {
    await this.tx.insert(caseTimers).values({ caseId, kind, agencyId, dueAt });
  }

  async cancelTimers(caseId: string): Promise<void> {
    await this.tx
      .update(caseTimers)
      .set({ cancelledAt: this.now() })
      .where(and(eq(caseTimers.caseId, caseId), isNull(caseTimers.firedAt), isNull(caseTimers.cancelledAt)));
  }
}
