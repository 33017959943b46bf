/**
 * The request path as the logs show it: without the query string, percent-decoded so that personal data
 * typed into a path (`/console/cases/13912345678`) is recognised and masked, and cut to a length a log line
 * can carry. Logs hold method and path only (see buildApp), so this is the one place input reaches them.
 */
import { maskPersonalInfo } from '../privacy/pii.js';

const MAX_LOGGED_PATH = 300;

export function loggedPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Malformed percent-encoding: mask what is there as it is.
  }
  const short = decoded.length > MAX_LOGGED_PATH ? `${decoded.slice(0, MAX_LOGGED_PATH)}…(${decoded.length} chars)` : decoded;
  // Long digit runs next to other digits escape the masker's word boundaries; no route needs them in a log.
  return maskPersonalInfo(short).text.replace(/\d{11,}/g, '[数字]');
}

/**
 * A client's request id kept for correlation only when it cannot carry personal data: ids are short
 * tokens, and a phone or ID-card number in their place is replaced, not logged.
 */
export function loggableRequestId(given: string): boolean {
  return !/\d{11,}/.test(given) && maskPersonalInfo(given).found.length === 0;
}
