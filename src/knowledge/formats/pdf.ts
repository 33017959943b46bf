/**
 * A text PDF to the document's text with pdf.js (Mozilla's reader, no browser): the positioned text runs
 * of each page are grouped into lines, running headers and page numbers are dropped, and the lines a
 * paragraph was wrapped into are joined back, so the chunker sees one paragraph (one 第X条) per line.
 *
 * Joining uses the page geometry, as a reader does: a line starts a new paragraph when it is indented
 * (Chinese paragraphs begin two characters in) or centred, when the line before it stopped short of the
 * right margin, or when it opens with an article number after a finished sentence. A PDF without a text
 * layer (a scan) is refused with that reason, never indexed as empty.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { STRUCTURE_LINE } from '../chunk.js';
import { DocumentError } from '../metadata.js';

const PDFJS_DIR = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
/** Fewer visible characters per page than this on average: no text layer to speak of (a scan). */
const MIN_CHARS_PER_PAGE = 20;
/** A header or footer is a top or bottom line repeated on at least this share of the pages. */
const REPEATED_SHARE = 0.5;
const PAGE_NUMBER = /^([-—–－\s]*[\d一二三四五六七八九十]{1,4}[-—–－\s]*|第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*\/\s*\d+|page\s+\d+(\s+of\s+\d+)?)$/i;
const SENTENCE_END = /[。；：！？:;.!?）)]$/;
const LATIN_END = /[A-Za-z0-9,.;:)]$/;
const LATIN_START = /^[A-Za-z0-9(]/;

interface Line {
  text: string;
  x0: number;
  x1: number;
  y: number;
  size: number;
  page: number;
}

export async function pdfToText(bytes: Buffer): Promise<string> {
  let pdf;
  try {
    pdf = await getDocument({
      data: new Uint8Array(bytes),
      cMapUrl: `${PDFJS_DIR}/cmaps/`,
      cMapPacked: true,
      standardFontDataUrl: `${PDFJS_DIR}/standard_fonts/`,
      useSystemFonts: false,
      disableFontFace: true,
      isEvalSupported: false,
      verbosity: 0,
    }).promise;
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'PasswordException') throw DocumentError.of('the PDF is password-protected: save it without a password');
    throw DocumentError.of(`not a readable PDF: ${(err as Error).message}`);
  }
  try {
    const pages: Line[][] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      pages.push(linesOf(content.items.filter((i): i is TextItem => 'str' in i), n));
      page.cleanup();
    }
    const chars = pages.flat().reduce((a, l) => a + l.text.replace(/\s/g, '').length, 0);
    if (chars < MIN_CHARS_PER_PAGE * pages.length) {
      throw DocumentError.of(`the PDF has no text layer (${chars} characters on ${pages.length} page${pages.length === 1 ? '' : 's'}): it looks scanned. Run OCR on it, or add the text as .docx or .md`);
    }
    return paragraphs(withoutRunningLines(pages)).join('\n');
  } finally {
    await pdf.destroy();
  }
}

/** Text runs grouped into lines, top to bottom; runs of one line ordered left to right. */
function linesOf(items: TextItem[], page: number): Line[] {
  const runs = items
    .filter((i) => i.str)
    .map((i) => ({ text: radicalsToIdeographs(i.str), x: i.transform[4] as number, y: i.transform[5] as number, width: i.width, size: Math.abs(i.transform[3] as number) || i.height }))
    .sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: (typeof runs)[] = [];
  for (const run of runs) {
    const last = lines.at(-1);
    if (last && Math.abs(last[0]!.y - run.y) < Math.max(last[0]!.size, run.size) * 0.5) last.push(run);
    else lines.push([run]);
  }
  return lines.filter((l) => l.some((r) => r.text.trim())).map((runsOfLine) => {
    runsOfLine.sort((a, b) => a.x - b.x);
    let text = '';
    let end = -Infinity;
    const size = Math.max(...runsOfLine.map((r) => r.size));
    for (const r of runsOfLine) {
      // A space run, or a visible gap between runs (Latin words, cells of a table row), is a space.
      const gap = r.x - end;
      if (text && (gap > size * 0.9 || (gap > size * 0.15 && LATIN_END.test(text) && LATIN_START.test(r.text)))) text += ' ';
      text += r.text;
      end = Math.max(end, r.x + r.width);
    }
    const first = runsOfLine.find((r) => r.text.trim()) ?? runsOfLine[0]!;
    return { text: text.replace(/\s+/g, ' ').trim(), x0: first.x, x1: end, y: runsOfLine[0]!.y, size, page };
  });
}

