/**
 * The one writer of case transitions: it applies a step (case-effects.ts) inside the caller's transaction —
 * the row's change, its event, and each effect as a row: the user's case message and outbox notice, the
 * agency's message, the SLA timer started or cancelled. A crash therefore never leaves a transition without
 * its notification, or a notification without its transition.
 */
import type { Outbox } from '../queue/outbox.js';
import { maskPersonalInfo } from '../privacy/pii.js';
import type { Database } from '../store/db.js';
import { caseMessages } from '../store/schema.js';
import type { ChannelName } from '../types.js';
import type { CaseSettings } from './case-deps.js';
import type { CaseRow, Effect, Step } from './case-effects.js';
import { agencyMessage, userMessage } from './case-notifier.js';
import type { CaseRepository } from './case-repository.js';

export class CaseWriter {
  /** The channels rows were queued for: the sender is woken when there are any, after the commit. */
  readonly queued = new Set<ChannelName>();

  constructor(
    private readonly tx: Database,
    private readonly repo: CaseRepository,
    private readonly deps: Pick<CaseSettings, 'registry' | 'bots' | 'calendar'> & { outbox: Outbox; now: () => Date },
  ) {}

  /** Applies `step` to `c`; effects without an event of their own hang off `cause`. */
  async apply(c: CaseRow, step: Step, cause?: number): Promise<{ row: CaseRow; event: number }> {
    const row = step.set ? await this.repo.update(c, step.set) : c;
    const event = step.event ? await this.repo.event(row, step.event) : cause;
    if (event === undefined) throw new Error('a step without an event needs the event that caused it');
    for (const effect of step.effects ?? []) await this.write(row, event, effect);
    return { row, event };
  }

  private async write(c: CaseRow, event: number, effect: Effect): Promise<void> {
    switch (effect.type) {
      case 'tell_user': {
        // Kept with the case (the web chat reads it); an agency's own words as written, the bot's masked.
        await this.tx.insert(caseMessages).values({ caseId: c.id, from: effect.from ?? 'bot', text: effect.from === 'agency' ? effect.text : maskPersonalInfo(effect.text).text });
        return this.enqueue(userMessage(c, event, effect));
      }
      case 'tell_agency': {
        const agency = this.deps.registry.get(effect.agencyId);
        if (!agency) throw new Error(`agency ${effect.agencyId} is no longer in the registry`);
        return this.enqueue(agencyMessage(this.deps, c, event, agency, effect.news, effect.due, this.deps.now()));
      }
      case 'start_timer':
        return this.repo.startTimer(c.id, effect.timer, effect.agencyId, effect.dueAt);
      case 'cancel_timers':
        return this.repo.cancelTimers(c.id);
    }
  }

  private async enqueue(row: Parameters<Outbox['enqueueIn']>[1] | undefined): Promise<void> {
    if (!row) return;
    await this.deps.outbox.enqueueIn(this.tx, row);
    this.queued.add(row.channel);
  }
}
