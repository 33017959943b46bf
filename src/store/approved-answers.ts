/**
 * Approved answers: staff answers the bot returns for closely matching questions. Every wording is a
 * version; a version is proposed by one account and approved by an admin who is not its author (checked
 * here and by a CHECK constraint). Each change bumps the `approved_answers` revision in the same
 * transaction, so running instances notice it with one cheap read and reload their matcher.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import { maskPersonalInfo } from '../privacy/pii.js';
import type { Citation } from '../types.js';
import type { Database } from './db.js';
import { approvedAnswerHits, approvedAnswerVersions, approvedAnswers, cacheRevisions, staffAccounts, type ApprovedAnswerState, type ApprovedVersionStatus } from './schema.js';

export const REVISION_NAME = 'approved_answers';

/** A version the bot may return: the current version of an active answer. */
export interface ActiveApproved {
  answerId: string;
  version: number;
  question: string;
  answer: string;
  citations: Citation[];
  approvedAt: Date;
}

export interface VersionView {
  answerId: string;
  version: number;
  status: ApprovedVersionStatus;
  question: string;
  answer: string;
  citations: Citation[];
  sourceConsultationId: string | null;
  authorId: string;
  author: string;
  approverId: string | null;
  approver: string | null;
  decidedAt: Date | null;
  createdAt: Date;
}

export interface AnswerSummary {
  id: string;
  state: ApprovedAnswerState;
  currentVersion: number | null;
  question: string;
  hitCount: number;
  lastHitAt: Date | null;
  updatedAt: Date;
  pendingVersions: number;
}

export interface NewVersion {
  /** Omitted for a new answer. */
  answerId?: string;
  question: string;
  answer: string;
  citations: Citation[];
  sourceConsultationId?: string | null;
  authorId: string;
}

export class ApprovalError extends Error {}

async function bumpRevision(tx: Database): Promise<void> {
  await tx
    .insert(cacheRevisions)
    .values({ name: REVISION_NAME, revision: 1 })
    .onConflictDoUpdate({ target: cacheRevisions.name, set: { revision: sql`${cacheRevisions.revision} + 1` } });
}

// Qualified by hand: drizzle writes the columns of a one-table select unqualified, which a subquery could misread.
const author = sql<string>`(select s.display_name from ${staffAccounts} s where s.id = ${sql.raw('"approved_answer_versions"."author_id"')})`;
const approver = sql<string | null>`(select s.display_name from ${staffAccounts} s where s.id = ${sql.raw('"approved_answer_versions"."approver_id"')})`;
const versionFields = {
  answerId: approvedAnswerVersions.answerId,
  version: approvedAnswerVersions.version,
  status: approvedAnswerVersions.status,
  question: approvedAnswerVersions.question,
  answer: approvedAnswerVersions.answer,
  citations: approvedAnswerVersions.citations,
  sourceConsultationId: approvedAnswerVersions.sourceConsultationId,
  authorId: approvedAnswerVersions.authorId,
  author,
  approverId: approvedAnswerVersions.approverId,
  approver,
  decidedAt: approvedAnswerVersions.decidedAt,
  createdAt: approvedAnswerVersions.createdAt,
};
const answerId = sql.raw('"approved_answers"."id"');
const currentVersion = sql.raw('"approved_answers"."current_version"');

export class ApprovedAnswerStore {
  constructor(private readonly db: Database) {}

  /** The revision instances compare against their cached copy (0 before the first change). */
  async revision(): Promise<number> {
    const [row] = await this.db.select({ revision: cacheRevisions.revision }).from(cacheRevisions).where(eq(cacheRevisions.name, REVISION_NAME));
    return row?.revision ?? 0;
  }

  /** What the bot may return now. */
  async active(): Promise<ActiveApproved[]> {
    return this.db
      .select({
        answerId: approvedAnswers.id,
        version: approvedAnswerVersions.version,
        question: approvedAnswerVersions.question,
        answer: approvedAnswerVersions.answer,
        citations: approvedAnswerVersions.citations,
        approvedAt: sql<Date>`coalesce(${approvedAnswerVersions.decidedAt}, ${approvedAnswerVersions.createdAt})`.mapWith((v: string | Date) => new Date(v)),
      })
      .from(approvedAnswers)
      .innerJoin(approvedAnswerVersions, and(eq(approvedAnswerVersions.answerId, approvedAnswers.id), eq(approvedAnswerVersions.version, approvedAnswers.currentVersion)))
      .where(eq(approvedAnswers.state, 'active'));
  }

