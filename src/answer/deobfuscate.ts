/**
 * The readings of a message that the injection rules are matched against, so that an instruction hidden
 * by encoding still reads as one: compatibility forms folded (full-width letters, CJK compatibility
 * ideographs and Kangxi radicals, NFKC), invisible characters removed (zero-width spaces and joiners,
 * word joiners, bidi marks: Unicode format characters), look-alike letters of other scripts read as Latin
 * (Unicode's confusables, via the `confusables` package), letters spaced out one by one joined up, and
 * base64 runs decoded.
 */
import { remove as latinLookalikes } from 'confusables';

const FORMAT_CHARS = /\p{Cf}/gu;
// The confusables table reads a Cyrillic or Greek capital I as a lower-case l (their common skeleton).
const CAPITAL_I = /[\u0399\u0406\u04C0]/g;
/** Single characters separated by spaces: "i g n o r e", "忽 略 以 上". */
const SPACED_LATIN = /(?<=(?:^|[^\p{L}])\p{L}) (?=\p{L}(?:[^\p{L}]|$))/gu;
const SPACED_HAN = /(?<=[\p{Script=Han}，。、：；！？“”])\s+(?=[\p{Script=Han}，。、：；！？“”])/gu;
const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;

export function readings(text: string): string[] {
  const folded = latinLookalikes(text.normalize('NFKC').replace(FORMAT_CHARS, '').replace(CAPITAL_I, 'I'));
  const joined = folded.replace(SPACED_LATIN, '').replace(SPACED_HAN, '');
  return [...new Set([text, folded, joined, ...base64Readings(folded)])];
}

/** The readable texts that the base64 runs of `text` encode. */
export function base64Readings(text: string): string[] {
  return [...text.matchAll(BASE64_RUN)].map((m) => decodeBase64Text(m[0])).filter((t): t is string => t !== undefined);
}

/** The text a base64 run encodes, when it is readable UTF-8 text; undefined for anything else. */
function decodeBase64Text(run: string): string | undefined {
  const decoded = Buffer.from(run, 'base64').toString('utf8');
  if (decoded.includes('\ufffd') || /[\u0000-\u0008\u000e-\u001f]/.test(decoded)) return undefined;
  return /[\p{L}]{3}/u.test(decoded) ? decoded : undefined;
}
