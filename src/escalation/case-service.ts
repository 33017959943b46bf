/**
 * The referral workflow, platform-free: every operation locks the case row, checks the transition against
 * src/escalation/case-states.ts, and commits the new state, its append-only event, the messages it causes
 * (outbox rows to the user's chat and to the agency) and its SLA timers in ONE transaction. A crash therefore
 * never leaves a transition without its notification, or a notification without its transition; the outbox
 * sends each row once (unique per source and kind). Repeated requests find the state already moved and change
 * nothing; two instances serialise on the row lock.
 */
import { and, desc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Failpoint } from '../failpoint.js';
import { maskPersonalInfo } from '../privacy/pii.js';
import type { Outbox } from '../queue/outbox.js';
import type { Database } from '../store/db.js';
import { caseConsents, caseEvents, caseMessages, cases, caseTimers, consultations, type CaseStatus } from '../store/schema.js';
import type { ChannelName, Consultation, Envelope, ReplyButton } from '../types.js';
import { FIELD_LABELS, type Agency, type AgencyRegistry, type IpField } from './agencies.js';
import { addWorkingTime, type WorkCalendar } from './calendar.js';
import { assertMove, CaseConflict, isOpen, WITH_AGENCY } from './case-states.js';
import { caseView, type CaseView } from './case-view.js';
import type { DataKey } from './data-key.js';
import { inferNeeds, nextQuestion, type Needs } from './intake.js';
import { AGENCY_TEXT, agencyName, agencyRequest, consentNotice, formatDue, maskedContact, TEXT } from './notices.js';
import { pickAgency } from './routing.js';

export type CaseRow = typeof cases.$inferSelect;
/** Who caused a change: the user, an agency, a staff account, or the service itself (timers, retention). */
export type Actor = 'user' | `agency:${string}` | `staff:${string}` | 'system';
export type AgencyOp = { type: 'accept' } | { type: 'decline'; reason?: string } | { type: 'answer'; text: string } | { type: 'close'; text?: string };

/** What the workflow is configured with (src/escalation/case-setup.ts reads it). */
export interface CaseSettings {
  registry: AgencyRegistry;
  calendar: WorkCalendar;
  acceptSlaMs: number;
  answerSlaMs: number;
  /** Encrypts the contact a user shares; without it no contact is taken. */
  dataKey?: DataKey;
  /** The bot of each platform, for messages to agency chats. */
  bots: Partial<Record<'telegram' | 'feishu', string>>;
}

export interface CaseServiceDeps extends CaseSettings {
  db: Database;
  outbox: Outbox;
  /** Told after outbox rows were committed, so the sender runs at once. */
  onQueued?: () => void;
  now?: () => Date;
  /** Crash tests stop the process here (src/failpoint.ts). */
  failpoint?: Failpoint;
}

/** A new referral: the consultation it is about and where the user is. */
export interface ReferralRequest {
  consultation: Consultation;
  /** The user's chat (absent for the web chat and the API, which read the case view instead). */
  envelope?: Pick<Envelope, 'channel' | 'botId' | 'chatId' | 'replyTo'>;
  district?: string;
  reason?: 'requested' | 'professional_service' | 'not_covered';
}

/** Chat channels (WeChat too: within WeCom's 48-hour window) get case messages pushed; the web chat and the API read them from the case view. */
const PUSHED: ReadonlySet<ChannelName> = new Set(['telegram', 'feishu', 'wechat']);
const CONVERSATION_TURNS = 4;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class CaseNotFound extends Error {
  constructor() {
    super('no such case');
    this.name = 'CaseNotFound';
  }
}

export class CaseService {
  constructor(private readonly deps: CaseServiceDeps) {}

  get registry(): AgencyRegistry {
    return this.deps.registry;
  }

  /** Wakes the sender (after a caller's own transaction that used `inTx` has committed). */
  wake(): void {
    this.deps.onQueued?.();
  }

  /** The same service working inside the caller's transaction (its operations become savepoints). */
  inTx(tx: Database): CaseService {
    return new CaseService({ ...this.deps, db: tx, onQueued: undefined, failpoint: undefined });
  }

