/**
 * Homophone typos in questions: owners type with pinyin input methods, so a wrong character usually sounds
 * like the right one (续站 for 续展, 实用新形 for 实用新型, 专力 for 专利, 一议 for 异议). A stretch of the
 * question that is no word of the knowledge but sounds exactly like one that is, differing in one character,
 * is read as that word. The vocabulary is the knowledge's own (its indexed terms, the user dictionary and the
 * thesaurus), so the correction works for any document an operator loads and names no document's phrases.
 */
import { pinyin } from 'pinyin-pro';

const HAN = /^\p{Script=Han}+$/u;
/**
 * Grammatical characters: typed on purpose far more often than by mistake, so a word is not "corrected" by
 * changing one of them (不交 is not 补交, 上会 not 商会, 已于 not 益于).
 */
const FUNCTION_CHARS = new Set([...'不没已未上下的地得了着过是在和与及或有也就都还又才把被给让对从向于以之其而这那']);
/** Word lengths tried, longest first: a longer match is the better evidence. */
const LENGTHS = [4, 3, 2];

/** The segmenter, as the speller needs it. */
export interface WordSource {
  /** The text cut into words with new-word detection, every character kept. */
  cut(text: string): string[];
  /** Whether the general dictionary (or the user dictionary) has the word. */
  isWord(word: string): boolean;
}

export interface Correction {
  from: string;
  to: string;
}

export class Speller {
  /** Toneless pinyin of a word ("xu zhan") → the vocabulary's words that sound so, most frequent first. */
  private readonly bySound = new Map<string, string[]>();
  private readonly known: Set<string>;

  /**
   * `frequency` ranks candidates that sound alike (how many passages use the word); `occurs` tells whether
   * the knowledge's text has a phrase (asked only when several candidates sound alike).
   */
  constructor(
    words: Iterable<string>,
    frequency: (word: string) => number,
    private readonly occurs: (phrase: string) => boolean,
  ) {
    this.known = new Set();
    for (const word of words) {
      if (word.length < 2 || word.length > 4 || !/^\p{Script=Han}+$/u.test(word)) continue;
      this.known.add(word);
    }
    for (const word of this.known) {
      const key = sound(word);
      const list = this.bySound.get(key);
      if (list) list.push(word);
      else this.bySound.set(key, [word]);
    }
    for (const list of this.bySound.values()) list.sort((a, b) => frequency(b) - frequency(a));
  }

  /**
   * The question with its homophone typos replaced, and what was replaced. The segmenter's cut with new-word
   * detection turns a typo into a word no dictionary has (续站, 专力, 一议期); a word of the general dictionary
   * (一直, 示范, 哪里) is never touched, even when the knowledge does not use it.
   */
  correct(text: string, words: WordSource): { text: string; corrections: Correction[] } {
    const corrections: Correction[] = [];
    const tokens = words.cut(text);
    if (tokens.join('') !== text) return { text, corrections }; // a cut that drops characters cannot be mapped back
    const out = tokens.map((token, index) => {
      if (token.length < 2 || !HAN.test(token) || this.known.has(token) || words.isWord(token)) return token;
      const syllables = pinyin(token, { toneType: 'none', type: 'array' });
      if (syllables.length !== token.length) return token;
      for (const n of LENGTHS.filter((l) => l <= token.length)) {
        for (let i = 0; i + n <= token.length; i++) {
          const typed = token.slice(i, i + n);
          const candidates = this.bySound.get(syllables.slice(i, i + n).join(' '))?.filter((w) => differsInOne(typed, w)) ?? [];
          if (!candidates.length) continue;
          // Several words sound alike (职物: 职务 or 植物?): the one that makes a known word with its neighbour wins.
          const neighbours = [tokens[index - 1], tokens[index + 1]].map((t) => (t && HAN.test(t) && !FUNCTION_CHARS.has(t) ? t : undefined));
          const phrases = (w: string) => [neighbours[0] && neighbours[0] + w, neighbours[1] && w + neighbours[1]].filter((p): p is string => !!p);
          const fits = (w: string) => phrases(w).some((phrase) => this.known.has(phrase) || words.isWord(phrase) || this.occurs(phrase));
          const to = candidates.find(fits) ?? candidates[0]!;
          corrections.push({ from: typed, to });
          return token.slice(0, i) + to + token.slice(i + n);
        }
      }
      return token;
    });
    return { text: out.join(''), corrections };
  }
}

function sound(word: string): string {
  return pinyin(word, { toneType: 'none', type: 'array' }).join(' ');
}

/** Same length, exactly one character different, and that one not a grammatical character. */
function differsInOne(typed: string, word: string): boolean {
  if (typed.length !== word.length) return false;
  const diff = [...typed].flatMap((c, i) => (c === word[i] ? [] : [c]));
  return diff.length === 1 && !FUNCTION_CHARS.has(diff[0]!);
}
