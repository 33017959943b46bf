/**
 * The console's reads of the case workflow (tables of src/store/schema.ts, written only by
 * src/escalation/case-service.ts): counts by state, the filtered list with keyset paging (newest first, by
 * `(created_at, id)`), the staff queue, one case with its history, the export walk, and per-agency
 * response times from the append-only case_events.
 *
 * An agency's scope: the cases it received, that is, for which the user gave consent naming it. Of those it
 * sees the shared data only while the case is with it (requested, accepted, answered) or after it closed it
 * (completed); a case it declined, let pass its SLA, or that the user withdrew stays in its list with dates
 * and its own steps only, since the consent that covered it ended (src/console/pages/cases.ts).
 */
import { and, asc, desc, eq, gte, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { agencyMaySee, agencyMaySeeSql, WITH_AGENCY } from '../cases/core.js';
import { queryRows, type Database } from './db.js';
import { agencies, caseConsents, caseEvents, caseMessages, cases, caseTimers, CASE_STATUSES, staffAccounts, type CaseStatus } from './schema.js';
import { decodeCursorParts, keysetPage } from './cursor.js';

export interface CaseFilter {
  status?: CaseStatus;
  agencyId?: string;
  /** Created at or after (inclusive). */
  from?: Date;
  /** Created before (exclusive). */
  to?: Date;
  /** Only cases whose open SLA timer is past due, or that breached one before. */
  breached?: boolean;
  /** Only the cases this agency received (an agency account's scope). */
  receivedBy?: string;
  /** With `receivedBy`: only those it holds now or closed (true), or only those it no longer holds (false). */
  held?: boolean;
}

export interface CaseCursor {
  at: string;
  id: string;
}

/** A case as a row of the board: no shared data but the start of the (masked) question. */
export interface CaseListRow {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  status: CaseStatus;
  reason: string;
  field: string | null;
  service: string | null;
  district: string | null;
  agencyId: string | null;
  agencyName: string | null;
  triedAgencies: string[];
  question: string | null;
  /** The SLA timer running now, if any. */
  due: { kind: 'accept' | 'answer'; at: Date } | null;
  /** SLA breaches in the case's history (each moved it to the next agency). */
  breaches: number;
  rating: number | null;
  resolved: boolean | null;
  consultationId: string | null;
  /** In an agency's scope: its last step on the case (accepted, declined, sla_breached …). */
  agencyStep: string | null;
  /** In an agency's scope: when the case reached it (the user's consent naming it), not when the case began. */
  reachedAt: Date | null;
}

export const CASE_PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isCaseId(id: string): boolean {
  return UUID.test(id);
}

export function encodeCaseCursor(cursor: CaseCursor): string {
  return Buffer.from(`${cursor.at}|${cursor.id}`).toString('base64url');
}

export function decodeCaseCursor(text: string | undefined): CaseCursor | undefined {
  const parts = decodeCursorParts(text, (id) => UUID.test(id));
  return parts && { at: parts.at, id: parts.key };
}

/** `"cases"."id"` written out, for correlated subqueries (drizzle leaves columns of a one-table select unqualified). */
const caseId = sql.raw('"cases"."id"');

const openTimer = sql<{ kind: 'accept' | 'answer'; at: string } | null>`(select json_build_object('kind', t.kind, 'at', t.due_at) from ${caseTimers} t
  where t.case_id = ${caseId} and t.fired_at is null and t.cancelled_at is null order by t.due_at limit 1)`;
const breachCount = sql<number>`(select count(*) from ${caseEvents} e where e.case_id = ${caseId} and e.type = 'sla_breached')::int`;
const overdue = sql`exists (select 1 from ${caseTimers} t where t.case_id = ${caseId} and t.fired_at is null and t.cancelled_at is null and t.due_at < now())`;

/** The cases an agency received: consent was given naming it. */
export function receivedBy(agencyId: string): SQL {
  return sql`exists (select 1 from ${caseConsents} cc where cc.case_id = ${caseId} and cc.agency_id = ${agencyId} and cc.decision = 'given')`;
}

/** The agency holds the case now or closed it: the SQL side of `heldBy`. */
function holding(agencyId: string): SQL {
  return agencyMaySeeSql({ agencyId: cases.agencyId, status: cases.status }, agencyId);
}

function caseWhere(filter: CaseFilter): SQL | undefined {
  return and(
    filter.status && eq(cases.status, filter.status),
    filter.agencyId ? eq(cases.agencyId, filter.agencyId) : undefined,
    filter.from && gte(cases.createdAt, filter.from),
    filter.to && lt(cases.createdAt, filter.to),
    filter.breached ? sql`(${overdue} or exists (select 1 from ${caseEvents} e where e.case_id = ${caseId} and e.type = 'sla_breached'))` : undefined,
    filter.receivedBy ? receivedBy(filter.receivedBy) : undefined,
    filter.receivedBy && filter.held !== undefined ? (filter.held ? holding(filter.receivedBy) : sql`not ${holding(filter.receivedBy)}`) : undefined,
  );
}

const cursorAt = sql<string>`(${cases.createdAt} at time zone 'UTC')::text`;

function afterCursor(cursor: CaseCursor | undefined): SQL | undefined {
  return cursor ? sql`(${cases.createdAt}, ${cases.id}) < ((${cursor.at}::timestamp at time zone 'UTC'), ${cursor.id}::uuid)` : undefined;
}

function beforeCursor(cursor: CaseCursor | undefined): SQL | undefined {
  return cursor ? sql`(${cases.createdAt}, ${cases.id}) > ((${cursor.at}::timestamp at time zone 'UTC'), ${cursor.id}::uuid)` : undefined;
}

/** The board's columns; in an agency's scope the question only of cases it holds, and its own last step. */
function listColumns(scope?: string) {
  return {
    id: cases.id,
    createdAt: cases.createdAt,
    updatedAt: cases.updatedAt,
    status: cases.status,
    reason: cases.reason,
    field: cases.field,
    service: cases.service,
    district: cases.district,
    agencyId: cases.agencyId,
    agencyName: sql<string | null>`(select a.name from ${agencies} a where a.id = ${cases.agencyId})`,
    triedAgencies: cases.triedAgencies,
    question: scope ? sql<string | null>`case when ${holding(scope)} then left(${cases.question}, 120) end` : sql<string | null>`left(${cases.question}, 120)`,
    due: openTimer,
    breaches: breachCount,
    rating: cases.rating,
    resolved: cases.resolved,
    consultationId: cases.consultationId,
    agencyStep: scope
      ? sql<string | null>`(select e.type from ${caseEvents} e where e.case_id = ${caseId} and e.agency_id = ${scope} and e.type in ('accepted', 'declined', 'answered', 'completed', 'sla_breached', 'withdrawn') order by e.id desc limit 1)`
      : sql<string | null>`null`,
    reachedAt: scope ? sql<string | null>`(select max(e.created_at) from ${caseEvents} e where e.case_id = ${caseId} and e.agency_id = ${scope} and e.type = 'consent_given')` : sql<string | null>`null`,
    at: cursorAt,
  };
}

type RawListRow = Omit<CaseListRow, 'due' | 'reachedAt'> & { due: { kind: 'accept' | 'answer'; at: string } | string | null; reachedAt: string | Date | null; at: string };

function toListRow({ at: _at, due, reachedAt, ...row }: RawListRow): CaseListRow {
  const timer = typeof due === 'string' ? (JSON.parse(due) as { kind: 'accept' | 'answer'; at: string }) : due;
  return { ...row, due: timer ? { kind: timer.kind, at: new Date(timer.at) } : null, reachedAt: reachedAt ? new Date(reachedAt) : null };
}

/**
 * The user gave a contact for the case (in a consent, or typed in the chat), whether or not it is still
 * held: a deleted contact reads "已删除", not "未提供". With `agencyId`, given for that agency.
 */
function contactGivenSql(agencyId?: string): SQL {
  const forAgency = agencyId ? sql` and cc.agency_id = ${agencyId}` : sql``;
  return sql`(exists (select 1 from ${caseConsents} cc where cc.case_id = ${caseId} and cc.decision = 'given' and 'contact' = any(cc.data)${forAgency})
    or exists (select 1 from ${caseEvents} e where e.case_id = ${caseId} and e.type = 'contact_given'${agencyId ? sql` and e.agency_id = ${agencyId}` : sql``}))`;
}

/**
 * One page of cases, newest first: the first, the one after (older than) `after`, or the one before
 * (newer than) `before`, read oldest first from the cursor and turned round.
 */
export async function listCases(
  db: Database,
  filter: CaseFilter,
  options: { after?: CaseCursor; before?: CaseCursor; limit?: number } = {},
): Promise<{ rows: CaseListRow[]; next?: CaseCursor; previous?: CaseCursor }> {
  const limit = Math.min(200, Math.max(1, options.limit ?? CASE_PAGE_SIZE));
  const backwards = !options.after && Boolean(options.before);
  const rows = (await db
    .select(listColumns(filter.receivedBy))
    .from(cases)
    .where(and(caseWhere(filter), backwards ? beforeCursor(options.before) : afterCursor(options.after)))
    .orderBy(...(backwards ? [cases.createdAt, cases.id] : [desc(cases.createdAt), desc(cases.id)]))
    .limit(limit + 1)) as RawListRow[];
  const { page, older, newer } = keysetPage(rows, limit, { backwards, after: Boolean(options.after) });
  const first = page[0];
  const last = page.at(-1);
  return {
    rows: page.map(toListRow),
    next: older && last ? { at: last.at, id: last.id } : undefined,
    previous: newer && first ? { at: first.at, id: first.id } : undefined,
  };
}

/** Cases per state (within the filter's scope), and how many have an SLA timer past due now. */
export async function caseCounts(db: Database, scope: Pick<CaseFilter, 'receivedBy' | 'held'> = {}): Promise<{ byStatus: Record<CaseStatus, number>; overdue: number }> {
  const where = caseWhere(scope);
  const rows = await db
    .select({ status: cases.status, n: sql<number>`count(*)::int`, overdue: sql<number>`count(*) filter (where ${overdue})::int` })
    .from(cases)
    .where(where)
    .groupBy(cases.status);
  const byStatus = Object.fromEntries(CASE_STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>;
  let late = 0;
  for (const r of rows) {
    byStatus[r.status] = Number(r.n);
    late += Number(r.overdue);
  }
  return { byStatus, overdue: late };
}

/** The staff queue: cases no agency took, longest waiting first. */
export async function staffQueue(db: Database, limit = 100): Promise<CaseListRow[]> {
  const rows = (await db.select(listColumns()).from(cases).where(eq(cases.status, 'staff_queue')).orderBy(asc(cases.updatedAt)).limit(limit)) as RawListRow[];
  return rows.map(toListRow);
}

export type CaseRecord = typeof cases.$inferSelect;

export interface CaseDetail {
  case: CaseRecord;
  agencyName: string | null;
  events: (typeof caseEvents.$inferSelect)[];
  consents: Omit<typeof caseConsents.$inferSelect, 'noticeText'>[];
  timers: (typeof caseTimers.$inferSelect)[];
  messages: (typeof caseMessages.$inferSelect)[];
}

/** One case with its whole history (for staff: the page leaves the contact out). */
export async function caseDetail(db: Database, id: string): Promise<CaseDetail | undefined> {
  if (!UUID.test(id)) return undefined;
  const [row] = await db.select().from(cases).where(eq(cases.id, id));
  if (!row) return undefined;
  const [events, consents, timers, messages, named] = await Promise.all([
    db.select().from(caseEvents).where(eq(caseEvents.caseId, id)).orderBy(asc(caseEvents.id)),
    db
      .select({
        id: caseConsents.id,
        caseId: caseConsents.caseId,
        agencyId: caseConsents.agencyId,
        noticeVersion: caseConsents.noticeVersion,
        noticeHash: caseConsents.noticeHash,
        data: caseConsents.data,
        decision: caseConsents.decision,
        decidedVia: caseConsents.decidedVia,
        decidedAt: caseConsents.decidedAt,
        withdrawnAt: caseConsents.withdrawnAt,
        endedBy: caseConsents.endedBy,
        createdAt: caseConsents.createdAt,
      })
      .from(caseConsents)
      .where(eq(caseConsents.caseId, id))
      .orderBy(asc(caseConsents.id)),
    db.select().from(caseTimers).where(eq(caseTimers.caseId, id)).orderBy(asc(caseTimers.id)),
    db.select().from(caseMessages).where(eq(caseMessages.caseId, id)).orderBy(asc(caseMessages.id)),
    row.agencyId ? db.select({ name: agencies.name }).from(agencies).where(eq(agencies.id, row.agencyId)) : Promise.resolve([]),
  ]);
  return { case: row, agencyName: named[0]?.name ?? null, events, consents, timers, messages };
}

/** What an agency may see of a case it no longer holds: when it got it and its own steps, nothing shared. */
export async function pastCaseOf(db: Database, id: string, agencyId: string): Promise<{ case: Pick<CaseRecord, 'id' | 'createdAt' | 'field' | 'service' | 'district'>; events: { type: string; createdAt: Date }[] } | undefined> {
  if (!UUID.test(id)) return undefined;
  const [row] = await db
    .select({ id: cases.id, createdAt: cases.createdAt, field: cases.field, service: cases.service, district: cases.district })
    .from(cases)
    .where(and(eq(cases.id, id), receivedBy(agencyId)));
  if (!row) return undefined;
  const events = await db
    .select({ type: caseEvents.type, createdAt: caseEvents.createdAt })
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, id), eq(caseEvents.agencyId, agencyId), inArray(caseEvents.type, AGENCY_STEPS)))
    .orderBy(asc(caseEvents.id));
  return { case: row, events };
}

