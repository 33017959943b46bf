/**
 * What a question asks for (its slot): an amount, a date, a deadline, a period, a URL, a list of materials,
 * a procedure, conditions, who is in charge, whether a subsidy exists, what to do, or the policy's word on
 * a topic. Each clause of a question is read on its own: a question word (多少, 什么时候, 哪些, 怎么, 吗 …)
 * next to the kind of thing it asks about (钱, 日期, 材料, 流程 …). The slot decides what a passage must
 * state to answer, and what the answer says is missing when it does not.
 *
 * Lexical on purpose, like the guard: it runs offline in microseconds and cannot be talked out of its rules.
 */

import { sentencesOf } from '../knowledge/sentences.js';

export type SlotKind =
  | 'amount'
  | 'count'
  | 'period'
  | 'deadline'
  | 'date'
  | 'url'
  | 'contact'
  | 'form'
  | 'materials'
  | 'procedure'
  | 'conditions'
  | 'who'
  | 'subsidy'
  | 'advice'
  | 'general';

export interface Slot {
  kind: SlotKind;
  /** The clause of the question that asks for it. */
  clause: string;
  /** The words of the clause that ask (审查周期 → 周期, 怎么申请, 多少钱); absent for `general`. */
  phrase?: string;
}

/** How many, how much: the quantity question words. 哪几 asks "which", not "how many". */
const QTY = '(?:多少|(?<!哪)几|多大|多高|多贵)';
const MONEY = '(?:钱|费用?|金额|价格|价钱|报酬|奖金|奖励|补贴|资助|补助|利率|利息|比例|额度|上限|下限|成本|标准|减缴|减免|赔偿)';
/** Benefits a company may hope for; asking whether one exists is the `subsidy` slot. */
const BENEFIT = '(?:补贴|补助|资助|奖励|奖补|贴息|扶持资金|报销|减免|减缴|优惠|资金支持|财政支持|拨款|奖金)';

/**
 * How each slot is asked, most specific first; a clause takes every kind that matches, except that a kind
 * listed in `over` is dropped when this one matches (a deadline is a date, but a more precise one).
 */
