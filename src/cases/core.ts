/**
 * The rules of a case, in one leaf module that the store, HTTP, interactions, channels and console all read:
 * the states and the transitions between them, which states are open and which hold data at an agency, what
 * an agency may see (the PIPL rule, in TypeScript and as its SQL twin), who may act on a case or consultation
 * and through which channel, and why a referral was made. It imports no project module, so nothing it
 * decides can depend on how it is stored or reached.
 *
 *   offered ──route──▶ awaiting_consent ──consent──▶ requested ──accept──▶ accepted ──answer──▶ answered ──close──▶ completed
 *      │                    ▲   │                       │                    │                     │
 *      │                    └───┼── decline / SLA breach: next agency (new consent) ◀──────────────┘
 *      └─▶ staff_queue ◀────────┴── no agency left          (staff assign an agency: back to awaiting_consent)
 *   any open state ──withdraw / consent refused──▶ cancelled
 */
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

export const CASE_STATUSES = ['offered', 'awaiting_consent', 'requested', 'accepted', 'answered', 'completed', 'cancelled', 'staff_queue'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const OPEN_STATUSES: readonly CaseStatus[] = ['offered', 'awaiting_consent', 'requested', 'accepted', 'answered', 'staff_queue'];
/** The complement of OPEN_STATUSES: a case here never moves again. */
export const CLOSED_STATUSES: readonly CaseStatus[] = CASE_STATUSES.filter((s) => !OPEN_STATUSES.includes(s));
/** States in which an agency holds the case (and counts it against its capacity). */
export const WITH_AGENCY: readonly CaseStatus[] = ['requested', 'accepted', 'answered'];
/** States waiting for the user before anything is shared: a contact typed now is kept for the consent. */
export const BEFORE_CONSENT: readonly CaseStatus[] = ['offered', 'awaiting_consent'];

const ALLOWED: Record<CaseStatus, readonly CaseStatus[]> = {
  offered: ['awaiting_consent', 'staff_queue', 'cancelled'],
  awaiting_consent: ['awaiting_consent', 'requested', 'staff_queue', 'cancelled'],
  requested: ['accepted', 'awaiting_consent', 'staff_queue', 'cancelled'],
  accepted: ['answered', 'completed', 'awaiting_consent', 'staff_queue', 'cancelled'],
  answered: ['answered', 'completed', 'cancelled'],
  staff_queue: ['awaiting_consent', 'completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

/** A transition the case's state does not allow; `status` is where the case stands. */
export class CaseConflict extends Error {
  constructor(
    readonly status: CaseStatus,
    readonly attempted: string,
  ) {
    super(`case is ${status}: ${attempted} is not allowed`);
    this.name = 'CaseConflict';
  }
}

/** No such case, or not one the asker may act on: both answer alike, so ids cannot be probed. */
export class CaseNotFound extends Error {
  constructor() {
    super('no such case');
    this.name = 'CaseNotFound';
  }
}

export function canMove(from: CaseStatus, to: CaseStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function assertMove(from: CaseStatus, to: CaseStatus, attempted: string): void {
  if (!canMove(from, to)) throw new CaseConflict(from, attempted);
}

export const isOpen = (status: CaseStatus): boolean => OPEN_STATUSES.includes(status);
export const isWithAgency = (status: CaseStatus): boolean => WITH_AGENCY.includes(status);

/** `status in (…)` over a column, for the states listed (the SQL side of the sets above). */
export function statusIn(column: SQLWrapper, statuses: readonly CaseStatus[]): SQL {
  return sql`${column} in (${sql.join(
    statuses.map((s) => sql`${s}`),
    sql`, `,
  )})`;
}

/** The same as `statusIn`, written out for DDL (index predicates and checks take no parameters). */
export function statusListDdl(statuses: readonly CaseStatus[]): string {
  return statuses.map((s) => `'${s}'`).join(', ');
}

/** Why consent given to an agency ended: the user withdrew it, the agency declined, or it let its SLA pass. */
export type ConsentEnd = 'withdrawn' | 'declined' | 'sla_breached';

// ——— What an agency may see (PIPL: only what the user's consent naming it covers, while it covers it) ———

/** Where an agency sees the data the user shared: while it holds the case, and the case it closed. */
const AGENCY_SEES: readonly CaseStatus[] = [...WITH_AGENCY, 'completed'];

/** Whether `agencyId` may see the question and conversation of the case. */
export function agencyMaySee(c: { agencyId: string | null; status: CaseStatus }, agencyId: string): boolean {
  return c.agencyId === agencyId && AGENCY_SEES.includes(c.status);
}

/** `agencyMaySee` as a SQL condition over the case's columns (the two are tested to agree on every state). */
export function agencyMaySeeSql(columns: { agencyId: SQLWrapper; status: SQLWrapper }, agencyId: string): SQL {
  return sql`(${columns.agencyId} = ${agencyId} and ${statusIn(columns.status, AGENCY_SEES)})`;
}

/** The contact only while the case is with the agency: a closed case's contact is erased anyway. */
export function agencyMaySeeContact(c: { agencyId: string | null; status: CaseStatus }, agencyId: string): boolean {
  return c.agencyId === agencyId && isWithAgency(c.status);
}

// ——— Who may act, through which channel ———

/**
 * Channels where the user is known only by the `userId` they send: the web chat and API clients. There the
 * id is the user's own random secret. In a chat channel (Telegram, Feishu, any later one) the platform
 * vouches for the user, but the id is visible to everyone in a group, so it proves nothing over HTTP.
 */
export const HTTP_CHANNELS: readonly string[] = ['web', 'api'];
export const isHttpChannel = (channel: string): boolean => HTTP_CHANNELS.includes(channel);

/** Who asks to act: the user and the channel the request came through. */
export interface Asker {
  channel: string;
  userId: string;
}

/**
 * Whether `actor` may act on what `owner` asked (a consultation or its case): the same user, through the
 * same channel, where the web chat and the API count as one (both speak HTTP with the user's secret id).
 * Staff act through the console, which is not a user channel and does not come here.
 */
export function mayAct(owner: Asker, actor: Asker): boolean {
  if (owner.userId !== actor.userId) return false;
  return isHttpChannel(owner.channel) ? isHttpChannel(actor.channel) : owner.channel === actor.channel;
}

/**
 * Whether `actor` may give 👍/👎 on an answer. Over HTTP only its asker (no one else can prove who they are);
 * in a chat every member who sees the answer, each under their own platform-vouched id, as feedback is kept
 * per user and changes no one else's.
 */
export function mayGiveFeedback(owner: Asker, actor: Asker): boolean {
  return isHttpChannel(owner.channel) ? mayAct(owner, actor) : owner.channel === actor.channel;
}

// ——— Why a referral was made ———

export type ReferralReason = 'requested' | 'professional_service' | 'not_covered';

/** The reason follows the answer's outcome: nothing found, a need for a professional, or the user's own request. */
export function referralReason(outcome: string): ReferralReason {
  return outcome === 'not_covered' ? 'not_covered' : outcome === 'escalation_offered' ? 'professional_service' : 'requested';
}
