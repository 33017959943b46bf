import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGlosses, Glosses, sensesOf } from '../../src/knowledge/glosses.js';
import { KnowledgeBase } from '../../src/knowledge/knowledge-base.js';

describe('dictionary senses relate an owner\'s words to the documents\' words', () => {
  const glosses = new Glosses(buildGlosses(['扣留', '没收', '扣除', '账簿', '修改', '起诉', '隐匿', '证据']));

  it('reads the senses of a definition, without cross-references or notes', () => {
    expect(sensesOf(['to detain; to arrest (sb)', 'variant of 扣[kou4]', 'CL:個|个[ge4]'])).toEqual(['detain', 'arrest']);
  });

  it('takes the words sharing the most senses, and never one sense of a lone character', () => {
    // 扣 shares "arrest" and "confiscate" with 扣留, only "confiscate" with 没收 and "deduct" with 扣除.
    expect(glosses.synonyms('扣')).toEqual(['扣留']);
    expect(glosses.synonyms('账本')).toEqual(['账簿']);
    expect(glosses.synonyms('手机')).toEqual([]);
  });

  it('finds the documents\' words for an English sense', () => {
    expect(glosses.translations('detain')).toContain('扣留');
    expect(glosses.translations('Evidence')).toEqual(['证据']);
  });

  describe('on a document none of the code mentions', () => {
    let root = '';
    afterAll(() => rm(root, { recursive: true, force: true }));

    it('answers an owner who says 扣 and 账本 from the article that writes 扣留 and 账簿', async () => {
      root = await mkdtemp(path.join(tmpdir(), 'ipbot-glosses-'));
      await mkdir(path.join(root, 'documents'));
      await writeFile(
        path.join(root, 'documents', 'warehouse-rules.md'),
        `---
id: warehouse-rules
title: 仓储货物管理办法
issuers: [某某管理局]
issueDate: "2024-01-01"
level: national
region: 全国
status: 现行有效
source: 测试用的虚构文件
---
# 仓储货物管理办法

第一条 为了规范仓储货物管理，制定本办法。

第二条 管理局可以扣留来源不明的货物，并通知货主在十日内说明来源。

第三条 货主应当妥善保存进出库账簿，保存期限为五年。

第四条 货主对处理决定不服的，可以在六十日内申请复议。
`,
      );
      const kb = await KnowledgeBase.open({ knowledgeDir: root });
      expect(kb.problems).toEqual([]);
      const first = async (q: string) => (await kb.retrieve(q, 3)).passages[0]?.chunk.article;
      expect(await first('货被扣了，要几天内说清来源？')).toBe('二');
      expect(await first('账本要留几年？')).toBe('三');
      expect(await first('How long must the ledgers be kept?')).toBe('三');
    });
  });
});
