/**
 * An article in full, for the citation detail ("全文"): the answer quotes the sentences that matter, the
 * whole article stays one request away. Long articles are stored as several chunks; they are joined here.
 */
import type { Chunk, DocumentMeta } from '../types.js';

export interface ArticleText {
  documentId: string;
  title: string;
  docNumber?: string;
  article: string;
  section: string;
  /** Verbatim text of the article, without the （责任单位：…） note. */
  text: string;
  departments: string[];
}

/** What the lookup needs of the knowledge base. */
export interface ArticleSource {
  chunks: readonly Chunk[];
  document(id: string): DocumentMeta | undefined;
}

export function articleText(source: ArticleSource, documentId: string, article: string): ArticleText | undefined {
  const parts = source.chunks.filter((c) => c.documentId === documentId && c.article === article);
  const first = parts[0];
  if (!first) return undefined;
  const doc = source.document(documentId);
  // The issuing block and the preamble share the key `header`; each is its own part.
  return {
    documentId,
    title: doc?.title ?? documentId,
    ...(doc?.docNumber ? { docNumber: doc.docNumber } : {}),
    article,
    section: first.section,
    text: parts.map((c) => c.text).join('\n'),
    departments: first.departments,
  };
}
