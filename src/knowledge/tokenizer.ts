import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { STOPWORDS } from './stopwords.js';

const WORD = /[\p{L}\p{N}]/u;
const CJK = /\p{Script=Han}/u;

/** The tokenizer made last, by its dictionary: a reload that leaves the dictionary alone reuses it. */
let latest: { dictionary: string; tokenizer: Tokenizer } | undefined;

/** Segments Chinese (and plain English) text into index terms. Immutable once made, so snapshots may share one. */
export class Tokenizer {
  private readonly jieba: Jieba;

  /** A tokenizer for this user dictionary; loading jieba's dictionary takes a few hundred ms, so the last one is kept. */
  static for(userDictionary: string): Tokenizer {
    if (latest?.dictionary !== userDictionary) latest = { dictionary: userDictionary, tokenizer: new Tokenizer(userDictionary) };
    return latest.tokenizer;
  }

  /** `userDictionary` is the jieba user dictionary text (`word freq [tag]` per line). */
  constructor(userDictionary = '') {
    this.jieba = Jieba.withDict(dict);
    const lines = userDictionary
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    if (lines.length) this.jieba.loadDict(Buffer.from(lines.join('\n')));
  }

  /**
   * Search terms: jieba's search mode also emits the shorter words inside long ones
   * (知识产权服务业 → 知识, 产权, 知识产权, 服务业 …), so a question's wording need not match the text's exactly.
   */
  terms(text: string): string[] {
    return this.clean(this.jieba.cutForSearch(normalize(text), true));
  }

  /** Whole words (no sub-words): the informative units of a question, used to measure coverage. */
  words(text: string): string[] {
    return this.clean(this.jieba.cut(normalize(text), true));
  }

  /** Sub-words of one word in search mode, e.g. 质押保证保险 → 质押, 保证, 保险. */
  parts(word: string): string[] {
    return this.clean(this.jieba.cutForSearch(word, true)).filter((w) => w !== word);
  }

  private clean(tokens: string[]): string[] {
    const out: string[] = [];
    for (const raw of tokens) {
      const t = raw.trim().toLowerCase();
      if (!t || !WORD.test(t) || STOPWORDS.has(t)) continue;
      // Lone Latin letters and digits carry nothing; lone Han characters may (e.g. 种, 税).
      if (t.length === 1 && !CJK.test(t)) continue;
      out.push(t);
    }
    return out;
  }
}

/** Full-width letters and digits to half-width, lower case; keeps Chinese punctuation as is. */
export function normalize(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ')
    .toLowerCase();
}
