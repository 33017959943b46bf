/**
 * The referral workflow's commands, platform-free: every command locks the case row, checks the transition
 * against src/cases/core.ts, and hands its steps to the one writer (case-writer.ts), which commits the new
 * state, its append-only event, the messages it causes and its SLA timers in ONE transaction. Repeated
 * requests find the state already moved and change nothing; two instances serialise on the row lock.
 * Reads are in case-queries.ts, timers in case-timers.ts, the texts in notices.ts and case-notifier.ts.
 */
import { maskPersonalInfo } from '../privacy/pii.js';
import type { SendHooks } from '../queue/sender.js';
import type { Database } from '../store/db.js';
import type { Consultation, Envelope, ReplyButton } from '../types.js';
import { assertMove, CaseConflict, CaseNotFound, isWithAgency, type Asker, type ReferralReason } from '../cases/core.js';
import { FIELD_LABELS, type AgencyRegistry } from './agencies.js';
import { addWorkingTime } from './calendar.js';
import { caseDeliveryHooks } from './case-delivery.js';
import type { CaseServiceDeps } from './case-deps.js';
import { cancelTimers, startTimer, tellAgency, tellUser, type Actor, type CaseRow, type Effect } from './case-effects.js';
import { CaseQueries } from './case-queries.js';
import { fireDueTimers } from './case-timers.js';
import { advance, offerTo, reroute } from './case-transitions.js';
import { agencyIn, clockOf, transact, type CaseTx } from './case-tx.js';
import { caseView, type CaseView } from './case-view.js';
import { inferDistrict, inferNeeds } from './intake.js';
import { agencyName, formatDue, maskedContact, TEXT } from './notices.js';

export type { CaseServiceDeps, CaseSettings } from './case-deps.js';
export type { Actor, CaseRow } from './case-effects.js';
export type AgencyOp = { type: 'accept' } | { type: 'decline'; reason?: string } | { type: 'answer'; text: string } | { type: 'close'; text?: string };

/** A new referral: the consultation it is about and where the user is. */
export interface ReferralRequest {
  consultation: Consultation;
  /** The user's chat (absent for the web chat and the API, which read the case view instead). */
  envelope?: Pick<Envelope, 'channel' | 'botId' | 'chatId' | 'replyTo'>;
  district?: string;
  reason?: ReferralReason;
}

const CONVERSATION_TURNS = 4;
const withdrawButton = (caseId: string): ReplyButton[][] => [[{ label: '撤回转介', action: { type: 'withdraw', caseId } }]];

export class CaseService {
  private readonly queries: CaseQueries;

  constructor(private readonly deps: CaseServiceDeps) {
    this.queries = new CaseQueries(deps);
  }

  get registry(): AgencyRegistry {
    return this.deps.registry;
  }

  /** What the sender does around a message to an agency: fill in the contact at send time, link the posted message to its case. */
  deliveryHooks(): SendHooks {
    return caseDeliveryHooks({ db: this.deps.db, dataKey: this.deps.dataKey });
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
    return clockOf(this.deps)();
  }

  /**
   * Opens a case for a consultation (one open case per consultation: a second request returns the first),
   * asks what the intake still needs, or names the agency chosen and asks for consent. Never shares anything.
   */
  async refer(request: ReferralRequest): Promise<CaseView> {
    const { consultation } = request;
    return this.run(async (ctx) => {
      const existing = await ctx.repo.openCaseOf(consultation.id);
      if (existing) return existing;
      const history = await ctx.repo.history(consultation, CONVERSATION_TURNS + 1);
      const earlier = history.filter((t) => t.question !== consultation.question || t.answer !== consultation.answer).slice(0, CONVERSATION_TURNS).reverse();
      const asked = [consultation.question, ...earlier.map((t) => t.question).reverse()];
      const needs = inferNeeds(asked);
      // A district named in the conversation is not asked again.
      const district = request.district?.trim() || inferDistrict(asked, this.deps.registry.routable().flatMap((a) => (a.districts === 'all' ? [] : a.districts)));
      const c = await ctx.repo.insert({
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
      });
      const { event } = await ctx.writer.apply(c, { event: { type: 'offered', actor: 'user', to: 'offered', details: { reason: c.reason, field: c.field, service: c.service } } });
      return advance(ctx, c, event, new Set(district ? ['district'] : []));
    });
  }

