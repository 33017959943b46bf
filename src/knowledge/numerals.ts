const DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const UNITS: Record<string, number> = { 十: 10, 百: 100 };

/** Chinese numeral (一 … 九十九, 一百…) to a number; undefined when it is not one. */
export function chineseNumeral(s: string): number | undefined {
  if (!s || ![...s].every((c) => c in DIGITS || c in UNITS)) return undefined;
  let total = 0;
  let digit = 0;
  for (const c of s) {
    if (c in DIGITS) digit = DIGITS[c]!;
    else {
      total += (digit || 1) * UNITS[c]!;
      digit = 0;
    }
  }
  return total + digit;
}

const DIGIT_CHARS = '零一二三四五六七八九';

/** A number (1 … 999) as articles are numbered: 十一, 二十, 一百零一, 一百一十五. */
export function toChineseNumeral(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 999) throw new RangeError(`no article numeral for ${n}`);
  const hundreds = Math.floor(n / 100);
  const tens = Math.floor((n % 100) / 10);
  const ones = n % 10;
  let out = hundreds ? `${DIGIT_CHARS[hundreds]}百` : '';
  if (tens) out += hundreds || tens > 1 ? `${DIGIT_CHARS[tens]}十` : '十';
  else if (hundreds && ones) out += '零';
  if (ones) out += DIGIT_CHARS[ones];
  return out;
}
