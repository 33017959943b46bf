/**
 * Named points on the way from a platform's event to its delivered reply, and from a case transition to the
 * agency's notice: the places where a process that dies (kill -9, power loss) could lose or repeat a
 * message. The service calls its optional `failpoint` at each one; `npm start` passes none, so each call is
 * a no-op. The crash matrix (bench/crash-matrix.ts, test/ops/crash-matrix.test.ts) passes one that kills
 * the process at a chosen point, then restarts it and counts what the platforms received.
 */
import type { ChannelName } from './types.js';

export const FAILPOINT_STEPS = {
  /** An event is committed to the inbox; the platform has not been acknowledged yet. */
  'inbox.accepted': 'after inbox insert, before ack',
  /** The platform was acknowledged; a worker leased the row and has not answered yet. */
  'worker.claimed': 'after ack, before answer',
  /** The answer is drafted (for the API as well); neither the log row nor the outbox row is written. */
  'answer.drafted': 'after answer, before outbox insert',
  /** The consultation, its outbox row and the inbox row's `done` are committed; nothing is sent yet. */
  'outbox.committed': 'after outbox insert, before send',
  /** The platform (or agency) accepted a send; the row is not marked sent yet. */
  'delivery.sent': 'after send, before mark sent',
  /** A case transition and the outbox rows that notify it are committed; nothing is sent yet. */
  'case.committed': 'between case transition and notification',
} as const;

export type FailpointStep = keyof typeof FAILPOINT_STEPS;

/** Called synchronously at `step`; `channel` is the platform of the message passing it. */
export type Failpoint = (step: FailpointStep, at: { channel?: ChannelName }) => void;
