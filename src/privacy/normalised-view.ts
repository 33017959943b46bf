/**
 * A text as the masker reads it, tied to the text as it was written. The view folds what changes how a
 * number looks but not what it is: compatibility forms (NFKC: full-width digits, letters, ＠ and ．, the
 * ideographic space), invisible characters (zero-width spaces and joiners, soft hyphens, direction marks:
 * Unicode's default-ignorable code points) and, inside a run of at least seven digits, Chinese numerals
 * (一三八〇…, 幺 as said for 1, the financial forms 壹贰叁…). Every character of the view remembers the
 * span of the original it came from, so a match found in the view replaces exactly that span of the
 * original and everything else is returned as the user wrote it.
 */

const IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const CHINESE_DIGITS: Record<string, string> = {
  〇: '0', 零: '0', 一: '1', 幺: '1', 二: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9',
  壹: '1', 贰: '2', 叁: '3', 肆: '4', 伍: '5', 陆: '6', 柒: '7', 捌: '8', 玖: '9',
};
const DIGIT_LIKE = `[0-9${Object.keys(CHINESE_DIGITS).join('')}]`;
/** Seven or more digits or Chinese numerals, each maybe followed by one separator: a number, not a word. */
const NUMERAL_RUN = new RegExp(`(?:${DIGIT_LIKE}(?:[ ./_·‧・-]| {2})?){6,}${DIGIT_LIKE}`, 'g');
const CHINESE_DIGIT = new RegExp(`[${Object.keys(CHINESE_DIGITS).join('')}]`, 'g');

/** Where a character of the view came from in the original: [start, end), or -1 for replacement text. */
type Origin = [number, number] | -1;

interface Replacement {
  start: number;
  end: number;
  text: string;
}

export class NormalisedView {
  private view = '';
  private origins: Origin[] = [];
  private readonly replacements: Replacement[] = [];

  constructor(private readonly original: string) {
    let at = 0;
    for (const char of original) {
      const end = at + char.length;
      if (!IGNORABLE.test(char)) {
        for (const unit of char.normalize('NFKC').split('')) {
          this.view += unit;
          this.origins.push([at, end]);
        }
      }
      at = end;
    }
    // One character for one: the origins stay as they are.
    this.view = this.view.replace(NUMERAL_RUN, (run) => run.replace(CHINESE_DIGIT, (c) => CHINESE_DIGITS[c] ?? c));
  }

  /**
   * Replaces each match of a global `pattern` in the view with what `replacer` returns (undefined keeps
   * the match). A match that touches earlier replacement text is kept: it was masked already.
   */
  replace(pattern: RegExp, replacer: (match: string, ...groups: string[]) => string | undefined): void {
    let view = '';
    const origins: Origin[] = [];
    let at = 0;
    let changed = false;
    for (const match of this.view.matchAll(pattern)) {
      const start = match.index;
      const end = start + match[0].length;
      const span = this.origins.slice(start, end);
      if (span.length === 0 || span.some((o) => o === -1)) continue;
      const text = replacer(match[0], ...match.slice(1).map((g) => g ?? ''));
      if (text === undefined) continue;
      view += this.view.slice(at, start) + text;
      origins.push(...this.origins.slice(at, start), ...Array<Origin>(text.length).fill(-1));
      at = end;
      changed = true;
      this.replacements.push({ start: (span[0] as [number, number])[0], end: (span.at(-1) as [number, number])[1], text });
    }
    if (!changed) return;
    this.view = view + this.view.slice(at);
    this.origins = [...origins, ...this.origins.slice(at)];
  }

  /** The original with every replacement made. */
  result(): string {
    let out = '';
    let at = 0;
    for (const r of [...this.replacements].sort((a, b) => a.start - b.start)) {
      // Two matches inside one original character that NFKC expanded (rare): the character goes once.
      out += this.original.slice(at, Math.max(at, r.start)) + r.text;
      at = Math.max(at, r.end);
    }
    return out + this.original.slice(at);
  }
}
