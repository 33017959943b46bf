/**
 * Ways to reach someone that a generated answer may carry only when the passages it cites carry them too:
 * links (with a scheme, or bare: www.…, evil-subsidy.example/apply), phone numbers (mobile, landline,
 * 400/800 numbers, a number named as a hotline) and chat-app account ids (微信号, 公众号, QQ, …). A model
 * talked into sending users somewhere writes one of these; an answer from the passages never needs one
 * the passages do not have. Both sides are read folded (NFKC, invisible characters removed), so a
 * full-width or zero-width spelling is the same contact.
 */

export type ContactKind = 'link' | 'phone' | 'account';

export interface Contact {
  kind: ContactKind;
  /** As written (folded). */
  text: string;
  /** What is compared: lower-case host and path of a link, the digits of a phone, the id of an account. */
  key: string;
}

const STOP = `\\s<>"'()（）\\[\\]【】，。；！？、`;
const SCHEME_LINK = new RegExp(`\\bhttps?://[^${STOP}]+`, 'gi');
/** A host of at least two labels whose last is letters only, and an optional port and path. */
const BARE_LINK = new RegExp(`(?<![\\w@.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,24}(?::\\d{1,5})?(?:/[^${STOP}]*)?`, 'gi');
const PHONES: RegExp[] = [
  /(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)/g,
  /(?<!\d)\(?0\d{2,3}\)?[ -]?\d{7,8}(?!\d)/g,
  /(?<!\d)[48]00[ -]?\d{3}[ -]?\d{4}(?!\d)/g,
  /(?<=(?:电话|热线|致电|拨打|联系方式|手机|座机|tel|phone|hotline|call)[^\d\n]{0,6})\d[\d -]{3,14}\d/gi,
];
const ACCOUNT = /(?:微信号?|微信公众号|公众号|小程序|vx|v信|威信|weixin|wechat|wx|qq群?号?|钉钉号?|抖音号?|telegram|whatsapp)\s*(?:号|id)?\s*[:：是为]?\s*([a-z0-9][a-z0-9_-]{4,29})/gi;
const WECHAT_ID = /\bwxid_[a-z0-9_-]{4,}/gi;

export function fold(text: string): string {
  return text.normalize('NFKC').replace(/\p{Cf}/gu, '');
}

const trimLink = (s: string) => s.replace(/[.,;:!?]+$/, '');
const linkKey = (s: string) => trimLink(s).toLowerCase().replace(/^https?:\/\//, '').replace(/\/$/, '');

/** Every contact in `text`. */
export function contactsIn(text: string): Contact[] {
  const folded = fold(text);
  const found: Contact[] = [];
  const schemed = [...folded.matchAll(SCHEME_LINK)];
  for (const m of schemed) found.push({ kind: 'link', text: trimLink(m[0]), key: linkKey(m[0]) });
  // Bare links not already part of a schemed one.
  for (const m of folded.matchAll(BARE_LINK)) {
    if (schemed.some((s) => m.index >= s.index && m.index < s.index + s[0].length)) continue;
    found.push({ kind: 'link', text: trimLink(m[0]), key: linkKey(m[0]) });
  }
  for (const pattern of PHONES) for (const m of folded.matchAll(pattern)) found.push({ kind: 'phone', text: m[0], key: m[0].replace(/\D/g, '').replace(/^86(?=1[3-9]\d{9}$)/, '') });
  for (const m of folded.matchAll(ACCOUNT)) found.push({ kind: 'account', text: m[0], key: m[1]!.toLowerCase() });
  for (const m of folded.matchAll(WECHAT_ID)) found.push({ kind: 'account', text: m[0], key: m[0].toLowerCase() });
  return found;
}

/** What the sources allow: their text (folded, lower-case), the digits of their number runs, their links. */
export interface ContactSources {
  text: string;
  digitRuns: string[];
  links: string[];
}

export function contactSources(texts: readonly string[], links: readonly string[] = []): ContactSources {
  const text = fold(texts.join('\n')).toLowerCase();
  return {
    text,
    digitRuns: [...text.matchAll(/\d[\d ()-]*\d/g)].map((m) => m[0].replace(/\D/g, '')),
    links: links.map(linkKey),
  };
}

/** Whether `contact` appears in the sources. */
export function allowedBy(contact: Contact, sources: ContactSources): boolean {
  switch (contact.kind) {
    case 'link':
      return sources.links.some((l) => contact.key.startsWith(l) || l.startsWith(contact.key)) || sources.text.includes(contact.key);
    case 'phone':
      return sources.digitRuns.some((run) => run.includes(contact.key));
    case 'account':
      return sources.text.includes(contact.key);
  }
}
