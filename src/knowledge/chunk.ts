import type { Chunk, KnowledgeDocument } from '../types.js';

const NUMERAL = '[一二三四五六七八九十百零〇两]+';
const ARTICLE_ITEM = new RegExp(`^(${NUMERAL})、`); // 一、 … 十九、
const ARTICLE_TIAO = new RegExp(`^第(${NUMERAL})条`); // 第三条
const CHAPTER = new RegExp(`^第${NUMERAL}[章节]`); // 第二章 总则
export const SUB_ITEM = new RegExp(`^[（(](${NUMERAL})[）)]`); // （一）
/** A line that opens a part of the structure (chapter, article, item); converters keep such lines apart. */
export const STRUCTURE_LINE = new RegExp(`^(第${NUMERAL}[章节条]|${NUMERAL}、|[（(]${NUMERAL}[）)])`);
const MARKDOWN_HEADING = /^#{1,6}\s+/;
const DEPARTMENTS = /[（(]\s*责任单位\s*[:：]\s*([^（）()]*)[）)]\s*$/;

/** Articles longer than this are split at their （一） items, or else at sentence ends. */
const MAX_CHUNK_CHARS = 700;
/** Header lines at least this long are the preamble (为…制定本意见), not the issuing block. */
const PREAMBLE_MIN_CHARS = 60;

interface Article {
  key: string;
  label: string;
  lines: string[];
  chapter?: string;
}

/**
 * Splits a policy document into retrievable chunks along its own structure: the header (issuers, date, 文号),
 * the preamble, and one chunk per numbered article (一、/第X条), with the trailing （责任单位：…） note kept as
 * structured data. Chunk text is verbatim so excerpts can be quoted exactly.
 */
export function chunkDocument(doc: KnowledgeDocument): Chunk[] {
  // Markdown heading marks (## 第一章 总则) are layout, not words: the structure is in the numbering.
  const lines = doc.body.split('\n').map((l) => l.trim().replace(MARKDOWN_HEADING, '')).filter(Boolean);
  // A document with 第X条 articles uses 一、 for its parts (like chapters); otherwise 一、 marks the articles.
  const articlePattern = lines.some((l) => ARTICLE_TIAO.test(l)) ? ARTICLE_TIAO : ARTICLE_ITEM;
  const header: string[] = [];
  const articles: Article[] = [];
  let chapter: string | undefined;
  for (const line of lines) {
    const m = articlePattern.exec(line);
    if (m) {
      articles.push({ key: m[1]!, label: articlePattern === ARTICLE_TIAO ? `第${m[1]}条` : `${m[1]}、`, lines: [line], chapter });
    } else if (CHAPTER.test(line) || (articlePattern === ARTICLE_TIAO && ARTICLE_ITEM.test(line))) {
      chapter = line.length <= 40 ? line : undefined;
      if (!articles.length) header.push(line);
    } else if (articles.length) {
      articles.at(-1)!.lines.push(line);
    } else {
      header.push(line);
    }
  }

  const chunks: Chunk[] = [];
  const base = { documentId: doc.meta.id, departments: [] as string[] };
  const issuing = header.filter((l) => l.length < PREAMBLE_MIN_CHARS);
  const preamble = header.filter((l) => l.length >= PREAMBLE_MIN_CHARS);
  if (issuing.length) {
    chunks.push({ ...base, id: `${doc.meta.id}#header`, article: 'header', section: '文件头（发文机关、日期、文号）', heading: doc.meta.title, text: issuing.join('\n') });
  }
  if (preamble.length) {
    chunks.push({ ...base, id: `${doc.meta.id}#preamble`, article: 'header', section: '前言（制定依据）', heading: doc.meta.title, text: preamble.join('\n') });
  }
  // A document without any structure is still searchable: it becomes sentence-window chunks.
  if (!articles.length && !chunks.length) articles.push({ key: 'body', label: '', lines });

  for (const article of articles) {
    let text = article.lines.join('\n');
    let departments: string[] = [];
    const dm = DEPARTMENTS.exec(text);
    if (dm) {
      departments = dm[1]!.split(/[、，,；;\s]+/).map((d) => d.trim()).filter(Boolean);
      text = text.slice(0, dm.index).trimEnd();
    }
    const afterLabel = text.slice(article.label.length);
    const firstSentence = /^[^。；！？\n]{1,40}[。；]/.exec(afterLabel)?.[0].slice(0, -1);
    const heading = firstSentence ?? '';
    const sectionTitle = article.label ? `${article.label}${article.label.endsWith('、') ? '' : ' '}${heading}`.trim() : doc.meta.title;
    const section = article.chapter ? `${article.chapter} › ${sectionTitle}` : sectionTitle;
    const parts = split(text);
    parts.forEach((part, i) => {
      chunks.push({
        documentId: doc.meta.id,
        id: `${doc.meta.id}#${article.key}${parts.length > 1 ? `.${i + 1}` : ''}`,
        article: article.key,
        section,
        ...(article.chapter ? { chapter: article.chapter } : {}),
        heading,
        text: part,
        departments,
      });
    });
  }
  return chunks;
}

/** Splits a long text at （一） items when it has them, else packs whole sentences up to the limit. */
function split(text: string): string[] {
  if (text.length <= MAX_CHUNK_CHARS) return [text];
  const lines = text.split('\n');
  const units: string[] = [];
  if (lines.filter((l) => SUB_ITEM.test(l)).length >= 2) {
    for (const line of lines) {
      if (SUB_ITEM.test(line) || !units.length) units.push(line);
      else units[units.length - 1] += `\n${line}`;
    }
  } else {
    units.push(...(text.match(/[^。！？；\n]+[。！？；]?\n?/g) ?? [text]));
  }
  const parts: string[] = [];
  let current = '';
  for (const unit of units) {
    if (current && current.length + unit.length > MAX_CHUNK_CHARS) {
      parts.push(current.trim());
      current = '';
    }
    current += current && SUB_ITEM.test(unit) ? `\n${unit}` : unit;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}
