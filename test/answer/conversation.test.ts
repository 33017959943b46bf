import { describe, expect, it } from 'vitest';
import { clarification, questionParts } from '../../src/answer/conversation.js';

describe('the shape of a message', () => {
  it('asks back, with choices, when a message only names a topic', () => {
    const back = clarification('专利？', 'zh')!;
    expect(back.text.split('\n')[0]).toBe('您想了解专利的哪方面？比如：');
    expect(back.choices.length).toBeGreaterThanOrEqual(3);
    expect(clarification('trademark', 'en')!.text).toMatch(/^What would you like to know about trademarks\?/);
    expect(clarification('专利保护多少年？', 'zh')).toBeUndefined();
    expect(clarification('商标续展', 'zh')).toBeUndefined();
  });

  it('divides a message of several questions, keeping a bare question word with the part before', () => {
    expect(questionParts('我们的外观设计还能申请吗？能起诉对方吗？有没有诉讼保险？市里能给什么帮助？')).toHaveLength(4);
    expect(questionParts('知识产权保险有哪些?保费多少?')).toEqual(['知识产权保险有哪些?', '保费多少?']);
    expect(questionParts('商标注册要多久，还有要多少钱？')).toEqual(['商标注册要多久', '还有要多少钱？']);
    expect(questionParts('请问一下。商标续展要多久？')).toEqual(['请问一下。商标续展要多久？']);
    expect(questionParts('商标过期两个月了还能续吗')).toEqual(['商标过期两个月了还能续吗']);
  });
});
