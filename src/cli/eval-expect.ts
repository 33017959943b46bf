/**
 * How an evaluation question names the articles that answer it. `七` or `header` is an article of the seed
 * document (the first sets were written when it was the only one); `guide-trademark#六` names the document
 * too. Shared by `npm run eval` and the quality-floor tests so both score alike.
 */
export const SEED_DOCUMENT = 'zibo-ip-service-opinions-2023';

export interface ArticleRef {
  documentId: string;
  article: string;
}

/** `documentId#article` of an expected key. */
export function expectedKey(key: string): string {
  return key.includes('#') ? key : `${SEED_DOCUMENT}#${key}`;
}

/** Whether a retrieved or cited article is one of the expected ones. */
export function isExpected(expect: string[], ref: ArticleRef): boolean {
  const key = `${ref.documentId}#${ref.article}`;
  return expect.some((e) => expectedKey(e) === key);
}

/** Distinct articles of a ranked list, best first, as `documentId#article`. */
export function rankedArticles(refs: ArticleRef[]): string[] {
  return [...new Set(refs.map((r) => `${r.documentId}#${r.article}`))];
}

/** 1-based rank of the first expected article in a ranked list, 0 when none is there. */
export function rankOfExpected(expect: string[], refs: ArticleRef[]): number {
  const wanted = new Set(expect.map(expectedKey));
  return rankedArticles(refs).findIndex((k) => wanted.has(k)) + 1;
}
