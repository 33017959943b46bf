import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../src/answer/guard.js';
import { GUIDANCE_NOTE } from '../src/answer/validity.js';
import { createConsult, type Consult } from '../src/consult.js';
import { KnowledgeBase } from '../src/knowledge/knowledge-base.js';
import { DIVISIONS } from '../src/knowledge/divisions.js';
import { KNOWLEDGE_DIR, SEED_ID, shippedConsult } from './helpers.js';

const cited = (answer: { citations: { documentId: string; article: string }[] }) => answer.citations.map((c) => `${c.documentId}#${c.article}`);

describe('region rules on the shipped knowledge (HOME_REGION 山东省淄博市)', () => {
  let consult: Consult;
  beforeAll(async () => {
    consult = await shippedConsult();
  });

  it.each([
    ['知识产权保险有哪些?', '七'],
    ['淄博对知识产权保险有什么支持?', '七'],
    ['张店区的企业想做专利导航,政策怎么说', '一'],
    ['山东对知识产权保险有什么支持', '七'],
    ['Does Zibo support IP insurance for companies?', '七'],
    ['Our factory is in Zhangdian. Can foreign patent agencies open offices here?', '五'],
  ])('reads %s against the home region’s documents', async (question, article) => {
    const { answer } = await consult(question);
    expect(answer.outcome).toBe('answered');
    expect(cited(answer)).toContain(`${SEED_ID}#${article}`);
  });

  it.each([
    ['北京对中小企业专利有啥补贴政策', '北京市'],
    ['青岛市对知识产权服务机构有什么奖励政策', '青岛市'],
    ['江苏省对知识产权质押融资有贴息吗', '江苏省'],
    ['海淀区的企业专利奖励标准', '海淀区'],
    ['成都的知识产权公共服务平台能干啥', '成都市'],
  ])('never passes Zibo’s rules off as those of another place: %s', async (question, place) => {
    const { answer } = await consult(question);
    expect(answer.outcome).toBe('not_covered');
    expect(answer.citations).toEqual([]);
    expect(answer.answer).toContain(`没有${place}的政策文件`);
  });

  it('says the same in English for a place asked about in English', async () => {
    const { answer } = await consult('What patent subsidies does Beijing offer to small companies?');
    expect(answer.outcome).toBe('not_covered');
    expect(answer.answer).toContain('no policy documents of 北京市');
  });

  it('answers a question on national law about another place from national guidance, and says so', async () => {
    const { answer } = await consult('北京的公司注册商标有效期几年');
    expect(answer.outcome).toBe('answered');
    expect(cited(answer)).toContain('guide-trademark#五');
    // The place caveat opens the first line, which still answers.
    expect(answer.answer.split('\n')[0]).toBe('知识库中没有北京市的地方政策文件，以下是全国适用的内容：注册商标的有效期为十年，自核准注册之日起计算。[1]');
    expect(answer.citations.every((c) => c.documentId !== SEED_ID)).toBe(true);
  });

  it('labels guidance as guidance, in the text and in each citation', async () => {
    const { answer } = await consult('注册商标有效期是几年');
    expect(answer.outcome).toBe('answered');
    const guidance = answer.citations.filter((c) => c.level === 'guidance');
    expect(guidance.length).toBeGreaterThan(0);
    expect(guidance.every((c) => c.title.startsWith('企业指引'))).toBe(true);
    expect(answer.answer).toContain('【企业指引】');
    expect(answer.answer).toContain(GUIDANCE_NOTE.zh);
    expect(answer.answer).not.toContain('以上政策内容为原文摘录');
  });

  it('shows 文号, issuer, date and level for policy text, as extra citation fields', async () => {
    const { answer } = await consult('知识产权保险有哪些?');
    const seven = answer.citations.find((c) => c.article === '七')!;
    expect(seven).toMatchObject({ docNumber: '淄市监知促字〔2023〕130号', issuer: '淄博市市场监督管理局等15个部门', issueDate: '2023-11-09', level: 'municipal', status: '现行有效' });
    expect(answer.citations[0]).toBe(seven);
    expect(answer.answer).toContain('（淄市监知促字〔2023〕130号，淄博市市场监督管理局等15个部门，2023-11-09印发，市级文件）');
  });

  it('reads “那北京呢？” as the earlier question asked of Beijing', async () => {
    const earlier = '注册商标有效期是几年';
    const first = await consult(earlier);
    const { answer } = await consult('那北京呢?', { history: [{ question: earlier, citations: first.answer.citations }] });
    expect(answer.outcome).toBe('answered');
    expect(answer.answer).toMatch(/^知识库中没有北京市的地方政策文件，以下是全国适用的内容：注册商标的有效期为十年/);
    // What Beijing itself provides is not read from national guidance.
    const local = await consult('那北京呢?', { history: [{ question: '知识产权质押融资有贴息补贴吗', citations: [] }] });
    expect(local.answer).toMatchObject({ outcome: 'not_covered', citations: [] });
    expect(local.answer.answer).toContain('没有北京市的政策文件');
  });

  it('keeps the place of the earlier question for a follow-up', async () => {
    const history = [{ question: '北京对中小企业专利有啥补贴政策', citations: [] }];
    const { answer } = await consult('那商标呢?', { history });
    expect(answer.outcome).toBe('not_covered');
    expect(answer.answer).toContain('北京市');
  });
});

