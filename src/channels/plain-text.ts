/** Plain-text splitting shared by the channels whose messages have a length limit. */

/**
 * Splits plain text into pieces of at most `limit` UTF-16 units, preferring paragraph, then line, then
 * sentence boundaries, and never cutting a surrogate pair. Concatenated, the pieces give back the text.
 */
export function splitPlainText(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = Math.max(window.lastIndexOf('\n\n') + 2, 0);
    if (cut < limit / 2) cut = window.lastIndexOf('\n') + 1;
    if (cut < limit / 2) cut = Math.max(...['。', '！', '？', '；', '. ', '! ', '? '].map((p) => window.lastIndexOf(p) + p.length));
    if (cut < limit / 2) cut = limit;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length || !pieces.length) pieces.push(rest);
  return pieces;
}
