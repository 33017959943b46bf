import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlignmentType, Document, HeadingLevel, LevelFormat, Packer, Paragraph, TextRun } from 'docx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkDocument } from '../../src/knowledge/chunk.js';
import { KnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import type { Chunk } from '../../src/types.js';
import { FIXTURE_CHAPTERS, FIXTURE_HEADER, FIXTURE_NUMBER, FIXTURE_RUNNING_HEADER, FIXTURE_TITLE } from './fixtures/policy-text.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const ARTICLES = ['header', '一', '二', '三', '四', '五', '六'];

const sidecar = (id: string, extra = '') =>
  `id: ${id}\ntitle: ${FIXTURE_TITLE}\ndocNumber: ${FIXTURE_NUMBER}\nissuers: [示例市市场监督管理局, 示例市财政局]\nissueDate: "2024-03-01"\nregion: 示例省示例市\nlevel: municipal\nstatus: 现行有效\nvalidFrom: "2024-04-01"\nvalidUntil: "2026-03-31"\nsource: 测试样例\n${extra}`;

/** The fixture as a Markdown document: the reference every other format must chunk the same way. */
const markdown = (id: string) =>
  `---\n${sidecar(id)}---\n${[...FIXTURE_HEADER, FIXTURE_TITLE, ...FIXTURE_CHAPTERS.flatMap((c) => [c.title, ...c.articles])].join('\n')}\n`;

/** The fixture as Word writes it: centred header lines, the title and chapters as headings, empty paragraphs. */
async function wordFile(): Promise<Buffer> {
  const centred = (text: string) => new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun(text)] });
  const doc = new Document({
    sections: [
      {
        children: [
          ...FIXTURE_HEADER.map(centred),
          new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun(FIXTURE_TITLE)] }),
          ...FIXTURE_CHAPTERS.flatMap((c) => [
            new Paragraph({ heading: HeadingLevel.HEADING_1, children: [new TextRun(c.title)] }),
            // An article as Word users type it: the number in bold, two runs in one paragraph, items on their own lines.
            ...c.articles.flatMap((a) =>
              a.split('\n').map((line) => {
                const m = /^(第.+?条)(.*)$/.exec(line);
                return new Paragraph({ indent: { firstLine: 480 }, children: m ? [new TextRun({ text: m[1]!, bold: true }), new TextRun(m[2]!)] : [new TextRun(line)] });
              }),
            ),
            new Paragraph({ children: [] }),
          ]),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

/** A saved page of a government site: navigation, breadcrumbs, page tools, a sidebar and a footer around the article. */
const webPage = (charset = 'utf-8') => `<!doctype html><html lang="zh-CN"><head><meta charset="${charset}"><title>${FIXTURE_TITLE}_示例市人民政府</title>
<script>var _hmt = _hmt || [];</script><style>.nav{float:left}</style></head><body>
<div class="top"><a href="/">无障碍</a> <a href="/en">English</a> <a href="/m">移动版</a></div>
<div class="header"><img src="logo.png" alt="示例市人民政府"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li><li><a href="/zwfw">政务服务</a></li><li><a href="/hdjl">互动交流</a></li></ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; <a href="/zcwj">政策文件</a></div>
<div class="main"><div class="content">
<h1 class="title">${FIXTURE_TITLE}</h1>
<div class="info"><span>发布日期：2024-03-01</span> <span>来源：示例市市场监督管理局</span></div>
<div class="tools">【字体：大 中 小】</div>
<div id="zoom" class="TRS_Editor">
${FIXTURE_HEADER.map((l) => `<p style="text-align:center">${l}</p>`).join('\n')}
<p style="text-align:center"><strong>${FIXTURE_TITLE}</strong></p>
${FIXTURE_CHAPTERS.map((c) => `<p style="text-align:center"><strong>${c.title}</strong></p>\n${c.articles.flatMap((a) => a.split('\n')).map((l) => `<p>　　${l.replace(/^(第.+?条)/, '<strong>$1</strong>')}</p>`).join('\n')}`).join('\n')}
</div>
<div class="tools"><a href="javascript:print()">打印本页</a> <a href="javascript:close()">关闭窗口</a></div>
</div>
<div class="side"><h3>相关链接</h3><ul><li><a href="https://example.gov.cn/a">国家知识产权局</a></li><li><a href="https://example.gov.cn/b">示例省市场监督管理局</a></li><li><a href="https://example.gov.cn/c">示例市财政局</a></li></ul>
<h3>热点专题</h3><ul><li><a href="/z1">优化营商环境</a></li><li><a href="/z2">知识产权强市建设</a></li></ul></div></div>
<div class="footer"><p>主办：示例市人民政府办公室 承办：示例市大数据中心</p><p>版权所有 示例市人民政府 示ICP备00000000号 网站标识码0000000001</p></div>
</body></html>`;

const byArticle = (chunks: Chunk[]) => Object.fromEntries(chunks.map((c) => [c.article + (c.id.endsWith('#preamble') ? '#preamble' : ''), c]));

describe('document formats', () => {
  let dir: string;
  let loaded: Awaited<ReturnType<typeof loadKnowledge>>;
  const chunksOf = (id: string) => {
    const doc = loaded.documents.find((d) => d.meta.id === id);
    expect(doc, `${id} loaded (problems: ${JSON.stringify(loaded.problems)})`).toBeDefined();
    return chunkDocument(doc!);
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ipbot-formats-'));
    const docs = path.join(dir, 'documents');
    await mkdir(docs, { recursive: true });
    await writeFile(path.join(docs, 'reference.md'), markdown('fixture-md'));
    await writeFile(path.join(docs, 'measures.docx'), await wordFile());
    await writeFile(path.join(docs, 'measures.yaml'), sidecar('fixture-docx'));
    await copyFile(path.join(FIXTURES, 'policy.pdf'), path.join(docs, 'measures-print.pdf'));
    await writeFile(path.join(docs, 'measures-print.yaml'), sidecar('fixture-pdf'));
    await writeFile(path.join(docs, 'page.html'), webPage());
    await writeFile(path.join(docs, 'page.yaml'), sidecar('fixture-html', 'source: https://example.gov.cn/zcwj/2024/7.html\n').replace('source: 测试样例\n', ''));
    // The same page as many government sites still serve it: GBK, declared in a meta tag.
    await writeFile(path.join(docs, 'page-gbk.htm'), encodeGbk(webPage('gbk')));
    await writeFile(path.join(docs, 'page-gbk.yaml'), sidecar('fixture-gbk'));
    loaded = await loadKnowledge(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loads every format without a problem', () => {
    expect(loaded.problems).toEqual([]);
    expect(loaded.documents.map((d) => d.meta.id).sort()).toEqual(['fixture-docx', 'fixture-gbk', 'fixture-html', 'fixture-md', 'fixture-pdf']);
    const pdf = loaded.documents.find((d) => d.meta.id === 'fixture-pdf')!;
    expect(pdf.meta).toMatchObject({ docNumber: FIXTURE_NUMBER, level: 'municipal', validFrom: '2024-04-01', validUntil: '2026-03-31', issuers: ['示例市市场监督管理局', '示例市财政局'] });
  });

  it('chunks a Markdown document into its chapters and articles', () => {
    const chunks = chunksOf('fixture-md');
    expect([...new Set(chunks.map((c) => c.article))]).toEqual(ARTICLES);
    const three = byArticle(chunks)['三']!;
    expect(three.section.startsWith('第二章 资助范围和标准 › 第三条 ')).toBe(true);
    expect(three.departments).toEqual(['市市场监管局', '市财政局']);
    expect(byArticle(chunks)['五']!.text).toBe(FIXTURE_CHAPTERS[1]!.articles[2]);
  });

  it.each(['fixture-docx', 'fixture-pdf', 'fixture-html', 'fixture-gbk'])('%s gives the same chunks as the Markdown text', (id) => {
    const reference = chunksOf('fixture-md');
    const chunks = chunksOf(id);
    const strip = (c: Chunk) => ({ ...c, id: c.id.replace(/^[^#]+/, ''), documentId: '' });
    expect(chunks.filter((c) => c.article !== 'header').map(strip)).toEqual(reference.filter((c) => c.article !== 'header').map(strip));
    // The header holds the issuing block and nothing of the page around it.
    const header = chunks.find((c) => c.article === 'header')!.text;
    expect(header).toContain(FIXTURE_NUMBER);
    expect(header).toContain('2024年3月1日');
    for (const junk of ['首页', '当前位置', '字体', '打印', '相关链接', '版权所有', 'ICP', FIXTURE_RUNNING_HEADER, '- 1 -']) {
      expect(chunks.map((c) => c.text).join('\n'), junk).not.toContain(junk);
    }
  });

  it('joins the PDF lines of an article that runs over a page break, without the page number between them', () => {
    const four = byArticle(chunksOf('fixture-pdf'))['四']!;
    expect(four.text).toBe(FIXTURE_CHAPTERS[1]!.articles[1]!.replace(/（责任单位：.*）$/, ''));
    expect(four.departments).toEqual(['市地方金融监管局']);
  });

  it('answers a question from a PDF, a Word file and a web page like from Markdown', async () => {
    await copyFile(path.join(process.cwd(), 'knowledge', 'dictionary.txt'), path.join(dir, 'dictionary.txt'));
    const kb = await KnowledgeBase.open({ knowledgeDir: dir });
    const { passages } = await kb.retrieve('知识产权质押融资的贷款利息有补贴吗', 10);
    const found = new Set(passages.filter((p) => p.chunk.article === '四').map((p) => p.chunk.documentId));
    expect([...found].sort()).toEqual(['fixture-docx', 'fixture-gbk', 'fixture-html', 'fixture-md', 'fixture-pdf']);
  });
});

describe('broken files of each format', () => {
  it('are reported by name with the reason, and the rest of the knowledge still loads', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ipbot-broken-'));
    try {
      const docs = path.join(dir, 'documents');
      await mkdir(docs, { recursive: true });
      await writeFile(path.join(docs, 'good.md'), markdown('good'));
      await writeFile(path.join(docs, 'corrupt.docx'), Buffer.from('PK\u0003\u0004 this is not really a zip archive'));
      await writeFile(path.join(docs, 'corrupt.yaml'), sidecar('corrupt-docx'));
      await writeFile(path.join(docs, 'broken.pdf'), Buffer.from('%PDF-1.7\n1 0 obj garbage\n%%EOF'));
      await writeFile(path.join(docs, 'broken.yaml'), sidecar('broken-pdf'));
      await copyFile(path.join(FIXTURES, 'scanned.pdf'), path.join(docs, 'scanned.pdf'));
      await writeFile(path.join(docs, 'scanned.yaml'), sidecar('scanned'));
      await writeFile(path.join(docs, 'empty.html'), '<html><body><div class="nav"><a href="/">首页</a></div><nav><a href="/a">政务公开</a></nav><footer>版权所有</footer></body></html>');
      await writeFile(path.join(docs, 'empty.yaml'), sidecar('empty-html'));
      await writeFile(path.join(docs, 'no-sidecar.docx'), await wordFile());
      await copyFile(path.join(FIXTURES, 'policy.pdf'), path.join(docs, 'bad-yaml.pdf'));
      await writeFile(path.join(docs, 'bad-yaml.yaml'), sidecar('bad-yaml').replace('issuers:', 'title: 又一个标题\nissuers:'));
      await writeFile(path.join(docs, 'old-format.doc'), 'binary');
      await writeFile(path.join(docs, 'orphan.yaml'), sidecar('orphan'));

      const { documents, problems } = await loadKnowledge(dir);
      expect(documents.map((d) => d.meta.id)).toEqual(['good']);
      const about = (file: string) => problems.filter((p) => p.file === `documents/${file}`).map((p) => `${p.line ? `line ${p.line}: ` : ''}${p.message}`).join(' | ');
      expect(about('corrupt.docx')).toMatch(/not a readable Word file/);
      expect(about('broken.pdf')).toMatch(/not a readable PDF/);
      expect(about('orphan.yaml')).toMatch(/sidecar without its document/);
      expect(about('scanned.pdf')).toMatch(/no text layer.*scanned/);
      expect(about('empty.html')).toMatch(/no article text/);
      expect(about('no-sidecar.docx')).toMatch(/missing sidecar no-sidecar\.yaml.*id, title, issuers, issueDate, status, source/);
      expect(about('bad-yaml.pdf')).toMatch(/^line 4: bad-yaml\.yaml: sidecar is not valid YAML: Map keys must be unique/);
      expect(about('old-format.doc')).toMatch(/\.doc files are not read; save it as \.docx/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a corrupt PDF with its own sidecar as unreadable', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ipbot-broken-'));
    try {
      await writeFile(path.join(dir, 'x.pdf'), Buffer.from('%PDF-1.7\n1 0 obj garbage\n%%EOF'));
      await writeFile(path.join(dir, 'x.yaml'), sidecar('x'));
      await writeFile(path.join(dir, 'y.pdf'), Buffer.from('not a pdf at all'));
      await writeFile(path.join(dir, 'y.yaml'), sidecar('y'));
      const { documents, problems } = await loadKnowledge(dir);
      expect(documents).toEqual([]);
      expect(problems.map((p) => [p.file, p.message.split(':')[0]])).toEqual([
        ['x.pdf', 'not a readable PDF'],
        ['y.pdf', 'not a readable PDF'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Word files numbered by Word', () => {
  it('load, with a warning that automatic article numbers are not text', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ipbot-numbering-'));
    try {
      const articles = FIXTURE_CHAPTERS.flatMap((c) => c.articles).map((a) => a.replace(/^第.+?条\s*/, '').split('\n')[0]!);
      const doc = new Document({
        numbering: { config: [{ reference: 'articles', levels: [{ level: 0, format: LevelFormat.CHINESE_COUNTING, text: '第%1条', alignment: AlignmentType.START }] }] },
        sections: [{ children: [new Paragraph(FIXTURE_TITLE), ...articles.map((a) => new Paragraph({ numbering: { reference: 'articles', level: 0 }, children: [new TextRun(a)] }))] }],
      });
      await writeFile(path.join(dir, 'numbered.docx'), await Packer.toBuffer(doc));
      await writeFile(path.join(dir, 'numbered.yaml'), sidecar('numbered'));
      const { documents, problems } = await loadKnowledge(dir);
      expect(documents.map((d) => d.meta.id)).toEqual(['numbered']);
      expect(documents[0]!.body).toContain(articles[3]);
      expect(problems).toEqual([{ file: 'numbered.docx', severity: 'warning', message: expect.stringMatching(/6 paragraphs use Word's automatic numbering/) }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** GBK bytes of a text, through Node's own decoder tables (there is no GBK encoder in the standard library). */
function encodeGbk(text: string): Buffer {
  const decoder = new TextDecoder('gbk');
  const table = new Map<string, number[]>();
  for (let hi = 0x81; hi <= 0xfe; hi++) {
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      if (lo === 0x7f) continue;
      const ch = decoder.decode(Uint8Array.of(hi, lo));
      if (ch.length === 1 && ch !== '\ufffd' && !table.has(ch)) table.set(ch, [hi, lo]);
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else out.push(...(table.get(ch) ?? [0x3f]));
  }
  return Buffer.from(out);
}
