/**
 * A saved government web page (.html) to the article's text. Mozilla's Readability (the Firefox reader
 * view, run on linkedom's DOM: no browser) finds the article body and leaves out navigation, breadcrumbs,
 * sidebars and footers; when it finds nothing, the page's body without its nav/header/footer/aside is
 * used. Page tools inside the article (打印, 关闭窗口, 字体大中小) are dropped.
 */
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { DocumentError } from '../metadata.js';
import { blockText, htmlToLines } from './blocks.js';

/** Less article text than this (characters) is taken as no article at all. */
const MIN_ARTICLE_CHARS = 20;
const CHROME = 'nav, header, footer, aside, form, script, style, noscript, [role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true]';
const PAGE_TOOL = /^((打印(本页|此页)?|关闭(窗口|本页)?|收藏(本页)?|分享到?|返回顶部|(字体|字号)[:：\s]*([大中小]\s*)+)\s*)+$/;

/** The article text of a saved page, read in the encoding the page declares (many government sites still use GBK). */
export function htmlToText(bytes: Buffer): string {
  const html = decode(bytes);
  const { document } = parseHTML(html);
  const article = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: MIN_ARTICLE_CHARS }).parse();
  let text = article?.content ? htmlToLines(article.content) : '';
  if (visible(text) < MIN_ARTICLE_CHARS) {
    // Readability changed the DOM while scoring it: start again from the source.
    const { document: page } = parseHTML(html);
    for (const el of page.querySelectorAll(CHROME)) el.remove();
    text = page.body ? blockText(page.body as never) : '';
  }
  text = text
    .split('\n')
    .filter((l) => !PAGE_TOOL.test(l.replace(/[【】[\]|｜]/g, ' ').trim()))
    .join('\n');
  if (visible(text) < MIN_ARTICLE_CHARS) throw DocumentError.of('no article text found in the page (is it the saved page itself, not a frame or a redirect?)');
  return text;
}

/** UTF-8 unless a byte-order mark or a <meta charset> says otherwise. */
function decode(bytes: Buffer): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  const declared = /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i.exec(bytes.subarray(0, 2048).toString('latin1'))?.[1];
  try {
    return new TextDecoder(declared ?? 'utf-8').decode(bytes);
  } catch {
    throw DocumentError.of(`the page declares an unknown character set "${declared}"`);
  }
}

function visible(text: string): number {
  return text.replace(/\s/g, '').length;
}