const ASKS: { kind: SlotKind; asks: RegExp; over?: SlotKind[] }[] = [
  {
    kind: 'who',
    asks: /责任单位|(哪个|哪些|哪几个|哪几家|什么)(部门|单位|局|机关)(.{0,3})(负责|管|办|牵头|印发|发布|制定|出台|发的)|谁(印发|发布|制定|发)的|哪个部门|谁(来)?(负责|牵头|管|办|批|审)|找谁|向谁|归谁|归哪|谁牵头|牵头(负责)?的(是|单位|部门)|哪.{0,4}牵头|主管部门|负责部门|\bwhich (department|authority|agency|bureau)|\bwho (is|are) (responsible|in charge)\b|\bwho (handles|runs|manages)\b|\bwho\b.{0,12}\b(in charge|responsible)\b|^who\b/i,
  },
  { kind: 'deadline', asks: /截止|截至|最晚|最迟|\bdeadlines?\b|\bdue date\b|\bby when\b/i, over: ['date'] },
  { kind: 'date', asks: /什么时候|啥时候|什么时间|何时|哪天|哪一天|几号|(?<!哪)几月|哪(一)?年|几时|日期|\bwhen\b|\bwhat date\b/i },
  {
    kind: 'period',
    asks: /多少(年|天|周|个月|个工作日)|(?<![好哪])几(年|天|周|个月|个工作日)|多久|多长时间|多长|多快|期限|时间限制|时限|周期|有效期|保护期|时长|\bhow long\b|\bterm of protection\b|\bhow many (years|months|days|weeks)\b|\bduration\b/i,
    // 多久能下证 asks how long, not how to apply.
    over: ['procedure'],
  },
  {
    kind: 'amount',
    asks: new RegExp(
      `${QTY}.{0,3}${MONEY}|${MONEY}.{0,6}${QTY}|[收交花付要]${QTY}|几成|官费|收费(吗|么|标准)|收不收费|(要|需要|得)(收费|花钱|交钱|付费|钱)|(花钱|免费|收钱)(吗|么)|\\bhow much\\b|\\b(fees?|costs?|price|interest rate)\\b`,
      'i',
    ),
    over: ['subsidy'],
  },
  { kind: 'count', asks: /多少(个|件|项|家|名|次|人|种)|数量(是|有|要求)|\bhow many\b/i },
  {
    kind: 'url',
    asks: /网址|网站|官网|网页|链接|域名|公众号|小程序|二维码|\bapp\b|在哪(个|一个)?(平台|系统)(上)?(申报|申请|填|查|办|报)|\b(url|website|web site|web page|link|online portal)\b/i,
  },
  {
    kind: 'contact',
    asks: /电话|热线|号码(?!的)|联系方式|联系人|客服|邮箱|传真|地址在|在哪(里|儿)?办公|\b(phone|telephone|hotline|e-?mail|contact details|address)\b/i,
  },
  {
    kind: 'form',
    asks: /表格|模板|样表|范本|格式文本|(表|申请书)的?编号|下载(申请书|表)|\b(form|template)s?\b/i,
  },
  {
    kind: 'materials',
    asks: /(?<!新)材料|资料|证明文件|证件|(带|准备|提交|提供|交)(些)?(什么|啥|哪些)|\b(what|which) (documents|paperwork|materials)\b|\b(documents?|paperwork|materials) (are |is )?(required|needed)\b|\bdocuments do (i|we) need\b/i,
  },
  {
    kind: 'conditions',
    asks: /构成要件|才能(被)?认定|(怎么|如何|怎样)认定|法律上(怎么|如何|的定义)|认定(的)?(条件|标准)|(申请|申报|认定|入选)(的)?(条件|资格|门槛)|需要满足(哪些|什么)|满足(什么|哪些)条件|\brequirements for\b|\beligib\w*|\bcriteria\b/i,
  },
  {
    kind: 'procedure',
    // Whether a lapsed right or a missed step can be restored (还能恢复权利吗) asks for a procedure too.
    asks: /流程|步骤|程序|手续|(怎么|如何|怎样|咋)(去)?(申请|办理|注册|登记|申报|报名|备案|操作|走|办手续)|(去|到|在)哪(里|儿)?(申请|办理|申报|报名|登记|注册)|多久能(下证|拿到|批)|(还能|能否|可否|能不能|可不可以|能|可以)(申请|请求)?(恢复|补办|补缴|补交)|\bhow (do|can|should|to) (i|we)? ?(apply|register|file|sign up)\b|\b(procedure|process|steps)\b/i,
  },
  {
    kind: 'subsidy',
    asks: new RegExp(
      `(有没有|有无|是否|能否|可否|能不能|会不会|可以|能|有|给|享受).{0,10}${BENEFIT}|${BENEFIT}.{0,8}(吗|么|没有|不)|(?<ab>补|奖|给|报|资助|免|减)不\\k<ab>|(谁|哪个部门|政府|国家|市里)(来)?(出|付|承担|买单|报销|补)|\\b(subsid(y|ies|ise|ize|ised|ized)|grants?|funding|reimburs\\w*|financial support)\\b`,
      'i',
    ),
  },
  {
    kind: 'advice',
    asks: /(怎么|怎样|如何|咋|该怎么|该咋)(么)?(办(?!理|法)|整|弄|处理|解决|应对|对付|维权|做|搞)|该(做|办)(什么|啥)|如何是好|怎么才好|怎么办才好|有(什么|啥|没有|哪些)(好)?(办法|对策|途径|法子|招|出路)|(别的|其他|其它)(办法|途径|渠道|法子|出路)|(从哪|从何)(下手|入手|开始)|\bwhat (should|can|could|do) (i|we) do\b|\bhow (should|can|do|could) (i|we) (deal|handle|respond|protect|stop|fight|react)\b|\bwhat are (my|our) options\b/i,
  },
];

/**
 * Whether a question asks what can be done (怎么办, 咋整, 如何是好 …). What the policy offers (rights-protection
 * aid, mediation, arbitration, services) answers it before guidance on the law does.
 */
export function asksWhatToDo(question: string): boolean {
  return askedSlots(question).some((s) => s.kind === 'advice');
}

/** A clause is a question at all when it holds a question word or ends like one. */
const INTERROGATIVE = /[?？]|吗|么|呢|什么|啥|哪|谁|几|多少|怎|如何|何|是否|能否|可否|有没有|是不是|能不能|可不可以|会不会|要不要|(.)不\1|\b(what|which|who|when|where|how|can|could|does|do|is|are|will|may|should)\b/i;

/** The slots a question asks, one entry per kind and clause; a question with none asks `general`. */
export function askedSlots(question: string): Slot[] {
  const clauses = question
    .split(/(?<=[?？!！。;；\n])|[,，]/)
    .map((c) => c.trim())
    .filter(Boolean);
  const slots: Slot[] = [];
  for (const clause of clauses) {
    const found: Slot[] = [];
    for (const { kind, asks } of ASKS) {
      const phrase = asks.exec(clause)?.[0];
      if (phrase) found.push({ kind, clause, phrase });
    }
    const dropped = new Set(found.flatMap((s) => ASKS.find((a) => a.kind === s.kind)!.over ?? []));
    const kept = found.filter((s) => !dropped.has(s.kind));
    if (kept.length) slots.push(...kept);
    else if (INTERROGATIVE.test(clause)) slots.push({ kind: 'general', clause });
  }
  return slots.length ? slots : [{ kind: 'general', clause: question }];
}

