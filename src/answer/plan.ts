/**
 * Deciding what the passages can answer: which of the question's slots they state, which they leave
 * out, and whether anything relevant remains when what was asked is not stated.
 *
 * - Every slot stated (or only a general ask): `answer`.
 * - Some slots stated, some not: `answer`, with a line saying what is missing.
 * - Nothing asked is stated, but the passages speak to the question's topic: `not_stated` — the reply
 *   says what is missing, quotes what the documents do say and offers the referral (outcome not_covered).
 * - Nothing asked is stated and nothing relevant remains: `not_covered`.
 *
 * A slot counts as stated only in a sentence that is about the question's topic: a date in the article
 * on seeds does not answer when a training course starts.
 */
import { coverage, type TermGroup } from '../knowledge/query.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import { searchableText } from '../knowledge/knowledge-base.js';
import type { Passage } from '../types.js';
import { selectPassages } from './extractive.js';
import { askedSlots, isAskingWord, sentencesOf, statesSlot, type Slot } from './slots.js';

/** Share of the topic's known words a passage must cover to be quoted when the asked-for part is missing, */
const RELEVANT_TOPIC_COVERAGE = 0.5;
/** …and the known words must be at least this share of the topic (a question about 年费 is not about 专利). */
const KNOWN_TOPIC_SHARE = 0.4;
/** Share of the topic's known words a sentence must cover for what it states to count (a subsidy: for the topic). */
const SENTENCE_TOPIC_COVERAGE = 0.2;
const SUBSIDY_TOPIC_COVERAGE = 0.34;
/** The issuing block states its facts line by line; it counts as one when it is what the question is about. */
const HEADER_TOPIC_COVERAGE = 0.3;
/** Words this rare in the documents (IDF) name what a question is about. */
const OBJECT_WEIGHT = 2;

export interface AnswerPlan {
  verdict: 'answer' | 'not_stated' | 'not_covered';
  slots: Slot[];
  missing: Slot[];
  /** The passages to quote, one that states what was asked first. */
  chosen: Passage[];
  /** The question's rare words: what a subsidy would be for, named in the missing line. */
  objects: string[];
}

/**
 * `asked` is the question whose slots count; `context` is the earlier question a follow-up continues
 * (a follow-up without an ask of its own, "那仲裁呢？", keeps the earlier one's).
 */
export function planAnswer(kb: KnowledgeBase, asked: string, passages: Passage[], previous?: string): AnswerPlan {
  const context = previous === asked ? undefined : previous;
  const own = askedSlots(asked);
  const slots = context && own.every((s) => s.kind === 'general') ? [...askedSlots(context).filter((s) => s.kind !== 'general'), ...own] : own;
  const topic = kb.analyze(context ? `${asked} ${context}` : asked).groups.filter((g) => !isAskingWord(g.word));
  const objects = topic.filter((g) => g.weight >= OBJECT_WEIGHT).sort((a, b) => b.weight - a.weight).map((g) => g.word);
  // Words no document uses (保费, 咋整, 假货) cannot be covered by any passage: coverage counts the rest.
  const known = topic.filter((g) => g.synonyms.length || kb.mentions(g.word) || g.parts.some((part) => part.length > 1 && kb.mentions(part)));
  const covers = (text: string) => (known.length ? coverage(known, text) : 0);

  const states = (slot: Slot, p: Passage): boolean => {
    if (slot.kind === 'who' || slot.kind === 'general') return statesSlot(slot, p.chunk.text, p.chunk.departments);
    if (p.chunk.article === 'header') return statesSlot(slot, p.chunk.text, []) && covers(searchableText(p.chunk)) >= HEADER_TOPIC_COVERAGE;
    // A subsidy must be for what the question names, words no document uses included (保费).
    if (slot.kind === 'subsidy') return sentencesOf(p.chunk.text).some((s) => statesSlot(slot, s, []) && coverage(topic, s) >= SUBSIDY_TOPIC_COVERAGE);
    return sentencesOf(p.chunk.text).some((s) => statesSlot(slot, s, []) && covers(s) >= SENTENCE_TOPIC_COVERAGE);
  };
  let chosen = selectPassages(passages);
  // Of the passages nearly as good as the best, one that states what was asked goes first.
  const specific = slots.filter((s) => s.kind !== 'general' && s.kind !== 'who');
  // Advice is no fact to look up: the best match stays first, its remedies are picked by the answerer.
  const facts = specific.filter((s) => s.kind !== 'advice');
  const stating = facts.length ? chosen.find((p) => facts.every((s) => states(s, p))) : undefined;
  if (stating) chosen = [stating, ...chosen.filter((p) => p !== stating)];

  // Who is in charge is always answered: by the departments named, or by saying the article names none.
  const missing = specific.filter((s) => !chosen.some((p) => states(s, p)));
  const answerable = slots.some((s) => s.kind === 'general' || s.kind === 'who' || !missing.includes(s));
  if (answerable) return { verdict: 'answer', slots, missing, chosen, objects };
  const top = chosen[0];
  // What the documents do say is worth quoting when they know a fair part of the topic and the passage covers most of it.
  const weight = (groups: TermGroup[]) => groups.reduce((a, g) => a + g.weight, 0);
  const relevant = chosen.filter((p) => covers(searchableText(p.chunk)) >= RELEVANT_TOPIC_COVERAGE);
  const speaks = top !== undefined && known.length > 0 && weight(known) >= KNOWN_TOPIC_SHARE * weight(topic) && relevant[0] === top;
  return { verdict: speaks ? 'not_stated' : 'not_covered', slots, missing, chosen: speaks ? relevant : chosen, objects };
}
