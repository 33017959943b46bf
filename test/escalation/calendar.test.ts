/** Working-time arithmetic for SLAs: working hours, weekends, public holidays, adjusted working days. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addWorkingTime, ALWAYS, loadCalendar, parseCalendar, parseSla } from '../../src/escalation/calendar.js';
import { ROOT } from '../helpers.js';

/** A wall-clock time in Asia/Shanghai (UTC+8, no daylight saving). */
const shanghai = (iso: string) => new Date(`${iso}+08:00`);
const NINE_TO_FIVE = { timezone: 'Asia/Shanghai', hours: '09:00-17:00', workweek: ['mon', 'tue', 'wed', 'thu', 'fri'] };

describe('working-time calendar', () => {
  it('a case opened Friday 16:30 with a 1-working-hour SLA is due Monday 09:30', () => {
    const calendar = parseCalendar(NINE_TO_FIVE);
    // 2026-12-04 is a Friday.
    expect(addWorkingTime(calendar, shanghai('2026-12-04T16:30:00'), parseSla('1h', calendar))).toEqual(shanghai('2026-12-07T09:30:00'));
  });

  it('a public holiday on that Monday moves it to Tuesday 09:30', () => {
    const calendar = parseCalendar({ ...NINE_TO_FIVE, holidays: ['2026-12-07'] });
    expect(addWorkingTime(calendar, shanghai('2026-12-04T16:30:00'), 3_600_000)).toEqual(shanghai('2026-12-08T09:30:00'));
  });

  it('counts an adjusted working Saturday (调休) and skips the lunch break', () => {
    const calendar = parseCalendar({ ...NINE_TO_FIVE, hours: '09:00-12:00, 13:30-17:30', workdays: ['2026-12-05'] });
    expect(addWorkingTime(calendar, shanghai('2026-12-04T17:00:00'), 3_600_000)).toEqual(shanghai('2026-12-05T09:30:00'));
    expect(addWorkingTime(calendar, shanghai('2026-12-07T11:30:00'), 3_600_000)).toEqual(shanghai('2026-12-07T14:00:00'));
    // Before opening hours the clock starts at opening time.
    expect(addWorkingTime(calendar, shanghai('2026-12-07T06:00:00'), 30 * 60_000)).toEqual(shanghai('2026-12-07T09:30:00'));
  });

  it('reads 30s, 45m, 4h and 2d (working days of the calendar); 24x7 counts every second', () => {
    const calendar = parseCalendar(NINE_TO_FIVE);
    expect([parseSla('30s', calendar), parseSla('45m', calendar), parseSla('4h', calendar), parseSla('2d', calendar)]).toEqual([30_000, 2_700_000, 14_400_000, 16 * 3_600_000]);
    expect(addWorkingTime(calendar, shanghai('2026-12-04T16:00:00'), parseSla('1d', calendar))).toEqual(shanghai('2026-12-07T16:00:00'));
    expect(parseSla('1d', ALWAYS)).toBe(86_400_000);
    expect(addWorkingTime(ALWAYS, shanghai('2026-12-05T23:59:50'), 30_000)).toEqual(shanghai('2026-12-06T00:00:20'));
    expect(() => parseSla('soon', calendar)).toThrow(/30s, 45m, 4h or 2d/);
  });

  it('ships a calendar with the 2026 State Council holidays and adjusted working days', () => {
    const calendar = loadCalendar(path.join(ROOT, 'knowledge/calendar.yaml'));
    expect(calendar.zone).toBe('Asia/Shanghai');
    // Spring Festival 2026: 2-15 … 2-23 off, Saturday 2-14 and 2-28 worked.
    expect(addWorkingTime(calendar, shanghai('2026-02-13T17:00:00'), 60 * 60_000)).toEqual(shanghai('2026-02-14T09:30:00'));
    expect(addWorkingTime(calendar, shanghai('2026-02-14T17:00:00'), 60 * 60_000)).toEqual(shanghai('2026-02-24T09:30:00'));
  });

  it('refuses a calendar it cannot use, saying what is wrong', () => {
    expect(() => parseCalendar({ hours: '17:00-09:00' })).toThrow(/hours: expected HH:MM-HH:MM/);
    expect(() => parseCalendar({ timezone: 'Mars/Olympus' })).toThrow(/unknown zone/);
    expect(() => parseCalendar({ holidays: ['soon'] })).toThrow(/holidays/);
    expect(() => loadCalendar('/nonexistent/calendar.yaml')).toThrow(/calendar\.yaml/);
  });
});
