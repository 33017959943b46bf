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
