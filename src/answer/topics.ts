/** Topic tags for the console's filters and agency routing, read off the question and what it cited. */
const TOPICS: [string, RegExp][] = [
  ['专利', /专利|发明|实用新型|外观设计|patent/i],
  ['商标', /商标|品牌|抢注|trademark|brand/i],
  ['版权', /版权|著作权|盗版|剑网|copyright|piracy/i],
  ['商业秘密', /商业秘密|商业机密|技术秘密|trade secret/i],
  ['地理标志', /地理标志|geographical indication/i],
  ['植物新品种', /植物新品种|种子|种业|plant variet/i],
  ['集成电路布图设计', /集成电路|布图设计|芯片/],
  ['知识产权金融', /保险|质押|融资|信托|贷款|insurance|pledge|financ/i],
  ['纠纷与维权', /侵权|维权|诉讼|起诉|仲裁|调解|纠纷|律师|infring|litigat|arbitrat/i],
  ['服务机构与代理', /代理|服务机构|agenc/i],
  ['人才与培训', /人才|培训|培养|大讲堂|talent|training/i],
  ['政策与资金支持', /财政|资金|补贴|资助|财税|扶持|subsid|fund/i],
  ['监管与信用', /监管|信用|双随机|整治|违法|regulat|supervis/i],
  ['涉外与进出口', /涉外|海外|进出口|外国|出口|foreign|overseas|export/i],
];

/** Every topic tag, in the order above (the console offers them as filters). */
export const TOPIC_NAMES: readonly string[] = TOPICS.map(([topic]) => topic);

export function topicsOf(...texts: string[]): string[] {
  const text = texts.join('\n');
  return TOPICS.filter(([, re]) => re.test(text)).map(([topic]) => topic);
}