/** The events an agency took part in (what it may still see of a case it no longer holds). */
const AGENCY_STEPS = ['consent_given', 'accepted', 'declined', 'answered', 'completed', 'sla_breached', 'withdrawn'];

/** Where a case stands and with whom (undefined for an id that is no case). */
export async function caseHolder(db: Database, id: string): Promise<Pick<CaseRecord, 'agencyId' | 'status'> | undefined> {
  if (!UUID.test(id)) return undefined;
  const [row] = await db.select({ agencyId: cases.agencyId, status: cases.status }).from(cases).where(eq(cases.id, id));
  return row;
}

/** Whether the agency holds the case now or closed it: then it sees the data the user shared with it. */
export function heldBy(c: Pick<CaseRecord, 'agencyId' | 'status'>, agencyId: string): boolean {
  return agencyMaySee(c, agencyId);
}

/** One row of the case export: the board's columns with times and the rating, never the contact. */
export interface CaseExportRow extends CaseListRow {
  closedAt: Date | null;
  ratingComment: string | null;
  requestedAt: Date | null;
  acceptedAt: Date | null;
  answeredAt: Date | null;
  /** A contact was given for the case (in a consent, or typed in the chat). */
  hadContact: boolean;
  /** It is still held (encrypted): false once the case ended or moved on. */
  holdsContact: boolean;
}

