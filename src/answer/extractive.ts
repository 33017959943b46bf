/**
 * The offline answer, built only from the documents' own words: an opening line of the best-matching
 * sentences (shortened at clause boundaries, never reworded) that answers what was asked, then the
 * supporting excerpts with their articles (each quoting the sentence the opening used), then where they
 * come from. Sized to fit a phone screen (ANSWER_BUDGET_CHARS).
 */
import type { Chunk, Citation, DocumentMeta, Passage } from '../types.js';
import { evidence, type AnalyzedQuery } from '../knowledge/query.js';
import { SUB_ITEM } from '../knowledge/chunk.js';
import { chineseNumeral } from '../knowledge/numerals.js';
import { sentencesOf } from '../knowledge/sentences.js';
import { REMEDIES, missingLine, sentenceStates, type Slot } from './slots.js';
import { GUIDANCE_NOTE, citationMeta, guidanceTag, isGuidance, sourceDetails } from './validity.js';

/** Short chunks are quoted whole (without their heading); longer ones by their best sentences. */
const QUOTE_WHOLE_CHARS = 160;
const MAX_EXCERPT_CHARS = 200;
/** The opening line: one or two sentences, each cut to its best clauses. */
const OPENING_SENTENCE_CHARS = 100;
const MIN_OPENING_SENTENCE_CHARS = 40;
const OPENING_CHARS = 170;
/** What a phone shows without scrolling, about 22 lines of 22 characters; excerpts are cut to fit. */
export const ANSWER_BUDGET_CHARS = 480;
const BODY_EXCERPT_CHARS = [110, 60];
/** A further passage is cited when it is nearly as good as the best one. */
const RELATIVE_SCORE = 0.85;
const RELATIVE_COVERAGE = 0.75;
const MAX_CITATIONS = 3;

export type Language = 'zh' | 'en';

/** A passage the answer quotes, with its citation. */
export interface Quoted {
  citation: Citation;
  chunk: Chunk;
}

/** What an extractive answer is built from. */
export interface AnswerInput {
  query: AnalyzedQuery;
  language: Language;
  /** The passages to quote, best first. */
  passages: Passage[];
  document: (id: string) => DocumentMeta | undefined;
  /** What the question asks for, and which of those the passages do not state. */
  slots: Slot[];
  missing: Slot[];
  /** The question's rarest words, naming what a subsidy would be for. */
  objects?: string[];
  /** Where the answer applies, opening its first line (知识库中没有北京市的地方政策文件，以下是全国适用的内容：). */
  lead?: string;
}

export interface Built {
  answer: string;
  citations: Citation[];
}

/** Picks the passages an answer should quote: the best, plus any nearly as good, from different articles. */
export function selectPassages(passages: Passage[]): Passage[] {
  const [best] = passages;
  if (!best) return [];
  const chosen = [best];
  for (const p of passages.slice(1)) {
    if (chosen.length >= MAX_CITATIONS) break;
    if (p.score < best.score * RELATIVE_SCORE || p.coverage < best.coverage * RELATIVE_COVERAGE) continue;
    if (chosen.some((c) => c.chunk.documentId === p.chunk.documentId && c.chunk.article === p.chunk.article)) continue;
    chosen.push(p);
  }
  return chosen;
}

/** A citation quoting the part of the passage that best matches the question (a `prefer`red sentence first), verbatim. */
export function cite(passage: Passage, query: AnalyzedQuery, doc: DocumentMeta | undefined, prefer?: (sentence: string) => boolean): Citation {
  return {
    documentId: passage.chunk.documentId,
    title: doc?.title ?? passage.chunk.documentId,
    ...(doc?.docNumber ? { docNumber: doc.docNumber } : {}),
    section: passage.chunk.section,
    article: passage.chunk.article,
    excerpt: excerpt(passage.chunk, query, prefer),
    score: Math.round(passage.score * 1e4) / 1e4,
    ...citationMeta(doc),
  };
}

