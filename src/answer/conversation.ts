/**
 * Two shapes of message that are not one answerable question: a bare topic ("专利", "商标？"), which gets one
 * short question back with choices, and several questions in one message ("还能申请外观吗？能起诉吗？有诉讼
 * 保险吗？"), which is answered part by part. Both read only the wording of the message, never a document.
 */
import type { Answer, Citation } from '../types.js';
import { ANSWER_BUDGET_CHARS, type Language } from './extractive.js';
import { MESSAGES } from './messages.js';

/** Topics an owner may name alone, and what people usually want to know about each. */
const TOPICS: { words: RegExp; zh: string; en: string; choices: { zh: string[]; en: string[] } }[] = [
  {
    words: /^(专利|发明|实用新型|外观设计|patents?)$/i,
    zh: '专利',
    en: 'patents',
    choices: { zh: ['怎么申请专利、要什么条件', '专利保护多少年', '专利年费和期限', '专利被侵权了怎么办'], en: ['how to apply and what qualifies', 'how long a patent lasts', 'annual fees and deadlines', 'what to do about infringement'] },
  },
  {
    words: /^(商标|注册商标|trade ?marks?)$/i,
    zh: '商标',
    en: 'trademarks',
    choices: { zh: ['商标怎么注册、要多久', '商标有效期和续展', '商标被抢注了怎么办', '商标侵权怎么处理'], en: ['how to register and how long it takes', 'validity and renewal', 'what to do about squatting', 'what to do about infringement'] },
  },
  {
    words: /^(版权|著作权|软著|软件著作权|copyrights?)$/i,
    zh: '著作权（版权）',
    en: 'copyright',
    choices: { zh: ['哪些作品受保护、保护多久', '软件著作权怎么登记', '作品归谁所有', '被盗版了怎么办'], en: ['what is protected and for how long', 'registering software copyright', 'who owns a work', 'what to do about piracy'] },
  },
  {
    words: /^(知识产权|ip|intellectual property)$/i,
    zh: '知识产权',
    en: 'intellectual property',
    choices: { zh: ['专利', '商标', '著作权（含软件）', '纠纷和维权', '本地的扶持政策'], en: ['patents', 'trademarks', 'copyright (software included)', 'disputes and enforcement', 'local support'] },
  },
];

export interface Clarification {
  text: string;
  choices: string[];
}

/** The question back to a message that only names a topic; undefined for a real question. */
export function clarification(message: string, language: Language): Clarification | undefined {
  const bare = message.replace(/[\s?？!！。.,，、~～]+/g, '');
  const topic = TOPICS.find((t) => t.words.test(bare));
  if (!topic) return undefined;
  const choices = topic.choices[language];
  const lines = choices.map((c, i) => `${i + 1}. ${c}`);
  const text =
    language === 'en'
      ? [`What would you like to know about ${topic.en}? For example:`, ...lines, 'Reply with your question in your own words.'].join('\n')
      : [`您想了解${topic.zh}的哪方面？比如：`, ...lines, '直接回复您的问题即可。'].join('\n');
  return { text, choices };
}

/** Where a message divides into questions: after a question mark, a full stop or a line break. */
const PART_END = /(?<=[?？。；;\n])/;
/** Words that open a further question within one sentence. */
const FURTHER = /[，,](?=(?:还有|另外|再问|以及|同时|还想问|顺便问))/;
/** A part this short ("谢谢。", "好的？") is no question of its own. */
const MIN_PART_CHARS = 4;
const MAX_PARTS = 4;
const ASKS = /[?？]|吗|么|呢|什么|啥|哪|谁|几|多少|多久|多长|怎|如何|是否|能否|可否|有没有|是不是|能不能|可不可以|会不会|要不要|\b(what|which|who|when|where|how|can|could|does|do|is|are|will|may|should)\b/i;

/**
 * The questions of a message that asks several (each one a question on its own), or just the message.
 * Context a part needs from the one before it stays with it: a part that is only a question word ("多久？")
 * is joined to the part before.
 */
export function questionParts(message: string): string[] {
  const raw = message
    .split(PART_END)
    .flatMap((p) => p.split(FURTHER))
    .map((p) => p.trim())
    .filter(Boolean);
  const parts: string[] = [];
  for (const p of raw) {
    const chars = [...p.replace(/[\s?？。；;，,]/g, '')].length;
    if (parts.length && (chars < MIN_PART_CHARS || !ASKS.test(p))) parts[parts.length - 1] += p;
    else parts.push(p);
  }
  const questions = parts.filter((p) => ASKS.test(p));
  return questions.length >= 2 && questions.length <= MAX_PARTS && questions.length === parts.length ? parts : [message];
}

