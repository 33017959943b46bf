/**
 * The approved answers the bot returns, kept in memory and shared through Postgres: before matching, an
 * instance reads the set's revision (one primary-key row) at most once per `refreshMs` and reloads the set
 * when it changed, so an approval or a retirement reaches every instance within that time. A knowledge
 * reload (new IDF weights, thesaurus) rebuilds the matcher too.
 */
import type { Answer } from '../types.js';
import type { ActiveApproved, ApprovedAnswerStore } from '../store/approved-answers.js';
import { MATCH_THRESHOLD, Matcher, type Analyzer, type Match } from './matcher.js';

export interface ApprovedAnswersOptions {
  /** How stale the in-memory set may be (default 1 s). */
  refreshMs?: number;
  threshold?: number;
  /** Told when reading the set or counting a hit fails; the question then gets the normal answer. */
  onError?: (error: unknown) => void;
  /** The zone the approval date in the answer is written in (TIME_ZONE; default Asia/Shanghai). */
  timeZone?: string;
}

/** What the bot's pipeline asks: an approved answer for this question, or none. */
export interface ApprovedAnswerSource {
  answer(question: string): Promise<Answer | undefined>;
}

const dateFormat = (timeZone = 'Asia/Shanghai') => new Intl.DateTimeFormat('zh-CN', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The answer as the user sees it: the staff text, labelled, with the articles it rests on. */
export function approvedAnswer(entry: ActiveApproved, similarity: number, date = dateFormat()): Answer {
  return {
    outcome: 'answered',
    answer: `${entry.answer}\n\n（本答复经工作人员审核发布，第 ${entry.version} 版，${date.format(entry.approvedAt)}。）`,
    citations: entry.citations,
    confidence: Math.round(similarity * 100) / 100,
    answerer: 'reviewed',
  };
}

export class ApprovedAnswers implements ApprovedAnswerSource {
  private matcher?: Matcher<ActiveApproved>;
  private revision = -1;
  private analyzerUsed?: Analyzer;
  private checkedAt = 0;
  private refreshing?: Promise<Matcher<ActiveApproved>>;
  private readonly refreshMs: number;
  private readonly date: Intl.DateTimeFormat;

  constructor(
    private readonly store: ApprovedAnswerStore,
    /** The analyser of the knowledge in use now; a different function means the knowledge was reloaded. */
    private readonly analyzer: () => Analyzer,
    private readonly options: ApprovedAnswersOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 1_000;
    this.date = dateFormat(options.timeZone);
  }

  /** The matcher over the current set, reloaded when the revision or the knowledge changed. */
  async current(): Promise<Matcher<ActiveApproved>> {
    const analyzer = this.analyzer();
    if (this.matcher && analyzer === this.analyzerUsed && Date.now() - this.checkedAt < this.refreshMs) return this.matcher;
    this.refreshing ??= this.refresh(analyzer).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(analyzer: Analyzer): Promise<Matcher<ActiveApproved>> {
    const revision = await this.store.revision();
    this.checkedAt = Date.now();
    if (!this.matcher || revision !== this.revision || analyzer !== this.analyzerUsed) {
      const active = await this.store.active();
      this.matcher = new Matcher(active.map((item) => ({ item, question: item.question })), analyzer, this.options.threshold ?? MATCH_THRESHOLD);
      this.revision = revision;
      this.analyzerUsed = analyzer;
    }
    return this.matcher;
  }

  /**
   * The set was changed through this instance (an approval, a retirement): the next question reads the
   * revision again, so the instance where staff approved answers with it at once; others within `refreshMs`.
   */
  changed(): void {
    this.checkedAt = 0;
  }

  /** The closest active approved answer at or above the threshold. */
  async match(question: string): Promise<Match<ActiveApproved> | undefined> {
    return (await this.current()).best(question);
  }

  /** The approved answer for a question, counted as a use; none when nothing matches or the store fails. */
  async answer(question: string): Promise<Answer | undefined> {
    let found: Match<ActiveApproved> | undefined;
    try {
      found = await this.match(question);
      if (!found) return undefined;
      await this.store.recordHit(found.item.answerId, found.item.version, question, found.similarity);
    } catch (error) {
      this.options.onError?.(error);
      if (!found) return undefined;
    }
    return approvedAnswer(found.item, found.similarity, this.date);
  }
}