/**
 * The best sentence (one that `prefer`s, when there is one), extended by a neighbour when that adds real
 * evidence; the heading only as a last resort.
 */
export function excerpt(chunk: Chunk, query: AnalyzedQuery, prefer?: (sentence: string) => boolean): string {
  const sentences = chunk.text.match(/[^。；！？\n]+[。；！？]?\n?/g) ?? [chunk.text];
  const first = chunk.heading && sentences[0]?.includes(chunk.heading) && sentences.length > 1 ? 1 : 0;
  // The article's number is in the citation's label: the quote starts with its words.
  sentences[0] = sentences[0]!.replace(LABEL, '');
  if (chunk.text.length <= QUOTE_WHOLE_CHARS) return sentences.slice(first).join('').trim();
  const score = (text: string) => evidence(query.groups, text).found;
  const indexes = sentences.map((_, i) => i).slice(first);
  const preferred = prefer ? indexes.filter((i) => prefer(sentences[i]!.trim())) : [];
  const pool = preferred.length ? preferred : indexes;
  const best = pool.reduce((a, i) => (score(sentences[i]!) > score(sentences[a]!) ? i : a), pool[0]!);
  let text = sentences[best]!;
  const base = score(text);
  for (const [neighbour, joined] of [
    [sentences[best + 1], text + (sentences[best + 1] ?? '')],
    [best - 1 >= first ? sentences[best - 1] : undefined, (sentences[best - 1] ?? '') + text],
  ] as const) {
    if (neighbour && joined.length <= MAX_EXCERPT_CHARS && score(joined) > base * 1.2) {
      text = joined;
      break;
    }
  }
  return text.trim();
}

/** Quotes passages with their best sentences (the policy basis of a referral). */
export function quotePassages(passages: Passage[], query: AnalyzedQuery, document: AnswerInput['document']): Quoted[] {
  return passages.map((p) => ({ citation: cite(p, query, document(p.chunk.documentId)), chunk: p.chunk }));
}

/**
 * How the answer names an article, in the document's own numbering: 七、推动… for a document numbered
 * 一、二、…, 第三条「…」 for one with 第X条 articles; Item 7 / Article 3 in English.
 */
export function articleLabel(c: Pick<Citation, 'article' | 'section'>, language: Language): string {
  if (c.article === 'header' || chineseNumeral(c.article) === undefined) return c.section;
  const n = chineseNumeral(c.article)!;
  const title = c.section.split(' › ').at(-1)!;
  const tiao = title.startsWith(`第${c.article}条`);
  const heading = title.replace(/^[一二三四五六七八九十百零〇两]+、|^第[一二三四五六七八九十百零〇两]+条\s*/, '');
  if (language === 'en') return `${tiao ? 'Article' : 'Item'} ${n} (${title})`;
  return tiao ? `第${c.article}条${heading ? `「${heading}」` : ''}` : `${c.article}、${heading}`;
}

/** The answer to a question the passages answer: opening line, a line on what they leave out, excerpts, source. */
export function extractiveAnswer(input: AnswerInput): Built {
  const opening = openingLine(input);
  const quoted = quoteFor(input, opening.picks);
  const head = [`${input.lead ?? ''}${opening.text}`];
  if (input.missing.length) head.push(missingLine(input.missing, input.language, input.objects));
  return { answer: fitted(head, quoted, input.language, false), citations: quoted.map((q) => q.citation) };
}

/**
 * The reply when the passages do not state what was asked but speak to the topic: says what is missing,
 * what the documents do say, and offers the referral.
 */
export function notStatedAnswer(input: AnswerInput): Built {
  const related = openingLine({ ...input, slots: [] });
  const quoted = quoteFor(input, related.picks);
  const said = input.language === 'en' ? `What they do say, in the original Chinese: ${related.text.replace(/^In the original Chinese: /, '')}` : `文件中相关的规定：${related.text}`;
  const head = [`${input.lead ?? ''}${missingLine(input.missing, input.language, input.objects)}`, said];
  return { answer: fitted(head, quoted, input.language, true), citations: quoted.map((q) => q.citation) };
}