  /** A new version awaiting an admin's approval; a new answer (state pending) when no `answerId` is given. */
  async propose(input: NewVersion): Promise<{ answerId: string; version: number }> {
    return this.db.transaction(async (tx) => {
      let answerId = input.answerId;
      if (!answerId) {
        const [created] = await tx.insert(approvedAnswers).values({}).returning({ id: approvedAnswers.id });
        answerId = created!.id;
      } else {
        // Row lock: two proposals for one answer get distinct version numbers.
        const [locked] = await tx.select({ id: approvedAnswers.id }).from(approvedAnswers).where(eq(approvedAnswers.id, answerId)).for('update');
        if (!locked) throw new ApprovalError('没有这条标准答复。');
      }
      const [last] = await tx
        .select({ version: sql<number>`coalesce(max(${approvedAnswerVersions.version}), 0)::int` })
        .from(approvedAnswerVersions)
        .where(eq(approvedAnswerVersions.answerId, answerId));
      const version = (last?.version ?? 0) + 1;
      await tx.insert(approvedAnswerVersions).values({
        answerId,
        version,
        question: maskPersonalInfo(input.question).text,
        answer: maskPersonalInfo(input.answer).text,
        citations: input.citations,
        sourceConsultationId: input.sourceConsultationId ?? null,
        authorId: input.authorId,
      });
      await tx.update(approvedAnswers).set({ updatedAt: sql`now()` }).where(eq(approvedAnswers.id, answerId));
      return { answerId, version };
    });
  }

  /** Approves a proposed version (four eyes: never by its author); it becomes the answer's current, active version. */
  async approve(answerId: string, version: number, approverId: string): Promise<void> {
    await this.decide(answerId, version, approverId, 'approved');
  }

  async reject(answerId: string, version: number, approverId: string): Promise<void> {
    await this.decide(answerId, version, approverId, 'rejected');
  }