  private get now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * Opens a case for a consultation (one open case per consultation: a second request returns the first),
   * asks what the intake still needs, or names the agency chosen and asks for consent. Never shares anything.
   */
  async refer(request: ReferralRequest): Promise<CaseView> {
    const { consultation } = request;
    return this.run(async (tx, effects) => {
      const [existing] = await tx
        .select()
        .from(cases)
        .where(and(eq(cases.consultationId, consultation.id), inArray(cases.status, ['offered', 'awaiting_consent', 'requested', 'accepted', 'answered', 'staff_queue'])))
        .for('update');
      if (existing) return existing;
      const history = await tx
        .select({ question: consultations.question, answer: consultations.answer, seq: consultations.seq })
        .from(consultations)
        .where(and(eq(consultations.conversationId, consultation.conversationId), eq(consultations.userId, consultation.userId), lte(consultations.createdAt, consultation.createdAt)))
        .orderBy(desc(consultations.createdAt), desc(consultations.seq))
        .limit(CONVERSATION_TURNS + 1);
      const earlier = history.filter((t) => t.question !== consultation.question || t.answer !== consultation.answer).slice(0, CONVERSATION_TURNS).reverse();
      const needs = inferNeeds([consultation.question, ...earlier.map((t) => t.question).reverse()]);
      const district = request.district?.trim() || undefined;
      const [row] = await tx
        .insert(cases)
        .values({
          consultationId: consultation.id,
          channel: consultation.channel,
          botId: request.envelope?.botId ?? '',
          chatId: request.envelope?.chatId ?? consultation.chatId,
          userId: consultation.userId,
          conversationId: consultation.conversationId,
          replyTo: request.envelope?.replyTo ?? null,
          status: 'offered',
          reason: request.reason ?? 'requested',
          field: needs.field ?? null,
          service: needs.service ?? null,
          district: district ?? null,
          question: consultation.question,
          conversation: earlier.map((t) => ({ question: t.question, answer: truncate(t.answer, 600) })),
        })
        .returning();
      const c = row!;
      const event = await this.event(tx, c, 'offered', 'user', undefined, 'offered', { reason: c.reason, field: c.field, service: c.service });
      return this.advance(tx, effects, c, event, new Set(district ? ['district'] : []));
    });
  }

  /** The user answered an intake question (district or field); the case moves on to routing. */
  async choose(caseId: string, userId: string, slot: 'district' | 'field', value: string): Promise<CaseView> {
    return this.run(async (tx, effects) => {
      const c = await this.lockOwn(tx, caseId, userId);
      if (c.status !== 'offered' || c.pending !== slot) throw new CaseConflict(c.status, `choose ${slot}`);
      const known = value && value !== '-' ? value : null;
      const updated = await this.update(tx, c, slot === 'district' ? { district: known, pending: null } : { field: known && known in FIELD_LABELS ? known : null, pending: null });
      const event = await this.event(tx, updated, 'intake', 'user', 'offered', 'offered', { slot, answered: known !== null });
      const asked = new Set([slot, ...(updated.district ? ['district'] : []), ...(slot === 'district' ? ['field'] : [])]);
      return this.advance(tx, effects, updated, event, asked);
    });
  }

  /**
   * The user's answer to the consent notice. Yes: the named agency receives the case (with the contact
   * given, if any). No: nothing is shared and the case is cancelled. `consentId` ties a button to the notice
   * it sat under; a stale one (another agency since) is refused.
   */
  async consent(caseId: string, userId: string, answer: { consent: boolean; contact?: string; consentId?: number; via: string }): Promise<CaseView> {
    if (!answer.consent) return this.withdraw(caseId, userId, 'user', answer.via);
    return this.run(async (tx, effects) => {
      let c = await this.lockOwn(tx, caseId, userId);
      if (WITH_AGENCY.includes(c.status) && (await this.alreadyGiven(tx, c, answer.consentId))) return c; // a repeated yes
      assertMove(c.status, 'requested', 'consent');
      const [pending] = await tx
        .select()
        .from(caseConsents)
        .where(and(eq(caseConsents.caseId, c.id), isNull(caseConsents.decision)))
        .orderBy(desc(caseConsents.id))
        .limit(1);
      if (!pending || pending.agencyId !== c.agencyId || (answer.consentId !== undefined && answer.consentId !== pending.id)) throw new CaseConflict(c.status, 'consent (stale notice)');
      if (answer.contact?.trim()) c = await this.saveContact(tx, c, answer.contact);
      const agency = this.agency(c.agencyId!);
      const data = ['question', 'conversation', ...(c.contactCipher ? ['contact'] : [])];
      await tx.update(caseConsents).set({ decision: 'given', decidedAt: this.now, decidedVia: answer.via, data }).where(eq(caseConsents.id, pending.id));
      const due = addWorkingTime(this.deps.calendar, this.now, this.deps.acceptSlaMs);
      const updated = await this.update(tx, c, { status: 'requested' });
      const event = await this.event(tx, updated, 'consent_given', 'user', c.status, 'requested', { consent: pending.id, noticeHash: pending.noticeHash, data });
      await this.timer(tx, updated, 'accept', agency.id, due);
      await this.tellAgency(tx, effects, updated, event, agency, 'requested', { due });
      await this.tellUser(tx, effects, updated, event, TEXT.requested(agencyName(agency), formatDue(due, this.deps.calendar.zone)), [[{ label: '撤回转介', action: { type: 'withdraw', caseId: c.id } }]]);
      return updated;
    });
  }

