import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/answer/guard.js';
import { createConsult } from '../../src/consult.js';
import { chinaDate, lapseOf, replacements } from '../../src/knowledge/applicability.js';
import { KnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import type { DocumentMeta } from '../../src/types.js';

const HOME_REGION = '山东省淄博市';

/** A Zibo document with the given metadata lines and articles. */
function doc(meta: Record<string, string>, articles: string[]): string {
  const fields = { title: meta.id!, issuers: '[淄博市市场监督管理局]', region: HOME_REGION, level: 'municipal', status: '现行有效', source: '测试', ...meta };
  return `---\n${Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n')}\n---\n${articles.join('\n')}\n`;
}

const FILES: Record<string, string> = {
  'repealed.md': doc({ id: 'old-funding', title: '淄博市专利资助办法', docNumber: '淄市监发〔2015〕1号', issueDate: '"2015-03-01"', validFrom: '"2015-03-01"', status: '已废止' }, [
    '一、发明专利资助。对新授权的发明专利，给予专利资助。',
  ]),
  'expired.md': doc({ id: 'brand-awards', title: '淄博市商标品牌奖励办法', issueDate: '"2017-12-20"', validFrom: '"2018-01-01"', validUntil: '"2020-12-31"' }, [
    '一、驰名商标奖励。对新获得驰名商标认定的企业给予商标品牌奖励。',
  ]),
  'old-pledge.md': doc({ id: 'old-pledge', title: '淄博市知识产权质押融资扶持办法（2019）', issueDate: '"2019-05-01"' }, [
    '一、质押贷款贴息。对企业以专利、商标质押取得的贷款给予贴息扶持。',
    '二、风险补偿资金。设立知识产权质押融资风险补偿资金，分担银行损失。',
  ]),
  'new-pledge.md': doc({ id: 'new-pledge', title: '淄博市知识产权质押融资扶持办法（2024）', docNumber: '淄市监发〔2024〕2号', issueDate: '"2024-03-01"', supersedes: '[old-pledge]' }, [
    '一、质押贷款贴息。对企业以专利、商标质押取得的贷款按实际利息给予贴息扶持。',
  ]),
  'future.md': doc({ id: 'data-ip', title: '淄博市数据知识产权登记试点办法', issueDate: '"2026-10-01"', validFrom: '"2030-01-01"' }, [
    '一、数据知识产权登记。开展数据知识产权登记试点，为企业数据知识产权登记提供指导。',
  ]),
};

describe('documents that are repealed, expired, replaced or not yet in force', () => {
  let root: string;
  let kb: KnowledgeBase;
  const at = (day: string) => createConsult({ kb, guard: createGuard(kb.vocabulary), now: () => new Date(`${day}T12:00:00+08:00`) });

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ipbot-validity-'));
    await mkdir(path.join(root, 'documents'));
    for (const [file, text] of Object.entries(FILES)) await writeFile(path.join(root, 'documents', file), text);
    kb = await KnowledgeBase.open({ knowledgeDir: root });
    expect(kb.problems).toEqual([]);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('says plainly that the only matching document is repealed, with its dates, and does not answer from it', async () => {
    const { answer } = await at('2026-12-02')('新授权的发明专利有专利资助吗');
    expect(answer.outcome).toBe('not_covered');
    expect(answer.answer).toMatch(/^现行有效的文件中没有找到答案。唯一相关的《淄博市专利资助办法》（淄市监发〔2015〕1号）（2015-03-01印发，有效期2015-03-01至（未注明））已废止（状态：已废止）/);
    expect(answer.citations.map((c) => [c.documentId, c.status])).toEqual([['old-funding', '已废止']]);
  });

  it('gives the expiry date of an expired document, and answers from it while it was in force', async () => {
    const now = await at('2026-12-02')('获得驰名商标认定有商标品牌奖励吗');
    expect(now.answer.outcome).toBe('not_covered');
    expect(now.answer.answer).toContain('有效期2018-01-01至2020-12-31）已于2020-12-31到期失效');
    expect(now.answer.citations[0]).toMatchObject({ documentId: 'brand-awards', validUntil: '2020-12-31' });
    const then = await at('2019-06-01')('获得驰名商标认定有商标品牌奖励吗');
    expect(then.answer.outcome).toBe('answered');
    expect(then.answer.citations[0]!.documentId).toBe('brand-awards');
  });

  it('answers from the document that replaces another, never from the one replaced', async () => {
    const { answer, retrieval } = await at('2026-12-02')('专利商标质押贷款有贴息扶持吗');
    expect(answer.outcome).toBe('answered');
    expect(answer.citations.map((c) => c.documentId)).toEqual(['new-pledge']);
    expect(retrieval!.passages.some((p) => p.chunk.documentId === 'old-pledge')).toBe(false);
  });

  it('names the replacing document when only the replaced one speaks to the question', async () => {
    const { answer } = await at('2026-12-02')('知识产权质押融资有没有风险补偿资金');
    expect(answer.outcome).toBe('not_covered');
    expect(answer.answer).toContain('已被新文件取代：取代它的是《淄博市知识产权质押融资扶持办法（2024）》（淄市监发〔2024〕2号）');
    expect(answer.citations.map((c) => c.documentId)).toEqual(['old-pledge']);
  });

  it('does not cite a document before it takes effect', async () => {
    const { answer } = await at('2026-12-02')('数据知识产权登记试点怎么开展');
    expect(answer.outcome).toBe('not_covered');
    expect(answer.answer).toContain('自2030-01-01起才施行，目前尚未生效');
  });

  it('decides validity from status and dates, in China’s calendar day', () => {
    const meta = (m: Partial<DocumentMeta>): DocumentMeta => ({ id: 'x', title: 'x', issuers: ['x'], issueDate: '2020-01-01', supersedes: [], status: '现行有效', source: 'x', language: 'zh', tags: [], ...m });
    const none = new Map<string, DocumentMeta>();
    expect(lapseOf(meta({ status: '部分失效' }), '2026-01-01', none)).toBeUndefined();
    expect(lapseOf(meta({ status: '失效' }), '2026-01-01', none)).toEqual({ reason: 'repealed' });
    expect(lapseOf(meta({ validUntil: '2025-12-31' }), '2025-12-31', none)).toBeUndefined();
    expect(lapseOf(meta({ validUntil: '2025-12-31' }), '2026-01-01', none)).toEqual({ reason: 'expired', on: '2025-12-31' });
    // A successor that is not yet in force does not retire its predecessor.
    const successor = meta({ id: 'y', supersedes: ['x'], validFrom: '2027-01-01' });
    expect(lapseOf(meta({}), '2026-06-01', replacements([successor], '2026-06-01'))).toBeUndefined();
    expect(lapseOf(meta({}), '2027-06-01', replacements([successor], '2027-06-01'))).toMatchObject({ reason: 'superseded' });
    expect(chinaDate(new Date('2026-12-31T17:00:00Z'))).toBe('2027-01-01');
  });
});
