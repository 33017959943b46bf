/**
 * WeChat rendering of a reply, within what 微信客服 allows: text messages of at most 2 048 bytes, menus
 * (`msgmenu`) whose clicks come back as messages, and at most `budget` messages in all (WeCom lets the
 * service send 5 per customer message; notices and answers share them). When the reply does not fit, the
 * answer text is cut, never the citations or the menu that ends it: saying less beats losing the last part.
 *
 * An answer: its text, then its sources as short numbered lines (no link: the service has no public base
 * URL setting, so the web chat's article pages cannot be linked from outside), then a menu with 👍/👎 and
 * 转人工 whose tail is the note on who wrote the answer (the AI label). A notice: its text, its buttons as
 * a menu (the text becomes the menu's head when it is short enough).
 */
import { citationLine } from '../../answer/validity.js';
import type { InteractionAction, OutgoingReply } from '../../types.js';
import { packAction } from '../action-codec.js';
import { ANSWER_LABELS } from '../answer-labels.js';
import { splitPlainText } from '../plain-text.js';
import type { KfOutgoing, MenuItem } from './api.js';

/** text.content: at most 2 048 bytes. UTF-8 takes at most 3 bytes per UTF-16 unit, so 682 units always fit. */
export const MAX_TEXT_UNITS = Math.floor(2048 / 3);
/** msgmenu head_content and tail_content: at most 1 024 bytes each. */
export const MAX_MENU_TEXT_UNITS = Math.floor(1024 / 3);
/** msgmenu list: at most 10 items; click.content at most 128 bytes, click.id at most 64 (packAction keeps to that). */
const MAX_MENU_ITEMS = 10;
const MAX_LABEL_UNITS = Math.floor(128 / 3);
/** Messages WeCom lets the service send per customer message. */
export const MESSAGES_PER_CUSTOMER_MESSAGE = 5;

const CUT = '……（内容较长，余下部分从略。如需完整内容，请继续提问或转人工。）';
const SOURCES_HEADING = '依据';
const FEEDBACK_HEAD = '这个回答对您有帮助吗？';
const CHOOSE_HEAD = '请选择：';
const MAX_CITATIONS = 8;

export function renderForWechat(reply: OutgoingReply, budget: number): KfOutgoing[] {
  if (budget < 1) return [];
  const answer = Boolean(reply.consultationId || reply.outcome);
  const menu = answer ? answerMenu(reply) : noticeMenu(reply);
  const note = answer && reply.answerer ? ANSWER_LABELS[reply.answerer].note : undefined;
  // Without a menu to carry it, the note on who wrote the answer follows the text.
  const body = [reply.text.trim() || '…', menu ? '' : (note ?? '')].filter(Boolean).join('\n\n');
  const sources = answer && reply.citations.length ? sourcesBlock(reply) : undefined;

  // A short notice with buttons is one menu message: its text as the head.
  if (menu && !sources && body.length <= MAX_MENU_TEXT_UNITS && !menu.head_content) {
    return [{ msgtype: 'msgmenu', msgmenu: { ...menu, head_content: body } }];
  }
  const closing: KfOutgoing[] = menu ? [{ msgtype: 'msgmenu', msgmenu: { head_content: menu.head_content ?? CHOOSE_HEAD, list: menu.list, ...(menu.tail_content ? { tail_content: menu.tail_content } : {}) } }] : [];
  const forText = budget - closing.length;
  if (forText < 1) {
    // One message left and a menu to send: the menu carries as much of the text as its head holds.
    const head = cutTo(body, MAX_MENU_TEXT_UNITS);
    return [{ msgtype: 'msgmenu', msgmenu: { ...(closing[0] as Extract<KfOutgoing, { msgtype: 'msgmenu' }>).msgmenu, head_content: head } }];
  }
  return [...packText(body, sources, forText).map(text), ...closing];
}

function text(content: string): KfOutgoing {
  return { msgtype: 'text', text: { content } };
}

/** The answer and its sources in at most `count` messages; the sources stay whole, the answer is cut first. */
function packText(body: string, sources: string | undefined, count: number): string[] {
  const pieces = splitPlainText(body, MAX_TEXT_UNITS).map((p) => p.trim()).filter(Boolean);
  const messages: string[] = [];
  for (const piece of pieces) appendBlock(messages, piece);
  if (sources) appendBlock(messages, sources);
  if (messages.length <= count) return messages;
  // Too many: keep the sources in the last message and cut the answer to what fits before them.
  const tail = sources ? [sources] : [];
  const room = count - tail.length;
  if (room < 1) {
    // One message for both: as much of the answer as fits before the sources.
    const left = MAX_TEXT_UNITS - tail[0]!.length - CUT.length - 2;
    return [left > 20 ? `${cutTo(body, left)}${CUT}\n\n${tail[0]}` : tail[0]!];
  }
  const kept: string[] = [];
  for (const piece of pieces) appendBlock(kept, piece);
  const cut = kept.slice(0, room);
  cut[room - 1] = cutTo(cut[room - 1]!, MAX_TEXT_UNITS - CUT.length) + CUT;
  return [...cut, ...tail];
}

/** Appends a block to the last message when both fit in one, else as a new message. */
function appendBlock(messages: string[], block: string): void {
  const last = messages[messages.length - 1];
  if (last !== undefined && last.length + 2 + block.length <= MAX_TEXT_UNITS) messages[messages.length - 1] = `${last}\n\n${block}`;
  else messages.push(block);
}

function cutTo(text: string, units: number): string {
  if (text.length <= units) return text;
  let end = units - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // keep a surrogate pair together
  return `${text.slice(0, end)}…`;
}

function sourcesBlock(reply: OutgoingReply): string {
  const lines = reply.citations.slice(0, MAX_CITATIONS).map((c, i) => citationLine(c, i));
  return cutTo(`${SOURCES_HEADING}\n${lines.join('\n')}`, MAX_TEXT_UNITS);
}

type Menu = { head_content?: string; list: MenuItem[]; tail_content?: string };

function answerMenu(reply: OutgoingReply): Menu | undefined {
  const note = reply.answerer ? ANSWER_LABELS[reply.answerer].note : undefined;
  const id = reply.consultationId;
  if (!id) return undefined;
  const items = [
    item('👍 有帮助', { type: 'feedback', consultationId: id, rating: 1 }),
    item('👎 没帮助', { type: 'feedback', consultationId: id, rating: -1 }),
    item('转人工', { type: 'refer', consultationId: id }),
  ].filter((i): i is MenuItem => i !== undefined);
  return { head_content: FEEDBACK_HEAD, list: items, ...(note ? { tail_content: note } : {}) };
}

function noticeMenu(reply: OutgoingReply): Menu | undefined {
  const items = (reply.buttons ?? [])
    .flat()
    .map((b) => item(b.label, b.action))
    .filter((i): i is MenuItem => i !== undefined)
    .slice(0, MAX_MENU_ITEMS);
  return items.length ? { list: items } : undefined;
}

function item(label: string, action: InteractionAction): MenuItem | undefined {
  const id = packAction(action);
  return id ? { type: 'click', click: { id, content: cutTo(label, MAX_LABEL_UNITS) } } : undefined;
}
