/**
 * Text from outside (a request path, an event type the Lark SDK complains about) as a log line may carry
 * it: personal data masked, long digit runs (which escape the masker's word boundaries when glued to other
 * digits) replaced, and cut to a length a log line can hold.
 */
import { maskPersonalInfo } from './pii.js';

export function loggableText(text: string, maxChars = 300): string {
  const short = text.length > maxChars ? `${text.slice(0, maxChars)}…(${text.length} chars)` : text;
  return maskPersonalInfo(short).text.replace(/\d{11,}/g, '[数字]');
}
