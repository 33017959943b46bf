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
 * on seeds does not answer when a training course starts. A figure or a procedure is also of something
 * (审查周期 is the examination's period, not the patent's term; 怎么申请PCT国际专利 is not how to license an
 * agency): the sentence must name that too, and when no document uses its word (复审, 马德里) none states it.
 */
import { coverage, groupMatch, type TermGroup } from '../knowledge/query.js';
import { normalize } from '../knowledge/tokenizer.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import { searchableText } from '../knowledge/knowledge-base.js';
import type { Passage } from '../types.js';
import { selectPassages } from './extractive.js';
import { sentencesOf } from '../knowledge/sentences.js';
import { askedSlots, isAskingWord, statesSlot, type Slot } from './slots.js';

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
/** Slots whose answer is a fact of something named: a figure, a date, a link, materials, steps, conditions. */
const OF_SOMETHING: ReadonlySet<Slot['kind']> = new Set(['amount', 'count', 'period', 'deadline', 'date', 'url', 'contact', 'form', 'materials', 'procedure', 'conditions']);
const FIGURES: ReadonlySet<Slot['kind']> = new Set(['amount', 'count', 'period', 'deadline', 'date']);
/** groupMatch() of a synonym. */
const SYNONYM_MATCH = 0.9;
/** Nouns that ask for a fact of what precedes them (审查周期, 复审的期限, 申报材料); 多长时间 is a question word. */
const ASKING_NOUN = /^(?!多|几|什么|啥|哪|怎|如何).*(期|时长|时间|费|金额|额度|比例|日期|网址|网站|链接|材料|资料|流程|步骤|程序|手续|条件|要件|门槛|标准)/;
/** Words that join what is asked about to the words that ask: 复审的期限, 申请的流程. */
const LINKING = /(的|是|要|需要|得|一般|大概|大约|通常|都)+$/;

export interface AnswerPlan {
  verdict: 'answer' | 'not_stated' | 'not_covered';
  slots: Slot[];
  missing: Slot[];
  /** The passages to quote, one that states what was asked first. */
  chosen: Passage[];
  /** What the slots are of (保费 in 保费有没有补贴), then the question's rare words: named in the missing line. */
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
  // Words no document uses (咋整, 假货) cannot be covered by any passage: coverage counts the rest.
  const isKnown = (g: TermGroup) => g.synonyms.length > 0 || kb.mentions(g.word) || g.parts.some((part) => part.length > 1 && kb.mentions(part));
  const known = topic.filter(isKnown);
  const covers = (text: string) => (known.length ? coverage(known, text) : 0);
  const subjects = new Map(slots.filter((s) => OF_SOMETHING.has(s.kind) || s.kind === 'subsidy').map((s) => [s, subjectOf(kb, s, known, isKnown)]));
  // What the slots are of first (保费 in 保费有没有补贴), then the question's rarest words.
  const named = [...subjects.values()].flatMap((s) => (s ? [s.group.word] : []));
  const objects = [...new Set([...named, ...topic.filter((g) => g.weight >= OBJECT_WEIGHT).sort((a, b) => b.weight - a.weight).map((g) => g.word)])];
  /**
   * The sentence states the slot of what it is of, when the question says what that is. A figure asked
   * with a noun (审查周期) is stated in a clause that names the noun or what it is of: 实用新型专利保护期十年，
   * 只经初步审查 states no examination period.
   */
  const statesOf = (slot: Slot, sentence: string) => {
    const subject = subjects.get(slot);
    if (subject === undefined) return statesSlot(slot, sentence, []);
    if (subject === null) return false;
    // By the word itself or a synonym: 注册 is no part of an answer about the 注册证.
    const names = (text: string) => groupMatch(subject.group, normalize(text)) >= SYNONYM_MATCH;
    if (!subject.noun || !FIGURES.has(slot.kind)) return statesSlot(slot, sentence, []) && names(sentence);
    return sentence.split(/[,，;；:：]/).some((part) => statesSlot(slot, part, []) && (names(part) || part.includes(subject.noun!)));
  };