  /** The user answered an intake question (district or field); the case moves on to routing. */
  async choose(caseId: string, asker: Asker, slot: 'district' | 'field', value: string): Promise<CaseView> {
    return this.run(async (ctx) => {
      const c = await ctx.repo.lockOwn(caseId, asker);
      if (c.status !== 'offered' || c.pending !== slot) throw new CaseConflict(c.status, `choose ${slot}`);
      const known = value && value !== '-' ? value : null;
      const set = slot === 'district' ? { district: known, pending: null } : { field: known && known in FIELD_LABELS ? known : null, pending: null };
      const { row, event } = await ctx.writer.apply(c, { set, event: { type: 'intake', actor: 'user', from: 'offered', to: 'offered', details: { slot, answered: known !== null } } });
      const asked = new Set([slot, ...(row.district ? ['district'] : []), ...(slot === 'district' ? ['field'] : [])]);
      return advance(ctx, row, event, asked);
    });
  }

  /**
   * The user's answer to the consent notice. Yes: the named agency receives the case (with the contact
   * given, if any). No: nothing is shared and the case is cancelled. `consentId` ties a button to the notice
   * it sat under; a stale one (another agency since) is refused.
   */
  async consent(caseId: string, asker: Asker, answer: { consent: boolean; contact?: string; consentId?: number; via: string }): Promise<CaseView> {
    if (!answer.consent) return this.withdraw(caseId, asker, 'user', answer.via);
    return this.run(async (ctx) => {
      let c = await ctx.repo.lockOwn(caseId, asker);
      if (isWithAgency(c.status) && (await ctx.repo.alreadyGiven(c, answer.consentId))) return c; // a repeated yes
      assertMove(c.status, 'requested', 'consent');
      const pending = await ctx.repo.pendingConsent(c.id);
      if (!pending || pending.agencyId !== c.agencyId || (answer.consentId !== undefined && answer.consentId !== pending.id)) throw new CaseConflict(c.status, 'consent (stale notice)');
      if (answer.contact?.trim()) c = await this.saveContact(ctx, c, answer.contact);
      const agency = agencyIn(this.deps, c.agencyId!);
      const data = ['question', 'conversation', ...(c.contactCipher ? ['contact'] : [])];
      await ctx.repo.giveConsent(pending.id, answer.via, data);
      const due = addWorkingTime(this.deps.calendar, this.now, this.deps.acceptSlaMs);
      const { row } = await ctx.writer.apply(c, {
        set: { status: 'requested' },
        event: { type: 'consent_given', actor: 'user', from: c.status, to: 'requested', details: { consent: pending.id, noticeHash: pending.noticeHash, data } },
        effects: [startTimer('accept', agency.id, due), tellAgency(agency.id, 'requested', due), tellUser(TEXT.requested(agencyName(agency), formatDue(due, this.deps.calendar.zone)), { buttons: withdrawButton(c.id) })],
      });
      return row;
    });
  }

  /** A contact the user typed while a case waits for consent: stored encrypted, echoed back masked. */
  async addContact(caseId: string, asker: Asker, contact: string, via: string): Promise<CaseView> {
    return this.run(async (ctx) => {
      const c = await ctx.repo.lockOwn(caseId, asker);
      if (c.status !== 'awaiting_consent' && c.status !== 'offered') throw new CaseConflict(c.status, 'add contact');
      const event = { type: 'contact_given', actor: 'user' as const, from: c.status, to: c.status, details: { via } };
      if (!this.deps.dataKey) return (await ctx.writer.apply(c, { event, effects: [tellUser(TEXT.contactUnavailable)] })).row;
      const saved = await this.saveContact(ctx, c, contact);
      const agency = saved.agencyId ? this.deps.registry.get(saved.agencyId) : undefined;
      return (await ctx.writer.apply(saved, { event, effects: [tellUser(TEXT.contactSaved(maskedContact(contact), agency && agencyName(agency)))] })).row;
    });
  }

