import type { Jieba } from '@node-rs/jieba';
import { segmenter } from './segmenter.js';
import { STOPWORDS } from './stopwords.js';

const WORD = /[\p{L}\p{N}]/u;
const CJK = /\p{Script=Han}/u;
/** jieba (ICTCLAS) tags of verbs, with their morphemes (vg) and adverbial verbs (vd). */
const VERB_TAG = /^(v|vg|vd)$/;
/** jieba (ICTCLAS) tags of function words: f localiser, d adverb, p preposition, r pronoun, c conjunction, u* particle, y modal, m numeral, q measure, z* status. */
const FUNCTION_TAG = /^(f|d|p|r|c|u[a-z]*|y|m|q|e|o|z[a-z]*)$/;

/** Segments Chinese (and plain English) text into index terms. Immutable once made, so snapshots may share one. */
export class Tokenizer {
  private readonly jieba: Jieba;

  /** `userDictionary` is the jieba user dictionary text (`word freq [tag]` per line). */
  constructor(userDictionary = '') {
    // Loading jieba's dictionary takes a few hundred ms: the segmenter is made again only when this changes.
    this.jieba = segmenter(userDictionary);
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

  /** The text cut into words as written, every character kept (punctuation and spaces are tokens too). */
  cut(text: string): string[] {
    return this.jieba.cut(text, true);
  }

  /**
   * The characters of a word that jieba's part-of-speech model takes, alone, for a verb (改 of 改到, 告 of
   * 能告, not 小 or 往): what a colloquial word the documents never use says. Nouns are left out: a lone
   * noun character (书, 钱) has too many senses to stand for any one word.
   */
  contentCharacters(word: string): string[] {
    return [...new Set(word.match(/\p{Script=Han}/gu) ?? [])].filter((ch) => !STOPWORDS.has(ch) && VERB_TAG.test(this.jieba.tag(ch, false)[0]?.tag ?? ''));
  }

  /**
   * Words of the text that jieba's part-of-speech model tags as function words: localisers (后, 内), adverbs
   * (还, 都), prepositions (往, 靠), pronouns, conjunctions, particles, numerals and measure words. They shape
   * a question without naming what it is about.
   */
  functionWords(text: string): Set<string> {
    return this.tagged(text, (tag) => FUNCTION_TAG.test(tag));
  }

  /** Words of the text that jieba tags as verbs or function words: what does not name a thing (忘, 了, 咋). */
  notNames(text: string): Set<string> {
    return this.tagged(text, (tag) => VERB_TAG.test(tag) || FUNCTION_TAG.test(tag));
  }

  private tagged(text: string, keep: (tag: string) => boolean): Set<string> {
    const out = new Set<string>();
    for (const { word, tag } of this.jieba.tag(normalize(text), true)) if (keep(tag)) out.add(word.trim().toLowerCase());
    return out;
  }

  /** Whether the dictionary has the word: without new-word detection, the segmenter keeps it whole. */
  isWord(word: string): boolean {
    return this.jieba.cut(word, false).length === 1;
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
