/**
 * Masks personal information in free text before it is stored or sent to an LLM (DESIGN decision 7).
 *
 * What is masked, and how it reads afterwards:
 * - e-mail addresses            → `[邮箱]`
 * - ID-card numbers (18 and 15 digits, checksum valid or not, spaces between groups allowed) → `[身份证号]`
 * - bank-card numbers (16–19 digits, Luhn-valid, optionally grouped) → `[银行卡号]`
 * - mainland mobile numbers (+86 / 86 / 0086 / 0 prefixes, spaces or dashes between 3-4-4 groups)
 *   → `138****8000`, the 3+4 form Chinese apps use, so a user still recognises their own number.
 *   The prefix is kept as written.
 *
 * What is deliberately left alone: landlines (0533-1234567, 400-…): in these consultations they are the
 * published numbers of offices and agencies, not personal ones. Also left alone: dates, amounts, document
 * numbers (淄市监知促字〔2023〕130号), patent application numbers (12 digits + check), unified social credit
 * codes (they contain letters or start with a non-province code), and any digit run that fits none of the
 * shapes above (Luhn-failing 16–19-digit runs are order or tracking numbers more often than cards).
 *
 * Order matters: e-mails first (a local part can be a phone number), then IDs, then bank cards, then
 * mobiles. Placeholders contain no digits, so a masked ID can never be masked again as a phone.
 *
 * The shapes are looked for in a normalised view of the text (normalised-view.ts), not in the text as
 * typed: full-width characters folded (NFKC: １３８…, ｚｈａｎｇ＠１６３．ｃｏｍ), invisible characters
 * dropped (a zero-width space inside a number), runs of Chinese numerals read as digits (一三八…). A
 * second pass joins digit groups split by other separators (138.1111.4444, 138/1111/7777,
 * 1 3 8 1 1 1 1 4 4 4 4, a hyphenated ID number) when the groups together make a mobile or ID number,
 * or four-digit groups a bank card. Only the matched spans of the original are replaced: the rest of
 * the text stays exactly as written, so a masked message still reads as the user wrote it.
 */
import type { PiiFinding, PiiKind } from '../types.js';
import { NormalisedView } from './normalised-view.js';

/** The text with personal numbers masked, and what was masked (kinds and counts). */
export interface MaskResult {
  text: string;
  found: PiiFinding[];
}

/** Placeholders that replace a masked value (mobiles keep 3+4 digits instead). */
export const MASK_LABELS = {
  email: '[邮箱]',
  id_card: '[身份证号]',
  bank_card: '[银行卡号]',
} as const;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

// GB 11643 shape: province code, 6-digit region, birth date, 3-digit sequence, check character.
const PROVINCE = '(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3])';
const MONTH_DAY = '(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])';
const ID_18 = new RegExp(
  `(?<!\\d)${PROVINCE}\\d{4} ?(?:18|19|20)\\d{2}${MONTH_DAY} ?\\d{3}[\\dXx](?![\\dA-Za-z])`,
  'g',
);
const ID_15 = new RegExp(`(?<!\\d)${PROVINCE}\\d{4}\\d{2}${MONTH_DAY}\\d{3}(?!\\d)`, 'g');

// 16–19 digits, contiguous or in groups of four separated by one space or dash.
const CARD_CANDIDATE = /(?<!\d)\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?!\d)/g;

// 1[3-9]x + 8 digits as 3-4-4, contiguous or grouped; optional country/trunk prefix.
const MOBILE = /(?<!\d)((?:(?:\+|00)86[ -]?|\(\+?86\)[ -]?|86[ -]?|0)?)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)/g;

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS = '10X98765432';

/** GB 11643 check character of the first 17 digits. */
export function idCardCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (ID_WEIGHTS[i] ?? 0);
  return ID_CHECK_CHARS[sum % 11] ?? '';
}

/** Whether an 18-character ID number (digits, last may be X) carries a correct check character. */
export function isValidIdCard(id: string): boolean {
  const normalized = id.replace(/ /g, '').toUpperCase();
  return /^\d{17}[\dX]$/.test(normalized) && idCardCheckChar(normalized) === normalized[17];
}

