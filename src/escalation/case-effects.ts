/**
 * What a case transition causes, as data: a transition decides, the writer (case-writer.ts) records. A step
 * is the change to the case row, its event, and its effects — tell the user, tell the agency, start or
 * cancel an SLA timer — all written in the transaction that moves the case, or none of them.
 */
import type { CaseStatus } from '../cases/core.js';
import type { cases } from '../store/schema.js';
import type { ReplyButton } from '../types.js';

export type CaseRow = typeof cases.$inferSelect;
export type CaseChange = Partial<typeof cases.$inferInsert>;

/** Who caused a change: the user, an agency, a staff account, or the service itself (timers, retention). */
export type Actor = 'user' | `agency:${string}` | `staff:${string}` | 'system';

/** What an agency is told about its case. */
export type AgencyNews = 'requested' | 'accepted' | 'withdrawn' | 'closed';

export type Effect =
  | {
      type: 'tell_user';
      text: string;
      buttons?: ReplyButton[][];
      /** The text holds contact details meant for the user (an agency's), which a channel renders legibly instead of masking. */
      contacts?: boolean;
      /** An agency's own words are kept as written; the bot's are masked for the record. */
      from?: 'bot' | 'agency';
      /** Tells apart several messages to the user caused by one event (the outbox takes one per source). */
      part?: string;
    }
  | { type: 'tell_agency'; agencyId: string; news: AgencyNews; due?: Date }
  | { type: 'start_timer'; timer: 'accept' | 'answer'; agencyId: string; dueAt: Date }
  | { type: 'cancel_timers' };

/** The event a step records (append-only; never personal data in `details`). */
export interface CaseEventSpec {
  type: string;
  actor: Actor;
  from?: CaseStatus;
  to?: CaseStatus;
  details?: Record<string, unknown>;
}

export interface Step {
  /** Columns of the case to change (none: the row stays as it is). */
  set?: CaseChange;
  /** The event to record; without one, the effects hang off the event that caused the step. */
  event?: CaseEventSpec;
  effects?: Effect[];
}

export const tellUser = (text: string, options: Omit<Extract<Effect, { type: 'tell_user' }>, 'type' | 'text'> = {}): Effect => ({ type: 'tell_user', text, ...options });
export const tellAgency = (agencyId: string, news: AgencyNews, due?: Date): Effect => ({ type: 'tell_agency', agencyId, news, ...(due ? { due } : {}) });
export const startTimer = (timer: 'accept' | 'answer', agencyId: string, dueAt: Date): Effect => ({ type: 'start_timer', timer, agencyId, dueAt });
export const cancelTimers: Effect = { type: 'cancel_timers' };