/**
 * Drops page numbers and running headers/footers: a top or bottom line of its page that is a page number,
 * or whose text (digits aside) is a top or bottom line on most pages.
 */
function withoutRunningLines(pages: Line[][]): Line[] {
  const key = (l: Line) => l.text.replace(/\d+/g, '#').replace(/\s/g, '');
  const edges = (lines: Line[]) => [...new Set([lines[0], lines[1], lines.at(-2), lines.at(-1)].filter((l): l is Line => !!l))];
  const counts = new Map<string, number>();
  for (const lines of pages) for (const k of new Set(edges(lines).map(key))) counts.set(k, (counts.get(k) ?? 0) + 1);
  const repeated = (l: Line) => pages.length >= 2 && (counts.get(key(l)) ?? 0) >= Math.max(2, Math.ceil(pages.length * REPEATED_SHARE));
  return pages.flatMap((lines) => {
    const drop = new Set(edges(lines).filter((l) => PAGE_NUMBER.test(l.text) || repeated(l)));
    return lines.filter((l) => !drop.has(l));
  });
}

/** Joins wrapped lines back into paragraphs, using the left and right margins of the text. */
function paragraphs(lines: Line[]): string[] {
  if (!lines.length) return [];
  const left = Math.min(...lines.map((l) => l.x0));
  const right = Math.max(...lines.map((l) => l.x1));
  const out: string[] = [];
  let prev: Line | undefined;
  for (const line of lines) {
    const indented = line.x0 > left + line.size * 0.8;
    const prevShort = prev !== undefined && prev.x1 < right - prev.size * 1.2;
    const resized = prev !== undefined && Math.abs(prev.size - line.size) > prev.size * 0.15;
    const opensArticle = STRUCTURE_LINE.test(line.text) && prev !== undefined && SENTENCE_END.test(out.at(-1) ?? '');
    if (!prev || indented || prevShort || resized || opensArticle) out.push(line.text);
    else out[out.length - 1] += (LATIN_END.test(out.at(-1)!) && LATIN_START.test(line.text) ? ' ' : '') + line.text;
    prev = line;
  }
  return out;
}

/**
 * Radicals of the CJK Radicals Supplement that stand for whole simplified characters, with those characters
 * (after Unicode's EquivalentUnifiedIdeograph.txt); NFKC does not map them.
 */
const SUPPLEMENT_RADICALS: Record<string, string> = {
  '⺟': '母', '⺠': '民', '⻄': '西', '⻅': '见', '⻆': '角', '⻉': '贝', '⻋': '车', '⻓': '长', '⻔': '门', '⻘': '青',
  '⻙': '韦', '⻚': '页', '⻛': '风', '⻜': '飞', '⻝': '食', '⻡': '首', '⻢': '马', '⻣': '骨', '⻤': '鬼', '⻥': '鱼',
  '⻦': '鸟', '⻧': '卤', '⻨': '麦', '⻩': '黄', '⻪': '黾', '⻬': '齐', '⻮': '齿', '⻰': '龙', '⻳': '龟',
};

/**
 * Many PDF writers map a glyph shared by a radical and an ideograph (⽰/示, ⼀/一, ⻔/门) to the radical.
 * Kangxi radicals map back through NFKC, the supplement's through the table; the rest stays verbatim.
 */
function radicalsToIdeographs(text: string): string {
  return text.replace(/[\u2e80-\u2eff\u2f00-\u2fdf]/g, (c) => SUPPLEMENT_RADICALS[c] ?? (c >= '\u2f00' ? c.normalize('NFKC') : c));
}