/** Luhn (mod 10) check used by bank cards. */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Masks mobile numbers, ID-card numbers, e-mail addresses and bank-card numbers in `text`. */
export function maskPersonalInfo(text: string): MaskResult {
  const counts = new Map<PiiKind, number>();
  const count = (kind: PiiKind) => counts.set(kind, (counts.get(kind) ?? 0) + 1);
  const view = new NormalisedView(text);

  view.replace(EMAIL, () => {
    count('email');
    return MASK_LABELS.email;
  });
  view.replace(ID_18, (match) => {
    // A checksum-failing ID shape that is a valid card number is a card; both are masked either way.
    const digits = match.replace(/ /g, '');
    const kind: PiiKind = !isValidIdCard(digits) && /^\d+$/.test(digits) && isLuhnValid(digits) ? 'bank_card' : 'id_card';
    count(kind);
    return MASK_LABELS[kind];
  });
  view.replace(ID_15, () => {
    count('id_card');
    return MASK_LABELS.id_card;
  });
  view.replace(CARD_CANDIDATE, (match) => {
    const digits = match.replace(/[ -]/g, '');
    if (digits.length < 16 || digits.length > 19 || !isLuhnValid(digits)) return undefined;
    count('bank_card');
    return MASK_LABELS.bank_card;
  });
  view.replace(MOBILE, (_match, prefix: string, head: string, _middle: string, tail: string) => {
    count('mobile');
    return `${prefix}${head}****${tail}`;
  });
  view.replace(SEPARATED_DIGITS, (match) => maskSeparated(match, count));

  const order: PiiKind[] = ['mobile', 'id_card', 'email', 'bank_card'];
  const found = order.flatMap((kind) => {
    const n = counts.get(kind);
    return n ? [{ kind, count: n }] : [];
  });
  return { text: view.result(), found };
}

/**
 * Digit groups split by one separator each (or two spaces): `.`, `/`, `-`, `_`, a space, a middle dot.
 * The last group of an ID number may end in X.
 */
const SEPARATED_DIGITS = /(?<![\dA-Za-z])\d+(?:(?:[ ./_·‧・-]| {2})\d+)+[Xx]?(?![\dA-Za-z])/g;
const GROUP = /\d+[Xx]?/g;
const MOBILE_DIGITS = /^1[3-9]\d{9}$/;
const ID_18_WHOLE = new RegExp(`^${PROVINCE}\\d{4}(?:18|19|20)\\d{2}${MONTH_DAY}\\d{3}[\\dXx]$`);
const ID_15_WHOLE = new RegExp(`^${PROVINCE}\\d{4}\\d{2}${MONTH_DAY}\\d{3}$`);

/**
 * The run with every stretch of whole groups that makes a mobile, ID or (in groups of four) bank-card
 * number masked, longest stretch first; undefined when there is none. Other digit runs (dates 2023.11.09,
 * amounts, article and document numbers) match no shape and stay.
 */
function maskSeparated(run: string, count: (kind: PiiKind) => void): string | undefined {
  const groups = [...run.matchAll(GROUP)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
  let out = '';
  let at = 0;
  let changed = false;
  for (let i = 0; i < groups.length; i++) {
    // No number looked for has more than 19 characters: stretches stop there, so a long run costs linear time.
    let last = i;
    for (let length = groups[i]!.text.length; last + 1 < groups.length && length + groups[last + 1]!.text.length <= 19; ) length += groups[++last]!.text.length;
    for (let j = last; j > i; j--) {
      const stretch = groups.slice(i, j + 1);
      const joined = stretch.map((g) => g.text).join('');
      const kind = separatedKind(joined, stretch.map((g) => g.text.length));
      if (!kind) continue;
      count(kind);
      out += run.slice(at, groups[i]!.start) + (kind === 'mobile' ? `${joined.slice(0, 3)}****${joined.slice(-4)}` : MASK_LABELS[kind]);
      at = groups[j]!.end;
      changed = true;
      i = j;
      break;
    }
  }
  return changed ? out + run.slice(at) : undefined;
}

function separatedKind(joined: string, lengths: number[]): PiiKind | undefined {
  if (/[Xx]/.test(joined.slice(0, -1))) return undefined;
  if (MOBILE_DIGITS.test(joined)) return 'mobile';
  if (ID_18_WHOLE.test(joined) || ID_15_WHOLE.test(joined)) return 'id_card';
  const cardGroups = lengths.slice(0, -1).every((n) => n === 4) && lengths.length >= 4;
  if (cardGroups && /^\d{16,19}$/.test(joined) && isLuhnValid(joined)) return 'bank_card';
  return undefined;
}
