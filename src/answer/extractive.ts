import type { Answer, Chunk, Citation, DocumentMeta, Passage } from '../types.js';
import { evidence, type AnalyzedQuery } from '../knowledge/query.js';
import { chineseNumeral } from './numerals.js';
import { GUIDANCE_NOTE, citationMeta, guidanceTag, isGuidance, sourceDetails } from './validity.js';

/** Short chunks are quoted whole; longer ones by their best sentences. */
const QUOTE_WHOLE_CHARS = 260;
const MAX_EXCERPT_CHARS = 240;
/** A further passage is cited when it is nearly as good as the best one. */
const RELATIVE_SCORE = 0.85;
const RELATIVE_COVERAGE = 0.75;
const MAX_CITATIONS = 3;

export type Language = 'zh' | 'en';

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

/** A citation quoting the part of the passage that best matches the question, verbatim. */
export function cite(passage: Passage, query: AnalyzedQuery, doc: DocumentMeta | undefined): Citation {
  return {
    documentId: passage.chunk.documentId,
    title: doc?.title ?? passage.chunk.documentId,
    ...(doc?.docNumber ? { docNumber: doc.docNumber } : {}),
    section: passage.chunk.section,
    article: passage.chunk.article,
    excerpt: excerpt(passage.chunk, query),
    score: Math.round(passage.score * 1e4) / 1e4,
    ...citationMeta(doc),
  };
}

/** The best sentence, extended by a neighbour when that adds real evidence (the heading only as a last resort). */
export function excerpt(chunk: Chunk, query: AnalyzedQuery): string {
  if (chunk.text.length <= QUOTE_WHOLE_CHARS) return chunk.text;
  const sentences = chunk.text.match(/[^。；！？\n]+[。；！？]?\n?/g) ?? [chunk.text];
  const first = chunk.heading && sentences[0]?.includes(chunk.heading) && sentences.length > 1 ? 1 : 0;
  const score = (text: string) => evidence(query.groups, text).found;
  let best = first;
  for (let i = first + 1; i < sentences.length; i++) if (score(sentences[i]!) > score(sentences[best]!)) best = i;
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

/** How the answer names an article: 第七条「推动…」 / Article 7 (七、推动…). */
export function articleLabel(c: Citation, language: Language): string {
  const n = chineseNumeral(c.article);
  const heading = c.section.replace(/^[一二三四五六七八九十百]+、|^第[一二三四五六七八九十百]+条\s*/, '');
  if (language === 'en') {
    if (c.article === 'header') return `Header (${c.section})`;
    return n !== undefined ? `Article ${n} (${c.section})` : c.section;
  }
  if (c.article === 'header') return c.section;
  return n !== undefined ? `第${c.article}条「${heading}」` : c.section;
}

/** "Which department is in charge?" — answered from the articles' （责任单位：…） notes first. */
const ASKS_DEPARTMENTS = /责任单位|哪个部门|哪些部门|哪几个部门|哪个单位|哪些单位负责|谁负责|谁来负责|谁牵头|牵头|主管部门|负责部门|归哪|\bwhich (department|authority|agency|bureau)|\bwho is (responsible|in charge)\b/i;

export function asksForDepartments(question: string): boolean {
  return ASKS_DEPARTMENTS.test(question);
}

/**
 * The offline answer: quotes the best passages with numbered citations and the departments in charge.
 * A question about who is in charge gets the departments first, or is told the article names none.
 */
export function extractiveAnswer(citations: Citation[], chunks: Chunk[], language: Language, question = ''): Pick<Answer, 'answer' | 'citations'> {
  const first = citations[0]!;
  const lines: string[] = [];
  if (asksForDepartments(question) && first.article !== 'header') {
    const departments = chunks[0]?.departments ?? [];
    const label = articleLabel(first, language);
    if (language === 'en') lines.push(departments.length ? `${label} names as departments in charge: ${departments.join(', ')}. [1]` : `${label} names no department in charge. [1]`);
    else lines.push(departments.length ? `${label}的责任单位是：${departments.join('、')}。[1]` : `${label}没有列明责任单位。[1]`);
    lines.push('');
  }
  const details = sourceDetails(first, language);
  const tag = (c: Citation) => (isGuidance(c) ? guidanceTag(language) : '');
  if (language === 'en') {
    lines.push(`${tag(first)}According to 《${first.title}》${details ? ` (${details})` : ''}, quoted in the original Chinese:`, '');
  } else {
    lines.push(`${tag(first)}根据《${first.title}》${details ? `（${details}）` : ''}：`, '');
  }
  citations.forEach((c, i) => {
    const otherDoc = c.documentId !== first.documentId ? `${tag(c)}《${c.title}》` : '';
    lines.push(`[${i + 1}] ${otherDoc}${articleLabel(c, language)}：“${c.excerpt}”`);
    const departments = chunks[i]?.departments ?? [];
    if (departments.length) lines.push(language === 'en' ? `    Departments in charge: ${departments.join(', ')}` : `    责任单位：${departments.join('、')}`);
  });
  lines.push('');
  const guidance = citations.some(isGuidance);
  const policy = citations.some((c) => !isGuidance(c));
  if (guidance) lines.push(GUIDANCE_NOTE[language]);
  lines.push(
    language === 'en'
      ? `${policy ? 'The policy text is quoted; the official document prevails. ' : ''}For help with a specific matter, ask to be referred to an IP service agency.`
      : `${policy ? '以上政策内容为原文摘录，以正式文件为准。' : ''}如需办理具体事务，可回复“转人工”申请转介知识产权服务机构。`,
  );
  return { answer: lines.join('\n'), citations };
}
