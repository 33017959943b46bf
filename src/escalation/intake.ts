/**
 * What a referral needs before an agency can be chosen: the IP field, the service and the district. Field and
 * service are read from the question and the conversation; the user is asked (with buttons) only when that
 * leaves the choice of agency open.
 */
import { FIELD_LABELS, type Agency, type IpField, type Service } from './agencies.js';

const FIELD_WORDS: [IpField, RegExp][] = [
  ['ic_layout', /集成电路|布图/],
  ['plant_variety', /植物新品种|品种权|新品种|种子|育种/],
  ['geographical_indication', /地理标志|地标产品|原产地/],
  ['trade_secret', /商业秘密|技术秘密|配方|泄密|竞业|trade secret/i],
  ['copyright', /版权|著作权|软著|软件著作|盗版|抄袭|转载|copyright|pirac/i],
  ['trademark', /商标|品牌|抢注|logo|trademark|brand/i],
  ['patent', /专利|发明|实用新型|外观设计|权利要求|pct|patent/i],
];

const SERVICE_WORDS: [Service, RegExp][] = [
  ['overseas', /海外|国外|境外|出口|337|跨境|马德里|overseas|abroad/i],
  ['mediation_arbitration', /调解|仲裁|mediat|arbitrat/i],
  ['litigation', /起诉|诉讼|打官司|律师|应诉|侵权|维权|索赔|赔偿|lawsuit|lawyer|attorney|sue\b|infring/i],
  ['valuation_finance', /评估|估值|质押|融资|贷款|保险|valuation|pledge|financ/i],
  ['agency', /申请|注册|代理|撰写|起草|写.{0,4}(权利要求|说明书|申请)|答复|审查意见|续展|登记|申报|file|filing|register|draft/i],
  ['consulting', /咨询|意见|分析|FTO|自由实施|风险|检索|consult|opinion|analys/i],
];

export interface Needs {
  field?: IpField;
  service?: Service;
  district?: string;
}

/** Field and service from the question (and earlier questions of the conversation, most recent first). */
export function inferNeeds(texts: string[]): Pick<Needs, 'field' | 'service'> {
  const find = <T>(table: [T, RegExp][]) => {
    for (const text of texts) for (const [value, re] of table) if (re.test(text)) return value;
    return undefined;
  };
  return { field: find(FIELD_WORDS), service: find(SERVICE_WORDS) };
}

/**
 * The district the user named (the question first, then earlier turns), among `districts` (those agencies
 * serve): "张店区" or just "张店".
 */
export function inferDistrict(texts: string[], districts: readonly string[]): string | undefined {
  for (const text of texts) {
    for (const d of districts) {
      const short = d.replace(/[区县市]$/, '');
      if (text.includes(d) || (short.length >= 2 && text.includes(short))) return d;
    }
  }
  return undefined;
}

/** Services that take a request whose kind is not known yet; a court of arbitration, say, does not. */
const GENERAL_SERVICES: readonly Service[] = ['consulting', 'agency'];

/**
 * Whether an agency can take a case with these needs. An unknown field matches any; an unknown service
 * only an agency offering general help; an unknown district only a city-wide agency.
 */
export function serves(agency: Agency, needs: Needs): boolean {
  if (needs.field && !agency.fields.includes(needs.field)) return false;
  if (needs.service ? !agency.services.includes(needs.service) : !agency.services.some((s) => GENERAL_SERVICES.includes(s))) return false;
  if (agency.districts === 'all') return true;
  return needs.district !== undefined && agency.districts.includes(needs.district);
}

export type IntakeQuestion = { slot: 'district'; options: string[] } | { slot: 'field'; options: IpField[] };

/**
 * The one question to ask before routing, if any: the district when agencies that fit the case differ by
 * district, the field when it is unknown and the agencies that fit differ by field. `asked` lists slots the
 * user already answered or skipped (each is asked once).
 */
export function nextQuestion(agencies: Agency[], needs: Needs, asked: ReadonlySet<string>): IntakeQuestion | undefined {
  if (!needs.field && !asked.has('field')) {
    const fitting = agencies.filter((a) => serves(a, { ...needs, district: undefined }) || (a.districts !== 'all' && serves({ ...a, districts: 'all' }, needs)));
    const fields = new Set(fitting.flatMap((a) => a.fields));
    const everyoneCoversAll = fitting.every((a) => a.fields.length === fields.size);
    if (fitting.length > 1 && !everyoneCoversAll) return { slot: 'field', options: [...fields].sort((a, b) => order(a) - order(b)) };
  }
  if (needs.district === undefined && !asked.has('district')) {
    const local = agencies.filter((a) => a.districts !== 'all' && serves({ ...a, districts: 'all' }, needs));
    if (local.length) return { slot: 'district', options: [...new Set(local.flatMap((a) => a.districts as string[]))] };
  }
  return undefined;
}

const order = (field: IpField) => Object.keys(FIELD_LABELS).indexOf(field);