export const CASE_EXPORT_PAGE = 500;

/** Every case matching the filter, newest first, read `CASE_EXPORT_PAGE` at a time. */
export async function* exportCases(db: Database, filter: CaseFilter, maxRows: number): AsyncGenerator<CaseExportRow> {
  const where = caseWhere(filter);
  const firstEvent = (type: string) => sql<string | null>`(select min(e.created_at) from ${caseEvents} e where e.case_id = ${caseId} and e.type = ${type})`;
  let after: CaseCursor | undefined;
  let sent = 0;
  while (sent < maxRows) {
    const rows = (await db
      .select({
        ...listColumns(),
        question: cases.question,
        closedAt: cases.closedAt,
        ratingComment: cases.ratingComment,
        requestedAt: firstEvent('consent_given'),
        acceptedAt: firstEvent('accepted'),
        answeredAt: firstEvent('answered'),
        hadContact: sql<boolean>`${contactGivenSql()}`,
        holdsContact: sql<boolean>`${cases.contactCipher} is not null`,
      })
      .from(cases)
      .where(and(where, afterCursor(after)))
      .orderBy(desc(cases.createdAt), desc(cases.id))
      .limit(Math.min(CASE_EXPORT_PAGE, maxRows - sent))) as (RawListRow & { closedAt: Date | null; ratingComment: string | null; requestedAt: string | Date | null; acceptedAt: string | Date | null; answeredAt: string | Date | null; hadContact: boolean; holdsContact: boolean })[];
    const date = (v: string | Date | null) => (v ? new Date(v) : null);
    for (const r of rows) {
      yield { ...toListRow(r), closedAt: r.closedAt, ratingComment: r.ratingComment, requestedAt: date(r.requestedAt), acceptedAt: date(r.acceptedAt), answeredAt: date(r.answeredAt), hadContact: Boolean(r.hadContact), holdsContact: Boolean(r.holdsContact) };
    }
    sent += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < CASE_EXPORT_PAGE) return;
    after = { at: last.at, id: last.id };
  }
}