/**
 * The reply when only a document no longer (or not yet) in force answers: `notice` says so with its dates,
 * then what that document said, for reference, and the referral.
 */
export function lapsedAnswer(input: AnswerInput, notice: string): Built {
  const opening = openingLine(input);
  const quoted = quoteFor(input, opening.picks);
  return { answer: fitted([notice, opening.text], quoted, input.language, true), citations: quoted.map((q) => q.citation) };
}

/** The excerpt lines alone (the policy basis of a referral). */
export function excerptLines(quoted: Quoted[], language: Language): string {
  return quoted.map((q, i) => excerptLine(q, i, language, quoted[0]!.citation.documentId)).join('\n');
}

/** A sentence the opening line uses: which passage, and the sentence as written there. */
interface OpeningPick {
  index: number;
  sentence: string;
}

/** Citations whose excerpts quote the sentences the opening line used (and else what states the asked slot). */
function quoteFor(input: AnswerInput, picks: OpeningPick[]): Quoted[] {
  const stated = input.slots.filter((s) => !input.missing.includes(s));
  return input.passages.map((p, i) => {
    const used = picks.filter((k) => k.index === i).map((k) => k.sentence);
    const prefer = (s: string) => (used.length ? used.some((u) => s.includes(u)) : stated.some((slot) => sentenceStates(slot, s, input.objects)));
    return { citation: cite(p, input.query, input.document(p.chunk.documentId), prefer), chunk: p.chunk };
  });
}

/**
 * Head lines, then as many excerpts as fit the budget (cut shorter when needed, at last to their labels:
 * the citation keeps the whole excerpt), then the footer for the excerpts shown.
 */
function fitted(head: string[], quoted: Quoted[], language: Language, referral: boolean): string {
  const first = quoted[0]!.citation.documentId;
  const opening = head.join('');
  const build = (count: number, cut?: number) => {
    const lines = quoted.slice(0, count).map((q, i) => excerptLine(q, i, language, first, cut, opening));
    return [...head, '', ...lines, '', footer(quoted.slice(0, count), language, referral)].join('\n');
  };
  // Citations the opening line refers to are always kept; the others only while the answer fits.
  const needed = Math.max(1, ...[...opening.matchAll(/\[(\d)\]/g)].map((m) => Number(m[1])));
  let text = build(quoted.length);
  for (const cut of [...BODY_EXCERPT_CHARS, 0]) {
    for (let count = quoted.length; text.length > ANSWER_BUDGET_CHARS && count >= needed; count--) text = build(count, cut);
  }
  return text;
}

/** A quote cut to `max` characters at the last clause boundary before it, marked as cut. */
function cutQuote(text: string, max: number): string {
  if (text.length <= max) return text;
  const window = text.slice(0, max);
  const boundary = Math.max(...['，', ',', '；', '。', '、'].map((p) => window.lastIndexOf(p)));
  return `${boundary > max / 2 ? window.slice(0, boundary) : window}……`;
}

/** `[1] 七、推动…：“…”（责任单位：…）`; the quote is left out when the opening line already says all of it. */
function excerptLine(q: Quoted, i: number, language: Language, firstDocument: string, maxChars?: number, opening = ''): string {
  const { citation: c, chunk } = q;
  const otherDoc = c.documentId !== firstDocument ? `${isGuidance(c) ? guidanceTag(language) : ''}《${c.title}》` : '';
  const label = `[${i + 1}] ${otherDoc}${articleLabel(c, language)}`;
  const departments = chunk.departments.length ? (language === 'en' ? ` (departments in charge: ${chunk.departments.join(', ')})` : `（责任单位：${chunk.departments.join('、')}）`) : '';
  const said = opening.includes(c.excerpt.replace(/\s+/g, '')) || maxChars === 0;
  return said ? `${label}${departments}` : `${label}：“${maxChars ? cutQuote(c.excerpt, maxChars) : c.excerpt}”${departments}`;
}

