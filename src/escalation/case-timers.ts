/**
 * SLA timers. Due times come from the workflow's clock and timers fire against the same clock (never the
 * database's `now()`), so moving the clock in a test is all it takes to pass a deadline.
 */
import { and, eq, isNull, lte } from 'drizzle-orm';
import type { CaseStatus } from '../cases/core.js';
import { caseTimers } from '../store/schema.js';
import type { CaseServiceDeps } from './case-deps.js';
import { tellAgency, type CaseRow } from './case-effects.js';
import { reroute } from './case-transitions.js';
import { agencyIn, transact } from './case-tx.js';
import { agencyName, TEXT } from './notices.js';

/**
 * Fires due SLA timers: each is claimed FOR UPDATE SKIP LOCKED and marked fired in the transaction that
 * applies the breach, so across instances a timer fires exactly once. Returns how many fired.
 */
export async function fireDueTimers(deps: CaseServiceDeps, limit = 20): Promise<number> {
  let fired = 0;
  for (;;) {
    const one = await transact(deps, async (ctx): Promise<CaseRow | undefined> => {
      const now = ctx.now();
      const [timer] = await ctx.tx
        .select()
        .from(caseTimers)
        .where(and(isNull(caseTimers.firedAt), isNull(caseTimers.cancelledAt), lte(caseTimers.dueAt, now)))
        .orderBy(caseTimers.dueAt)
        .limit(1)
        .for('update', { skipLocked: true });
      if (!timer) return undefined;
      await ctx.tx.update(caseTimers).set({ firedAt: now }).where(eq(caseTimers.id, timer.id));
      const c = await ctx.repo.lock(timer.caseId);
      const expected: CaseStatus = timer.kind === 'accept' ? 'requested' : 'accepted';
      if (c.status !== expected || c.agencyId !== timer.agencyId) return c; // moved on meanwhile
      const agency = agencyIn(deps, timer.agencyId);
      const { event } = await ctx.writer.apply(c, {
        event: { type: 'sla_breached', actor: 'system', from: c.status, to: c.status, details: { timer: timer.kind, due: timer.dueAt.toISOString() } },
        effects: [tellAgency(agency.id, 'withdrawn')],
      });
      return reroute(ctx, c, event, 'sla_breached', TEXT.slaNext(agencyName(agency)));
    });
    if (!one) return fired;
    if (++fired >= limit) return fired;
  }
}
