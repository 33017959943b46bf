/**
 * Articles a text points to: a guide that explains the law in plain words ends each item with
 * （依据：《商标法》第四十条）, a regulation says 专利法第十九条所称…. Read from the text, resolved against the
 * documents loaded by title, so that the law itself can be cited before the guide that explains it. Any
 * document that names another by its title and article gets this; nothing is written per document.
 */
import type { Chunk, DocumentMeta } from '../types.js';
import { chineseNumeral, toChineseNumeral } from './numerals.js';

const NUMERAL = '[一二三四五六七八九十百零〇两]+';
/** 《商标法》（2019年修正）第三条、第四条、第八条至第十一条第二款 */
const REFERENCE = new RegExp(`《([^》]{2,40})》(?:（[^）]{0,20}）)?((?:第${NUMERAL}条(?:第${NUMERAL}款)?(?:[、，,和及与]|至|到)?)+)`, 'g');
const ARTICLE = new RegExp(`第(${NUMERAL})条(?:第${NUMERAL}款)?(至|到)?`, 'g');
/** A range longer than this is a summary, not a pointer. */
const MAX_RANGE = 10;
/** The prefix national law titles carry and citations leave out. */
export const NATIONAL_PREFIX = '中华人民共和国';

/** `title → article numerals` named in a text, in order. */
export function referencesIn(text: string): { title: string; articles: string[] }[] {
  const out: { title: string; articles: string[] }[] = [];
  for (const m of text.matchAll(REFERENCE)) {
    const articles: string[] = [];
    let rangeFrom: number | undefined;
    for (const a of m[2]!.matchAll(ARTICLE)) {
      const n = chineseNumeral(a[1]!);
      if (n === undefined) continue;
      if (rangeFrom !== undefined && n > rangeFrom && n - rangeFrom <= MAX_RANGE) {
        for (let k = rangeFrom + 1; k < n; k++) articles.push(toChineseNumeral(k));
      }
      articles.push(a[1]!);
      rangeFrom = a[2] ? n : undefined;
    }
    if (articles.length) out.push({ title: m[1]!, articles });
  }
  return out;
}

/** The document a cited title names: its own title, with or without 中华人民共和国, and without an edition note. */
export function documentTitled(documents: DocumentMeta[], title: string): DocumentMeta | undefined {
  const bare = (t: string) => t.replace(/（[^）]*）$/, '').replace(NATIONAL_PREFIX, '');
  const wanted = bare(title);
  return documents.find((d) => bare(d.title) === wanted);
}

/**
 * For every chunk, the chunks of other documents it points to, by index. A document never points to
 * itself this way (a law's 本法第X条 is no other authority).
 */
export function referenceMap(chunks: Chunk[], documents: DocumentMeta[]): Map<number, number[]> {
  const byArticle = new Map<string, number>();
  chunks.forEach((c, i) => {
    const key = `${c.documentId}#${c.article}`;
    if (!byArticle.has(key)) byArticle.set(key, i);
  });
  const map = new Map<number, number[]>();
  chunks.forEach((c, i) => {
    const targets: number[] = [];
    for (const ref of referencesIn(c.text)) {
      const doc = documentTitled(documents, ref.title);
      if (!doc || doc.id === c.documentId) continue;
      for (const a of ref.articles) {
        const t = byArticle.get(`${doc.id}#${a}`);
        if (t !== undefined && !targets.includes(t)) targets.push(t);
      }
    }
    if (targets.length) map.set(i, targets);
  });
  return map;
}
