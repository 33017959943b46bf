import { describe, expect, it } from 'vitest';
import { askedSlots, isAskingWord, missingLine, statesSlot, type SlotKind } from '../../src/answer/slots.js';

const kinds = (question: string): SlotKind[] => askedSlots(question).map((s) => s.kind);

describe('the slot a question asks for', () => {
  it.each([
    ['商标被别人恶意抢注了怎么办?', 'advice'],
    ['专利被侵权了咋办?', 'advice'],
    ['网上到处是盗版,咋整?', 'advice'],
    ['被人说侵犯了商标权,如何是好?', 'advice'],
    ['纠纷调解不成,接下来怎么处理?', 'advice'],
    ['What should we do if someone squats our trademark?', 'advice'],
    ['马德里商标国际注册怎么办理?', 'procedure'],
    ['怎么申请PCT国际专利?', 'procedure'],
    ['申请流程是什么?', 'procedure'],
    ['需要准备哪些材料?', 'materials'],
    ['2024年专利资助的申报截止日期是哪天?', 'deadline'],
    ['大讲堂什么时候开课?', 'date'],
    ['发明专利保护期是多少年?', 'period'],
    ['注册一个商标官费要多少钱?', 'amount'],
    ['要花钱吗?', 'amount'],
    ['平台的网址是什么?', 'url'],
    ['那保费政府补不补?', 'subsidy'],
    ['设立博士后科研工作平台有补贴吗?', 'subsidy'],
    ['那找谁办?', 'who'],
    ['统计工作是哪几个部门在管?', 'who'],
    ['商业秘密要满足什么条件才能被认定?', 'conditions'],
    ['知识产权保险有哪些?', 'general'],
    ['怎样培育知识产权服务品牌机构?', 'general'],
    ['哪些单位联合印发了这份实施意见?', 'who'],
  ] as const)('%s → %s', (question, kind) => {
    expect(kinds(question)).toEqual([kind]);
  });

  it('reads each clause on its own; a deadline is not also asked as a date, nor a period as a procedure', () => {
    expect(kinds('软件著作权登记需要什么材料?多久能下证?')).toEqual(['materials', 'period']);
    expect(askedSlots('实用新型的审查周期多长?')[0]).toMatchObject({ kind: 'period', phrase: '周期' });
    expect(kinds('知识产权保险有哪些?保费多少?')).toEqual(['general', 'amount']);
    expect(kinds('被认定为品牌机构,能拿到多少奖励资金?')).toEqual(['amount']);
    expect(kinds('截止日期是哪天?')).toEqual(['deadline']);
    expect(kinds('维权援助中心的热线电话是多少?')).toEqual(['contact']);
    expect(kinds('申请书有固定模板吗?')).toEqual(['form']);
  });

  it('does not take a complaint about fees, a "which kinds" or a "subsidiary" for a figure', () => {
    expect(kinds('代理机构乱收费、服务还差,我们该怎么办?')).toEqual(['advice']);
    expect(kinds('知识产权保险业务包括哪几种?')).toEqual(['general']);
    expect(kinds('Our IP service subsidiary wants to apply for high-tech status. Does the policy mention this?')).toEqual(['general']);
  });
});

describe('what a passage states', () => {
  const slot = (kind: SlotKind) => ({ kind, clause: '' });

  it('a figure, a deadline, a URL or materials only when the text has one', () => {
    expect(statesSlot(slot('amount'), '每件给予5000元资助。', [])).toBe(true);
    expect(statesSlot(slot('amount'), '鼓励发展知识产权保险业务。', [])).toBe(false);
    expect(statesSlot(slot('period'), '文件发布于2023年11月9日。', [])).toBe(false); // a date is not a period
    expect(statesSlot(slot('period'), '同一天申请的，初步审定并公告使用在先的商标。', [])).toBe(false); // nor the same day
    expect(statesSlot(slot('period'), '自申请日起满四年后才授予的，可以请求补偿。', [])).toBe(false); // nor a condition met
    expect(statesSlot(slot('period'), '注册商标的有效期为十年。', [])).toBe(true);
    expect(statesSlot(slot('date'), '专利权人应当自被授予专利权的当年开始缴纳年费。', [])).toBe(true);
    expect(statesSlot(slot('contact'), '咨询电话：0533-3186000。', [])).toBe(true);
    expect(statesSlot(slot('contact'), '依托淄博仲裁委员会知识产权仲裁院开展调解工作。', [])).toBe(false);
    expect(statesSlot(slot('form'), '申请书格式由海关总署制定。', [])).toBe(false);
    expect(statesSlot(slot('date'), '发明专利权自公告之日起生效。', [])).toBe(true); // dated by an event
    expect(statesSlot(slot('date'), '本解释自2021年3月3日起施行。', [])).toBe(true);
    expect(statesSlot(slot('date'), '专利权人可以请求管理专利工作的部门处理。', [])).toBe(false);
    expect(statesSlot(slot('deadline'), '2023年11月9日', [])).toBe(false); // nor a deadline
    expect(statesSlot(slot('deadline'), '请于6月30日前提交。', [])).toBe(true);
    expect(statesSlot(slot('url'), '淄博市知识产权公共服务平台', [])).toBe(false);
    expect(statesSlot(slot('materials'), '培育具有产业特色的新材料领域服务机构。', [])).toBe(false);
    expect(statesSlot(slot('who'), '任何文字', ['市市场监管局'])).toBe(true);
  });

  it('says in one line what is missing, in the user’s language', () => {
    expect(missingLine([slot('deadline')], 'zh')).toBe('现有政策文件没有写明截止日期。');
    expect(missingLine([slot('subsidy')], 'zh', ['保费'])).toBe('现有政策文件没有提到对“保费”的补贴或资助。');
    expect(missingLine([slot('amount'), slot('period')], 'zh')).toBe('现有政策文件没有写明具体金额、费用或比例，也没有写明期限或所需时间。');
    expect(missingLine([slot('url')], 'en')).toBe('The documents on file do not state a website or online service.');
  });

  it('knows the words that only ask', () => {
    for (const w of ['多少', '截止日期', '补不补', '2024', '一年', '哪天', '材料', '天']) expect(isAskingWord(w)).toBe(true);
    for (const w of ['保费', '专利执行保险', '新材料', '仲裁']) expect(isAskingWord(w)).toBe(false);
  });
});
