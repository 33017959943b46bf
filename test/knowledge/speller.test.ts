import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Speller } from '../../src/knowledge/speller.js';
import { Tokenizer } from '../../src/knowledge/tokenizer.js';
import { KNOWLEDGE_DIR } from '../helpers.js';

const tokenizer = new Tokenizer(readFileSync(path.join(KNOWLEDGE_DIR, 'dictionary.txt'), 'utf8'));
const vocabulary = ['续展', '商标', '专利', '实用新型', '新型', '异议', '职务', '职务发明', '植物', '登记', '发明'];
const frequency = (w: string) => (w === '植物' ? 9 : 1);
const speller = new Speller(vocabulary, frequency, (phrase) => ['职务发明'].some((t) => t.includes(phrase)));

describe('homophone typos', () => {
  it.each([
    ['商标续站要提前多久办？', '商标续展要提前多久办？'],
    ['实用新形专利保护期是几年？', '实用新型专利保护期是几年？'],
    ['商标一议期是多长时间？', '商标异议期是多长时间？'],
    ['布图设计不登己受保护不？', '布图设计不登记受保护不？'],
  ])('reads %s as %s', (typed, meant) => {
    expect(speller.correct(typed, tokenizer).text).toBe(meant);
  });

  it('picks, of words that sound alike, the one that makes a phrase of the knowledge with its neighbour', () => {
    // 植物 is the more frequent word, but 职务发明 is what the text says.
    expect(speller.correct('员工搞出来的职物发明归谁', tokenizer).text).toBe('员工搞出来的职务发明归谁');
  });

  it.each(['专利年费要是一直不交，专利是不是就没了？', '复制一下算侵权吗？', '要去哪里备案吗？', '版权和著作权是一回事吗？', '不想上法院', '专利年费不交了会咋样'])(
    'leaves everyday words alone: %s',
    (text) => {
      expect(speller.correct(text, tokenizer).corrections).toEqual([]);
    },
  );
});
