/**
 * Aggregates for the console's analytics over a range of days in the deployment's time zone (TIME_ZONE;
 * rollups made before a change of zone keep the days of the zone they were made in). Days that have
 * ended are read from daily rollups (console_daily_stats), computed once by the first request that needs
 * them (instances race harmlessly: ON CONFLICT DO NOTHING); the current day is counted live. Feedback and
 * the questions behind knowledge gaps are always read live: feedback arrives after the day it rates.
 * Latency percentiles come from buckets (10 ms below 1 s, 100 ms below 10 s, then 1 s), so they are
 * exact to a bucket.
 */
import { sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { queryRows, type Database } from './db.js';
import { consoleDailyStats, consoleRollupDays, consultations, feedback } from './schema.js';

export interface Range {
  /** First day, YYYY-MM-DD in `timeZone`, inclusive. */
  fromDay: string;
  /** Last day, inclusive. */
  toDay: string;
  /** IANA zone the days are counted in; Asia/Shanghai when absent. */
  timeZone?: string;
}

export interface Analytics {
  total: number;
  perDay: { day: string; channel: string; n: number }[];
  outcomes: { outcome: string; n: number }[];
  answerers: { answerer: string; n: number }[];
  topics: { topic: string; n: number }[];
  cited: { documentId: string; article: string; n: number }[];
  feedback: { up: number; down: number; rated: number };
  latency: { p50: number; p95: number };
  /** Days read from rollups, and days counted live. */
  days: { rolledUp: number; live: number };
}

type Kind = 'channel' | 'outcome' | 'answerer' | 'topic' | 'cited' | 'latency';
type Count = {
  day: string;
  kind: Kind;
  key: string;
  n: number;
};

const DAY_MS = 86_400_000;
const DEFAULT_ZONE = 'Asia/Shanghai';

/** Today, YYYY-MM-DD, in the zone. */
export function todayIn(zone = DEFAULT_ZONE, now = new Date()): string {
  return DateTime.fromJSDate(now, { zone }).toISODate()!;
}

/** Every day from `from` to `to` inclusive, YYYY-MM-DD. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** The instant a day starts in the zone, as text with its offset (a day of a clock change has its own offset). */
function startOf(day: string, zone: string): string {
  return DateTime.fromISO(day, { zone }).startOf('day').toISO()!;
}

/** The instant the day after `day` starts. */
function endOf(day: string, zone: string): string {
  return DateTime.fromISO(day, { zone }).startOf('day').plus({ days: 1 }).toISO()!;
}

const dayOfZone = (zone: string) => sql`(${consultations.createdAt} at time zone ${zone}::text)::date`;
const latencyBucket = sql`(case when ${consultations.latencyMs} < 1000 then ${consultations.latencyMs} / 10 * 10 when ${consultations.latencyMs} < 10000 then ${consultations.latencyMs} / 100 * 100 else ${consultations.latencyMs} / 1000 * 1000 end)::text`;

/** Every count of every kind for consultations created in [from, to) (timestamps as text with offset). */
function countsSql(from: string, to: string, zone: string): SQL {
  const dayOf = dayOfZone(zone);
  const where = sql`${consultations.createdAt} >= ${from}::timestamptz and ${consultations.createdAt} < ${to}::timestamptz`;
  return sql`
    select ${dayOf}::text as day, 'channel' as kind, ${consultations.channel} as key, count(*)::int as n from ${consultations} where ${where} group by 1, 3
    union all select ${dayOf}::text, 'outcome', ${consultations.outcome}, count(*)::int from ${consultations} where ${where} group by 1, 3
    union all select ${dayOf}::text, 'answerer', ${consultations.answerer}, count(*)::int from ${consultations} where ${where} group by 1, 3
    union all select ${dayOf}::text, 'latency', ${latencyBucket}, count(*)::int from ${consultations} where ${where} group by 1, 3
    union all select ${dayOf}::text, 'topic', t, count(*)::int from ${consultations}, unnest(${consultations.topics}) as t where ${where} group by 1, 3
    union all select ${dayOf}::text, 'cited', (c->>'documentId') || '#' || (c->>'article'), count(*)::int from ${consultations}, jsonb_array_elements(${consultations.citations}) as c where ${where} group by 1, 3`;
}

/** Rolls up the ended days of the list that have no rollup yet. */
async function ensureRollups(db: Database, days: string[], zone: string): Promise<void> {
  if (!days.length) return;
  const done = new Set(
    (await queryRows<{ day: string }>(db, sql`select day::text as day from ${consoleRollupDays} where day between ${days[0]}::date and ${days.at(-1)}::date`)).map((r) => r.day),
  );
  const missing = days.filter((d) => !done.has(d));
  if (!missing.length) return;
  const from = startOf(missing[0]!, zone);
  const to = endOf(missing.at(-1)!, zone);
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into ${consoleDailyStats} (day, kind, key, n)
      select day::date, kind, key, n from (${countsSql(from, to, zone)}) as counts where day = any(${`{${missing.join(',')}}`}::text[])
      on conflict do nothing`);
    await tx.execute(sql`insert into ${consoleRollupDays} (day) select unnest(${`{${missing.join(',')}}`}::date[]) on conflict do nothing`);
  });
}

function percentileOf(buckets: Map<number, number>, p: number): number {
  const total = [...buckets.values()].reduce((a, b) => a + b, 0);
  if (!total) return 0;
  let seen = 0;
  for (const [lower, n] of [...buckets].sort((a, b) => a[0] - b[0])) {
    seen += n;
    if (seen >= p * total) return lower;
  }
  return 0;
}

export async function analytics(db: Database, range: Range, today = todayIn(range.timeZone)): Promise<Analytics> {
  const zone = range.timeZone ?? DEFAULT_ZONE;
  const all = daysBetween(range.fromDay, range.toDay);
  const ended = all.filter((d) => d < today);
  const live = all.filter((d) => d >= today);
  await ensureRollups(db, ended, zone);
  const fromTs = startOf(range.fromDay, zone);
  const toTs = endOf(range.toDay, zone);
  const [rolled, current, fb] = await Promise.all([
    ended.length
      ? queryRows<Count>(db, sql`select day::text as day, kind, key, n from ${consoleDailyStats} where day between ${ended[0]}::date and ${ended.at(-1)}::date`)
      : Promise.resolve([]),
    live.length ? queryRows<Count>(db, countsSql(startOf(live[0]!, zone), toTs, zone)) : Promise.resolve([]),
    queryRows<{ up: number; down: number; rated: number }>(
      db,
      sql`select count(*) filter (where f.rating = 1)::int as up, count(*) filter (where f.rating = -1)::int as down, count(distinct f.consultation_id)::int as rated
          from ${feedback} f join ${consultations} on ${consultations.id} = f.consultation_id
          where ${consultations.createdAt} >= ${fromTs}::timestamptz and ${consultations.createdAt} < ${toTs}::timestamptz`,
    ),
  ]);
  const totals = new Map<string, number>();
  const perDay: Analytics['perDay'] = [];
  const latency = new Map<number, number>();
  for (const c of [...rolled, ...current]) {
    const n = Number(c.n);
    if (c.kind === 'channel') perDay.push({ day: c.day, channel: c.key, n });
    if (c.kind === 'latency') latency.set(Number(c.key), (latency.get(Number(c.key)) ?? 0) + n);
    else totals.set(`${c.kind}\u0000${c.key}`, (totals.get(`${c.kind}\u0000${c.key}`) ?? 0) + n);
  }
  const of = (kind: Kind) =>
    [...totals]
      .filter(([k]) => k.startsWith(`${kind}\u0000`))
      .map(([k, n]) => ({ key: k.slice(kind.length + 1), n }))
      .sort((a, b) => b.n - a.n);
  const outcomes = of('outcome').map((o) => ({ outcome: o.key, n: o.n }));
  return {
    total: outcomes.reduce((sum, o) => sum + o.n, 0),
    perDay: perDay.sort((a, b) => a.day.localeCompare(b.day) || a.channel.localeCompare(b.channel)),
    outcomes,
    answerers: of('answerer').map((a) => ({ answerer: a.key, n: a.n })),
    topics: of('topic').map((t) => ({ topic: t.key, n: t.n })),
    cited: of('cited').map((c) => {
      const at = c.key.lastIndexOf('#');
      return { documentId: c.key.slice(0, at), article: c.key.slice(at + 1), n: c.n };
    }),
    feedback: fb[0] ?? { up: 0, down: 0, rated: 0 },
    latency: { p50: percentileOf(latency, 0.5), p95: percentileOf(latency, 0.95) },
    days: { rolledUp: ended.length, live: live.length },
  };
}

/** Questions the documents did not answer well (not covered, or answered with low confidence), newest first. */
export async function gapQuestions(db: Database, range: Range, lowConfidence: number, limit: number): Promise<{ question: string; outcome: string }[]> {
  const zone = range.timeZone ?? DEFAULT_ZONE;
  const fromTs = startOf(range.fromDay, zone);
  const toTs = endOf(range.toDay, zone);
  return queryRows(
    db,
    sql`select ${consultations.question} as question, ${consultations.outcome} as outcome from ${consultations}
        where ${consultations.createdAt} >= ${fromTs}::timestamptz and ${consultations.createdAt} < ${toTs}::timestamptz
          and (${consultations.outcome} = 'not_covered' or (${consultations.outcome} = 'answered' and ${consultations.answerer} <> 'reviewed' and ${consultations.confidence} < ${lowConfidence}))
        order by ${consultations.createdAt} desc limit ${limit}`,
  );
}
