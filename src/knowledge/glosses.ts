/**
 * Words of the knowledge that mean what an owner's word means, found through a bilingual dictionary:
 * CC-CEDICT gives every Chinese word its English senses, and two words that share a sense are near
 * synonyms (扣 "to confiscate" ~ 扣留, 告 "to sue" ~ 起诉, 藏 "to conceal" ~ 隐匿). The same senses read the
 * other way find the knowledge's words for an English question (detain → 扣留).
 *
 * Only the knowledge's own words are kept as targets, so what is held after the build is small: for every
 * dictionary word, the knowledge words it shares a sense with. The dictionary itself (11 MB) is read once
 * per build and let go.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A sense shared by more knowledge words than this says nothing particular ("to do", "to have"). */
const MAX_SHARING = 6;
/** Senses that are cross-references or grammar, not meaning. */
const NOT_A_SENSE = /^(variant of|old variant|used in|see |cl:|classifier|abbr\.|surname|also written|also pr\.|erhua|\(|pr\.|[a-z]+ \([a-z])/;
const WORD = /^[\p{Script=Han}]{1,6}$/u;

export interface GlossData {
  /** Dictionary word → knowledge words that share one of its senses, best first. */
  chinese: [string, string[]][];
  /** English sense → knowledge words that have it. */
  english: [string, string[]][];
}

/** The senses of one dictionary definition line: "to arrest; to detain (sb)" → arrest, detain. */
export function sensesOf(definitions: string[]): string[] {
  const out = new Set<string>();
  for (const d of definitions) {
    for (const raw of d.split(/[;；]/)) {
      const s = raw
        .toLowerCase()
        .replace(/\([^)]*\)/g, '')
        .replace(/\[[^\]]*\]/g, '')
        .replace(/^\s*(to|a|an|the)\s+/, '')
        .replace(/\b(sb|sth|one's|oneself)\b/g, '')
        .replace(/\s+/g, ' ')
        .trim();
      if (!s || NOT_A_SENSE.test(raw.trim().toLowerCase()) || s.length < 3 || s.split(' ').length > 3) continue;
      out.add(s);
    }
  }
  return [...out];
}

/** Reads CC-CEDICT as the cc-cedict package ships it (an ES module exporting `{ all: [[trad, simp, pinyin, defs], …] }`). */
function dictionary(): Map<string, string[]> {
  // The package exports only its lookup class, which would load three copies of the data; the data file is read directly.
  const file = path.join(path.dirname(fileURLToPath(import.meta.resolve('cc-cedict'))), '..', 'data', 'all.js');
  const text = readFileSync(file, 'utf8');
  const rows = (JSON.parse(text.slice(text.indexOf('{'))) as { all: [string, string, string, string | string[], ...unknown[]][] }).all;
  const senses = new Map<string, string[]>();
  for (const [, simplified, , definitions] of rows) {
    if (!WORD.test(simplified)) continue;
    const list = senses.get(simplified) ?? [];
    list.push(...(Array.isArray(definitions) ? definitions : [definitions]));
    senses.set(simplified, list);
  }
  return senses;
}

/** What `Glosses` holds, built from the knowledge's indexed words. */
export function buildGlosses(vocabulary: Iterable<string>): GlossData {
  const dict = dictionary();
  const bySense = new Map<string, string[]>();
  for (const word of vocabulary) {
    if (!WORD.test(word) || word.length < 2) continue;
    const defs = dict.get(word);
    if (!defs) continue;
    for (const s of sensesOf(defs)) {
      const list = bySense.get(s) ?? [];
      list.push(word);
      bySense.set(s, list);
    }
  }
  for (const [s, words] of bySense) if (words.length > MAX_SHARING) bySense.delete(s);
  const chinese: [string, string[]][] = [];
  for (const [word, defs] of dict) {
    const score = new Map<string, number>();
    for (const s of sensesOf(defs)) for (const w of bySense.get(s) ?? []) if (w !== word) score.set(w, (score.get(w) ?? 0) + 1);
    // Only the words sharing the most senses: 扣 shares two with 扣留 (arrest, confiscate), one with 没收.
    // A single character has many senses: one shared sense is too weak a sign (靠 "to rely on" ~ 依托).
    const best = Math.max(0, ...score.values());
    if (best >= (word.length === 1 ? 2 : 1)) chinese.push([word, [...score].filter(([, n]) => n === best).map(([w]) => w)]);
  }
  return { chinese, english: [...bySense] };
}

export class Glosses {
  private readonly chinese: Map<string, string[]>;
  private readonly english: Map<string, string[]>;

  constructor(readonly data: GlossData) {
    this.chinese = new Map(data.chinese);
    this.english = new Map(data.english);
  }

  /** Knowledge words sharing a sense with a Chinese word (none when the dictionary lacks it). */
  synonyms(word: string): string[] {
    return this.chinese.get(word) ?? [];
  }

  /** Knowledge words with an English word's sense, in any of its forms (detained → detain → 扣留). */
  translations(word: string): string[] {
    return englishForms(word.toLowerCase()).flatMap((w) => this.english.get(w) ?? []);
  }
}

/** An English word and its likely dictionary forms (detained → detain, damages → damage). */
function englishForms(word: string): string[] {
  const forms = [word];
  for (const [suffix, replacement] of [['ies', 'y'], ['es', ''], ['s', ''], ['ed', ''], ['ed', 'e'], ['ing', ''], ['ing', 'e']] as const) {
    if (word.endsWith(suffix) && word.length > suffix.length + 2) forms.push(word.slice(0, -suffix.length) + replacement);
  }
  return [...new Set(forms)];
}