  /** A contact the user typed while a case waits for consent: stored encrypted, echoed back masked. */
  async addContact(caseId: string, userId: string, contact: string, via: string): Promise<CaseView> {
    return this.run(async (tx, effects) => {
      const c = await this.lockOwn(tx, caseId, userId);
      if (c.status !== 'awaiting_consent' && c.status !== 'offered') throw new CaseConflict(c.status, 'add contact');
      const event = await this.event(tx, c, 'contact_given', 'user', c.status, c.status, { via });
      if (!this.deps.dataKey) {
        await this.tellUser(tx, effects, c, event, TEXT.contactUnavailable);
        return c;
      }
      const updated = await this.saveContact(tx, c, contact);
      const agency = updated.agencyId ? this.deps.registry.get(updated.agencyId) : undefined;
      await this.tellUser(tx, effects, updated, event, TEXT.contactSaved(maskedContact(contact), agency && agencyName(agency)));
      return updated;
    });
  }

  /**
   * Withdraws an open case (the user's button, /privacy, /forget, the retention purge): consent ends, the
   * contact is erased, an agency that had received the case is told to delete what it got. Events are kept.
   */
  async withdraw(caseId: string, userId: string | undefined, actor: Actor = 'user', via?: string, options: { tellUser?: boolean } = {}): Promise<CaseView> {
    return this.run(async (tx, effects) => {
      const c = userId === undefined ? await this.lock(tx, caseId) : await this.lockOwn(tx, caseId, userId);
      if (c.status === 'cancelled') return c;
      assertMove(c.status, 'cancelled', 'withdraw');
      const refused = c.status === 'awaiting_consent' || c.status === 'offered';
      await tx
        .update(caseConsents)
        .set(refused ? { decision: 'refused', decidedAt: this.now, decidedVia: via ?? null } : { withdrawnAt: this.now })
        .where(and(eq(caseConsents.caseId, c.id), refused ? isNull(caseConsents.decision) : and(eq(caseConsents.decision, 'given'), isNull(caseConsents.withdrawnAt))));
      const hadData = WITH_AGENCY.includes(c.status);
      await this.cancelTimers(tx, c.id);
      const updated = await this.update(tx, c, { status: 'cancelled', contactCipher: null, closedAt: this.now, pending: null });
      const event = await this.event(tx, updated, refused ? 'consent_refused' : 'withdrawn', actor, c.status, 'cancelled', { via: via ?? null });
      if (hadData && c.agencyId) await this.tellAgency(tx, effects, updated, event, this.agency(c.agencyId), 'withdrawn');
      if (options.tellUser ?? actor === 'user') await this.tellUser(tx, effects, updated, event, refused ? TEXT.refused : TEXT.withdrawn(hadData));
      return updated;
    });
  }

