/**
 * The one platform-free handler for everything in the inbox that is not a question: button presses and
 * commands (feedback, 转人工, consent, withdrawal, rating, /help, /privacy, /forget, an agency's accept or
 * decline), an agency's reply to a case notice, and a contact typed while a referral waits for consent.
 * Channels only decode; the rules ("only the asker may refer", "one open case per consultation") live here
 * and in the case service. Each item's effects, its reply and the inbox row's `done` commit together.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { BEFORE_CONSENT, CaseConflict, CaseNotFound, mayAct, mayGiveFeedback, OPEN_STATUSES, referralReason, type Asker } from '../cases/core.js';
import type { CaseService, CaseRow } from '../escalation/case-service.js';
import type { AgencyRegistry } from '../escalation/agencies.js';
import { TEXT } from '../escalation/notices.js';
import type { InboxJob, Inbox } from '../queue/inbox.js';
import type { Outbox } from '../queue/outbox.js';
import { caseOfAgencyMessage } from '../store/case-agency-messages.js';
import type { ConsultationStore } from '../store/consultations.js';
import type { Database } from '../store/db.js';
import { cases } from '../store/schema.js';
import type { InteractionAction, ReplyButton } from '../types.js';
import { ASK_FIRST, ASK_USAGE, CASE_GONE, CONSULTATION_GONE, forgotten, HELP_TEXT, PRIVACY_TEXT, REFERRAL_NOTED } from './texts.js';
import { AGENCY_TEXT } from '../escalation/notices.js';

export interface InboundDeps {
  db: Database;
  inbox: Inbox;
  outbox: Outbox;
  store: ConsultationStore;
  cases: CaseService;
  registry: AgencyRegistry;
}

/** Handles a claimed inbox job if it is not a plain question; false leaves it to the answer path. */
export type InboundHandler = (job: InboxJob) => Promise<boolean>;

