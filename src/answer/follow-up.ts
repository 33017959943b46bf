/**
 * Reading a question with the conversation before it. A short question ("需要什么材料？", "找谁办？",
 * "多少钱？") or one that points back ("那仲裁呢？") continues the earlier topic: it is retrieved together
 * with the earlier question. A question that brings its own,
 * unrelated words ("今天天气怎么样？") stands alone, and so does any longer question. A place is no topic
 * of its own: "那北京呢？" asks the earlier question of Beijing, and the places a question is read against
 * are the follow-up's when it names one, else those of the exchange it continues.
 */
import { searchableText, type KnowledgeBase, type Retrieval } from '../knowledge/knowledge-base.js';
import { findPlaces, withoutPlaces } from '../knowledge/places.js';
import { coverage } from '../knowledge/query.js';
import type { Citation, Passage } from '../types.js';
import type { Language } from './extractive.js';
import type { LlmAnswerer } from './llm.js';
import { askedSlots, isAskingWord } from './slots.js';

/** An earlier exchange of the same user in the same conversation, oldest first. */
export interface Turn {
  question: string;
  citations: Pick<Citation, 'documentId' | 'article'>[];
}

/** Earlier turns, or a loader for them: the pipeline reads them only when a question may refer back. */
export type History = Turn[] | (() => Promise<Turn[]>);

/** Words that point back at an earlier exchange: 那/这/该 + 条/个/项, 它, 上面, 刚才, or a bare 呢-question. */
const REFERS_BACK = /^(那|那么|这|这个|那个|该|它|其|还有|另外|再|此外|同样|then|and|what about|how about)|这条|那条|该条|这一条|上一条|上面|刚才|前面说的|它的|其中|这项|那项|这些|那些|这个政策|那个政策|呢[？?]?$|\b(it|this|that|its|those|they|them)\b/i;
/** Questions this short are read with the conversation (characters; words for English). */
const SHORT_CHARS = 12;
const SHORT_WORDS = 6;
/** A word this rare in the documents (IDF) is a topic of its own. */
const OWN_TOPIC_WEIGHT = 2;
/** How much more an article the earlier answer cited counts (scores are relative to the best, 1). */
const CITED_BEFORE = 1.25;
/** A passage holding this much of the follow-up's own words is what it asks about. */
const OWN_WORDS_COVERAGE = 0.5;
/** "那英文呢" / "in English?": the earlier question again, answered in the other language. */
const LANGUAGE_REQUEST: { re: RegExp; language: Language }[] = [
  { re: /^(那|那么|请|能)?(用|换成|翻译成|给个)?(英文|英语|english)(版|回答|说|翻译)?(呢|吧|吗)?[?？。.!！]*$|^(and |now )?(in )?english( please)?[?.!]*$/i, language: 'en' },
  { re: /^(那|那么|请|能)?(用|换成|翻译成)?(中文|汉语|chinese)(版|回答|说|翻译)?(呢|吧|吗)?[?？。.!！]*$|^(and |now )?(in )?chinese( please)?[?.!]*$/i, language: 'zh' },
];

export interface Reading {
  /** The question as answered: itself, or the earlier one when only the language changes. */
  question: string;
  /** What was searched: the question, or with a follow-up the exchange it continues (or the model's rewrite). */
  text: string;
  /** The text whose places the question is read against. */
  places: string;
  retrieval: Retrieval;
  /** The earlier question this one continues. */
  previous?: string;
  /** Set when the user asked for the earlier answer in another language. */
  language?: Language;
}

/** Whether a question might continue an earlier one; only then is the history read. */
export function mayReferBack(question: string): boolean {
  return REFERS_BACK.test(question) || isShort(question) || LANGUAGE_REQUEST.some((l) => l.re.test(question));
}

/**
 * How a reading searches: `text` for the best `limit` passages, among the documents that apply to the
 * places `places` names (the caller's region and validity rules); `literal`: in the question's own words,
 * without the documents' words of the same meaning.
 */
export type Search = (text: string, limit: number, places: string, literal?: boolean) => Promise<Retrieval>;

/**
 * `outsideIp`: the question alone has no IP vocabulary. A short one then continues the conversation unless it
 * names something else (忘了交咋办？ after a question on patent annual fees): in a conversation about IP, that
 * is what it most likely does.
 */
