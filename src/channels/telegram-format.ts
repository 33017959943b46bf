/**
 * Telegram HTML rendering of a reply. The 4096-character limit applies after entity parsing, so text is
 * measured and split as plain text first and escaped afterwards; tags are only ever added around whole,
 * already escaped pieces, never split.
 */
import { citationLine } from '../answer/validity.js';
import type { Citation } from '../types.js';
import { splitPlainText as splitText } from './plain-text.js';

/** sendMessage `text`: 1–4096 characters after entities parsing. */
export const MAX_MESSAGE_LENGTH = 4096;

/** Escapes the three characters HTML parse mode reserves; everything user- or document-written goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Splits at paragraph, line or sentence boundaries into pieces Telegram takes (see plain-text.ts). */
export const splitPlainText = (text: string, limit = MAX_MESSAGE_LENGTH): string[] => splitText(text, limit);

/** One message to send: its HTML form and the plain text it shows (the fallback when HTML is refused). */
export interface RenderedMessage {
  html: string;
  plain: string;
}

/** A unit of layout: how it shows (plain) and how it is written (HTML with escaped text). */
interface Block {
  plain: string;
  html: string;
}

const CITATIONS_HEADING = '依据';

/** Compact numbered citation lines: `1. 《title》 section（文号，issuer，date，level）`, guidance tagged. */
export function citationLines(citations: Citation[]): string[] {
  return citations.map((c, i) => citationLine(c, i));
}

/**
 * Renders answer text and citations into messages of at most `limit` characters (as Telegram counts them
 * after parsing). Blocks are packed greedily; a block longer than the limit is split as plain text.
 */
export function renderReply(text: string, citations: Citation[], limit = MAX_MESSAGE_LENGTH): RenderedMessage[] {
  const blocks: Block[] = [];
  const body = text.trim();
  for (const part of splitPlainText(body, limit).map((p) => p.trim())) if (part) blocks.push({ plain: part, html: escapeHtml(part) });
  if (citations.length) {
    const lines = citationLines(citations);
    blocks.push({ plain: `${CITATIONS_HEADING}\n${lines.join('\n')}`, html: `<b>${CITATIONS_HEADING}</b>\n${lines.map(escapeHtml).join('\n')}` });
    // A very long citation list still fits: fall back to one escaped block per split.
    const last = blocks[blocks.length - 1]!;
    if (last.plain.length > limit) {
      blocks.pop();
      for (const part of splitPlainText(last.plain, limit).map((p) => p.trim())) if (part) blocks.push({ plain: part, html: escapeHtml(part) });
    }
  }
  if (!blocks.length) blocks.push({ plain: '…', html: '…' });

  const messages: RenderedMessage[] = [];
  const separator = '\n\n';
  for (const block of blocks) {
    const current = messages[messages.length - 1];
    if (current && current.plain.length + separator.length + block.plain.length <= limit) {
      current.plain += separator + block.plain;
      current.html += separator + block.html;
    } else {
      messages.push({ plain: block.plain, html: block.html });
    }
  }
  return messages;
}

/** Whether a Bot API error says the HTML could not be parsed (then the plain text is sent instead). */
export function isParseError(description: string): boolean {
  return /can't parse entities|can't find end tag|unsupported start tag|unclosed start tag/i.test(description);
}