/** How one agency worked the cases it received in a range of time. Durations in milliseconds. */
export interface AgencyPerformance {
  agencyId: string;
  name: string;
  /** Cases it received (consent given naming it). */
  requested: number;
  accepted: number;
  declined: number;
  /** Requests it let pass the time to accept. */
  acceptBreached: number;
  /** accepted / (accepted + declined + acceptBreached); null before any decision. */
  acceptanceRate: number | null;
  /** requested → accepted. */
  acceptMs: { median: number | null; p90: number | null };
  /** accepted → first answer (or close without one). */
  answerMs: { median: number | null; p90: number | null };
  /** SLA timers met (the agency acted before the due time) and missed, accept and answer together. */
  sla: { met: number; missed: number };
  ratings: { count: number; average: number | null };
  /** Cases it holds now. */
  open: number;
}

interface PerformanceRow extends Record<string, unknown> {
  agency_id: string;
  name: string;
  requested: number;
  accepted: number;
  declined: number;
  accept_breached: number;
  accept_median: number | null;
  accept_p90: number | null;
  answer_median: number | null;
  answer_p90: number | null;
  sla_met: number;
  sla_missed: number;
}

/**
 * Per agency over requests made in [from, to): each request (a `consent_given` event) is followed to the
 * agency's first step after it (accepted, declined, SLA breach, or the user withdrawing), and each
 * acceptance to the first answer or close. Acting (accept or decline; answer or close) by the due time meets
 * the SLA; acting later, a breach, or no step while the timer is already due misses it; a withdrawal by the
 * user, or a decline after accepting, counts neither way.
 */
