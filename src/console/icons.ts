/**
 * Icons drawn as inline SVG (no emoji: a PC without an emoji font shows those as empty boxes), always next
 * to words that say the same, so the icon is decoration (aria-hidden) and never the only carrier of meaning.
 */
import { FEEDBACK_LABELS } from './format.js';
import { html, raw, type Html } from './html.js';

/** A thumb (Material Design "thumb_up", Apache-2.0), turned over for "down"; drawn in the text colour. */
const THUMB = 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z';

export function thumb(direction: 'up' | 'down'): Html {
  const turn = direction === 'down' ? ' transform="rotate(180 12 12)"' : '';
  return raw(`<svg class="icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false"><path fill="currentColor"${turn} d="${THUMB}"/></svg>`);
}

/** One kind of feedback with its count, e.g. "好评 3" with a thumb; nothing when there is none and `hideZero`. */
export function feedbackCount(direction: 'up' | 'down', n: number, hideZero = false): Html | string {
  if (hideZero && !n) return '';
  return html`<span class="fb fb-${direction}" title="${FEEDBACK_LABELS[direction]} ${n} 条">${thumb(direction)}${FEEDBACK_LABELS[direction]} ${n}</span>`;
}
