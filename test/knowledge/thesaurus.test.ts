import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWLEDGE_DIR } from '../helpers.js';
import { Thesaurus } from '../../src/knowledge/thesaurus.js';

describe('thesaurus (Solr synonym format)', () => {
  const t = Thesaurus.parse(`# comment
版权, 著作权
抢注, 被抢注 => 恶意商标注册
patent, patents => 专利
ip => 知识产权
`);

  it('expands equivalent terms both ways and one-way rules one way', () => {
    expect(t.expand('著作权登记').map((e) => e.term)).toEqual(['版权']);
    expect(t.expand('版权登记').map((e) => e.term)).toEqual(['著作权']);
    expect(t.expand('我们的品牌被抢注了')).toEqual([{ term: '恶意商标注册', trigger: '抢注' }]);
    expect(t.expand('恶意商标注册怎么办')).toEqual([]);
  });

  it('matches Latin terms as whole words only, case-insensitively', () => {
    expect(t.expand('Patents and IP?').map((e) => e.term).sort()).toEqual(['专利', '知识产权']);
    expect(t.expand('a zip file')).toEqual([]);
  });

  it('reports unreadable lines and keeps the rest', () => {
    const bad = Thesaurus.parse('a, b\n=> c\nd =>\ne => f => g');
    expect(bad.size).toBe(1);
    expect(bad.problems).toEqual([
      'line 2: expected "a, b" or "a, b => c"',
      'line 3: expected "a, b" or "a, b => c"',
      'line 4: expected "a, b" or "a, b => c"',
    ]);
  });

  it('ships a thesaurus whose every line parses', () => {
    const shipped = Thesaurus.parse(readFileSync(path.join(KNOWLEDGE_DIR, 'thesaurus.txt'), 'utf8'));
    expect(shipped.problems).toEqual([]);
    expect(shipped.size).toBeGreaterThan(60);
  });
});
