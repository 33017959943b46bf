/**
 * The request path as the logs show it: without the query string, percent-decoded so that personal data
 * typed into a path (`/console/cases/13912345678`) is recognised and masked, and cut short. Logs hold
 * method and path only (see buildApp), so this is where request input reaches them.
 */
import { loggableText } from '../privacy/log-text.js';

export function loggedPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Malformed percent-encoding: mask what is there as it is.
  }
  return loggableText(decoded);
}

/**
 * A client's request id kept for correlation only when a log line may carry it as it is: one holding a
 * phone or ID-card number is replaced, not logged masked.
 */
export function loggableRequestId(given: string): boolean {
  return loggableText(given) === given;
}