/**
 * Where the quotes come from (文号, issuer, date, level), that guidance is not policy text when any is
 * quoted, and the referral.
 */
function footer(quoted: Quoted[], language: Language, referral: boolean): string {
  const first = quoted[0]!.citation;
  const guided = isGuidance(first);
  // Guidance says what it is in the note; its details are when it was written.
  const written = first.issueDate ? (language === 'en' ? `written ${first.issueDate}` : `${first.issueDate}编写`) : '';
  const details = guided ? written : sourceDetails(first, language);
  const guidance = quoted.some((q) => isGuidance(q.citation)) ? GUIDANCE_NOTE[language] : '';
  const tag = guided ? guidanceTag(language) : '';
  if (language === 'en') {
    const uncertain = first.statusNote ? ' Its current status is not verified here: check the latest published text.' : '';
    const source = `From ${tag}《${first.title}》${details ? ` (${details})` : ''}${guided ? '.' : '; the official document prevails.'}${uncertain}`;
    return [source, guidance, referral ? 'Reply "human" to be referred, with your consent, to an IP service agency.' : 'Reply "human" for help from an IP service agency.'].filter(Boolean).join(' ');
  }
  const source = `摘自${tag}《${first.title}》${details ? `（${details}）` : ''}${guided ? '。' : '，以正式文件为准。'}`;
  // A status note is written only where the status is uncertain: every answer from the document says it.
  const status = first.statusNote ? `注意：${first.statusNote}。` : '';
  return `${source}${status}${guidance}${referral ? '具体以主管部门的通知为准；需要帮助可回复“转人工”，经您同意后转介服务机构。' : '办理具体事务可回复“转人工”。'}`;
}

/**
 * The line that answers the question. Who is in charge: the departments named in the article's note.
 * Otherwise the sentence that best matches the question (one that states what was asked, when a passage
 * has one), shortened to its best clauses, and a second one when it adds nearly as much; for "怎么办",
 * the best sentence naming a remedy (维权援助, 调解, 仲裁…).
 */
export function openingLine(input: AnswerInput): { text: string; picks: OpeningPick[] } {
  const { query, language, passages, slots } = input;
  const first = passages[0]!;
  // A policy names its departments in a （责任单位：…） note; a law names the body in its own words.
  // Asked for the 责任单位 by that name, an article without the note says it names none.
  const who = slots.find((s) => s.kind === 'who');
  if (who && first.chunk.article !== 'header' && (first.chunk.departments.length || who.phrase?.includes('责任单位'))) return departmentsLine(first, input);

  const asked = slots.filter((s) => !input.missing.includes(s));
  const prefer = (s: string) => asked.some((slot) => sentenceStates(slot, s, input.objects));
  const candidates = passages.flatMap((p, index) =>
    openingSentences(p.chunk)
      .filter((s, position) => !(position === 0 && p.chunk.heading && s.text.includes(p.chunk.heading) && s.text.length <= p.chunk.heading.length + 8))
      .map(({ text: sentence, quoted, lead }, position) => ({ sentence, quoted, lead, listed: lead !== undefined, index, position, score: evidence(query.groups, sentence).found / (index + 1) })),
  );
  const preferred = candidates.filter((c) => prefer(c.sentence));
  const pool = preferred.length ? preferred : candidates;
  const label = articleLabel(first.chunk, language);
  if (!pool.length) return { text: language === 'en' ? `See ${label}. [1]` : `见${label}。[1]`, picks: [] };
  const ranked = [...pool].sort((a, b) => b.score - a.score);
  const best = ranked[0]!;
  const picked = [best];
  const remedy = slots.some((s) => s.kind === 'advice') && !REMEDIES.test(best.sentence) ? candidates.filter((c) => REMEDIES.test(c.sentence)).sort((a, b) => b.score - a.score)[0] : undefined;
  // A second sentence adds something: not a part of the list or sentence already said.
  // Another item of the same list would repeat its lead: the item asked about is the one said.
  const sameList = (c: typeof best) => Boolean(c.lead) && c.lead === best.lead && c.index === best.index;
  const repeats = (c: typeof best) => best.sentence.includes(c.quoted) || c.sentence.includes(best.quoted);
  const second = remedy ?? ranked.find((c) => c !== best && !repeats(c) && c.score >= best.score * 0.75 && c.score > 0);
  // A list read with its lead keeps the lead (it holds the rule and the figure): only longer ones are cut.
  const line = (c: typeof best) => (c.listed && c.sentence.length <= OPENING_CHARS ? c.sentence : shorten(c.sentence, query, OPENING_SENTENCE_CHARS, c === remedy ? REMEDIES : undefined));
  if (second && line(best).length + line(second).length <= OPENING_CHARS) picked.push(second);
  picked.sort((a, b) => a.index - b.index || a.position - b.position);
  // Two items of one list are said in one sentence under their lead, not the lead twice.
  const [one, two] = picked;
  const parts =
    one && two && sameList(two) && line(one) === one.sentence && line(two) === two.sentence
      ? [{ text: `${one.lead}${one.quoted}；${two.quoted}。`, marker: `[${one.index + 1}]` }]
      : picked.map((c) => ({ text: line(c), marker: `[${c.index + 1}]` }));
  const text = language === 'en' ? `In the original Chinese: ${parts.map((p) => `“${p.text}” ${p.marker}`).join(' ')}` : parts.map((p) => `${p.text}${p.marker}`).join('');
  return { text, picks: picked.map((c) => ({ index: c.index, sentence: c.quoted })) };
}