/**
 * Words that ask rather than say what a question is about: question words, the names of the slots
 * (金额, 材料, 流程 …), benefits asked for, and dates (2024年 qualifies a deadline, it is no topic).
 */
const ASKING_WORDS = new RegExp(
  [
    '多少|(?<!哪)几|多大|多高|多贵|多久|多长时间|多长|什么时候|啥时候|什么时间|何时|哪天|哪一天|几号|什么|啥|哪些|哪个|哪几个|哪里|哪儿|哪|谁|怎么办|怎么|怎样|如何是好|如何|咋办|咋整|咋',
    '吗|么|呢|有没有|有无|是否|能否|可否|能不能|可不可以|会不会|要不要|是不是|(?<ab>.)不\\k<ab>',
    MONEY.slice(3, -1),
    BENEFIT.slice(3, -1),
    '截止|截至|最晚|最迟|日期|时间|时限|限制|期限|周期|有效期|时长|网址|网站|官网|网页|链接|材料|资料|证件|准备|提交|提供|流程|步骤|程序|手续|条件|要件|门槛|责任单位|部门|单位|牵头|负责|主管|管|办|找|批|审|办法|对策|途径|处理|解决|应对',
    '\\d+|[一二三四五六七八九十百千万两]+(?=年|月|日|号|个月|天)|年|月|日|号|天|周|个月|工作日|填',
    '\\b(how much|how long|how many|costs?|fees?|price|deadlines?|when|websites?|url|links?|documents|paperwork|procedure|process|steps|who|which|what|subsid(y|ies)|grants?|funding)\\b',
  ].join('|'),
  'giy',
);

/** Whether a word of a question only asks (多少, 截止日期, 补不补, 2024): the rest is what it is about. */
export function isAskingWord(word: string): boolean {
  return word.replace(ASKING_WORDS, '').trim() === '';
}

/** The routes a text gives for what to do: those services, and the procedures laws open (起诉, 请求处理, 异议, 宣告无效). */
export const ROUTES = /维权援助|调解|仲裁|诉讼|起诉|人民法院|请求.{0,12}处理|宣告.{0,6}无效|异议|投诉|举报|法律服务|律师/;

/**
 * What a passage must state to answer each kind. `who` is answered by the article's （责任单位：…） note,
 * `general` by any passage that covers the question.
 */
const STATES: Partial<Record<SlotKind, RegExp>> = {
  amount: /\d\s*(元|万元|亿元|%|％)|百分之|[一二三四五六七八九十百千万]+(元|万元)|免费|不收费|收费标准/,
  count: /\d|[一二三四五六七八九十百千万两]+(个|件|项|家|名|次|种)/,
  // 同一天 names a day, not a period; 满三年 a condition met (自申请日起满四年…的), not how long something lasts.
  period: /(?<![\d满])\d{1,3}\s*(个月|个?工作日|天|周|日(内|起|之内|以内)|年(?!\d{1,2}月))|(?<![同当满第月])[一二三四五六七八九十百两]+(个月|个?工作日|天|周|日(?![起止])|年)(?!级)|\d+\s*(years?|months?|days?)/,
  deadline: /截止|截至|\d{1,2}\s*月\s*\d{1,2}\s*日\s*(前|之前|以前|截止)|(月底|年底)(前|之前)/,
  // An event a law dates things from (自公告之日起生效, 自2021年3月3日起施行) answers when as well as a calendar date.
  date: /自[^，。；]{1,16}之日起|起(生效|施行)|\d{4}\s*年|\d{1,2}\s*月|[一二三四五六七八九十]+月|每年|当年|次年|每季度|定期|年底|年初|月底|季度|期间|高发期|时期|届时|即日起/,
  url: /https?:\/\/|www\.|\.(gov\.)?cn\b|\.com\b|网址/,
  // A number to call or write to, as documents print one: 0533-1234567, 12330, 电话：…, an e-mail address.
  contact: /\d{3,4}-\d{7,8}|(?<!\d)1\d{10}(?!\d)|(?<!\d)123\d{2}(?!\d)|(电话|热线|邮箱|传真)[：:]\s*\S|[\w.]+@[\w.]+\.\w+|地址[：:]/,
  form: /表格|模板|样表|范本|格式文本|附件\s*\d|(申请表|申请书)（?[样式]/,
  materials: /(申请|申报|证明|相关|下列)材料|提交.{0,10}(证明|资料|文件|复印件)|提供.{0,10}(证明|资料|复印件)|(应当|需要|须)提交[：:]|提交(下列|以下)/,
  procedure: /申请材料|提交|流程|程序|手续|步骤|办理|受理/,
  conditions: /具备.{0,12}条件|条件如下|下列条件|应当具备|符合下列/,
  // The routes a dispute can take, and the services and actions a policy offers besides.
  advice: new RegExp(`${ROUTES.source}|维权|援助|撤销|打击|整治|查处|监督检查|执法|司法|保护|预警|防控|防范|抵制|保险|咨询|辅导|培训|指导|转化|运营|质押|融资|监管|监督`),
};