  /**
   * Withdraws an open case (the user's button, /privacy, /forget, the retention purge): consent ends, the
   * contact is erased, an agency that had received the case is told to delete what it got. Events are kept.
   */
  async withdraw(caseId: string, asker: Asker | undefined, actor: Actor = 'user', via?: string, options: { tellUser?: boolean } = {}): Promise<CaseView> {
    return this.run(async (ctx) => {
      const c = asker === undefined ? await ctx.repo.lock(caseId) : await ctx.repo.lockOwn(caseId, asker);
      if (c.status === 'cancelled') return c;
      assertMove(c.status, 'cancelled', 'withdraw');
      const refused = c.status === 'awaiting_consent' || c.status === 'offered';
      if (refused) await ctx.repo.refuseOpenConsents(c.id, via ?? null);
      else await ctx.repo.endGivenConsents(c.id, 'withdrawn');
      const hadData = isWithAgency(c.status);
      const effects: Effect[] = [cancelTimers];
      if (hadData && c.agencyId) effects.push(tellAgency(c.agencyId, 'withdrawn'));
      if (options.tellUser ?? actor === 'user') effects.push(tellUser(refused ? TEXT.refused : TEXT.withdrawn(hadData)));
      const { row } = await ctx.writer.apply(c, {
        set: { status: 'cancelled', contactCipher: null, closedAt: this.now, pending: null },
        event: { type: refused ? 'consent_refused' : 'withdrawn', actor, from: c.status, to: 'cancelled', details: { via: via ?? null } },
        effects,
      });
      return row;
    });
  }

  /** What an agency does with its case: accept, decline, answer (relayed to the user), close. */
  async agencyAction(caseId: string, agencyId: string, op: AgencyOp, actor: Actor = `agency:${agencyId}`): Promise<CaseView> {
    return this.run(async (ctx) => {
      const c = await ctx.repo.lock(caseId);
      if (c.agencyId !== agencyId) throw new CaseNotFound();
      if (!isWithAgency(c.status)) throw new CaseConflict(c.status, op.type);
      const agency = agencyIn(this.deps, agencyId);
      const name = agencyName(agency);
      switch (op.type) {
        case 'accept': {
          assertMove(c.status, 'accepted', 'accept');
          const due = addWorkingTime(this.deps.calendar, this.now, this.deps.answerSlaMs);
          const { row } = await ctx.writer.apply(c, {
            set: { status: 'accepted' },
            event: { type: 'accepted', actor, from: c.status, to: 'accepted' },
            effects: [cancelTimers, startTimer('answer', agencyId, due), tellAgency(agencyId, 'accepted'), tellUser(TEXT.accepted(name, agency.contact, Boolean(c.contactCipher)), { buttons: withdrawButton(c.id), contacts: true })],
          });
          return row;
        }
        case 'decline': {
          assertMove(c.status, 'awaiting_consent', 'decline');
          const { event } = await ctx.writer.apply(c, { event: { type: 'declined', actor, from: c.status, to: c.status, details: { reason: op.reason?.slice(0, 200) ?? null } } });
          return reroute(ctx, c, event, 'declined', TEXT.declinedNext(name));
        }
        case 'answer': {
          assertMove(c.status, 'answered', 'answer');
          const text = op.text.trim().slice(0, 4000);
          if (!text) throw new CaseConflict(c.status, 'answer without text');
          const { row } = await ctx.writer.apply(c, {
            set: { status: 'answered' },
            event: { type: 'answered', actor, from: c.status, to: 'answered', details: { chars: text.length } },
            effects: [...(c.status === 'accepted' ? [cancelTimers] : []), tellUser(TEXT.answer(name, text), { contacts: true, from: 'agency' })],
          });
          return row;
        }
        case 'close': {
          assertMove(c.status, 'completed', 'close');
          const resolvedButtons: ReplyButton[][] = [[{ label: '已解决', action: { type: 'resolved', caseId: c.id, resolved: true }, primary: true }, { label: '未解决', action: { type: 'resolved', caseId: c.id, resolved: false } }]];
          const closing = op.text?.trim();
          const { row } = await ctx.writer.apply(c, {
            set: { status: 'completed', contactCipher: null, closedAt: this.now },
            event: { type: 'completed', actor, from: c.status, to: 'completed' },
            effects: [
              cancelTimers,
              ...(closing ? [tellUser(TEXT.answer(name, closing.slice(0, 4000)), { contacts: true, from: 'agency' })] : []),
              tellAgency(agencyId, 'closed'),
              tellUser(TEXT.closed(name), { buttons: resolvedButtons, part: 'closed' }),
            ],
          });
          return row;
        }
      }
    });
  }