  /** What an agency does with its case: accept, decline, answer (relayed to the user), close. */
  async agencyAction(caseId: string, agencyId: string, op: AgencyOp, actor: Actor = `agency:${agencyId}`): Promise<CaseView> {
    return this.run(async (tx, effects) => {
      const c = await this.lock(tx, caseId);
      if (c.agencyId !== agencyId || !WITH_AGENCY.includes(c.status)) {
        if (c.agencyId !== agencyId) throw new CaseNotFound();
        throw new CaseConflict(c.status, op.type);
      }
      const agency = this.agency(agencyId);
      const name = agencyName(agency);
      switch (op.type) {
        case 'accept': {
          assertMove(c.status, 'accepted', 'accept');
          await this.cancelTimers(tx, c.id);
          const updated = await this.update(tx, c, { status: 'accepted' });
          const event = await this.event(tx, updated, 'accepted', actor, c.status, 'accepted');
          await this.timer(tx, updated, 'answer', agencyId, addWorkingTime(this.deps.calendar, this.now, this.deps.answerSlaMs));
          await this.tellAgency(tx, effects, updated, event, agency, 'accepted');
          await this.tellUser(tx, effects, updated, event, TEXT.accepted(name, agency.contact, Boolean(c.contactCipher)), [[{ label: '撤回转介', action: { type: 'withdraw', caseId: c.id } }]], true);
          return updated;
        }
        case 'decline': {
          assertMove(c.status, 'awaiting_consent', 'decline');
          const event = await this.event(tx, c, 'declined', actor, c.status, c.status, { reason: op.reason?.slice(0, 200) ?? null });
          return this.reroute(tx, effects, c, event, TEXT.declinedNext(name));
        }
        case 'answer': {
          assertMove(c.status, 'answered', 'answer');
          const text = op.text.trim().slice(0, 4000);
          if (!text) throw new CaseConflict(c.status, 'answer without text');
          if (c.status === 'accepted') await this.cancelTimers(tx, c.id);
          const updated = await this.update(tx, c, { status: 'answered' });
          const event = await this.event(tx, updated, 'answered', actor, c.status, 'answered', { chars: text.length });
          await this.tellUser(tx, effects, updated, event, TEXT.answer(name, text), undefined, true, 'agency');
          return updated;
        }
        case 'close': {
          assertMove(c.status, 'completed', 'close');
          const updated = await this.complete(tx, c);
          const event = await this.event(tx, updated, 'completed', actor, c.status, 'completed');
          if (op.text?.trim()) await this.tellUser(tx, effects, updated, event, TEXT.answer(name, op.text.trim().slice(0, 4000)), undefined, true, 'agency');
          await this.tellAgency(tx, effects, updated, event, agency, 'closed');
          await this.tellUser(tx, effects, updated, event, TEXT.closed(name), [[{ label: '已解决', action: { type: 'resolved', caseId: c.id, resolved: true }, primary: true }, { label: '未解决', action: { type: 'resolved', caseId: c.id, resolved: false } }]], false, 'bot', 'closed');
          return updated;
        }
      }
    });
  }

  /** Staff give a case from the staff queue (or one still waiting for consent) to an agency: consent is asked again, naming it. */
  async assign(caseId: string, agencyId: string, staffId: string): Promise<CaseView> {
    return this.run(async (tx, effects) => {
      const c = await this.lock(tx, caseId);
      const agency = this.deps.registry.get(agencyId);
      if (!agency) throw new CaseNotFound();
      if (c.status !== 'staff_queue' && c.status !== 'offered' && c.status !== 'awaiting_consent') throw new CaseConflict(c.status, 'assign');
      const event = await this.event(tx, c, 'assigned', `staff:${staffId}`, c.status, c.status, { agencyId });
      await tx.update(caseConsents).set({ decision: 'refused', decidedAt: this.now, decidedVia: 'superseded' }).where(and(eq(caseConsents.caseId, c.id), isNull(caseConsents.decision)));
      return this.offerTo(tx, effects, c, event, agency);
    });
  }

  /** The user says whether the closed case solved the problem, then rates it. */
  async resolve(caseId: string, userId: string, resolved: boolean): Promise<CaseView> {
    return this.run(async (tx, effects) => {
      const c = await this.lockOwn(tx, caseId, userId);
      if (c.status !== 'completed') throw new CaseConflict(c.status, 'resolved');
      if (c.resolved !== null) return c;
      const updated = await this.update(tx, c, { resolved });
      const event = await this.event(tx, updated, 'resolved', 'user', 'completed', 'completed', { resolved });
      const stars: ReplyButton[] = [1, 2, 3, 4, 5].map((n) => ({ label: `${n} 分`, action: { type: 'rate', caseId: c.id, rating: n } }));
      await this.tellUser(tx, effects, updated, event, TEXT.askRating, [stars]);
      return updated;
    });
  }

