/**
 * The interactive card a Feishu reply is posted as (card JSON 2.0): the answer, numbered citations
 * (document, 文号, article), a label saying how the answer was made, and 👍 / 👎 / 转人工 buttons whose
 * callbacks (`card.action.trigger`) carry the consultation id. User-derived text goes into `plain_text`
 * elements, never markdown, so an answer cannot inject links or formatting; personal numbers are masked.
 */
import { citationLine as sourceLine } from '../answer/validity.js';
import { maskPersonalInfo } from '../privacy/pii.js';
import type { Answer, Citation, InteractionAction, ReplyButton } from '../types.js';
import { parseAction } from './action-codec.js';
import { ANSWER_LABELS as LABELS } from './answer-labels.js';

export interface CardContent {
  text: string;
  citations: Citation[];
  answerer?: Answer['answerer'];
  /** Without it the card has no buttons (apologies, input errors). */
  consultationId?: string;
  /** Shown instead of the buttons once the user has used them. */
  status?: string;
}

/** Feishu accepts card bodies up to 30 KB; stay well below with room for citations and JSON escaping. */
const MAX_ANSWER_CHARS = 6_000;
const MAX_CITATIONS = 8;


const plain = (content: string) => ({ tag: 'plain_text', content });

export function masked(text: string): string {
  return maskPersonalInfo(text).text;
}

/**
 * Contact details meant for the user (an agency's phone or e-mail) in a form Feishu's content audit lets
 * through: it refuses bot messages with a phone number or an e-mail address (code 230028), so digits are
 * grouped ("138 0013 8000") and "@" is written out ("name [at] example.com"). Masking would lose them.
 */
export function legibleContacts(text: string): string {
  return text
    .replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, (email) => email.replace('@', ' [at] '))
    .replace(/(?<!\d)(\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)/g, (_m, prefix: string | undefined, a: string, b: string, c: string) => `${prefix ? '+86 ' : ''}${a} ${b} ${c}`);
}

/** One citation line: `1. 《标题》（文号，发文机关，日期，级别） 七、推动…`, guidance tagged. */
export function citationLine(citation: Citation, index: number): string {
  return sourceLine(citation, index, false);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}……` : text;
}

function button(label: string, value: InteractionAction, type: 'default' | 'primary_filled' = 'default') {
  return { tag: 'button', text: plain(label), type, width: 'default', behaviors: [{ type: 'callback', value }] };
}

function buttonRow(buttons: { label: string; value: InteractionAction; primary?: boolean }[]) {
  const columns = buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [button(b.label, b.value, b.primary ? 'primary_filled' : 'default')] }));
  return { tag: 'column_set', flex_mode: 'flow', horizontal_spacing: '8px', columns };
}

/** The card JSON for a reply (pass to `JSON.stringify` as the message content). */
export function buildAnswerCard(content: CardContent): Record<string, unknown> {
  const label = content.answerer ? LABELS[content.answerer] : undefined;
  const answer = masked(truncate(content.text, MAX_ANSWER_CHARS));
  const elements: unknown[] = [{ tag: 'div', text: plain(answer) }];
  if (content.citations.length) {
    const lines = content.citations.slice(0, MAX_CITATIONS).map((c, i) => masked(citationLine(c, i)));
    elements.push({ tag: 'hr' }, { tag: 'markdown', content: '**依据**' }, { tag: 'div', text: plain(lines.join('\n')) });
  }
  if (label) elements.push({ tag: 'div', text: { ...plain(label.note), text_size: 'notation', text_color: 'grey' } });
  const id = content.consultationId;
  if (id && content.status) {
    elements.push({ tag: 'div', text: { ...plain(content.status), text_size: 'notation' } });
  } else if (id) {
    elements.push(
      buttonRow([
        { label: '👍 有帮助', value: { type: 'feedback', consultationId: id, rating: 1 } },
        { label: '👎 没帮助', value: { type: 'feedback', consultationId: id, rating: -1 } },
        { label: '转人工', value: { type: 'refer', consultationId: id }, primary: true },
      ]),
    );
  }
  return {
    schema: '2.0',
    // Shared card: a later PATCH (the status line after a button) updates it for everyone in the chat.
    config: { update_multi: true, summary: { content: truncate(answer, 60) } },
    header: {
      title: plain('知识产权政策咨询'),
      template: 'blue',
      ...(label?.tag ? { text_tag_list: [{ tag: 'text_tag', text: plain(label.tag), color: content.answerer === 'llm' ? 'orange' : 'neutral' }] } : {}),
    },
    body: { elements },
  };
}

/**
 * A notice (case messages, command replies) as a card: the text and the notice's own buttons. Text meant
 * to carry contact details keeps them legible; any other personal number is masked.
 */
export function buildNoticeCard(text: string, buttons: ReplyButton[][] = [], contacts = false): Record<string, unknown> {
  const body = truncate(contacts ? legibleContacts(text) : masked(text), MAX_ANSWER_CHARS);
  const elements: unknown[] = [{ tag: 'div', text: plain(body) }];
  for (const row of buttons) elements.push(buttonRow(row.map((b) => ({ label: b.label, value: b.action, primary: b.primary }))));
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: truncate(body, 60) } },
    header: { title: plain('知识产权政策咨询'), template: 'blue' },
    body: { elements },
  };
}

/**
 * Reads a button value from a callback: an action object, or the `{action, consultation}` of cards sent
 * before actions were objects. Undefined when it is not one of ours.
 */
export function parseButtonValue(value: unknown): InteractionAction | undefined {
  const v = value as { action?: unknown; consultation?: unknown } | null | undefined;
  if (v && typeof v === 'object' && typeof v.consultation === 'string' && typeof v.action === 'string') {
    if (v.action === 'up' || v.action === 'down') return parseAction({ type: 'feedback', consultationId: v.consultation, rating: v.action === 'up' ? 1 : -1 });
    if (v.action === 'human') return parseAction({ type: 'refer', consultationId: v.consultation });
    return undefined;
  }
  return parseAction(value);
}