  /** Staff give a case from the staff queue (or one still waiting for consent) to an agency: consent is asked again, naming it. */
  async assign(caseId: string, agencyId: string, staffId: string): Promise<CaseView> {
    return this.run(async (ctx) => {
      const c = await ctx.repo.lock(caseId);
      const agency = this.deps.registry.get(agencyId);
      if (!agency) throw new CaseNotFound();
      if (c.status !== 'staff_queue' && c.status !== 'offered' && c.status !== 'awaiting_consent') throw new CaseConflict(c.status, 'assign');
      const { event } = await ctx.writer.apply(c, { event: { type: 'assigned', actor: `staff:${staffId}`, from: c.status, to: c.status, details: { agencyId } } });
      await ctx.repo.refuseOpenConsents(c.id, 'superseded');
      return offerTo(ctx, c, event, agency);
    });
  }

  /** The user says whether the closed case solved the problem, then rates it. */
  async resolve(caseId: string, asker: Asker, resolved: boolean): Promise<CaseView> {
    return this.run(async (ctx) => {
      const c = await ctx.repo.lockOwn(caseId, asker);
      if (c.status !== 'completed') throw new CaseConflict(c.status, 'resolved');
      if (c.resolved !== null) return c;
      const stars: ReplyButton[] = [1, 2, 3, 4, 5].map((n) => ({ label: `${n} 分`, action: { type: 'rate', caseId: c.id, rating: n } }));
      const { row } = await ctx.writer.apply(c, { set: { resolved }, event: { type: 'resolved', actor: 'user', from: 'completed', to: 'completed', details: { resolved } }, effects: [tellUser(TEXT.askRating, { buttons: [stars] })] });
      return row;
    });
  }

  /** Rating of a completed case, 1–5, with whether it was resolved; stored per agency (the case's). */
  async rate(caseId: string, asker: Asker, rating: { rating: number; resolved?: boolean; comment?: string }): Promise<CaseView> {
    return this.run(async (ctx) => {
      const c = await ctx.repo.lockOwn(caseId, asker);
      if (c.status !== 'completed') throw new CaseConflict(c.status, 'rate');
      if (!Number.isInteger(rating.rating) || rating.rating < 1 || rating.rating > 5) throw new CaseConflict(c.status, 'rate outside 1…5');
      // One rating per case: a second would silently replace what the agency's record already counts.
      if (c.rating !== null) throw new CaseConflict(c.status, 'rate again');
      const comment = rating.comment?.trim() ? maskPersonalInfo(rating.comment.trim().slice(0, 1000)).text : null;
      const { row } = await ctx.writer.apply(c, {
        set: { rating: rating.rating, resolved: rating.resolved ?? c.resolved, ratingComment: comment ?? c.ratingComment },
        event: { type: 'rated', actor: 'user', from: 'completed', to: 'completed', details: { rating: rating.rating, resolved: rating.resolved ?? c.resolved } },
        effects: [tellUser(TEXT.rated)],
      });
      return row;
    });
  }

  /** Fires due SLA timers against the workflow's clock (case-timers.ts). */
  fireDueTimers(limit = 20): Promise<number> {
    return fireDueTimers(this.deps, limit);
  }

  view(caseId: string, asker: Asker): Promise<CaseView | undefined> {
    return this.queries.view(caseId, asker);
  }

  stats(): Promise<{ byStatus: Record<string, number>; overdueTimers: number }> {
    return this.queries.stats();
  }

  forAgency(caseId: string, agencyId: string): Promise<(CaseRow & { contact?: string }) | undefined> {
    return this.queries.forAgency(caseId, agencyId);
  }

  /** Runs `work` in a case transaction and returns the case view after the commit. */
  private async run(work: (ctx: CaseTx) => Promise<CaseRow>): Promise<CaseView> {
    const row = await transact(this.deps, work);
    return caseView(this.deps.db, row, this.deps.registry);
  }

  private async saveContact(ctx: CaseTx, c: CaseRow, contact: string): Promise<CaseRow> {
    if (!this.deps.dataKey) return c;
    return ctx.repo.update(c, { contactCipher: this.deps.dataKey.encrypt(contact.trim().slice(0, 200)) });
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