export async function agencyPerformance(db: Database, range: { from: Date; to: Date }): Promise<AgencyPerformance[]> {
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const [rows, ratings, open] = await Promise.all([
    queryRows<PerformanceRow>(
      db,
      sql`with requests as (
            select e.id, e.case_id, e.agency_id, e.created_at as at,
              (select t.due_at from ${caseTimers} t where t.case_id = e.case_id and t.agency_id = e.agency_id and t.kind = 'accept' and t.created_at >= e.created_at order by t.id limit 1) as due,
              step.type as step, step.id as step_id, step.created_at as step_at
            from ${caseEvents} e
            left join lateral (
              select x.id, x.type, x.created_at from ${caseEvents} x
              where x.case_id = e.case_id and x.id > e.id and x.agency_id = e.agency_id and x.type in ('accepted', 'declined', 'sla_breached', 'withdrawn')
              order by x.id limit 1
            ) step on true
            where e.type = 'consent_given' and e.agency_id is not null and e.created_at >= ${from}::timestamptz and e.created_at < ${to}::timestamptz
          ),
          answers as materialized (
            select r.agency_id, r.step_at as at,
              (select t.due_at from ${caseTimers} t where t.case_id = r.case_id and t.agency_id = r.agency_id and t.kind = 'answer' and t.created_at >= r.step_at order by t.id limit 1) as due,
              step.type as step, step.created_at as step_at
            from requests r
            left join lateral (
              select x.type, x.created_at from ${caseEvents} x
              where x.case_id = r.case_id and x.id > r.step_id and x.agency_id = r.agency_id and x.type in ('answered', 'completed', 'declined', 'sla_breached', 'withdrawn')
              order by x.id limit 1
            ) step on true
            where r.step = 'accepted'
          ),
          per_request as (
            select agency_id,
              count(*) as requested,
              count(*) filter (where step = 'accepted') as accepted,
              count(*) filter (where step = 'declined') as declined,
              count(*) filter (where step = 'sla_breached') as accept_breached,
              percentile_cont(0.5) within group (order by extract(epoch from step_at - at) * 1000) filter (where step = 'accepted') as median,
              percentile_cont(0.9) within group (order by extract(epoch from step_at - at) * 1000) filter (where step = 'accepted') as p90,
              count(*) filter (where step in ('accepted', 'declined') and (due is null or step_at <= due)) as met,
              count(*) filter (where step = 'sla_breached' or (step in ('accepted', 'declined') and step_at > due) or (step is null and due < now())) as missed
            from requests group by agency_id
          ),
          per_answer as (
            select agency_id,
              percentile_cont(0.5) within group (order by extract(epoch from step_at - at) * 1000) filter (where step in ('answered', 'completed')) as median,
              percentile_cont(0.9) within group (order by extract(epoch from step_at - at) * 1000) filter (where step in ('answered', 'completed')) as p90,
              count(*) filter (where step in ('answered', 'completed') and (due is null or step_at <= due)) as met,
              count(*) filter (where step = 'sla_breached' or (step in ('answered', 'completed') and step_at > due) or (step is null and due < now())) as missed
            from answers group by agency_id
          )
          select a.id as agency_id, a.name,
            coalesce(r.requested, 0)::int as requested,
            coalesce(r.accepted, 0)::int as accepted,
            coalesce(r.declined, 0)::int as declined,
            coalesce(r.accept_breached, 0)::int as accept_breached,
            r.median::float8 as accept_median,
            r.p90::float8 as accept_p90,
            w.median::float8 as answer_median,
            w.p90::float8 as answer_p90,
            (coalesce(r.met, 0) + coalesce(w.met, 0))::int as sla_met,
            (coalesce(r.missed, 0) + coalesce(w.missed, 0))::int as sla_missed
          from ${agencies} a
          left join per_request r on r.agency_id = a.id
          left join per_answer w on w.agency_id = a.id
          where a.active or r.agency_id is not null
          order by a.name`,
    ),
    db
      .select({ agencyId: cases.agencyId, count: sql<number>`count(*)::int`, average: sql<number | null>`avg(${cases.rating})::float8` })
      .from(cases)
      .where(and(eq(cases.status, 'completed'), sql`${cases.rating} is not null`, gte(cases.closedAt, range.from), lt(cases.closedAt, range.to)))
      .groupBy(cases.agencyId),
    db.select({ agencyId: cases.agencyId, n: sql<number>`count(*)::int` }).from(cases).where(inArray(cases.status, [...WITH_AGENCY])).groupBy(cases.agencyId),
  ]);
  const ratingOf = new Map(ratings.map((r) => [r.agencyId, r]));
  const openOf = new Map(open.map((r) => [r.agencyId, Number(r.n)]));
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => {
    const decided = Number(r.accepted) + Number(r.declined) + Number(r.accept_breached);
    const rating = ratingOf.get(r.agency_id);
    return {
      agencyId: r.agency_id,
      name: r.name,
      requested: Number(r.requested),
      accepted: Number(r.accepted),
      declined: Number(r.declined),
      acceptBreached: Number(r.accept_breached),
      acceptanceRate: decided ? Number(r.accepted) / decided : null,
      acceptMs: { median: num(r.accept_median), p90: num(r.accept_p90) },
      answerMs: { median: num(r.answer_median), p90: num(r.answer_p90) },
      sla: { met: Number(r.sla_met), missed: Number(r.sla_missed) },
      ratings: { count: Number(rating?.count ?? 0), average: num(rating?.average) },
      open: openOf.get(r.agency_id) ?? 0,
    };
  });
}