  /** Rating of a completed case, 1–5, with whether it was resolved; stored per agency (the case's). */
  async rate(caseId: string, userId: string, rating: { rating: number; resolved?: boolean; comment?: string }): Promise<CaseView> {
    return this.run(async (tx, effects) => {
      const c = await this.lockOwn(tx, caseId, userId);
      if (c.status !== 'completed') throw new CaseConflict(c.status, 'rate');
      if (!Number.isInteger(rating.rating) || rating.rating < 1 || rating.rating > 5) throw new CaseConflict(c.status, 'rate outside 1…5');
      const first = c.rating === null;
      const comment = rating.comment?.trim() ? maskPersonalInfo(rating.comment.trim().slice(0, 1000)).text : null;
      const updated = await this.update(tx, c, { rating: rating.rating, resolved: rating.resolved ?? c.resolved, ratingComment: comment ?? c.ratingComment });
      const event = await this.event(tx, updated, 'rated', 'user', 'completed', 'completed', { rating: rating.rating, resolved: updated.resolved });
      if (first) await this.tellUser(tx, effects, updated, event, TEXT.rated);
      return updated;
    });
  }

  /**
   * Fires due SLA timers: each is claimed FOR UPDATE SKIP LOCKED and marked fired in the transaction that
   * applies the breach, so across instances a timer fires exactly once. Returns how many fired.
   */
  async fireDueTimers(limit = 20): Promise<number> {
    let fired = 0;
    for (;;) {
      const one = await this.transact(async (tx, effects): Promise<CaseRow | undefined> => {
        const [timer] = await tx
          .select()
          .from(caseTimers)
          .where(and(isNull(caseTimers.firedAt), isNull(caseTimers.cancelledAt), sql`${caseTimers.dueAt} <= now()`))
          .orderBy(caseTimers.dueAt)
          .limit(1)
          .for('update', { skipLocked: true });
        if (!timer) return undefined;
        await tx.update(caseTimers).set({ firedAt: sql`now()` }).where(eq(caseTimers.id, timer.id));
        const c = await this.lock(tx, timer.caseId);
        const expected: CaseStatus = timer.kind === 'accept' ? 'requested' : 'accepted';
        if (c.status !== expected || c.agencyId !== timer.agencyId) return c; // moved on meanwhile
        const agency = this.agency(timer.agencyId);
        const event = await this.event(tx, c, 'sla_breached', 'system', c.status, c.status, { timer: timer.kind, due: timer.dueAt.toISOString() });
        await this.tellAgency(tx, effects, c, event, agency, 'withdrawn');
        return this.reroute(tx, effects, c, event, TEXT.slaNext(agencyName(agency)));
      });
      if (!one) return fired;
      if (++fired >= limit) return fired;
    }
  }

  /** The case as its user sees it; undefined for anyone else's (the API answers 404 alike). */
  async view(caseId: string, userId: string): Promise<CaseView | undefined> {
    if (!UUID.test(caseId)) return undefined;
    const [c] = await this.deps.db.select().from(cases).where(eq(cases.id, caseId));
    if (!c || c.userId !== userId) return undefined;
    return caseView(this.deps.db, c, this.deps.registry);
  }