/** One part of a message and the answer it got on its own. */
export interface PartAnswer {
  question: string;
  answer: Answer;
}

/**
 * One reply to a message of several questions: each part's opening lines, numbered, then every part's
 * quotes with their markers renumbered in one sequence (an article two parts cite keeps one number and one
 * quote), then the source line of the first part that quotes. A part that needs a professional says so in
 * its line rather than taking the whole reply over; a part outside IP is left out when another is answered
 * (“还是只能找北京的部委？” after a question on foreign disputes).
 */
export function combineParts(all: PartAnswer[], language: Language): Answer {
  const parts = all.some((p) => p.answer.outcome === 'answered') ? all.filter((p) => p.answer.outcome !== 'out_of_scope') : all;
  if (parts.length === 1) return parts[0]!.answer;
  const heads: string[] = [];
  const quotes: string[] = [];
  const citations: Citation[] = [];
  const numberOf = new Map<string, number>();
  let footer: string | undefined;
  parts.forEach(({ answer }, k) => {
    const [headBlock = '', ...rest] = answer.answer.split('\n\n');
    // The part's own [n] → the reply's number: a new one, or the one its article already has.
    const renumbered = answer.citations.map((c) => {
      const key = `${c.documentId}#${c.article}`;
      let n = numberOf.get(key);
      if (n === undefined && answer.outcome !== 'escalation_offered') {
        citations.push(c);
        numberOf.set(key, (n = citations.length));
      }
      return n;
    });
    const renumber = (text: string) => text.replace(/\[(\d+)\]/g, (whole, n: string) => (renumbered[Number(n) - 1] ? `[${renumbered[Number(n) - 1]}]` : whole));
    const head = answer.outcome === 'escalation_offered' ? MESSAGES.partNeedsProfessional[language] : headBlock.split('\n').join(' ');
    heads.push(`${k + 1}. ${renumber(head)}`);
    if (answer.outcome === 'escalation_offered') return;
    for (const block of rest) {
      // A quote block starts with its marker; a quote may run over several lines (an article's paragraphs).
      if (!/^\[\d+\]/.test(block)) {
        if (!footer && answer.citations.length) footer = block;
        continue;
      }
      for (const quote of block.split(/\n(?=\[\d+\])/)) {
        const own = Number(/^\[(\d+)\]/.exec(quote)![1]);
        const n = renumbered[own - 1];
        // An article an earlier part quoted is not quoted twice.
        if (n === undefined || quotes.some((q) => q.startsWith(`[${n}]`))) continue;
        quotes.push(renumber(quote));
      }
    }
  });
  quotes.sort((a, b) => Number(/^\[(\d+)\]/.exec(a)![1]) - Number(/^\[(\d+)\]/.exec(b)![1]));
  const answered = parts.filter((p) => p.answer.outcome === 'answered');
  const referral = parts.find((p) => p.answer.escalation)?.answer.escalation;
  const outcome = answered.length ? 'answered' : (parts.find((p) => p.answer.outcome === 'escalation_offered') ?? parts[0]!).answer.outcome;
  const build = (lines: string[]) => [heads.join('\n'), lines.join('\n'), footer ?? (referral ? MESSAGES.referralHint[language] : '')].filter(Boolean).join('\n\n');
  // Like a single answer, the reply fits a phone screen: quotes are cut, then reduced to their labels
  // (every citation keeps its whole excerpt).
  let text = build(quotes);
  for (const max of [60, 0]) {
    if ([...text].length <= ANSWER_BUDGET_CHARS) break;
    text = build(quotes.map((q) => q.replace(/：“([^”]*)”/, (whole, quote: string) => (max && quote.length > max ? `：“${quote.slice(0, max)}……”` : max ? whole : ''))));
  }
  return {
    outcome,
    answer: text,
    citations,
    confidence: Math.max(...parts.map((p) => p.answer.confidence)),
    ...(referral ? { escalation: referral } : {}),
    answerer: parts.some((p) => p.answer.answerer === 'llm') ? 'llm' : answered.length ? 'extractive' : 'guard',
  };
}
