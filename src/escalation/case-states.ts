/**
 * The case lifecycle (DESIGN "Cases"), modelled on the FHIR Task workflow. A transition not listed here is
 * refused with a CaseConflict (HTTP 409), never applied:
 *
 *   offered ──route──▶ awaiting_consent ──consent──▶ requested ──accept──▶ accepted ──answer──▶ answered ──close──▶ completed
 *      │                    ▲   │                       │                    │                     │
 *      │                    └───┼── decline / SLA breach: next agency (new consent) ◀──────────────┘
 *      └─▶ staff_queue ◀────────┴── no agency left          (staff assign an agency: back to awaiting_consent)
 *   any open state ──withdraw / consent refused──▶ cancelled
 */
import type { CaseStatus } from '../store/schema.js';

export const OPEN_STATUSES: readonly CaseStatus[] = ['offered', 'awaiting_consent', 'requested', 'accepted', 'answered', 'staff_queue'];
/** States in which an agency holds the case (and counts it against its capacity). */
export const WITH_AGENCY: readonly CaseStatus[] = ['requested', 'accepted', 'answered'];

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

export function canMove(from: CaseStatus, to: CaseStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function assertMove(from: CaseStatus, to: CaseStatus, attempted: string): void {
  if (!canMove(from, to)) throw new CaseConflict(from, attempted);
}

export const isOpen = (status: CaseStatus): boolean => OPEN_STATUSES.includes(status);
