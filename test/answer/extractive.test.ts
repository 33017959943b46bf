import { describe, expect, it } from 'vitest';
import { ANSWER_BUDGET_CHARS, articleLabel, extractiveAnswer, shorten } from '../../src/answer/extractive.js';
import { askedSlots } from '../../src/answer/slots.js';
import { shippedKnowledge } from '../helpers.js';

describe('article labels follow the document’s own numbering', () => {
  it.each([
    [{ article: '七', section: '七、推动知识产权服务业优化升级' }, 'zh', '七、推动知识产权服务业优化升级'],
    [{ article: '三', section: '第二章 资助 › 第三条 资助范围如下' }, 'zh', '第三条「资助范围如下」'],
    [{ article: '三', section: '第三条' }, 'zh', '第三条'],
    [{ article: 'header', section: '文件头（发文机关、日期、文号）' }, 'zh', '文件头（发文机关、日期、文号）'],
    [{ article: '七', section: '七、推动知识产权服务业优化升级' }, 'en', 'Item 7 (七、推动知识产权服务业优化升级)'],
    [{ article: '三', section: '第三条 资助范围如下' }, 'en', 'Article 3 (第三条 资助范围如下)'],
  ] as const)('%o (%s) → %s', (citation, language, label) => {
    expect(articleLabel(citation, language)).toBe(label);
  });
});

describe('the opening line', () => {
  it('cuts a long sentence to its best whole clauses, in order, keeping the document’s words', async () => {
    const kb = await shippedKnowledge();
    const query = kb.analyze('知识产权保险有哪些?');
    const sentence = '鼓励保险行业不断加大产品创新力度,加快发展专利执行保险、知识产权侵权责任保险、知识产权被侵权损失保险、知识产权质押保证保险等知识产权保险业务,持续提升保险服务专业化供给水平。';
    const short = shorten(sentence, query, 70);
    expect(short).toBe('加快发展专利执行保险、知识产权侵权责任保险、知识产权被侵权损失保险、知识产权质押保证保险等知识产权保险业务。');
    expect(sentence).toContain(short.slice(0, -1));
    expect(shorten('支持外国专利代理机构在淄设立常驻代表机构。', query)).toBe('支持外国专利代理机构在淄设立常驻代表机构。');
  });

  it('keeps every answer of the evaluation sets within the phone budget', async () => {
    const kb = await shippedKnowledge();
    for (const question of ['知识产权服务业集聚区起什么作用?', '淄博在推动知识产权服务业赋能产业发展方面重点关注哪些领域?', '商标被别人恶意抢注了怎么办?']) {
      const { query, passages } = await kb.retrieve(question, 5);
      const { answer, citations } = extractiveAnswer({ query, language: 'zh', passages: passages.slice(0, 3), document: (id) => kb.document(id), slots: askedSlots(question), missing: [] });
      expect([...answer].length).toBeLessThanOrEqual(ANSWER_BUDGET_CHARS);
      // Every [n] in the text has its citation.
      const markers = [...answer.matchAll(/\[(\d)\]/g)].map((m) => Number(m[1]));
      expect(Math.max(...markers)).toBeLessThanOrEqual(citations.length);
    }
  });
});