/**
 * The hard case of Shandong: every city publishes near-identical implementation opinions. A corpus of many
 * copies of the seed, each with its own city, 文号 and region, must still answer each city from its own.
 */
describe('near-identical documents of many cities', () => {
  let root: string;
  let kb: KnowledgeBase;
  const cities = DIVISIONS.split('\n')
    .filter((l) => /^ {2}\S+市 /.test(l))
    .map((l) => l.trim().split(/\s+/)[0]!)
    .filter((c) => c !== '淄博市')
    .slice(0, 99);

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ipbot-cities-'));
    const dir = path.join(root, 'knowledge');
    await cp(KNOWLEDGE_DIR, dir, { recursive: true });
    const seed = await readFile(path.join(KNOWLEDGE_DIR, 'documents', `${SEED_ID}.md`), 'utf8');
    for (const [i, city] of cities.entries()) {
      const short = city.replace(/市$/, '');
      const text = seed
        .replace('region: 山东省淄博市', `region: ${city}`)
        .replace(`id: ${SEED_ID}`, `id: city-${i}`)
        .replaceAll('淄市监知促字〔2023〕130号', `${short}监知促字〔2023〕${i + 1}号`)
        .replaceAll('淄博', short);
      await writeFile(path.join(dir, 'documents', `city-${i}.md`), text);
    }
    kb = await KnowledgeBase.open({ knowledgeDir: dir });
  }, 120_000);
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('holds thousands of near-identical chunks', () => {
    expect(kb.chunks.length).toBeGreaterThan(2000);
  });

  it('answers each city from its own document and a question without a place from the home region’s', async () => {
    const consult = createConsult({ kb, guard: createGuard(kb.vocabulary) });
    for (const i of [0, 17, 42, 98]) {
      const { answer } = await consult(`${cities[i]}对知识产权保险有什么支持?`);
      expect(answer.outcome, cities[i]).toBe('answered');
      expect(cited(answer), cities[i]).toContain(`city-${i}#七`);
      expect(answer.citations.every((c) => c.documentId === `city-${i}` || c.level === 'guidance'), cities[i]).toBe(true);
    }
    const { answer } = await consult('知识产权保险有哪些?');
    expect(cited(answer)).toContain(`${SEED_ID}#七`);
    expect(answer.citations.every((c) => !c.documentId.startsWith('city-'))).toBe(true);
  });
});