/** An article's own label: 第四十二条 followed by its text (not 第七条、第十七条 named in a sentence), 七、, （二）. */
const LABEL = /^(第[一二三四五六七八九十百零〇两]+条(\s+|(?=[^、，,和及与至]))|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十]+[）)])/;

const SOURCE_NOTE = /[（(]依据[：:][^）)]*[）)][。；]?/g;

/** A sentence an opening line may use; `lead`: the line a list item is read with ('' for a whole list, read with its own). */
interface OpeningSentence {
  text: string;
  quoted: string;
  lead?: string;
}

/**
 * Whole sentences an opening line may use, without the article's own label (第四十二条, 七、, （二）). An item
 * of a list (（二）在…国际展览会上首次展出的；) is no sentence on its own: it is read with the line that
 * introduces the list (…六个月内，有下列情形之一的，不丧失新颖性：), which holds the figure and the rule.
 * `quoted` is the part as written, which the excerpt quotes.
 */
function openingSentences(chunk: Chunk): OpeningSentence[] {
  const out: OpeningSentence[] = [];
  const lines = chunk.text.split('\n').map((l) => l.trim()).filter(Boolean);
  const bare = (line: string) => line.replace(LABEL, '').trim();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const items: string[] = [];
    while (/[：:]$/.test(line) && SUB_ITEM.test(lines[i + 1 + items.length] ?? '')) items.push(bare(lines[i + 1 + items.length]!).replace(/[；;。]$/, ''));
    if (items.length) {
      // The whole list answers "哪些"; each item with the lead answers a question about that item.
      const lead = bare(line);
      // Too long to open with whole, the list would be cut to its best clauses and lose the lead that makes
      // them sentences ("仍继续实施侵权行为的；…的。"): each item with the lead stands in for it.
      const whole = `${lead}${items.join('；')}。`;
      if (whole.length <= OPENING_CHARS) out.push({ text: whole, quoted: lead.replace(/[：:]$/, ''), lead: '' });
      for (const item of items) out.push({ text: `${lead}${item}。`, quoted: item, lead });
      i += items.length;
      continue;
    }
    for (const sentence of line.match(/[^。！？]+[。！？]?/g) ?? [line]) {
      // A guide's （依据：《…》第X条） note says where a sentence comes from; the citation shows that, and alone it answers nothing.
      const own = bare(sentence).replace(SOURCE_NOTE, '').trim();
      if (/\p{Script=Han}|[A-Za-z\d]/u.test(own)) out.push({ text: own, quoted: own.replace(/[；;。]$/, '') });
    }
  }
  return out;
}