export async function readInContext(kb: KnowledgeBase, question: string, turns: History, search: Search, llm?: LlmAnswerer, outsideIp = false): Promise<Reading> {
  const alone = async (): Promise<Reading> => ({ question, text: question, places: question, retrieval: await search(question, 5, question) });
  // Most questions stand on their own: the history is read only for one that may refer back.
  if (!mayReferBack(question)) return alone();
  const history = typeof turns === 'function' ? await turns() : turns;
  const last = history.at(-1);
  if (!last) return alone();

  const switched = LANGUAGE_REQUEST.find((l) => l.re.test(question));
  if (switched) {
    const earlier = await readInContext(kb, last.question, history.slice(0, -1), search, llm);
    return { ...earlier, previous: earlier.previous ?? last.question, language: switched.language };
  }
  // Without IP words of its own, a short question continues the earlier topic unless it names something
  // the documents never speak of (忘了交咋办？ continues, 今天天气怎么样？ does not).
  const carriesOn = outsideIp && isShort(question) && kb.unknownNames(withoutPlaces(question)).every(isAskingWord);
  if (!carriesOn && !continues(kb, question)) return alone();

  // A model rewrites the follow-up into a standalone question; without one, the two are read together.
  const standalone = llm ? await llm.rewrite(question, history.slice(-3).map((t) => t.question)) : undefined;
  const text = standalone ?? `${last.question} ${question}`;
  // A place the follow-up names replaces the earlier one ("那北京呢？"); otherwise the earlier one holds.
  const places = findPlaces(question).length ? question : text;
  const combined = await search(text, 8, places);
  // What the follow-up names itself (那仲裁呢？) comes first; a follow-up that asks for something specific
  // (申请流程是什么？) asks it of the earlier topic. The articles the earlier answer cited count a little more,
  // not first: a follow-up often asks what comes next (到期了咋整？ after 能用几年？), which another article says.
  const specific = askedSlots(question).some((s) => s.kind !== 'general');
  const own = specific ? [] : kb.analyze(withoutPlaces(question)).groups.filter((g) => !isAskingWord(g.word) && (g.synonyms.length > 0 || kb.mentions(g.word)));
  const named = (p: Passage) => (own.length && coverage(own, searchableText(p.chunk)) >= OWN_WORDS_COVERAGE ? 1 : 0);
  const earlier = new Set(last.citations.map((c) => `${c.documentId}#${c.article}`));
  const weight = (p: Passage) => p.score * (earlier.has(`${p.chunk.documentId}#${p.chunk.article}`) ? CITED_BEFORE : 1);
  const passages = [...combined.passages].sort((a, b) => named(b) - named(a) || weight(b) - weight(a)).slice(0, 5);
  // Coverage is judged on the question as asked plus what it refers to.
  return { question, text, places, retrieval: { query: combined.query, passages }, previous: last.question };
}

function isShort(question: string): boolean {
  const words = question.trim().split(/\s+/).length;
  return [...question.trim()].length <= SHORT_CHARS || (/^[\x00-\x7f]+$/.test(question) && words <= SHORT_WORDS);
}

/**
 * A short or pointing question continues the conversation unless it names a topic of its own (a short
 * question that does not point back and names 知识产权保险 stands alone). It continues when it asks for
 * something specific (材料, 谁, 多少钱 …), when it points back, or when every word of it is one the
 * documents know; a word they do not know (天气) starts a new topic.
 */
function continues(kb: KnowledgeBase, question: string): boolean {
  const groups = kb.analyze(withoutPlaces(question)).groups;
  const known = (g: (typeof groups)[number]) => g.synonyms.length > 0 || kb.mentions(g.word);
  if (!REFERS_BACK.test(question) && groups.some((g) => known(g) && !isAskingWord(g.word) && g.weight >= OWN_TOPIC_WEIGHT)) return false;
  if (askedSlots(question).some((s) => s.kind !== 'general')) return true;
  // 那这笔钱是干嘛用的？ points back: its colloquial words (干嘛) are no new topic.
  return REFERS_BACK.test(question) || groups.every(known);
}
