import { describe, expect, it } from 'vitest';
import { Bm25Builder, Bm25Index } from '../../src/knowledge/bm25.js';

describe('BM25 index', () => {
  const docs = [['专利', '保险', '保险'], ['商标', '注册'], ['专利', '代理'], ['版权', '登记', '专利']];
  const index = Bm25Index.build(docs);

  it('ranks documents by weighted term evidence', () => {
    const hits = index.search(new Map([['保险', 1]]), 5);
    expect(hits.map((h) => h.index)).toEqual([0]);
    const both = index.search(new Map([['专利', 1], ['代理', 1]]), 5);
    expect(both[0]!.index).toBe(2);
    expect(both).toHaveLength(3);
  });

  it('gives rare terms more weight and respects query weights', () => {
    expect(index.idf('保险')).toBeGreaterThan(index.idf('专利'));
    const lowWeight = index.search(new Map([['商标', 0.1], ['代理', 1]]), 5);
    expect(lowWeight[0]!.index).toBe(2);
  });

  it('survives a round trip through JSON and its binary buffer, and stays clean between queries', () => {
    const copy = Bm25Index.fromJSON(JSON.parse(JSON.stringify(index.toJSON())), Buffer.concat([Buffer.from([0]), index.toBuffer()]).subarray(1));
    const q = new Map([['专利', 1]]);
    expect(copy.search(q, 5)).toEqual(index.search(q, 5));
    expect(copy.search(q, 5)).toEqual(copy.search(q, 5));
    expect(copy.idf('版权')).toBe(index.idf('版权'));
    expect(copy.docFrequency('专利')).toBe(3);
  });

  it('builds the same index one document at a time', () => {
    const builder = new Bm25Builder();
    for (const d of docs) builder.add(d);
    const streamed = builder.finish();
    expect(streamed.toBuffer()).toEqual(index.toBuffer());
    expect(streamed.toJSON()).toEqual(index.toJSON());
  });

  it('keeps the top k of many hits', () => {
    const many = Bm25Index.build(Array.from({ length: 1000 }, (_, i) => Array.from({ length: (i % 7) + 1 }, () => 'x').concat(['y'])));
    const top = many.search(new Map([['x', 1]]), 10);
    expect(top).toHaveLength(10);
    for (let i = 1; i < top.length; i++) expect(top[i - 1]!.score).toBeGreaterThanOrEqual(top[i]!.score);
  });
});
