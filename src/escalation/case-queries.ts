/** Reads of the case workflow: the user's view, an agency's view, counts for /metrics. (A chat's open cases: interactions/handle.ts.) */
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import { agencyMaySee, agencyMaySeeContact, mayAct, type Asker } from '../cases/core.js';
import { cases, caseTimers } from '../store/schema.js';
import type { CaseServiceDeps } from './case-deps.js';
import type { CaseRow } from './case-effects.js';
import { isCaseId } from './case-repository.js';
import { clockOf } from './case-tx.js';
import { caseView, type CaseView } from './case-view.js';
import { openContact } from './data-key.js';

export class CaseQueries {
  constructor(private readonly deps: CaseServiceDeps) {}

  /** The case as its user sees it; undefined for anyone else's, or asked through another channel (the API answers 404 alike). */
  async view(caseId: string, asker: Asker): Promise<CaseView | undefined> {
    const c = await this.row(caseId);
    if (!c || !mayAct(c, asker)) return undefined;
    return caseView(this.deps.db, c, this.deps.registry);
  }

  /** What an agency may see of one case: only its own, and the contact only while the case is with it. */
  async forAgency(caseId: string, agencyId: string): Promise<(CaseRow & { contact?: string }) | undefined> {
    const c = await this.row(caseId);
    if (!c || !agencyMaySee(c, agencyId)) return undefined;
    return { ...c, contact: c.contactCipher && agencyMaySeeContact(c, agencyId) ? openContact(this.deps.dataKey, c.contactCipher) : undefined };
  }

  /** Counts for /metrics: cases by status, and timers past due by more than a minute that have not fired. */
  async stats(): Promise<{ byStatus: Record<string, number>; overdueTimers: number }> {
    const byStatus = await this.deps.db.select({ status: cases.status, n: sql<number>`count(*)::int` }).from(cases).groupBy(cases.status);
    const late = new Date(clockOf(this.deps)().getTime() - 60_000);
    const [overdue] = await this.deps.db
      .select({ n: sql<number>`count(*)::int` })
      .from(caseTimers)
      .where(and(isNull(caseTimers.firedAt), isNull(caseTimers.cancelledAt), lt(caseTimers.dueAt, late)));
    return { byStatus: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])), overdueTimers: Number(overdue?.n ?? 0) };
  }

  private async row(caseId: string): Promise<CaseRow | undefined> {
    if (!isCaseId(caseId)) return undefined;
    const [c] = await this.deps.db.select().from(cases).where(eq(cases.id, caseId));
    return c;
  }
}
