import { describe, expect, it } from 'vitest';
import { documentTitled, referencesIn } from '../../src/knowledge/references.js';
import { toChineseNumeral } from '../../src/knowledge/numerals.js';
import type { DocumentMeta } from '../../src/types.js';

describe('articles a text points to', () => {
  it('reads titles, lists and ranges of articles', () => {
    expect(referencesIn('（依据：《商标法》第八条至第十一条，《商标法实施条例》第四条第二款、第五条）')).toEqual([
      { title: '商标法', articles: ['八', '九', '十', '十一'] },
      { title: '商标法实施条例', articles: ['四', '五'] },
    ]);
    expect(referencesIn('《中华人民共和国专利法》（2020年修正）第四十二条和第一百零一条')).toEqual([{ title: '中华人民共和国专利法', articles: ['四十二', '一百零一'] }]);
    expect(referencesIn('依据国家知识产权局《关于规范申请专利行为的办法》')).toEqual([]);
  });

  it('finds the document by its title, with or without 中华人民共和国 and an edition note', () => {
    const doc = (id: string, title: string) => ({ id, title }) as DocumentMeta;
    const docs = [doc('patent', '中华人民共和国专利法'), doc('rules', '中华人民共和国专利法实施细则'), doc('software', '计算机软件保护条例')];
    expect(documentTitled(docs, '专利法')?.id).toBe('patent');
    expect(documentTitled(docs, '专利法实施细则')?.id).toBe('rules');
    expect(documentTitled(docs, '计算机软件保护条例')?.id).toBe('software');
    expect(documentTitled(docs, '商标法')).toBeUndefined();
  });

  it('numbers articles as laws do', () => {
    expect([1, 10, 11, 20, 42, 100, 101, 110, 115, 149].map(toChineseNumeral)).toEqual(['一', '十', '十一', '二十', '四十二', '一百', '一百零一', '一百一十', '一百一十五', '一百四十九']);
  });
});
