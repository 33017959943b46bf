import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../src/knowledge/chunk.js';
import { parseDocument } from '../../src/knowledge/load.js';
import { shippedKnowledge } from '../helpers.js';

const NUMERALS = '一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九'.split(' ');
const clauses = JSON.parse(readFileSync(new URL('./fixtures/seed-clauses.json', import.meta.url), 'utf8')) as Record<string, string>;

describe('chunking policy documents', () => {
  it('splits the seed into header, preamble and the 19 articles', async () => {
    const kb = await shippedKnowledge();
    expect(kb.chunks.map((c) => c.article)).toEqual(['header', 'header', ...NUMERALS]);
    const header = kb.chunks[0]!;
    expect(header.text).toContain('淄市监知促字〔2023〕130号');
    expect(header.text).toContain('2023年11月9日');
    expect(kb.chunks[1]!.text.startsWith('为全面贯彻落实')).toBe(true);
  });

  it('keeps each article verbatim and its departments in charge as data', async () => {
    const kb = await shippedKnowledge();
    for (const c of kb.chunks.filter((c) => c.article !== 'header')) {
      expect(clauses[c.article]!.startsWith(c.text)).toBe(true);
    }
    const seven = kb.chunks.find((c) => c.article === '七')!;
    expect(seven.section).toBe('七、推动知识产权服务业优化升级');
    expect(seven.heading).toBe('推动知识产权服务业优化升级');
    expect(seven.departments).toEqual(['市市场监管局', '市财政局', '国家金融监督管理总局淄博监管分局']);
    expect(seven.text).not.toContain('责任单位');
    expect(kb.chunks.find((c) => c.article === '十七')!.departments).toEqual([]);
  });

  it('understands 第X条 articles under chapters and splits long ones at （一） items', () => {
    const long = Array.from({ length: 6 }, (_, i) => `（${'一二三四五六'[i]}）${'项目内容说明。'.repeat(20)}`).join('\n');
    const doc = parseDocument(
      'rules.md',
      `---\nid: rules\ntitle: 管理办法\nissuers: 某局\nissueDate: 2024-01-01\nstatus: 现行有效\nsource: 测试\n---\n第一章 总则\n第一条 为了规范管理，制定本办法。\n第二条 本办法适用于本市。（责任单位：市市场监管局、市司法局）\n第二章 资助\n第三条 资助范围如下：\n${long}`,
    );
    const chunks = chunkDocument(doc);
    expect(chunks.map((c) => c.id)).toEqual(['rules#header', 'rules#一', 'rules#二', 'rules#三.1', 'rules#三.2']);
    expect(chunks[2]!.departments).toEqual(['市市场监管局', '市司法局']);
    expect(chunks[3]!.section).toBe('第二章 资助 › 第三条');
    expect(chunks[3]!.text.length).toBeLessThanOrEqual(700);
    expect(chunks[4]!.text.startsWith('（')).toBe(true);
  });
});
