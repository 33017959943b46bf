/**
 * The conversation a consultation belongs to, on the consultation's page: every turn in order (question,
 * answer, time, outcome), the one shown highlighted, each linked to its own page (keeping the list URL the
 * reader came from), and links to the whole list filtered to this conversation or to this user.
 */
import type { Turns } from '../../store/console-queries.js';
import type { Consultation } from '../../types.js';
import { CHANNELS, OUTCOMES, time } from '../format.js';
import { html, type Html } from '../html.js';
import { consultationHref, filterQuery } from './consultation-filter.js';

/** Answers longer than this are cut in the turn list; the turn's own page has all of it. */
const ANSWER_SHOWN = 140;

/** The answer on one line (its paragraphs run together), cut at `max` characters. */
function cut(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function conversationSection(c: Pick<Consultation, 'id' | 'conversationId' | 'channel' | 'userId'>, around: Turns, back: string): Html {
  const { turns, first, later } = around;
  const userLink = c.channel in CHANNELS ? `/console/consultations${filterQuery({ channel: c.channel, user: c.userId })}` : undefined;
  return html`<section class="card conversation" id="conversation">
    <h2>整段会话（${first > 1 || later ? `第 ${first}–${first + turns.length - 1} 轮，前后还有更多` : `${turns.length} 轮`}）</h2>
    <p class="links">
      <a href="/console/consultations${filterQuery({ conversation: c.conversationId })}">此会话全部记录</a>
      ${userLink ? html` · <a href="${userLink}">此用户全部记录</a>` : ''}
    </p>
    <ol class="turns">${turns.map((t, i) => {
      const current = t.id === c.id;
      return html`<li class="turn${current ? ' current' : ''}"${current ? html` aria-current="true"` : ''}>
        <div class="turn-head">
          ${current ? html`<strong>第 ${first + i} 轮（当前）</strong>` : html`<a href="${consultationHref(t.id, back)}">第 ${first + i} 轮</a>`}
          <span class="muted">${time(t.createdAt)}</span>
          <span class="outcome ${t.outcome}">${OUTCOMES[t.outcome]}</span>
        </div>
        <p class="turn-q"><span class="who">问</span>${t.question}</p>
        <p class="turn-a"><span class="who">答</span>${cut(t.answer, ANSWER_SHOWN)}</p>
      </li>`;
    })}</ol>
  </section>`;
}