/** Display names of the console accounts that appear as `staff:<id>` actors. */
export async function accountNames(db: Database, ids: string[]): Promise<Map<string, string>> {
  const valid = [...new Set(ids)].filter((id) => UUID.test(id));
  if (!valid.length) return new Map();
  const rows = await db.select({ id: staffAccounts.id, username: staffAccounts.username }).from(staffAccounts).where(inArray(staffAccounts.id, valid));
  return new Map(rows.map((r) => [r.id, r.username]));
}

/** Around a case an agency holds: its running SLA timer, its own steps, its answers, whether a contact was given. */
export async function agencyCaseExtras(db: Database, id: string, agencyId: string) {
  const [timers, steps, answers, contact] = await Promise.all([
    db
      .select({ kind: caseTimers.kind, at: caseTimers.dueAt })
      .from(caseTimers)
      .where(and(eq(caseTimers.caseId, id), eq(caseTimers.agencyId, agencyId), isNull(caseTimers.firedAt), isNull(caseTimers.cancelledAt)))
      .orderBy(asc(caseTimers.dueAt))
      .limit(1),
    db
      .select({ type: caseEvents.type, createdAt: caseEvents.createdAt })
      .from(caseEvents)
      .where(and(eq(caseEvents.caseId, id), eq(caseEvents.agencyId, agencyId), inArray(caseEvents.type, AGENCY_STEPS)))
      .orderBy(asc(caseEvents.id)),
    // Its answers: agency messages since the user's consent naming it.
    db
      .select({ text: caseMessages.text, createdAt: caseMessages.createdAt })
      .from(caseMessages)
      .where(
        and(
          eq(caseMessages.caseId, id),
          eq(caseMessages.from, 'agency'),
          sql`${caseMessages.createdAt} >= (select max(e.created_at) from ${caseEvents} e where e.case_id = ${id} and e.agency_id = ${agencyId} and e.type = 'consent_given')`,
        ),
      )
      .orderBy(asc(caseMessages.id)),
    db.select({ given: sql<boolean>`${contactGivenSql(agencyId)}` }).from(cases).where(eq(cases.id, id)),
  ]);
  return { due: timers[0] ?? null, steps, answers, contactGiven: Boolean(contact[0]?.given) };
}
