/**
 * The fields of IP a text speaks of (patent, trademark, copyright …), read from its words. A question about
 * a patent is answered from patent documents before trademark ones: both laws have an article on 续展, 转让
 * and 无效, and the words around them are alike. A document's field comes from its title and tags, the way
 * an operator names it, so a new law or local regulation gets one without code; a document that names
 * several fields (a city's IP policy) or none is general and answers any field alike.
 */
import type { DocumentMeta } from '../types.js';

export const IP_FIELDS = ['patent', 'trademark', 'copyright', 'trade_secret', 'geographical_indication', 'plant_variety', 'ic_layout'] as const;
export type IpField = (typeof IP_FIELDS)[number];

/** Most specific first: 集成电路布图设计 is no patent's 设计, 植物新品种 no patent's 新. */
const FIELD_WORDS: [IpField, RegExp][] = [
  ['ic_layout', /集成电路|布图设计|布图|芯片|\b(integrated circuits?|layout[- ]designs?|chips?)\b/i],
  ['plant_variety', /植物新品种|品种权|新品种|育种|繁殖材料|\b(plant variet(y|ies)|breeders?)\b/i],
  ['geographical_indication', /地理标志|地标产品|原产地|\bgeographical indications?\b/i],
  ['trade_secret', /商业秘密|商业机密|技术秘密|经营秘密|泄密|竞业限制|\btrade secrets?\b/i],
  ['copyright', /著作权|版权|软著|软件|作品|盗版|计算机程序|\b(copyrights?|software|pirac\w*)\b/i],
  ['trademark', /商标|\btrade ?marks?\b/i],
  ['patent', /专利|发明|实用新型|外观设计|\b(patents?|inventions?|utility models?|designs?)\b/i],
];

/** The fields a text speaks of, most specific first. */
export function fieldsOf(text: string): IpField[] {
  return FIELD_WORDS.filter(([, re]) => re.test(text)).map(([field]) => field);
}

/** A document that names this many fields in its title and tags is about IP in general. */
const GENERAL = 3;

/** The fields a document is about: from its title, else its tags; none when it is general. */
export function documentFields(doc: Pick<DocumentMeta, 'title' | 'tags'>): IpField[] {
  const own = fieldsOf(doc.title);
  const fields = own.length ? own : fieldsOf(doc.tags.join(' '));
  return fields.length >= GENERAL ? [] : fields;
}