/** "联系方式 138…", "电话：…", or a message that is little more than a phone number or an e-mail address. */
const CONTACT_PREFIX = /^\s*(联系方式|联系电话|电话|手机|手机号|邮箱|电子邮箱|微信|contact|phone|e-?mail)\s*[:：是为]?\s*\S/i;
const BARE_CONTACT = /^[\s+\-()（）]*((\+?86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|[\w.+-]+@[\w-]+(\.[\w-]+)+)[\s。.]*$/;

export function looksLikeContact(text: string): boolean {
  return CONTACT_PREFIX.test(text) || BARE_CONTACT.test(text);
}

/** The contact itself, without a leading "联系方式：". */
export function contactOf(text: string): string {
  return text.replace(/^\s*(联系方式|联系电话|电话|手机|手机号|邮箱|电子邮箱|微信|contact|phone|e-?mail)\s*[:：是为]?\s*/i, '').trim();
}

export function createInboundHandler(deps: InboundDeps): InboundHandler {
  return async (job) => {
    if (job.action) {
      await once(deps, job, (tx, reply) => interact(deps, tx, job, job.action!, reply));
      return true;
    }
    const agency = deps.registry.forChat(job.channel, job.chatId);
    if (agency) {
      await once(deps, job, async (tx, reply) => {
        const caseId = job.quoted ? await caseOfAgencyMessage(tx, { channel: job.channel, chatId: job.chatId, platformMessageId: job.quoted, agencyId: agency.id }) : undefined;
        if (!caseId) return reply(AGENCY_TEXT.replyHint);
        await guarded(() => deps.cases.inTx(tx).agencyAction(caseId, agency.id, { type: 'answer', text: job.text }), reply);
      });
      return true;
    }
    if (looksLikeContact(job.text)) {
      const waiting = await waitingCase(deps.db, job);
      if (waiting) {
        await once(deps, job, (tx) => guarded(() => deps.cases.inTx(tx).addContact(waiting.id, asker(job), contactOf(job.text), via(job)), async () => {}));
        return true;
      }
    }
    return false;
  };
}

type Reply = (text: string, buttons?: ReplyButton[][]) => Promise<void>;

/** Runs the item's effects and marks it done in one transaction; `reply` queues a notice to the same chat. */
async function once(deps: InboundDeps, job: InboxJob, work: (tx: Database, reply: Reply) => Promise<void>): Promise<void> {
  await deps.db.transaction(async (tx) => {
    let replies = 0;
    const reply: Reply = async (text, buttons) => {
      // One notice per item: a second one would collide on (source, kind), so later ones extend the first.
      if (replies++) return;
      await deps.outbox.enqueueIn(tx, { source: `inbox:${job.id}`, inboxId: job.id, channel: job.channel, botId: job.botId, chatId: job.chatId, replyTo: job.replyTo, payload: { kind: 'notice', text, buttons } });
    };
    await work(tx, reply);
    await deps.inbox.completeIn(tx, job.id);
  });
}

/** Case operations refused by the case's state or owner answer the user instead of failing the job. */
async function guarded(operation: () => Promise<unknown>, reply: Reply): Promise<void> {
  try {
    await operation();
  } catch (error) {
    if (error instanceof CaseNotFound) return reply(CASE_GONE);
    if (error instanceof CaseConflict) return reply(TEXT.stale);
    throw error;
  }
}

async function interact(deps: InboundDeps, tx: Database, job: InboxJob, action: InteractionAction, reply: Reply): Promise<void> {
  const caseService = deps.cases.inTx(tx);
  switch (action.type) {
    case 'feedback': {
      const consultation = await deps.store.get(action.consultationId, tx);
      if (consultation && mayGiveFeedback(consultation, asker(job))) await deps.store.feedback(consultation.id, job.userId, action.rating, undefined, tx);
      return;
    }
    case 'refer': {
      const consultation = action.consultationId ? await deps.store.get(action.consultationId, tx) : (await deps.store.history(job.conversationId, job.userId, 1, tx))[0];
      if (!consultation || consultation.channel !== job.channel) return reply(action.consultationId ? CONSULTATION_GONE : ASK_FIRST);
      if (!mayAct(consultation, asker(job))) return reply(TEXT.notAsker);
      await caseService.refer({ consultation, envelope: job, reason: referralReason(consultation.outcome) });
      if (job.messageId && action.consultationId) {
        await deps.outbox.enqueueIn(tx, { source: `inbox:${job.id}`, channel: job.channel, botId: job.botId, chatId: job.chatId, payload: { kind: 'card_update', target: job.messageId, text: REFERRAL_NOTED, consultationId: consultation.id, card: { text: consultation.answer, citations: consultation.citations, answerer: consultation.answerer } } });
      }
      return;
    }
    case 'choose':
      return guarded(() => caseService.choose(action.caseId, asker(job), action.slot, action.value), reply);
    case 'consent':
      return guarded(() => caseService.consent(action.caseId, asker(job), { consent: action.consent, consentId: action.consentId, via: via(job) }), reply);
    case 'withdraw':
      if (action.caseId) return guarded(() => caseService.withdraw(action.caseId!, asker(job), 'user', via(job)), reply);
      return listOpenCases(tx, job, reply, TEXT.noOpenCases);
    case 'resolved':
      return guarded(() => caseService.resolve(action.caseId, asker(job), action.resolved), reply);
    case 'rate':
      return guarded(() => caseService.rate(action.caseId, asker(job), { rating: action.rating }), reply);
    case 'agency': {
      const agency = deps.registry.forChat(job.channel, job.chatId);
      if (!agency) return reply(AGENCY_TEXT.notYourCase);
      const op = action.op === 'accept' ? { type: 'accept' as const } : action.op === 'decline' ? { type: 'decline' as const } : { type: 'close' as const };
      try {
        await caseService.agencyAction(action.caseId, agency.id, op);
      } catch (error) {
        if (error instanceof CaseNotFound) return reply(AGENCY_TEXT.notYourCase);
        if (error instanceof CaseConflict) return; // a double click, or a case that moved on: nothing changes
        throw error;
      }
      return;
    }
    case 'command':
      switch (action.command) {
        case 'start':
        case 'help':
          return reply(HELP_TEXT);
        case 'ask_usage':
          return reply(ASK_USAGE);
        case 'privacy':
          return listOpenCases(tx, job, reply, PRIVACY_TEXT, PRIVACY_TEXT);
        case 'forget': {
          const open = await openCases(tx, job);
          for (const c of open) await caseService.withdraw(c.id, asker(job), 'user', `${via(job)}:forget`, { tellUser: false });
          const n = await deps.store.forgetUser(job.channel, job.userId, tx);
          return reply(forgotten(n, open.length));
        }
      }
  }
}

/** The user's open cases in this channel, newest first. */
async function openCases(tx: Database, job: InboxJob): Promise<CaseRow[]> {
  return tx
    .select()
    .from(cases)
    .where(and(eq(cases.channel, job.channel), eq(cases.userId, job.userId), inArray(cases.status, [...OPEN_STATUSES])));
}

/** Lists open cases with a withdraw button each (at most 5), after `intro`; `none` when there are none. */
async function listOpenCases(tx: Database, job: InboxJob, reply: Reply, none: string, intro?: string): Promise<void> {
  const open = (await openCases(tx, job)).slice(0, 5);
  if (!open.length) return reply(none);
  const lines = open.map((c, i) => `${i + 1}. ${(c.question ?? '').slice(0, 40)}（${c.status}）`);
  const buttons = open.map((c, i) => [{ label: `撤回 ${i + 1}`, action: { type: 'withdraw' as const, caseId: c.id } }]);
  await reply([intro, TEXT.openCases, ...lines].filter(Boolean).join('\n'), buttons);
}

/** The user's case in this conversation that waits for consent (or for the intake), if any. */
async function waitingCase(db: Database, job: InboxJob): Promise<CaseRow | undefined> {
  const [row] = await db
    .select()
    .from(cases)
    .where(and(eq(cases.conversationId, job.conversationId), eq(cases.userId, job.userId), inArray(cases.status, [...BEFORE_CONSENT])))
    .limit(1);
  return row;
}

const asker = (job: InboxJob): Asker => ({ channel: job.channel, userId: job.userId });
const via = (job: InboxJob) => `${job.channel}:${job.eventId}`;
