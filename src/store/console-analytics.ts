/**
 * Aggregates for the console's analytics over a date range, each one statement over the consultation
 * log (range scans of consultations_created_at_idx): per day and channel, outcomes, topics, articles
 * cited, feedback, approved-answer use, and the questions the documents did not answer well.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from './db.js';
import { consultations, feedback } from './schema.js';

export interface Range {
  from: Date;
  to: Date;
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
}

const inRange = (r: Range) => sql`${consultations.createdAt} >= ${r.from} and ${consultations.createdAt} < ${r.to}`;

export async function analytics(db: Database, range: Range): Promise<Analytics> {
  const where = inRange(range);
  const [perDay, outcomes, answerers, topics, cited, fb, latency] = await Promise.all([
    queryRows<{ day: string; channel: string; n: number }>(
      db,
      sql`select to_char(${consultations.createdAt} at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as day, ${consultations.channel} as channel, count(*)::int as n
          from ${consultations} where ${where} group by 1, 2 order by 1, 2`,
    ),
    queryRows<{ outcome: string; n: number }>(db, sql`select ${consultations.outcome} as outcome, count(*)::int as n from ${consultations} where ${where} group by 1 order by 2 desc`),
    queryRows<{ answerer: string; n: number }>(db, sql`select ${consultations.answerer} as answerer, count(*)::int as n from ${consultations} where ${where} group by 1 order by 2 desc`),
    queryRows<{ topic: string; n: number }>(db, sql`select t as topic, count(*)::int as n from ${consultations}, unnest(${consultations.topics}) as t where ${where} group by 1 order by 2 desc`),
    queryRows<{ documentId: string; article: string; n: number }>(
      db,
      sql`select c->>'documentId' as "documentId", c->>'article' as article, count(*)::int as n
          from ${consultations}, jsonb_array_elements(${consultations.citations}) as c where ${where} group by 1, 2 order by 3 desc`,
    ),
    queryRows<{ up: number; down: number; rated: number }>(
      db,
      sql`select count(*) filter (where f.rating = 1)::int as up, count(*) filter (where f.rating = -1)::int as down, count(distinct f.consultation_id)::int as rated
          from ${feedback} f join ${consultations} on ${consultations.id} = f.consultation_id where ${where}`,
    ),
    queryRows<{ p50: number | null; p95: number | null }>(
      db,
      sql`select percentile_cont(0.5) within group (order by ${consultations.latencyMs}) as p50, percentile_cont(0.95) within group (order by ${consultations.latencyMs}) as p95 from ${consultations} where ${where}`,
    ),
  ]);
  return {
    total: outcomes.reduce((sum, o) => sum + Number(o.n), 0),
    perDay,
    outcomes,
    answerers,
    topics,
    cited,
    feedback: fb[0] ?? { up: 0, down: 0, rated: 0 },
    latency: { p50: Math.round(Number(latency[0]?.p50 ?? 0)), p95: Math.round(Number(latency[0]?.p95 ?? 0)) },
  };
}

/** Questions the documents did not answer well (not covered, or answered with low confidence), newest first. */
export async function gapQuestions(db: Database, range: Range, lowConfidence: number, limit: number): Promise<{ question: string; outcome: string }[]> {
  return queryRows(
    db,
    sql`select ${consultations.question} as question, ${consultations.outcome} as outcome from ${consultations}
        where ${inRange(range)} and (${consultations.outcome} = 'not_covered' or (${consultations.outcome} = 'answered' and ${consultations.answerer} <> 'reviewed' and ${consultations.confidence} < ${lowConfidence}))
        order by ${consultations.createdAt} desc limit ${limit}`,
  );
}
