/**
 * The national laws shipped in knowledge/documents/laws, and a document no code mentions dropped in by an
 * operator: each answered from its own articles, the law before the guide that explains it.
 */
import { mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/answer/guard.js';
import { createConsult, type Consult } from '../../src/consult.js';
import { KnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { KNOWLEDGE_DIR, shippedConsult, shippedKnowledge } from '../helpers.js';

describe('the shipped national laws', () => {
  it('load as national documents with a status, the superseded unfair-competition text as no longer in force', async () => {
    const kb = await shippedKnowledge();
    const laws = kb.documents.filter((d) => d.level === 'national');
    expect(laws.length).toBeGreaterThanOrEqual(13);
    for (const law of laws) expect(law.status).toBeTruthy();
    expect(kb.document('anti-unfair-competition-law-2019')?.validUntil).toBe('2025-10-14');
    expect(kb.problems.filter((p) => p.file.startsWith('documents/laws'))).toEqual([]);
    // Chapters are read as chapters: context of an article, not its words.
    const article = kb.chunks.find((c) => c.id === 'trademark-law-2019#四十二')!;
    expect(article.chapter).toBe('第四章 注册商标的续展、变更、转让和使用许可');
  });

  it('cites the law first and the guide that explains it after, with the law\'s figure in the first line', async () => {
    const consult = await shippedConsult();
    const { answer } = await consult('注册商标的有效期是多少年？');
    expect(answer.outcome).toBe('answered');
    expect(`${answer.citations[0]!.documentId}#${answer.citations[0]!.article}`).toBe('trademark-law-2019#三十九');
    expect(answer.citations.map((c) => c.documentId)).toContain('guide-trademark');
    expect(answer.answer.split('\n')[0]).toContain('十年');
    // The trademark law's status is not verified here, and every answer from it says so.
    expect(answer.answer).toContain('以最新公布的文本为准');
  });

  it('answers a patent question from patent law although the trademark rules share its words', async () => {
    const consult = await shippedConsult();
    const { answer } = await consult('发明专利申请被驳回了，不服的话多久之内能请求复审？');
    expect(answer.citations[0]!.documentId).toMatch(/^patent-/);
    expect(answer.answer.split('\n')[0]).toContain('三个月内');
  });

  it('reads a typo as the word it sounds like', async () => {
    const consult = await shippedConsult();
    const { answer } = await consult('商标续站要提前多久办？');
    expect(answer.citations[0]!.documentId).toMatch(/trademark/);
    expect(answer.answer.split('\n')[0]).toContain('十二个月');
  });

  it('answers who handles something with the body the law names', async () => {
    const consult = await shippedConsult();
    const { answer } = await consult('专利申请由哪个部门受理和审查？');
    expect(answer.answer.split('\n')[0]).toContain('国务院专利行政部门');
    expect(answer.answer).not.toContain('没有列明责任单位');
  });
});

describe('the level a question asks about', () => {
  it('answers what the state provides from national documents, not the home city\'s policy on the same topic', async () => {
    const consult = await shippedConsult();
    const { answer } = await consult('国内有没有机构给遇到海外知识产权纠纷的企业提供指导？');
    expect(answer.citations[0]!.documentId).toBe('foreign-related-ip-disputes-provisions-2025');
  });

  it('reads a figure the owner states as their situation, not as the figure to look for', async () => {
    const consult = await shippedConsult();
    // 三个月 also opens the opposition article (三个月内); the renewal article answers a lapsed mark.
    const { answer } = await consult('商标过期三个月了还能续吗？');
    expect(`${answer.citations[0]!.documentId}#${answer.citations[0]!.article}`).toBe('trademark-law-2019#四十');
    expect(answer.answer.split('\n')[0]).toContain('宽展期');
  });

  it('opens with a list item under the line that introduces it, however long the whole list', async () => {
    const consult = await shippedConsult();
    const { answer } = await consult('侵权方的法定代表人原来是我们公司的实际控制人，法院会认定他是故意的吗？');
    const first = answer.answer.split('\n')[0]!;
    expect(first).toMatch(/^对于下列情形，人民法院可以初步认定被告具有侵害知识产权的故意：/);
    expect(first).toContain('实际控制人');
  });

  it('answers "when" with the event a law dates it from, not "not stated"', async () => {
    const consult = await shippedConsult();
    const { answer } = await consult('发明专利权从什么时候开始生效？');
    expect(answer.outcome).toBe('answered');
    expect(answer.answer.split('\n')[0]).toContain('自公告之日起生效');
  });
});

describe('a document no code mentions, dropped into the knowledge folder', () => {
  let root: string;
  let consult: Consult;
  const DOCUMENT = `---
id: harbour-digital-copyright-registration-2026
title: 示范港数字作品版权登记暂行办法
docNumber: 示范港版发〔2026〕3号
issuers: [示范港版权局]
issueDate: "2026-03-01"
region: 山东省淄博市
level: municipal
status: 现行有效
source: 测试用文件
---
示范港数字作品版权登记暂行办法

## 第一章 总则

第一条 为规范数字作品版权登记，制定本办法。

第二条 示范港数字版权登记中心负责本办法规定的登记工作，接受示范港版权局的监督指导。

## 第二章 登记程序

第三条 申请人申请数字作品版权登记，应当提交下列材料：
（一）登记申请表；
（二）作品样本；
（三）权属证明。

第四条 登记中心应当自受理申请之日起十五个工作日内完成审查；材料不全的，应当在五个工作日内一次性告知申请人补正。

第五条 登记证书遗失的，权利人可以向登记中心申请补发，登记中心应当在十日内补发。
`;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ipbot-newdoc-'));
    const dir = path.join(root, 'knowledge');
    await cp(KNOWLEDGE_DIR, dir, { recursive: true });
    await writeFile(path.join(dir, 'documents', 'harbour-digital-copyright.md'), DOCUMENT);
    const kb = await KnowledgeBase.open({ knowledgeDir: dir });
    consult = createConsult({ kb, guard: createGuard(kb.vocabulary) });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('answers a period from its article, the figure in the first line', async () => {
    const { answer } = await consult('数字作品版权登记申请提交后，登记中心多久完成审查？');
    expect(answer.outcome).toBe('answered');
    expect(answer.citations[0]).toMatchObject({ documentId: 'harbour-digital-copyright-registration-2026', article: '四' });
    expect(answer.answer.split('\n')[0]).toContain('十五个工作日内');
  });

  it('answers what to submit from its list of items, read with the line that introduces them', async () => {
    const { answer } = await consult('申请数字作品版权登记要交哪些材料？');
    expect(answer.citations[0]).toMatchObject({ documentId: 'harbour-digital-copyright-registration-2026', article: '三' });
    expect(answer.answer).toContain('作品样本');
  });

  it('answers who handles it with the body its text names', async () => {
    const { answer } = await consult('数字版权登记证书丢了找谁补发？');
    expect(answer.citations[0]!.documentId).toBe('harbour-digital-copyright-registration-2026');
    expect(answer.answer.split('\n')[0]).toMatch(/登记中心/);
  });
});
