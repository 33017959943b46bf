/** What the case workflow is built from: its settings (case-setup.ts reads them) and its parts. */
import type { Failpoint } from '../failpoint.js';
import type { Outbox } from '../queue/outbox.js';
import type { Database } from '../store/db.js';
import type { AgencyRegistry } from './agencies.js';
import type { WorkCalendar } from './calendar.js';
import type { DataKey } from './data-key.js';

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
  /**
   * The one clock of the workflow: SLA due times are computed from it and timers fire against it (not the
   * database's own), so a test moves it instead of waiting.
   */
  now?: () => Date;
  /** Crash tests stop the process here (src/failpoint.ts). */
  failpoint?: Failpoint;
}
