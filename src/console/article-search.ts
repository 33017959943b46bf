/**
 * Finding any article of the loaded knowledge for a correction to cite: the reviewer may type a reference
 * (《商标法》第三十三条, 商标法 33条), words of the article's title or text, or a question. Only documents in
 * force today are searched (repealed, expired, not yet in force and superseded ones are left out, by the
 * same rules the bot answers by), so an approved answer never rests on a lapsed article.
 */
import { chinaDate, lapseOf, replacements } from '../knowledge/applicability.js';
import { chineseNumeral, toChineseNumeral } from '../knowledge/numerals.js';
import { NATIONAL_PREFIX } from '../knowledge/references.js';
import type { Chunk, DocumentMeta } from '../types.js';
import type { Knowledge } from './context.js';

export interface ArticleHit {
  chunk: Chunk;
  document: DocumentMeta;
}

/** At most this many articles are offered for one search. */
export const ARTICLE_HITS = 10;

/** Which documents may be cited today. */
export function inForce(knowledge: Knowledge, now = new Date()): (doc: DocumentMeta) => boolean {
  const today = chinaDate(now);
  const replaced = replacements(knowledge.documents, today);
  return (doc) => !lapseOf(doc, today, replaced);
}

/** 《document title》第X条 for an article of a law, 《document title》 and its section for other documents. */
export function articleLabel(chunk: Chunk, document: DocumentMeta | undefined): string {
  const title = `《${document?.title ?? chunk.documentId}》`;
  return chunkIsNumberedArticle(chunk) ? `${title}第${chunk.article}条` : `${title}${chunk.section}`;
}

function chunkIsNumberedArticle(chunk: Chunk): boolean {
  return chineseNumeral(chunk.article) !== undefined && chunk.section.includes(`第${chunk.article}条`);
}

const REFERENCE = /《?([^《》\s第]{2,40})》?\s*第?\s*([一二三四五六七八九十百零〇两]+|\d{1,3})\s*条/;

/** The document title words and article key a reference names (数字 read as 第三十三条's 三十三). */
function reference(query: string): { title: string; article: string } | undefined {
  const m = REFERENCE.exec(query);
  if (!m) return undefined;
  const n = /^\d+$/.test(m[2]!) ? Number(m[2]) : chineseNumeral(m[2]!);
  if (n === undefined || n < 1 || n > 999) return undefined;
  return { title: m[1]!.replace(NATIONAL_PREFIX, ''), article: toChineseNumeral(n) };
}

/**
 * Articles for a search text, best first: the article a reference names, then articles whose title,
 * section or text hold every word typed, then what the bot's own retrieval finds for the text.
 */
export async function findArticles(knowledge: Knowledge, query: string, now = new Date()): Promise<ArticleHit[]> {
  const text = query.trim().slice(0, 100);
  if (!text) return [];
  const accept = inForce(knowledge, now);
  const hits = new Map<string, ArticleHit>();
  const add = (chunk: Chunk) => {
    const document = knowledge.document(chunk.documentId);
    if (hits.size < ARTICLE_HITS && document && accept(document) && !hits.has(chunk.id)) hits.set(chunk.id, { chunk, document });
  };
  const named = reference(text);
  if (named) {
    for (const chunk of knowledge.chunks) {
      if (chunk.article === named.article && knowledge.document(chunk.documentId)?.title.includes(named.title)) add(chunk);
    }
  }
  const words = text.split(/\s+/).filter(Boolean);
  for (const chunk of knowledge.chunks) {
    const haystack = `${knowledge.document(chunk.documentId)?.title ?? ''} ${chunk.section} ${chunk.text}`;
    if (words.every((w) => haystack.includes(w))) add(chunk);
  }
  const retrieved = await knowledge.retrieve(text, ARTICLE_HITS, { accept });
  for (const passage of retrieved.passages) add(passage.chunk);
  return [...hits.values()];
}
