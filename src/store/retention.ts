/** Retention periods as written on the command line and in configuration: `180d`, `36h`. */
import { AppError } from '../errors.js';

const UNIT_MS = { d: 24 * 60 * 60 * 1000, h: 60 * 60 * 1000 } as const;

/** Milliseconds in a period such as `180d` or `36h`; throws an input error for anything else. */
export function parseRetention(text: string): number {
  const match = /^\s*(\d+)\s*([dh])\s*$/i.exec(text);
  if (!match) throw new AppError('input_invalid', `Retention must look like 180d or 36h, got "${text}".`);
  const unit = match[2]!.toLowerCase() as keyof typeof UNIT_MS;
  return Number(match[1]) * UNIT_MS[unit];
}

/** The cutoff date for a retention period, counted back from `now`. */
export function cutoffFor(retention: string, now: Date = new Date()): Date {
  return new Date(now.getTime() - parseRetention(retention));
}
