/**
 * HTML (a saved web page's article, or what mammoth makes of a Word file) to the plain text the chunker
 * reads: one line per block element (paragraph, heading, list item, table row), inline text joined, table
 * cells separated by a space. The chunker finds 第X章, 第X条, 一、 and （一） at the start of these lines.
 */
import { parseHTML } from 'linkedom';

/** Elements that end a line. */
const BLOCK = new Set([
  'ADDRESS', 'ARTICLE', 'ASIDE', 'BLOCKQUOTE', 'BODY', 'CAPTION', 'CENTER', 'DD', 'DIV', 'DL', 'DT', 'FIGCAPTION', 'FIGURE',
  'FOOTER', 'FORM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HR', 'LI', 'MAIN', 'NAV', 'OL', 'P', 'PRE', 'SECTION',
  'TABLE', 'TBODY', 'TFOOT', 'THEAD', 'TR', 'UL',
]);
const CELL = new Set(['TD', 'TH']);
const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'SVG', 'IFRAME', 'OBJECT', 'SELECT', 'BUTTON', 'INPUT', 'TEXTAREA']);

/** Minimal view of the DOM nodes walked (linkedom's types are loose). */
interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
}

/** The text of an HTML fragment or page, one block per line, blank lines dropped. */
export function htmlToLines(html: string): string {
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  return blockText(document.body as unknown as DomNode);
}

/** The text below a DOM node, one block per line. */
export function blockText(root: DomNode): string {
  const lines: string[] = [];
  let line = '';
  const end = () => {
    const t = line.replace(/[ \t\u00a0]+/g, ' ').trim();
    if (t) lines.push(t);
    line = '';
  };
  const walk = (node: DomNode) => {
    if (node.nodeType === 3) {
      line += (node.textContent ?? '').replace(/\s+/g, ' ');
      return;
    }
    if (node.nodeType !== 1 || SKIP.has(node.nodeName)) return;
    if (node.nodeName === 'BR') return end();
    const block = BLOCK.has(node.nodeName);
    if (block) end();
    if (CELL.has(node.nodeName) && line.trim()) line += ' ';
    for (const child of Array.from(node.childNodes)) walk(child);
    if (block) end();
  };
  walk(root);
  end();
  return lines.join('\n');
}