  /** Counts for /metrics: cases by status, and timers past due that have not fired. */
  async stats(): Promise<{ byStatus: Record<string, number>; overdueTimers: number }> {
    const byStatus = await this.deps.db.select({ status: cases.status, n: sql<number>`count(*)::int` }).from(cases).groupBy(cases.status);
    const [overdue] = await this.deps.db
      .select({ n: sql<number>`count(*)::int` })
      .from(caseTimers)
      .where(and(isNull(caseTimers.firedAt), isNull(caseTimers.cancelledAt), sql`${caseTimers.dueAt} < now() - interval '1 minute'`));
    return { byStatus: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])), overdueTimers: Number(overdue?.n ?? 0) };
  }

  /** The user's open cases (for /privacy and /forget). */
  async openCasesOf(channel: ChannelName, userId: string): Promise<CaseRow[]> {
    const rows = await this.deps.db.select().from(cases).where(and(eq(cases.channel, channel), eq(cases.userId, userId))).orderBy(desc(cases.createdAt));
    return rows.filter((r) => isOpen(r.status));
  }

  /** What an agency may see of one case: only its own, and the contact only while consent stands. */
  async forAgency(caseId: string, agencyId: string): Promise<(CaseRow & { contact?: string }) | undefined> {
    if (!UUID.test(caseId)) return undefined;
    const [c] = await this.deps.db.select().from(cases).where(eq(cases.id, caseId));
    if (!c || c.agencyId !== agencyId || !(WITH_AGENCY.includes(c.status) || c.status === 'completed')) return undefined;
    return { ...c, contact: c.contactCipher && WITH_AGENCY.includes(c.status) ? this.decrypt(c.contactCipher) : undefined };
  }

  // ——— inside a transaction ———

  /** Runs `work` in a transaction and returns the case view after the commit; wakes the sender when rows were queued. */
  private async run(work: (tx: Database, effects: Effects) => Promise<CaseRow>): Promise<CaseView> {
    const row = await this.transact(work);
    return caseView(this.deps.db, row, this.deps.registry);
  }

  private async transact<T>(work: (tx: Database, effects: Effects) => Promise<T>): Promise<T> {
    const effects: Effects = { channels: new Set() };
    const result = await this.deps.db.transaction((tx) => work(tx, effects));
    for (const channel of effects.channels) this.deps.failpoint?.('case.committed', { channel });
    if (effects.channels.size) this.deps.onQueued?.();
    return result;
  }

  private async lock(tx: Database, caseId: string): Promise<CaseRow> {
    if (!UUID.test(caseId)) throw new CaseNotFound();
    const [c] = await tx.select().from(cases).where(eq(cases.id, caseId)).for('update');
    if (!c) throw new CaseNotFound();
    return c;
  }

  private async lockOwn(tx: Database, caseId: string, userId: string): Promise<CaseRow> {
    const c = await this.lock(tx, caseId);
    if (c.userId !== userId) throw new CaseNotFound();
    return c;
  }

  private async update(tx: Database, c: CaseRow, set: Partial<typeof cases.$inferInsert>): Promise<CaseRow> {
    const [row] = await tx.update(cases).set({ ...set, updatedAt: this.now }).where(eq(cases.id, c.id)).returning();
    return row!;
  }

  private async event(tx: Database, c: CaseRow, type: string, actor: Actor, from: CaseStatus | undefined, to: CaseStatus | undefined, details?: Record<string, unknown>): Promise<number> {
    const [row] = await tx
      .insert(caseEvents)
      .values({ caseId: c.id, type, actor, fromStatus: from ?? null, toStatus: to ?? null, agencyId: c.agencyId, details: details ?? null })
      .returning({ id: caseEvents.id });
    return row!.id;
  }

  private async timer(tx: Database, c: CaseRow, kind: 'accept' | 'answer', agencyId: string, dueAt: Date): Promise<void> {
    await tx.insert(caseTimers).values({ caseId: c.id, kind, agencyId, dueAt });
  }

  private async cancelTimers(tx: Database, caseId: string): Promise<void> {
    await tx.update(caseTimers).set({ cancelledAt: this.now }).where(and(eq(caseTimers.caseId, caseId), isNull(caseTimers.firedAt), isNull(caseTimers.cancelledAt)));
  }

  /** Whether consent for the case's current agency was given already (by this notice, if named). */
  private async alreadyGiven(tx: Database, c: CaseRow, consentId?: number): Promise<boolean> {
    const [given] = await tx
      .select({ id: caseConsents.id })
      .from(caseConsents)
      .where(and(eq(caseConsents.caseId, c.id), eq(caseConsents.agencyId, c.agencyId ?? ''), eq(caseConsents.decision, 'given')))
      .orderBy(desc(caseConsents.id))
      .limit(1);
    return Boolean(given) && (consentId === undefined || given!.id === consentId);
  }

  private async saveContact(tx: Database, c: CaseRow, contact: string): Promise<CaseRow> {
    if (!this.deps.dataKey) return c;
    return this.update(tx, c, { contactCipher: this.deps.dataKey.encrypt(contact.trim().slice(0, 200)) });
  }

  private decrypt(cipher: string): string | undefined {
    try {
      return this.deps.dataKey?.decrypt(cipher);
    } catch {
      return undefined; // a key that changed: the contact is lost, the case goes on without it
    }
  }

  private agency(id: string): Agency {
    const agency = this.deps.registry.get(id);
    if (!agency) throw new Error(`agency ${id} is no longer in the registry`);
    return agency;
  }

  /** Asks the next intake question, or routes: offer to the best agency, or the staff queue. */
  private async advance(tx: Database, effects: Effects, c: CaseRow, event: number, asked: Set<string>): Promise<CaseRow> {
    const needs: Needs = { field: (c.field ?? undefined) as Needs['field'], service: (c.service ?? undefined) as Needs['service'], district: c.district ?? undefined };
    // The web chat and the API pass the district with the request; only chats are asked for the field.
    if (!PUSHED.has(c.channel)) asked.add('field');
    const candidates = this.deps.registry.routable().filter((a) => !c.triedAgencies.includes(a.id));
    const question = nextQuestion(candidates, needs, asked);
    if (question) {
      const updated = await this.update(tx, c, { pending: question.slot });
      const buttons: ReplyButton[] =
        question.slot === 'district'
          ? [...question.options.map((d) => ({ label: d, action: { type: 'choose' as const, caseId: c.id, slot: 'district' as const, value: d } })), { label: TEXT.unknownDistrict, action: { type: 'choose', caseId: c.id, slot: 'district', value: '-' } }]
          : question.options.map((f) => ({ label: FIELD_LABELS[f as IpField], action: { type: 'choose' as const, caseId: c.id, slot: 'field' as const, value: f } }));
      await this.tellUser(tx, effects, updated, event, question.slot === 'district' ? TEXT.askDistrict : TEXT.askField, rows(buttons, 3), false, 'bot', 'intake');
      return updated;
    }
    const agency = await pickAgency(tx, this.deps.registry, needs, c.triedAgencies);
    if (!agency) {
      assertMove(c.status, 'staff_queue', 'route');
      const updated = await this.update(tx, c, { status: 'staff_queue', agencyId: null, pending: null });
      const queued = await this.event(tx, updated, 'staff_queue', 'system', c.status, 'staff_queue');
      await this.tellUser(tx, effects, updated, queued, TEXT.staffQueue);
      return updated;
    }
    return this.offerTo(tx, effects, c, event, agency);
  }

  /** Names `agency` in a new consent notice and asks the user; nothing is shared until they agree. */
  private async offerTo(tx: Database, effects: Effects, c: CaseRow, cause: number, agency: Agency): Promise<CaseRow> {
    assertMove(c.status, 'awaiting_consent', 'offer');
    const notice = consentNotice(agency, { field: c.field ?? undefined, service: c.service ?? undefined });
    const updated = await this.update(tx, c, { status: 'awaiting_consent', agencyId: agency.id, pending: null });
    const [consent] = await tx
      .insert(caseConsents)
      .values({ caseId: c.id, agencyId: agency.id, noticeVersion: notice.version, noticeHash: notice.hash, noticeText: notice.text, data: ['question', 'conversation', 'contact'] })
      .returning({ id: caseConsents.id });
    const event = await this.event(tx, updated, 'consent_requested', 'system', c.status, 'awaiting_consent', { consent: consent!.id, noticeHash: notice.hash, cause });
    const buttons: ReplyButton[] = [
      { label: '同意转介', action: { type: 'consent', caseId: c.id, consent: true, consentId: consent!.id }, primary: true },
      { label: '不同意', action: { type: 'consent', caseId: c.id, consent: false, consentId: consent!.id } },
    ];
    await this.tellUser(tx, effects, updated, event, notice.text, [buttons]);
    return updated;
  }

  /** After a decline or an SLA breach: the agency is marked tried and the case offered to the next one. */
  private async reroute(tx: Database, effects: Effects, c: CaseRow, event: number, why: string): Promise<CaseRow> {
    await this.cancelTimers(tx, c.id);
    await tx.update(caseConsents).set({ withdrawnAt: this.now }).where(and(eq(caseConsents.caseId, c.id), eq(caseConsents.decision, 'given'), isNull(caseConsents.withdrawnAt)));
    const tried = [...new Set([...c.triedAgencies, ...(c.agencyId ? [c.agencyId] : [])])];
    const moved = await this.update(tx, c, { triedAgencies: tried, contactCipher: c.contactCipher });
    await this.tellUser(tx, effects, moved, event, why, undefined, false, 'bot', 'reroute');
    const agency = await pickAgency(tx, this.deps.registry, { field: (c.field ?? undefined) as Needs['field'], service: (c.service ?? undefined) as Needs['service'], district: c.district ?? undefined }, tried);
    if (agency) return this.offerTo(tx, effects, moved, event, agency);
    const queued = await this.update(tx, moved, { status: 'staff_queue', agencyId: null });
    const queuedEvent = await this.event(tx, queued, 'staff_queue', 'system', c.status, 'staff_queue');
    await this.tellUser(tx, effects, queued, queuedEvent, TEXT.staffQueue);
    return queued;
  }

  private async complete(tx: Database, c: CaseRow): Promise<CaseRow> {
    await this.cancelTimers(tx, c.id);
    return this.update(tx, c, { status: 'completed', contactCipher: null, closedAt: this.now });
  }

  /**
   * A message to the user: kept with the case (the web chat reads it) and, in Telegram or Feishu, queued in
   * the outbox in this transaction. `contacts` marks text whose phone numbers and e-mail addresses are meant
   * for the user (an agency's), which a channel must render legibly instead of masking.
   */
  private async tellUser(tx: Database, effects: Effects, c: CaseRow, event: number, text: string, buttons?: ReplyButton[][], contacts = false, from: 'bot' | 'agency' = 'bot', part = 'user'): Promise<void> {
    await tx.insert(caseMessages).values({ caseId: c.id, from, text: from === 'agency' ? text : maskPersonalInfo(text).text });
    if (!PUSHED.has(c.channel) || !c.chatId) return;
    await this.deps.outbox.enqueueIn(tx, {
      source: `case:${c.id}:${event}:${part}`,
      channel: c.channel,
      botId: c.botId,
      chatId: c.chatId,
      replyTo: c.replyTo ?? undefined,
      payload: { kind: 'notice', text, buttons, caseId: c.id, contacts },
    });
    effects.channels.add(c.channel);
  }

  /** A message to the agency: a signed webhook event, or a notice in its Telegram/Feishu chat; nothing for console-only agencies. */
  private async tellAgency(tx: Database, effects: Effects, c: CaseRow, event: number, agency: Agency, what: 'requested' | 'accepted' | 'withdrawn' | 'closed', extra: { due?: Date } = {}): Promise<void> {
    const channel = agency.channel;
    if (!channel) return;
    const source = `case:${c.id}:${event}:agency`;
    const contact = what === 'requested' && c.contactCipher ? this.decrypt(c.contactCipher) : undefined;
    if (channel.type === 'webhook') {
      if (what === 'accepted') return; // the agency accepted through its own endpoint: nothing to tell it
      await this.deps.outbox.enqueueIn(tx, {
        source,
        channel: 'webhook',
        botId: 'agency',
        chatId: agency.id,
        payload: {
          kind: 'agency_event',
          caseId: c.id,
          event: {
            type: what === 'requested' ? 'case.requested' : what === 'closed' ? 'case.closed' : 'case.withdrawn',
            timestamp: this.now.toISOString(),
            data: {
              caseId: c.id,
              agencyId: agency.id,
              ...(c.field ? { field: c.field } : {}),
              ...(c.service ? { service: c.service } : {}),
              ...(c.district ? { district: c.district } : {}),
              question: what === 'requested' ? (c.question ?? '') : '',
              conversation: what === 'requested' ? (c.conversation ?? []) : [],
              ...(contact ? { contact } : {}),
              ...(extra.due ? { respondBy: extra.due.toISOString() } : {}),
            },
          },
        },
      });
        effects.channels.add('webhook');
      return;
    }
    const botId = this.deps.bots[channel.type];
    if (!botId) return; // that platform is not configured here: the agency sees the case in the console
    const text =
      what === 'requested'
        ? agencyRequest({ ...c, question: c.question ?? '', conversation: c.conversation ?? [] }, contact, formatDue(extra.due ?? this.now, this.deps.calendar.zone))
        : what === 'accepted'
          ? AGENCY_TEXT.accepted
          : what === 'closed'
            ? AGENCY_TEXT.closed
            : AGENCY_TEXT.withdrawn;
    const buttons: ReplyButton[][] | undefined =
      what === 'requested'
        ? [[{ label: '接受', action: { type: 'agency', caseId: c.id, op: 'accept' }, primary: true }, { label: '拒绝', action: { type: 'agency', caseId: c.id, op: 'decline' } }]]
        : what === 'accepted'
          ? [[{ label: '结案', action: { type: 'agency', caseId: c.id, op: 'close' } }]]
          : undefined;
    await this.deps.outbox.enqueueIn(tx, { source, channel: channel.type, botId, chatId: channel.chatId, payload: { kind: 'notice', text: `${text}\n（案件 ${c.id.slice(0, 8)}）`, buttons, caseId: c.id, contacts: Boolean(contact) } });
    effects.channels.add(channel.type);
  }
}

interface Effects {
  /** The channels rows were queued for: the sender is woken when there are any, and the failpoint told each. */
  channels: Set<ChannelName>;
}

function rows<T>(items: T[], width: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += width) out.push(items.slice(i, i + width));
  return out;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