  const states = (slot: Slot, p: Passage): boolean => {
    if (slot.kind === 'who' || slot.kind === 'general') return statesSlot(slot, p.chunk.text, p.chunk.departments);
    if (p.chunk.article === 'header') return statesSlot(slot, p.chunk.text, []) && covers(searchableText(p.chunk)) >= HEADER_TOPIC_COVERAGE;
    // A subsidy must be for what the question names, words no document uses included (保费).
    if (slot.kind === 'subsidy') return sentencesOf(p.chunk.text).some((s) => statesSlot(slot, s, []) && coverage(topic, s) >= SUBSIDY_TOPIC_COVERAGE);
    return sentencesOf(p.chunk.text).some((s) => statesOf(slot, s) && covers(s) >= SENTENCE_TOPIC_COVERAGE);
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
  // What a missing slot is of (保费) does not count against a passage that does not name it: that is what is missing.
  const missingOf = new Set(missing.flatMap((s) => subjects.get(s)?.group.word ?? []));
  const relevantTo = (text: string) => {
    const haystack = normalize(text);
    const topicHere = known.filter((g) => !missingOf.has(g.word) || groupMatch(g, haystack) > 0);
    return topicHere.length > 0 && coverage(topicHere, text) >= RELEVANT_TOPIC_COVERAGE;
  };
  const relevant = chosen.filter((p) => relevantTo(searchableText(p.chunk)));
  const speaks = top !== undefined && known.length > 0 && weight(known) >= KNOWN_TOPIC_SHARE * weight(topic) && relevant[0] === top;
  return { verdict: speaks ? 'not_stated' : 'not_covered', slots, missing, chosen: speaks ? relevant : chosen, objects };
}

/** What a slot's fact is of, and the noun that asked for it (周期 in 审查周期), if a noun did. */
interface Subject {
  group: TermGroup;
  noun?: string;
}

/**
 * What a slot's fact is of. Asked with a noun (审查周期, 复审的期限, 申请材料) or for a benefit (保费有没有补贴),
 * it is the word just before: 审查, 复审, 保费; asked with a question word (多久, 怎么申请), the rarest known word of the clause (怎么申请PCT国际专利 →
 * 国际), else of the question. `undefined`: nothing to tell it by; `null`: a word no document uses, so no
 * passage states the fact for it.
 */
function subjectOf(kb: KnowledgeBase, slot: Slot, known: TermGroup[], isKnown: (g: TermGroup) => boolean): Subject | null | undefined {
  // A single character (交, 到) is too loose to tell what a fact is of.
  const words = (text: string) => kb.analyze(text).groups.filter((g) => !isAskingWord(g.word) && [...g.word].length > 1);
  const noun = slot.phrase && ASKING_NOUN.test(slot.phrase) ? slot.phrase : undefined;
  // A benefit is asked of what comes just before too: 保费有没有补贴.
  const at = noun || (slot.kind === 'subsidy' && slot.phrase) ? slot.clause.indexOf(slot.phrase!) : -1;
  const before = at > 0 ? words(slot.clause.slice(0, at).replace(LINKING, '')).at(-1) : undefined;
  if (before) return isKnown(before) ? { group: before, noun } : null;
  // A term of the domain's own vocabulary (续展, 复审) names the subject before a rarer everyday word (提前).
  const vocabulary = new Set(kb.vocabulary);
  const rarest = (groups: TermGroup[]) =>
    groups.filter((g) => isKnown(g) && g.weight >= OBJECT_WEIGHT).sort((a, b) => Number(vocabulary.has(b.word)) - Number(vocabulary.has(a.word)) || b.weight - a.weight)[0];
  const group = rarest(words(slot.clause)) ?? rarest(known);
  return group && { group };
}
