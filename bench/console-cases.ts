/**
 * Cases for `npm run bench:console`: a share of the generated consultations referred to the shipped
 * registry's agencies, written as the case service would leave them (status, the append-only events,
 * consents and SLA timers with their due, fired and cancelled times) but inserted in bulk. Most cases end
 * completed and rated; some are declined or time out first and move to a second agency; some wait in the
 * staff queue, some are withdrawn, and some are still open (a few past their due time).
 */
import type { Agency } from '../src/escalation/agencies.js';
import type { Database } from '../src/store/db.js';
import { caseConsents, caseEvents, cases, caseTimers, type CaseStatus } from '../src/store/schema.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Referred = { id: string; createdAt: Date; question: string; userId: string; conversationId: string; channel: 'telegram' | 'feishu' | 'web' | 'api' };
type Rand = () => number;

/** Where a generated case ends up, with its share. */
const ENDINGS: [CaseStatus, number][] = [
  ['completed', 0.5],
  ['answered', 0.1],
  ['accepted', 0.08],
  ['requested', 0.08],
  ['awaiting_consent', 0.05],
  ['cancelled', 0.1],
  ['staff_queue', 0.09],
];

export async function generateCases(db: Database, referred: Referred[], agencies: Agency[], random: Rand, now = Date.now()): Promise<number> {
  if (!referred.length || !agencies.length) return 0;
  const pickEnding = (): CaseStatus => {
    let r = random();
    for (const [status, share] of ENDINGS) if ((r -= share) < 0) return status;
    return 'completed';
  };
  const pickAgency = (not: string[] = []) => {
    const left = agencies.filter((a) => !not.includes(a.id));
    return left[Math.floor(random() * left.length)]!;
  };
  const rows: (typeof cases.$inferInsert)[] = [];
  const plans: { events: Omit<typeof caseEvents.$inferInsert, 'caseId'>[]; consents: Omit<typeof caseConsents.$inferInsert, 'caseId'>[]; timers: Omit<typeof caseTimers.$inferInsert, 'caseId'>[] }[] = [];
  for (const c of referred) {
    const ending = pickEnding();
    const at = (ms: number) => new Date(Math.min(c.createdAt.getTime() + ms, now - MINUTE));
    const events: (typeof plans)[number]['events'] = [{ type: 'offered', actor: 'user', toStatus: 'offered', createdAt: at(0) }];
    const consents: (typeof plans)[number]['consents'] = [];
    const timers: (typeof plans)[number]['timers'] = [];
    const tried: string[] = [];
    let t = 1_000;
    let agency = null as Agency | null; // (set by offer(), which the compiler cannot follow)
    const notice = { noticeVersion: 'consent-v1', noticeHash: 'b'.repeat(64), noticeText: '（生成的告知书）', data: ['question', 'conversation'] };
    const offer = (to: Agency) => {
      agency = to;
      events.push({ type: 'consent_requested', actor: 'system', fromStatus: 'offered', toStatus: 'awaiting_consent', agencyId: to.id, createdAt: at(t) });
    };
    const consent = (): Date => {
      t += MINUTE + random() * 10 * MINUTE;
      consents.push({ ...notice, agencyId: agency!.id, decision: 'given', decidedVia: 'bench', decidedAt: at(t), createdAt: at(t - MINUTE) });
      events.push({ type: 'consent_given', actor: 'user', fromStatus: 'awaiting_consent', toStatus: 'requested', agencyId: agency!.id, createdAt: at(t) });
      return at(t);
    };
    if (ending === 'staff_queue' && random() < 0.5) {
      events.push({ type: 'staff_queue', actor: 'system', fromStatus: 'offered', toStatus: 'staff_queue', createdAt: at(t) });
    } else {
      offer(pickAgency());
      // One case in six is declined or times out at its first agency and moves on.
      if (ending !== 'awaiting_consent' && ending !== 'cancelled' && random() < 0.17) {
        const requested = consent();
        const breach = random() < 0.4;
        const due = new Date(requested.getTime() + 4 * HOUR);
        t += breach ? 4 * HOUR : 20 * MINUTE + random() * 3 * HOUR;
        timers.push({ kind: 'accept', agencyId: agency!.id, dueAt: due, createdAt: requested, ...(breach ? { firedAt: at(t) } : { cancelledAt: at(t) }) });
        events.push({ type: breach ? 'sla_breached' : 'declined', actor: breach ? 'system' : `agency:${agency!.id}`, fromStatus: 'requested', toStatus: 'requested', agencyId: agency!.id, createdAt: at(t) });
        tried.push(agency!.id);
        if (ending === 'staff_queue') {
          agency = null;
          events.push({ type: 'staff_queue', actor: 'system', fromStatus: 'requested', toStatus: 'staff_queue', createdAt: at(t) });
        } else offer(pickAgency(tried));
      }
      if (agency && ending !== 'awaiting_consent' && ending !== 'staff_queue' && !(ending === 'cancelled' && random() < 0.5)) {
        const requested = consent();
        const acceptDue = new Date(requested.getTime() + 4 * HOUR);
        const acceptAfter = 5 * MINUTE + random() * random() * 6 * HOUR;
        if (ending === 'requested') {
          // Still waiting; those requested long ago are past due (the generated data has no timer poller).
          timers.push({ kind: 'accept', agencyId: agency!.id, dueAt: acceptDue, createdAt: requested });
        } else if (ending === 'cancelled') {
          t += acceptAfter / 2;
          timers.push({ kind: 'accept', agencyId: agency!.id, dueAt: acceptDue, createdAt: requested, cancelledAt: at(t) });
          events.push({ type: 'withdrawn', actor: 'user', fromStatus: 'requested', toStatus: 'cancelled', agencyId: agency!.id, createdAt: at(t) });
        } else {
          t += acceptAfter;
          timers.push({ kind: 'accept', agencyId: agency!.id, dueAt: acceptDue, createdAt: requested, cancelledAt: at(t) });
          events.push({ type: 'accepted', actor: `agency:${agency!.id}`, fromStatus: 'requested', toStatus: 'accepted', agencyId: agency!.id, createdAt: at(t) });
          const accepted = at(t);
          const answerDue = new Date(accepted.getTime() + 16 * HOUR);
          if (ending === 'accepted') timers.push({ kind: 'answer', agencyId: agency!.id, dueAt: answerDue, createdAt: accepted });
          else {
            t += 30 * MINUTE + random() * random() * 30 * HOUR;
            timers.push({ kind: 'answer', agencyId: agency!.id, dueAt: answerDue, createdAt: accepted, cancelledAt: at(t) });
            events.push({ type: 'answered', actor: `agency:${agency!.id}`, fromStatus: 'accepted', toStatus: 'answered', agencyId: agency!.id, createdAt: at(t) });
            if (ending === 'completed') {
              t += HOUR + random() * 48 * HOUR;
              events.push({ type: 'completed', actor: `agency:${agency!.id}`, fromStatus: 'answered', toStatus: 'completed', agencyId: agency!.id, createdAt: at(t) });
            }
          }
        }
      } else if (ending === 'cancelled') {
        t += MINUTE;
        consents.push({ ...notice, agencyId: agency!.id, decision: 'refused', decidedVia: 'bench', decidedAt: at(t), createdAt: at(t - MINUTE) });
        events.push({ type: 'consent_refused', actor: 'user', fromStatus: 'awaiting_consent', toStatus: 'cancelled', agencyId: agency!.id, createdAt: at(t) });
      } else if (ending === 'awaiting_consent') consents.push({ ...notice, agencyId: agency!.id, createdAt: at(t) });
    }
    const closed = ending === 'completed' || ending === 'cancelled' ? at(t) : null;
    const rated = ending === 'completed' && random() < 0.7;
    rows.push({
      consultationId: c.id,
      channel: c.channel,
      botId: '',
      userId: c.userId,
      conversationId: c.conversationId,
      status: ending,
      reason: random() < 0.6 ? 'requested' : 'professional_service',
      field: random() < 0.5 ? 'patent' : 'trademark',
      service: random() < 0.5 ? 'litigation' : 'agency',
      district: '张店区',
      agencyId: ending === 'staff_queue' ? null : (agency?.id ?? null),
      triedAgencies: tried,
      question: c.question,
      conversation: [],
      resolved: rated ? random() < 0.8 : null,
      rating: rated ? 1 + Math.floor(random() * 5) : null,
      createdAt: c.createdAt,
      updatedAt: at(t),
      closedAt: closed,
    });
    plans.push({ events, consents, timers });
  }
  const BATCH = 500;
  for (let i = 0; i < rows.length; i += BATCH) {
    const inserted = await db.insert(cases).values(rows.slice(i, i + BATCH)).returning({ id: cases.id });
    const events = inserted.flatMap((r, k) => plans[i + k]!.events.map((e) => ({ ...e, caseId: r.id })));
    const consents = inserted.flatMap((r, k) => plans[i + k]!.consents.map((e) => ({ ...e, caseId: r.id })));
    const timers = inserted.flatMap((r, k) => plans[i + k]!.timers.map((e) => ({ ...e, caseId: r.id })));
    if (events.length) await db.insert(caseEvents).values(events);
    if (consents.length) await db.insert(caseConsents).values(consents);
    if (timers.length) await db.insert(caseTimers).values(timers);
  }
  return rows.length;
}
