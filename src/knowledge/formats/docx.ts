/**
 * A Word file (.docx) to text with mammoth: headings, paragraphs, list items and table rows become lines
 * (through the same HTML-to-lines step as web pages). Word's automatic numbering is formatting, not text:
 * mammoth keeps the items but not their numbers, so a file that numbers its articles that way is flagged.
 */
import mammoth from 'mammoth';
import { DocumentError, type Issue } from '../metadata.js';
import { htmlToLines } from './blocks.js';
import { STRUCTURE_LINE } from '../chunk.js';

export async function docxToText(bytes: Buffer): Promise<{ text: string; warnings: Issue[] }> {
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: bytes })).value;
  } catch (err) {
    throw DocumentError.of(`not a readable Word file (.docx): ${(err as Error).message.split('\n')[0]}`);
  }
  const text = htmlToLines(html);
  if (!text.trim()) throw DocumentError.of('the Word file has no text');
  const warnings: Issue[] = [];
  const listItems = (html.match(/<li>/g) ?? []).length;
  if (listItems >= 3 && !text.split('\n').some((l) => STRUCTURE_LINE.test(l))) {
    warnings.push({
      severity: 'warning',
      message: `${listItems} paragraphs use Word's automatic numbering, which is not part of the text: type the numbers (第一条, 一、) so answers can cite the articles`,
    });
  }
  return { text, warnings };
}
