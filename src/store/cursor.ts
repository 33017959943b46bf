/**
 * Keyset cursors of the console's lists: `<timestamp>|<key>` in base64url, handed to the browser and sent
 * back. What comes back is checked in full before it reaches a query: a timestamp Postgres would refuse
 * (month 13, hour 25) used to fail the query, a 500 whose log carried the staff's filter; it is now the
 * sender's error, a 400 with a clear message.
 */
import { AppError } from '../errors.js';

const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d{1,6})?$/;

export class CursorError extends AppError {
  constructor() {
    super('input_invalid', '翻页参数不正确，请回到第一页重新查询。');
  }
}

/** A real UTC time as Postgres writes it (`2024-03-01 04:00:00.123456`). */
export function validCursorTime(at: string): boolean {
  const m = TIMESTAMP.exec(at);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
}

/** The time and key of a cursor the key of which `validKey` accepts; undefined for none; CursorError otherwise. */
export function decodeCursorParts(text: string | undefined, validKey: (key: string) => boolean): { at: string; key: string } | undefined {
  if (text === undefined || text === '') return undefined;
  const decoded = /^[A-Za-z0-9_-]{1,200}$/.test(text) ? Buffer.from(text, 'base64url').toString() : '';
  const [at = '', key = '', extra] = decoded.split('|');
  if (extra !== undefined || !validCursorTime(at) || !validKey(key)) throw new CursorError();
  return { at, key };
}

/**
 * One page of a console list shown newest first and paged both ways by keyset. Going on (`after` a cursor)
 * the query reads newest first; going back (`before` one) it reads oldest first from the cursor, so the rows
 * are turned round. Either way it reads one row more than a page to know whether more lie beyond.
 */
export function keysetPage<T>(rows: T[], limit: number, direction: { backwards: boolean; after: boolean }): { page: T[]; older: boolean; newer: boolean } {
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (direction.backwards) page.reverse();
  // Going back, the older rows are the ones the reader came from; going on, the newer ones.
  return {
    page,
    older: direction.backwards ? page.length > 0 : more,
    newer: direction.backwards ? more : direction.after,
  };
}
