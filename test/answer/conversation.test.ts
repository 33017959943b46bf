import { describe, expect, it } from 'vitest';
import { clarification, combineParts, questionParts, type PartAnswer } from '../../src/answer/conversation.js';
import type { Answer, Citation } from '../../src/types.js';

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

  it('answers several questions in one reply: one number and one quote an article, its paragraphs kept, no refusal among answers', () => {
    const cite = (article: string) => ({ documentId: 'law', article }) as Citation;
    const part = (question: string, answer: Partial<Answer>): PartAnswer => ({
      question,
      answer: { outcome: 'answered', answer: '', citations: [], confidence: 0.8, answerer: 'extractive', ...answer },
    });
    const reply = combineParts(
      [
        part('倍数怎么定？', { answer: '看过错程度。[1]\n\n[1] 第六条：“第一款。\n第二款。”\n\n摘自《解释》。', citations: [cite('六')] }),
        part('还看啥？', { answer: '还看情节。[1]另见[2]\n\n[1] 第六条：“第一款。\n第二款。”\n[2] 第五条：“计算基数。”\n\n摘自《解释》。', citations: [cite('六'), cite('五')] }),
        part('北京呢？', { outcome: 'out_of_scope', answer: '抱歉，这个问题超出了服务范围。', confidence: 0, answerer: 'guard' }),
      ],
      'zh',
    );
    expect(reply.answer).toBe('1. 看过错程度。[1]\n2. 还看情节。[1]另见[2]\n\n[1] 第六条：“第一款。\n第二款。”\n[2] 第五条：“计算基数。”\n\n摘自《解释》。');
    expect(reply.citations.map((c) => c.article)).toEqual(['六', '五']);
  });
});
