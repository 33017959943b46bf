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
 */
import type { PiiFinding, PiiKind } from '../types.js';

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

  let out = text.replace(EMAIL, () => {
    count('email');
    return MASK_LABELS.email;
  });
  out = out.replace(ID_18, (match) => {
    // A checksum-failing ID shape that is a valid card number is a card; both are masked either way.
    const digits = match.replace(/ /g, '');
    const kind: PiiKind = !isValidIdCard(digits) && /^\d+$/.test(digits) && isLuhnValid(digits) ? 'bank_card' : 'id_card';
    count(kind);
    return MASK_LABELS[kind];
  });
  out = out.replace(ID_15, () => {
    count('id_card');
    return MASK_LABELS.id_card;
  });
  out = out.replace(CARD_CANDIDATE, (match) => {
    const digits = match.replace(/[ -]/g, '');
    if (digits.length < 16 || digits.length > 19 || !isLuhnValid(digits)) return match;
    count('bank_card');
    return MASK_LABELS.bank_card;
  });
  out = out.replace(MOBILE, (_match, prefix: string, head: string, _middle: string, tail: string) => {
    count('mobile');
    return `${prefix}${head}****${tail}`;
  });

  const order: PiiKind[] = ['mobile', 'id_card', 'email', 'bank_card'];
  const found = order.flatMap((kind) => {
    const n = counts.get(kind);
    return n ? [{ kind, count: n }] : [];
  });
  return { text: out, found };
}