  private async decide(answerId: string, version: number, approverId: string, status: 'approved' | 'rejected'): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ status: approvedAnswerVersions.status, authorId: approvedAnswerVersions.authorId })
        .from(approvedAnswerVersions)
        .where(and(eq(approvedAnswerVersions.answerId, answerId), eq(approvedAnswerVersions.version, version)))
        .for('update');
      if (!row) throw new ApprovalError('没有这个版本。');
      if (row.status !== 'proposed') throw new ApprovalError('这个版本已经处理过了。');
      if (row.authorId === approverId) throw new ApprovalError('不能审批自己撰写的答复，请由另一位管理员审批。');
      await tx
        .update(approvedAnswerVersions)
        .set({ status, approverId, decidedAt: sql`now()` })
        .where(and(eq(approvedAnswerVersions.answerId, answerId), eq(approvedAnswerVersions.version, version)));
      if (status === 'approved') {
        await tx.update(approvedAnswers).set({ state: 'active', currentVersion: version, updatedAt: sql`now()` }).where(eq(approvedAnswers.id, answerId));
        await bumpRevision(tx);
      }
    });
  }

  /** Retires (the bot stops returning it) or reactivates an answer that has an approved version. */
  async setState(answerId: string, state: 'active' | 'retired'): Promise<void> {
    await this.db.transaction(async (tx) => {
      const updated = await tx
        .update(approvedAnswers)
        .set({ state, updatedAt: sql`now()` })
        .where(and(eq(approvedAnswers.id, answerId), sql`${approvedAnswers.currentVersion} is not null`))
        .returning({ id: approvedAnswers.id });
      if (!updated.length) throw new ApprovalError('这条答复还没有已批准的版本。');
      await bumpRevision(tx);
    });
  }

  /** Counts one use of an answer and keeps it in the hit history (question masked). */
  async recordHit(answerId: string, version: number, question: string, similarity: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.insert(approvedAnswerHits).values({ answerId, version, question: maskPersonalInfo(question).text.slice(0, 500), similarity });
      await tx
        .update(approvedAnswers)
        .set({ hitCount: sql`${approvedAnswers.hitCount} + 1`, lastHitAt: sql`now()` })
        .where(eq(approvedAnswers.id, answerId));
    });
  }

  /** Deletes hit history older than the cutoff (it holds users' masked questions); the counts stay. */
  async purgeHitsBefore(cutoff: Date): Promise<number> {
    return (await this.db.delete(approvedAnswerHits).where(sql`${approvedAnswerHits.createdAt} < ${cutoff.toISOString()}::timestamptz`).returning({ id: approvedAnswerHits.id })).length;
  }

  async list(state?: ApprovedAnswerState): Promise<AnswerSummary[]> {
    const rows = await this.db
      .select({
        id: approvedAnswers.id,
        state: approvedAnswers.state,
        currentVersion: approvedAnswers.currentVersion,
        hitCount: approvedAnswers.hitCount,
        lastHitAt: approvedAnswers.lastHitAt,
        updatedAt: approvedAnswers.updatedAt,
        question: sql<string>`(select v.question from ${approvedAnswerVersions} v where v.answer_id = ${answerId} order by (v.version = ${currentVersion}) desc nulls last, v.version desc limit 1)`,
        pendingVersions: sql<number>`(select count(*) from ${approvedAnswerVersions} v where v.answer_id = ${answerId} and v.status = 'proposed')::int`,
      })
      .from(approvedAnswers)
      .where(state ? eq(approvedAnswers.state, state) : undefined)
      .orderBy(desc(approvedAnswers.updatedAt))
      .limit(1000);
    return rows;
  }

  async versions(answerId: string): Promise<VersionView[]> {
    return this.db
      .select(versionFields)
      .from(approvedAnswerVersions)
      .where(eq(approvedAnswerVersions.answerId, answerId))
      .orderBy(desc(approvedAnswerVersions.version));
  }

  /** Versions waiting for an admin, oldest first. */
  async proposed(): Promise<VersionView[]> {
    return this.db
      .select(versionFields)
      .from(approvedAnswerVersions)
      .where(eq(approvedAnswerVersions.status, 'proposed'))
      .orderBy(approvedAnswerVersions.createdAt);
  }

  async answer(answerId: string): Promise<(typeof approvedAnswers.$inferSelect) | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(answerId)) return undefined;
    const [row] = await this.db.select().from(approvedAnswers).where(eq(approvedAnswers.id, answerId));
    return row;
  }

  async hits(answerId: string, limit = 50) {
    return this.db
      .select({ version: approvedAnswerHits.version, question: approvedAnswerHits.question, similarity: approvedAnswerHits.similarity, createdAt: approvedAnswerHits.createdAt })
      .from(approvedAnswerHits)
      .where(eq(approvedAnswerHits.answerId, answerId))
      .orderBy(desc(approvedAnswerHits.createdAt))
      .limit(limit);
  }

  /** Every answer with its current (else newest) version, for the CSV export. */
  async exportAll() {
    const rows = await queryAll(this.db);
    return rows;
  }
}

async function queryAll(db: Database) {
  return db
    .select({
      id: approvedAnswers.id,
      state: approvedAnswers.state,
      hitCount: approvedAnswers.hitCount,
      version: approvedAnswerVersions.version,
      status: approvedAnswerVersions.status,
      question: approvedAnswerVersions.question,
      answer: approvedAnswerVersions.answer,
      citations: approvedAnswerVersions.citations,
      author,
      approver,
      decidedAt: approvedAnswerVersions.decidedAt,
    })
    .from(approvedAnswers)
    .innerJoin(approvedAnswerVersions, eq(approvedAnswerVersions.answerId, approvedAnswers.id))
    .where(
      sql`${approvedAnswerVersions.version} = coalesce(${approvedAnswers.currentVersion}, (select max(v.version) from ${approvedAnswerVersions} v where v.answer_id = ${answerId}))`,
    )
    .orderBy(approvedAnswers.createdAt);
}
