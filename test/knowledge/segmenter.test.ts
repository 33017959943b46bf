/**
 * Search and the place finder share one jieba (each instance holds the whole dictionary, some 36 MB): the
 * sharing must not let one knowledge snapshot's user dictionary change another's words, and place names
 * must stay whole words for both.
 */
import { describe, expect, it } from 'vitest';
import { findPlaces } from '../../src/knowledge/places.js';
import { segmenter } from '../../src/knowledge/segmenter.js';
import { Tokenizer } from '../../src/knowledge/tokenizer.js';

describe('the shared segmenter', () => {
  it('is one instance for the place finder and for tokenizers of the same user dictionary', () => {
    const dictionary = '专利导航 20000 n\n';
    const a = new Tokenizer(dictionary);
    const b = new Tokenizer(dictionary);
    expect(segmenter(dictionary)).toBe(segmenter());
    // The same words from either, and the place finder reads the same segmentation.
    expect(a.words('开展专利导航服务')).toEqual(b.words('开展专利导航服务'));
    expect(a.words('开展专利导航服务')).toContain('专利导航');
    expect(findPlaces('淄博市张店区的企业').map((p) => p.name)).toEqual(['淄博市', '张店区']);
  });

  it('gives a changed user dictionary a new instance and leaves the tokenizer made before it as it was', () => {
    const before = new Tokenizer('');
    const cutBefore = before.words('星图登记奖励');
    const after = new Tokenizer('星图登记 20000 n\n');
    expect(after.words('星图登记奖励')).toContain('星图登记');
    expect(before.words('星图登记奖励')).toEqual(cutBefore);
    expect(cutBefore).not.toContain('星图登记');
  });

  it('keeps county-level names whole, so the boundary test finds them and common words stay apart', () => {
    const tokenizer = new Tokenizer('');
    expect(tokenizer.words('在张店区注册的公司')).toContain('张店区');
    expect(findPlaces('我们在最大连续经营的企业').map((p) => p.name)).not.toContain('大连市');
    expect(findPlaces('中山大学的专利').map((p) => p.name)).not.toContain('中山市');
  });
});