/** A body named in the text itself: 市市场监管局会同相关部门…, 淄博仲裁委员会…. */
const NAMES_A_BODY = /[市省区县][\u4e00-\u9fa5]{1,12}(局|委员会|委|办公室|办|中心|院)|有关部门|相关部门/;

/**
 * `「六、推动…」的责任单位是：市文化和旅游局。[1]`. An article without a （责任单位：…） note says so, and
 * quotes its sentence that names a body when it has one.
 */
function departmentsLine(p: Passage, input: AnswerInput): { text: string; picks: OpeningPick[] } {
  const { query, language } = input;
  const departments = p.chunk.departments;
  const label = articleLabel(p.chunk, language);
  const named = language === 'zh' && !label.startsWith('第') ? `「${label}」` : label;
  if (departments.length) {
    return { text: language === 'en' ? `${label} names as departments in charge: ${departments.join(', ')}. [1]` : `${named}的责任单位是：${departments.join('、')}。[1]`, picks: [] };
  }
  const naming = sentencesOf(p.chunk.text)
    .filter((s) => NAMES_A_BODY.test(s))
    .sort((a, b) => evidence(query.groups, b).found - evidence(query.groups, a).found)[0];
  const picks = naming ? [{ index: 0, sentence: naming }] : [];
  if (language === 'en') return { text: `${label} names no department in charge${naming ? `; it says: “${shorten(naming, query)}”` : '.'} [1]`, picks };
  return { text: `${named}没有列明责任单位${naming ? `，文中写到：${shorten(naming, query)}` : '。'}[1]`, picks };
}

/**
 * A sentence cut to the run of clauses that carries the most of the question (and, when given, the
 * clause matching `keep`), within the opening budget. Only whole clauses are kept, in their order; the
 * sentence ends with its own or a full stop.
 */
export function shorten(sentence: string, query: AnalyzedQuery, max = OPENING_SENTENCE_CHARS, keep?: RegExp): string {
  const text = sentence.trim().replace(LABEL, '');
  if (text.length <= max) return /[。！？]$/.test(text) ? text : `${text.replace(/[；;,，]$/, '')}。`;
  const clauses = text.match(/[^,，；;：:]+[,，；;：:]?/g) ?? [text];
  const score = (i: number) => evidence(query.groups, clauses[i]!).found + (keep?.test(clauses[i]!) ? 100 : 0);
  let best = 0;
  for (let i = 1; i < clauses.length; i++) if (score(i) > score(best)) best = i;
  let [from, to] = [best, best];
  const fits = (a: number, b: number) => clauses.slice(a, b + 1).join('').length <= max;
  // Neighbouring clauses join while the line is short (what is asked often follows the words that match:
  // 开设…大讲堂,开展专利信息利用…培训), then only when they carry at least half as much of the question.
  const worth = (i: number) => clauses.slice(from, to + 1).join('').length < MIN_OPENING_SENTENCE_CHARS || score(i) >= score(best) / 2;
  // A condition (…的，) or a lead-in (…：) says nothing without what follows it.
  while (to < clauses.length - 1 && /(的[,，]|[：:])$/.test(clauses[to]!) && fits(from, to + 1)) to++;
  for (;;) {
    const left = from > 0 && fits(from - 1, to) && worth(from - 1) ? score(from - 1) : -1;
    const right = to < clauses.length - 1 && fits(from, to + 1) && worth(to + 1) ? score(to + 1) : -1;
    if (left < 0 && right < 0) break;
    // Earlier clauses often hold the verb that governs the rest (鼓励…, 支持…): prefer them on a tie.
    if (left >= right) from--;
    else to++;
  }
  return `${clauses.slice(from, to + 1).join('').replace(/[,，；;：:]$/, '')}。`.replace(/([。！？])。$/, '$1');
}