/**
 * A body that handles something, as laws and regulations name it: 国务院专利行政部门, 人民法院, 管理专利工作的部门,
 * 海关, 市场监督管理部门, 仲裁机构 … (a policy names its departments in a （责任单位：…） note instead).
 */
export const BODY = /[\p{Script=Han}]{0,12}(行政部门|行政管理部门|主管部门|管理部门|工作的部门|人民法院|人民政府|海关|仲裁机构|仲裁委员会|调解组织|复审委员会|商标局|评审委员会|登记机构|代理机构|公安机关|监督管理部门|[^\s，。、；]{2,10}(局|厅|委员会|办公室))/u;

/** What an owner in a dispute can turn to: the services and procedures of rights protection. */
export const REMEDIES = /维权援助|调解|仲裁|诉讼代理|法律服务|律师/;


/** A benefit a passage offers. */
const BENEFIT_STATED = /补贴|补助|资助|奖励|奖补|贴息|扶持资金|财政资金|政府资金|基金|经费|资金支持|减免|减缴|优惠|财税支持|免费/;


/**
 * Whether a passage states what the slot asks. A subsidy counts only in a sentence that also names what
 * it is for (`objects`, the rare words of the question); with no object any stated benefit counts.
 */
export function statesSlot(slot: Slot, text: string, departments: string[], objects: string[] = []): boolean {
  if (slot.kind === 'general') return true;
  if (slot.kind === 'who') return departments.length > 0 || BODY.test(text);
  if (slot.kind === 'subsidy') return sentencesOf(text).some((s) => BENEFIT_STATED.test(s) && (!objects.length || objects.some((o) => s.includes(o))));
  return STATES[slot.kind]!.test(text);
}

/** Whether one sentence states the slot (used to pick the sentence an answer opens with). */
export function sentenceStates(slot: Slot, sentence: string, objects: string[] = []): boolean {
  if (slot.kind === 'who') return BODY.test(sentence);
  if (slot.kind === 'general') return false;
  return statesSlot(slot, sentence, [], objects);
}

/** One line saying what the documents leave out, in the user's language. */
export function missingLine(missing: Slot[], language: 'zh' | 'en', objects: string[] = []): string {
  const kinds = [...new Set(missing.map((s) => s.kind))];
  if (language === 'en') return `The documents on file do not state ${kinds.map((k) => WHAT_EN[k]).join(' or ')}.`;
  const object = objects[0];
  const parts = kinds.map((k) => (k === 'subsidy' && object ? `对“${object}”的补贴或资助` : WHAT_ZH[k]));
  const verb = kinds.every((k) => k === 'subsidy' || k === 'advice') ? '没有提到' : '没有写明';
  return `现有政策文件${verb}${parts.join('，也没有写明')}。`;
}

const WHAT_ZH: Record<SlotKind, string> = {
  amount: '具体金额、费用或比例',
  count: '具体数量',
  period: '期限或所需时间',
  deadline: '截止日期',
  date: '具体时间安排',
  url: '网址或网上办理入口',
  contact: '联系电话、地址或其他联系方式',
  form: '表格样式、模板或表格编号',
  materials: '需要准备的材料',
  procedure: '办理流程或步骤',
  conditions: '认定条件',
  who: '责任单位',
  subsidy: '这方面的补贴或资助',
  advice: '可以采取的办法',
  general: '相关内容',
};

const WHAT_EN: Record<SlotKind, string> = {
  amount: 'an amount, fee or rate',
  count: 'a number',
  period: 'a period or time frame',
  deadline: 'a deadline',
  date: 'a date or timetable',
  url: 'a website or online service',
  contact: 'a phone number, address or other contact details',
  form: 'a form, template or form number',
  materials: 'the materials required',
  procedure: 'a procedure',
  conditions: 'the conditions for recognition',
  who: 'a department in charge',
  subsidy: 'a subsidy for this',
  advice: 'what can be done',
  general: 'this',
};
