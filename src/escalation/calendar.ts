/**
 * Working time for case SLAs (CASE_CALENDAR): a time zone, working hours per weekday, public holidays and
 * the weekend days worked instead (调休). `addWorkingTime` walks the calendar forward; `24x7` counts every
 * minute. Written here rather than taken from a library: the business-hours packages on npm know neither
 * adjusted working days nor several intervals a day, and this is one loop over luxon's zone-aware days.
 */
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod/v4';

/** Working intervals of one day in minutes after midnight, [start, end). */
type Intervals = [number, number][];

export interface WorkCalendar {
  /** `24x7`, or the file it was read from. */
  name: string;
  zone: string;
  /** ISO weekday (1 = Monday … 7 = Sunday) → intervals; a day without intervals is free. */
  week: Record<number, Intervals>;
  /** Intervals of an adjusted working day (a weekend day worked): a normal weekday's. */
  workdayHours: Intervals;
  holidays: Set<string>;
  workdays: Set<string>;
  /** Length of one working day in ms: what `1d` in an SLA means. */
  dayMs: number;
}

/** Every hour counts; times shown to users and agencies are still Beijing time, where the service and its users are. */
export const ALWAYS: WorkCalendar = {
  name: '24x7',
  zone: 'Asia/Shanghai',
  week: Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [d, [[0, 1440]] as Intervals])),
  workdayHours: [[0, 1440]],
  holidays: new Set(),
  workdays: new Set(),
  dayMs: 24 * 3600_000,
};

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const HOURS = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;
const isoDate = z.union([z.string(), z.date()]).transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v.trim())).pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'));
const hours = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : v.split(',').map((s) => s.trim())));

const fileSchema = z.object({
  timezone: z.string().default('Asia/Shanghai'),
  /** Hours of a working day, e.g. "09:00-12:00, 13:30-17:30". */
  hours: hours.default(['09:00-17:00']),
  workweek: z.array(z.enum(WEEKDAYS)).default(['mon', 'tue', 'wed', 'thu', 'fri']),
  holidays: z.array(isoDate).default([]),
  /** Weekend days that are working days (调休上班). */
  workdays: z.array(isoDate).default([]),
});

/** Reads CASE_CALENDAR: `24x7` or a YAML file. Throws one readable message on a bad file. */
export function loadCalendar(spec: string): WorkCalendar {
  if (spec === '24x7') return ALWAYS;
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(spec, 'utf8'));
  } catch (error) {
    throw new Error(`${spec}: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseCalendar(raw, spec);
}

export function parseCalendar(raw: unknown, name = 'calendar'): WorkCalendar {
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new Error(`${name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const c = parsed.data;
  if (!DateTime.local().setZone(c.timezone).isValid) throw new Error(`${name}: timezone: unknown zone ${c.timezone}`);
  const intervals: Intervals = c.hours.map((h) => {
    const m = HOURS.exec(h);
    const start = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    const end = m ? Number(m[3]) * 60 + Number(m[4]) : NaN;
    if (!(start >= 0 && end <= 1440 && start < end)) throw new Error(`${name}: hours: expected HH:MM-HH:MM, got "${h}"`);
    return [start, end];
  });
  intervals.sort((a, b) => a[0] - b[0]);
  const dayMinutes = intervals.reduce((sum, [s, e]) => sum + e - s, 0);
  if (!c.workweek.length) throw new Error(`${name}: workweek: at least one working day is needed`);
  const week: Record<number, Intervals> = {};
  WEEKDAYS.forEach((day, i) => (week[i + 1] = c.workweek.includes(day) ? intervals : []));
  return { name, zone: c.timezone, week, workdayHours: intervals, holidays: new Set(c.holidays), workdays: new Set(c.workdays), dayMs: dayMinutes * 60_000 };
}

/** Working intervals of the calendar day that `day` (midnight, in the calendar's zone) starts. */
function intervalsOf(calendar: WorkCalendar, day: DateTime): Intervals {
  const date = day.toISODate()!;
  if (calendar.holidays.has(date)) return [];
  if (calendar.workdays.has(date)) return calendar.workdayHours;
  return calendar.week[day.weekday] ?? [];
}

/** The instant `ms` of working time after `start`. */
export function addWorkingTime(calendar: WorkCalendar, start: Date, ms: number): Date {
  if (calendar === ALWAYS || calendar.name === '24x7') return new Date(start.getTime() + ms);
  let remaining = ms;
  let cursor = DateTime.fromJSDate(start, { zone: calendar.zone });
  // Ten years of days bounds the walk even for a calendar that is all holidays.
  for (let i = 0; i < 3660; i++) {
    const day = cursor.startOf('day');
    for (const [s, e] of intervalsOf(calendar, day)) {
      const from = DateTime.max(cursor, day.plus({ minutes: s }));
      const to = day.plus({ minutes: e });
      if (from >= to) continue;
      const available = to.toMillis() - from.toMillis();
      if (remaining <= available) return new Date(from.toMillis() + remaining);
      remaining -= available;
    }
    cursor = day.plus({ days: 1 });
  }
  throw new Error(`calendar ${calendar.name} has no working time in the next ten years`);
}

/** Holidays listed for `year`: a calendar without any for the current year probably needs its yearly update. */
export function holidaysIn(calendar: WorkCalendar, year: number): number {
  return [...calendar.holidays].filter((d) => d.startsWith(`${year}-`)).length;
}

/**
 * An SLA such as `30s`, `45m`, `4h` or `2d` in ms of working time; `d` is one working day of the calendar
 * (8 h for 09:00–17:00, 24 h on `24x7`).
 */
export function parseSla(text: string, calendar: WorkCalendar): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$/i.exec(text);
  if (!m) throw new Error(`expected a duration such as 30s, 45m, 4h or 2d, got "${text}"`);
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  return Math.round(n * (unit === 's' ? 1000 : unit === 'm' ? 60_000 : unit === 'h' ? 3600_000 : calendar.dayMs));
}
