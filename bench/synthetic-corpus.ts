/**
 * Deterministic synthetic policy documents for the retrieval benchmark: hard distractors for the shipped
 * document, at any size (10 000 to 100 000 chunks and more). Each generated document looks like an
 * IP-service opinion (front-matter, issuing block, preamble, numbered articles 一、…) at one of the levels
 * national, provincial, municipal (16 Shandong cities) or district, with `level` and `region` set.
 *
 * The realistic hard case comes first: Shandong's cities publish near-identical implementation opinions,
 * so the seed document is also written once per other city (`cityCopies`), with the same text except the
 * city's name, another 文号 and that city's `region` and issuers. A question naming 青岛 must then find
 * 青岛's copy, not 淄博's or 烟台's.
 * Article headings are the seed's headings (terms swapped) or templates;
 * article sentences are built from 2–4 clauses, mostly from a clause grammar over an IP vocabulary in the
 * seed's register, partly (seedClauseShare) from the seed's own clauses (split at commas; mostly from one seed
 * article so the distractor stays on topic) with city names and interchangeable IP terms swapped. Whole seed
 * sentences are not copied on purpose. Same seed → same files.
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Chunk } from '../src/types.js';

/** mulberry32: small, fast, good enough for text generation, identical on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const pickSome = <T>(r: Rand, xs: readonly T[], n: number): T[] => {
  const pool = [...xs];
  const out: T[] = [];
  while (out.length < n && pool.length) out.push(pool.splice(Math.floor(r() * pool.length), 1)[0]!);
  return out;
};

const NUMERALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二', '十三', '十四', '十五', '十六', '十七', '十八', '十九', '二十', '二十一', '二十二', '二十三', '二十四', '二十五'];

export interface City {
  name: string;
  pinyin: string;
}

/** Shandong cities (淄博 included, so some distractors share the seed document's city). */
export const CITIES: readonly City[] = [
  { name: '淄博', pinyin: 'zibo' },
  { name: '济南', pinyin: 'jinan' },
  { name: '青岛', pinyin: 'qingdao' },
  { name: '潍坊', pinyin: 'weifang' },
  { name: '烟台', pinyin: 'yantai' },
  { name: '临沂', pinyin: 'linyi' },
  { name: '济宁', pinyin: 'jining' },
  { name: '泰安', pinyin: 'taian' },
  { name: '威海', pinyin: 'weihai' },
  { name: '日照', pinyin: 'rizhao' },
  { name: '德州', pinyin: 'dezhou' },
  { name: '聊城', pinyin: 'liaocheng' },
  { name: '滨州', pinyin: 'binzhou' },
  { name: '菏泽', pinyin: 'heze' },
  { name: '枣庄', pinyin: 'zaozhuang' },
  { name: '东营', pinyin: 'dongying' },
];

const BUREAUS = ['市场监督管理局', '发展和改革委员会', '教育局', '科学技术局', '工业和信息化局', '司法局', '财政局', '人力资源和社会保障局', '自然资源和规划局', '农业农村局', '商务局', '统计局', '文化和旅游局', '公安局', '地方金融监督管理局'];
const SHORT_BUREAUS = ['市市场监管局', '市发展改革委', '市教育局', '市科技局', '市工业和信息化局', '市司法局', '市财政局', '市人力资源社会保障局', '市自然资源和规划局', '市农业农村局', '市商务局', '市统计局', '市文化和旅游局', '市公安局', '市地方金融监管局'];

/** Groups of interchangeable terms: a sentence keeps its grammar when one is swapped for another of its group. */
const SWAPS: readonly (readonly string[])[] = [
  ['专利', '商标', '版权', '地理标志', '商业秘密', '植物新品种', '集成电路布图设计', '著作权'],
  ['代理', '运营', '评估', '咨询', '培训', '信息', '法律', '鉴定', '维权'],
  ['高校', '科研院所', '行业协会', '龙头企业', '中小企业', '服务机构', '产业园区'],
  ['新材料', '智能装备', '新医药', '电子信息', '高端化工', '生物医药', '新能源汽车', '现代农业', '陶瓷琉璃', '纺织服装'],
  ['乡村振兴', '对外开放', '产业发展', '协同发展', '数字经济', '绿色发展', '区域协调'],
  ['质押融资', '知识产权保险', '知识产权信托', '运营基金', '证券化'],
];

const RIGHTS = SWAPS[0]!;
const SERVICES = SWAPS[1]!;
const ACTORS = SWAPS[2]!;
const INDUSTRIES = SWAPS[3]!;
const GOALS = SWAPS[4]!;
const FINANCE = SWAPS[5]!;

const HEADING_TEMPLATES: readonly ((r: Rand) => string)[] = [
  (r) => `推动知识产权服务业助力${pick(r, GOALS)}`,
  (r) => `加强${pick(r, RIGHTS)}${pick(r, SERVICES)}服务`,
  (r) => `提升${pick(r, RIGHTS)}${pick(r, ['创造', '运用', '保护', '管理', '服务'])}水平`,
  (r) => `支持${pick(r, ACTORS)}开展${pick(r, RIGHTS)}${pick(r, SERVICES)}服务`,
  (r) => `发展${pick(r, FINANCE)}业务`,
  (r) => `健全${pick(r, RIGHTS)}${pick(r, ['保护', '监管', '纠纷调解', '信用评价'])}机制`,
  (r) => `培育${pick(r, INDUSTRIES)}产业知识产权优势`,
  (r) => `加强知识产权${pick(r, ['人才培养', '宣传培训', '统计监测', '国际合作', '组织保障', '考核评价'])}`,
];

const VERBS = ['加强', '推动', '完善', '健全', '深化', '支持', '鼓励', '引导', '强化', '优化', '提升', '探索', '建立', '落实', '拓展', '规范'];
const OBJECTS = ['服务体系', '保护机制', '运营平台', '公共服务', '人才队伍', '信用体系', '转化运用', '培育工程', '导航项目', '纠纷调解', '监测预警', '宣传培训', '示范企业', '品牌建设', '评估交易', '信息利用', '布局储备', '维权援助', '代理服务', '统计分析'];
const OTHER_TERMS = ['高价值专利', '专利导航', '商标品牌', '版权登记', '地理标志产品', '专精特新', '成果转化', '公共服务平台', '专题数据库', '集聚区', '海外预警', '信用评价', '双随机、一公开', '专利代理师', '技术创新联盟', '行风建设', '维权援助', '质押保证保险', '技术先进型服务企业'];

/** Clause grammar over the IP vocabulary, in the seed's register (the bulk of the distractor text). */
const CLAUSE_TEMPLATES: readonly ((r: Rand, city: string) => string)[] = [
  (r) => `${pick(r, VERBS)}${pick(r, RIGHTS)}${pick(r, OBJECTS)}`,
  (r) => `${pick(r, VERBS)}知识产权${pick(r, OBJECTS)}`,
  (r) => `${pick(r, VERBS)}${pick(r, ACTORS)}开展${pick(r, RIGHTS)}${pick(r, SERVICES)}服务`,
  (r) => `提升${pick(r, RIGHTS)}${pick(r, SERVICES)}服务水平`,
  (r) => `围绕${pick(r, INDUSTRIES)}、${pick(r, INDUSTRIES)}等重点产业`,
  (r) => `面向${pickSome(r, ACTORS, 2).join('和')}`,
  (r) => `助力${pick(r, GOALS)}`,
  (r) => `推动${pick(r, FINANCE)}扩面增量`,
  (r) => `做好${pick(r, OTHER_TERMS)}相关工作`,
  (r) => `${pick(r, VERBS)}${pick(r, OTHER_TERMS)}${pick(r, ['建设', '工作', '服务', '机制'])}`,
  (r, c) => `依托${c}市${pick(r, ['知识产权保护中心', '知识产权公共服务平台', '知识产权运营中心', '知识产权服务业集聚区'])}`,
  (r) => `形成${pick(r, ['一批', '若干', '一批具有示范效应的'])}${pick(r, RIGHTS)}${pick(r, ['示范企业', '优势企业', '服务品牌', '典型案例'])}`,
  (r) => `每年${pick(r, ['组织', '举办', '开展'])}${pick(r, RIGHTS)}${pick(r, SERVICES)}活动不少于${2 + Math.floor(r() * 10)}场次`,
  (r) => `按规定给予${pick(r, ACTORS)}最高${(1 + Math.floor(r() * 50)) * 10000}元${pick(r, ['奖励', '补助', '资助'])}`,
];

const SENTENCE_TEMPLATES: readonly ((r: Rand, city: string) => string)[] = [
  (r) => `支持${pick(r, ACTORS)}开展${pick(r, RIGHTS)}${pick(r, SERVICES)}服务,提升${pick(r, RIGHTS)}${pick(r, ['创造', '运用', '保护'])}能力。`,
  (r, c) => `围绕${c}${pick(r, INDUSTRIES)}、${pick(r, INDUSTRIES)}等重点产业,实施${pick(r, RIGHTS)}导航项目,培育高价值${pick(r, RIGHTS)}组合。`,
  (r) => `鼓励金融机构创新${pick(r, FINANCE)}产品,扩大${pick(r, FINANCE)}规模,缓解${pick(r, ACTORS)}融资难题。`,
  (r) => `建立${pick(r, RIGHTS)}侵权纠纷快速处理机制,加强行政执法与司法保护衔接,提高${pick(r, RIGHTS)}维权效率。`,
  (r, c) => `依托${c}市知识产权公共服务平台,为${pick(r, ACTORS)}提供${pick(r, RIGHTS)}检索、${pick(r, SERVICES)}和预警服务。`,
  (r) => `每年组织开展${pick(r, RIGHTS)}${pick(r, SERVICES)}专题培训不少于${2 + Math.floor(r() * 10)}场次,培训${pick(r, ACTORS)}人员${100 + Math.floor(r() * 900)}人次。`,
  (r) => `对获得${pick(r, RIGHTS)}授权的${pick(r, ACTORS)},按规定给予最高${(1 + Math.floor(r() * 50)) * 10000}元奖励。`,
  (r) => `严厉打击${pick(r, ['恶意商标注册', '非正常专利申请', '侵权假冒', '无资质专利代理', '网络侵权盗版'])}等违法行为,维护公平竞争的市场秩序。`,
  (r) => `推动${pick(r, RIGHTS)}与${pick(r, ['标准', '品牌', '产业', '金融', '科技'])}融合发展,促进创新成果向现实生产力转化。`,
];

/** Districts used by district-level distractors, with their city. */
const DISTRICTS: readonly { city: string; name: string; pinyin: string }[] = [
  { city: '淄博', name: '张店区', pinyin: 'zhangdian' },
  { city: '淄博', name: '淄川区', pinyin: 'zichuan' },
  { city: '淄博', name: '临淄区', pinyin: 'linzi' },
  { city: '青岛', name: '黄岛区', pinyin: 'huangdao' },
  { city: '青岛', name: '崂山区', pinyin: 'laoshan' },
  { city: '济南', name: '历下区', pinyin: 'lixia' },
  { city: '烟台', name: '芝罘区', pinyin: 'zhifu' },
  { city: '潍坊', name: '奎文区', pinyin: 'kuiwen' },
];

type Level = 'national' | 'provincial' | 'municipal' | 'district';

/** Who issues a distractor of a level, and where it applies. */
interface Issuing {
  level: Level;
  region: string;
  /** Name put where the seed says 淄博 / 我市. */
  place: string;
  issuers: string[];
  docNumber: string;
  idPrefix: string;
}

function issuingFor(r: Rand, level: Level, year: number): Issuing {
  const n = 1 + Math.floor(r() * 200);
  if (level === 'national') {
    const issuers = ['国家知识产权局', ...pickSome(r, ['国家发展和改革委员会', '教育部', '科学技术部', '工业和信息化部', '司法部', '财政部', '商务部', '国家金融监督管理总局'], 1 + Math.floor(r() * 4))];
    return { level, region: '全国', place: '全国', issuers, docNumber: `国知发${pick(r, ['运', '保', '服', '促'])}字〔${year}〕${n}号`, idPrefix: 'national' };
  }
  if (level === 'provincial') {
    const issuers = ['山东省市场监督管理局', ...pickSome(r, BUREAUS.slice(1), 2 + Math.floor(r() * 5)).map((b) => `山东省${b.replace(/局$/, '厅')}`)];
    return { level, region: '山东省', place: '全省', issuers, docNumber: `鲁市监知${pick(r, ['促', '保', '管', '运'])}字〔${year}〕${n}号`, idPrefix: 'shandong' };
  }
  if (level === 'district') {
    const d = pick(r, DISTRICTS);
    const issuers = [`${d.name}市场监督管理局`, ...pickSome(r, ['财政局', '科技局', '工业和信息化局', '司法局'], 1 + Math.floor(r() * 3)).map((b) => `${d.name}${b}`)];
    return { level, region: `山东省${d.city}市${d.name}`, place: d.name, issuers, docNumber: `${d.name[0]}市监发〔${year}〕${n}号`, idPrefix: `${d.pinyin}` };
  }
  const city = r() < 0.2 ? CITIES[0]! : pick(r, CITIES); // ≈ 1 in 4 municipal distractors is also from 淄博
  const issuers = [`${city.name}市市场监督管理局`, ...pickSome(r, BUREAUS.slice(1), 2 + Math.floor(r() * 7)).map((b) => `${city.name}市${b}`)];
  return { level, region: `山东省${city.name}市`, place: city.name, issuers, docNumber: `${city.name[0]}市监知${pick(r, ['促', '保', '管', '运'])}字〔${year}〕${n}号`, idPrefix: city.pinyin };
}

/** Level of the next distractor: mostly municipal, as in a province's real corpus. */
function levelFor(r: Rand): Level {
  const x = r();
  return x < 0.05 ? 'national' : x < 0.15 ? 'provincial' : x < 0.3 ? 'district' : 'municipal';
}

/** One city's copy of the seed document: its id, and what tells it apart from the others. */
export interface CityCopy {
  city: City;
  id: string;
  region: string;
  docNumber: string;
}

/** The seed document's id in the corpus and the 文号 it carries. */
export const SEED_NUMBER = '淄市监知促字〔2023〕130号';

/**
 * The seed file rewritten for another city: 淄博 → the city everywhere (title, issuers, text), its own 文号
 * and id. Everything else, article for article, stays the same.
 */
export function cityCopyOf(seedFile: string, city: City, index: number): { copy: CityCopy; text: string } {
  const docNumber = `${city.name[0]}市监知促字〔2023〕${101 + index * 7}号`;
  const id = `copy-${city.pinyin}-ip-service-opinions-2023`;
  const text = seedFile
    .replace(/^id: .*$/m, `id: ${id}`)
    .replaceAll(SEED_NUMBER, docNumber)
    .replaceAll('淄博', city.name)
    .replaceAll('淄市', `${city.name[0]}市`);
  return { copy: { city, id, region: `山东省${city.name}市`, docNumber }, text };
}

export interface SyntheticOptions {
  /** Total chunks wanted in the corpus, counting the seed document's. */
  targetChunks: number;
  /** Articles per generated document (each also gets a header and a preamble chunk). */
  articlesPerDoc?: number;
  /**
   * Share of clauses copied (with term swaps) from the seed document; the rest come from the clause grammar.
   * At 10k chunks the seed has only ~300 clauses, so even 15% puts each of them in dozens of distractors.
   */
  seedClauseShare?: number;
  seed?: number;
  /** Cities that get a near-identical copy of the seed document (default: none). */
  cityCopies?: readonly City[];
}

export interface SyntheticCorpus {
  dir: string;
  documents: number;
  /** Sentences written into generated articles (after trimming to length). */
  sentences: number;
  /** Recombined sentences that came out identical to a sentence of the seed document. */
  verbatimSeedSentences: number;
  /** The seed's city copies written. */
  copies: CityCopy[];
  /** Generated distractors by level. */
  levels: Record<Level, number>;
}

/** Splits an article text (with its 一、 label) into its sentences; the first is the heading sentence. */
/** Clauses of a sentence (split at commas, end punctuation dropped): the units distractors recombine. */
function clausesOf(sentence: string): string[] {
  return sentence
    .replace(/[。；]$/, '')
    .split(/[,，]/)
    .map((c) => c.trim())
    .filter((c) => c.length >= 4);
}

function sentencesOf(chunk: Chunk): string[] {
  const body = chunk.text.replace(/^[一二三四五六七八九十百零〇两]+、/, '');
  return (body.match(/[^。；]+[。；]/g) ?? []).map((s) => s.trim()).filter(Boolean);
}

/** Swaps city names and, with probability `p` per group, one interchangeable IP term. */
function mutate(r: Rand, sentence: string, city: string, p: number): string {
  let s = sentence.replace(/淄博/g, city).replace(/我市/g, pick(r, ['我市', '全市', `${city}市`]));
  for (const group of SWAPS) {
    if (r() >= p) continue;
    const present = group.filter((t) => s.includes(t));
    if (!present.length) continue;
    const from = pick(r, present);
    const to = pick(r, group.filter((t) => t !== from));
    s = s.replace(from, to);
  }
  return s;
}

function yamlString(s: string): string {
  return JSON.stringify(s); // JSON strings are valid YAML double-quoted scalars
}

/**
 * Builds a temp knowledge folder: the seed document file, dictionary.txt, thesaurus.txt, and enough
 * generated documents that the corpus has about `targetChunks` chunks. Returns the folder.
 */
export async function buildSyntheticCorpus(knowledgeDir: string, seedChunks: Chunk[], seedFiles: string[], options: SyntheticOptions): Promise<SyntheticCorpus> {
  const articlesPerDoc = options.articlesPerDoc ?? 18;
  const seedShare = options.seedClauseShare ?? 0.15;
  const r = prng(options.seed ?? 20231109);
  const perDoc = articlesPerDoc + 2; // header + preamble + articles; articles stay under the 700-char split limit
  const cityCopies = options.cityCopies ?? [];
  const documents = Math.max(0, Math.round((options.targetChunks - seedChunks.length * (1 + cityCopies.length)) / perDoc));

  const dir = await mkdtemp(path.join(os.tmpdir(), 'ip-bench-synthetic-'));
  await mkdir(path.join(dir, 'documents'), { recursive: true });
  for (const file of ['dictionary.txt', 'thesaurus.txt']) await copyFile(path.join(knowledgeDir, file), path.join(dir, file));
  for (const file of seedFiles) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await copyFile(path.join(knowledgeDir, file), path.join(dir, file));
  }
  const copies: CityCopy[] = [];
  const seedText = seedFiles.length ? await readFile(path.join(knowledgeDir, seedFiles[0]!), 'utf8') : '';
  for (const [i, city] of cityCopies.entries()) {
    const { copy, text } = cityCopyOf(seedText, city, i);
    copies.push(copy);
    await writeFile(path.join(dir, 'documents', `${copy.id}.md`), text);
  }
  const levels: Record<Level, number> = { national: 0, provincial: 0, municipal: 0, district: 0 };

  const articles = seedChunks
    .filter((c) => c.article !== 'header')
    .map((c) => ({ heading: c.heading, clauses: sentencesOf(c).slice(1).flatMap(clausesOf) }));
  const allClauses = articles.flatMap((a) => a.clauses);
  const seedSentences = new Set(seedChunks.flatMap(sentencesOf));
  let verbatim = 0;
  let sentences = 0;
  const preambleSeed = seedChunks.find((c) => c.id.endsWith('#preamble'))?.text ?? '';
  // Every generated chunk must differ from every other and from the seed's: LangChain's EnsembleRetriever
  // fuses by pageContent, and an exact copy of a seed article would make hit@5 ambiguous.
  const used = new Set(seedChunks.map((c) => `${c.heading}\n${c.text.replace(/^[一二三四五六七八九十百零〇两]+、/, '')}`));

  for (let d = 0; d < documents; d++) {
    const year = 2018 + Math.floor(r() * 8);
    const month = 1 + Math.floor(r() * 12);
    const day = 1 + Math.floor(r() * 28);
    const issuing = issuingFor(r, levelFor(r), year);
    levels[issuing.level]++;
    const { issuers, docNumber } = issuing;
    const city = { name: issuing.place };
    const topic = pick(r, [...RIGHTS.slice(0, 4), '知识产权服务业', '知识产权保护', '知识产权运营', '知识产权强市建设']);
    const title = `关于${pick(r, ['加快推动', '进一步促进', '全面加强', '深入推进', '支持'])}${topic}${pick(r, ['高质量发展', '创新发展', '规范发展', '工作'])}的${pick(r, ['实施意见', '若干措施', '实施方案', '通知'])}`;
    const id = `synth-${issuing.idPrefix}-${year}-${String(d + 1).padStart(6, '0')}`;

    const lines: string[] = [];
    lines.push('---', `id: ${id}`, `title: ${yamlString(title)}`, `docNumber: ${yamlString(docNumber)}`, 'issuers:');
    for (const i of issuers) lines.push(`  - ${yamlString(i)}`);
    lines.push(
      `issueDate: "${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}"`,
      `region: ${issuing.region}`,
      `level: ${issuing.level}`,
      `status: ${r() < 0.85 ? '现行有效' : '已废止'}`,
      `source: ${yamlString(`${issuers[0]}等部门联合印发（合成测试文档）`)}`,
      'language: zh',
      `tags: [${pickSome(r, RIGHTS, 3).join(', ')}]`,
      '---',
    );
    // Issuing block: short lines (the chunker puts lines under 60 chars into the header chunk).
    lines.push(docNumber, `现将《${title}》印发给你们,请认真贯彻落实。`);
    for (let i = 0; i < issuers.length; i += 2) lines.push(issuers.slice(i, i + 2).join(' '));
    lines.push(`${year}年${month}月${day}日`, '(此件主动公开)', title);
    // Preamble: one long line built from the seed preamble, with the city and the topic changed.
    let preamble = mutate(r, preambleSeed.split('\n')[0] ?? preambleSeed, city.name, 0.5).replace(
      /现制定以下[^。]*。$/,
      `结合我市实际,现就${topic}${pick(r, ['提出以下意见', '制定以下措施', '制定本方案'])}。`,
    );
    while (used.has(`${title}\n${preamble}`)) preamble = preamble.replace(/结合我市实际/, `结合我市${year}年实际`) + pick(r, SENTENCE_TEMPLATES)(r, city.name);
    used.add(`${title}\n${preamble}`);
    lines.push(preamble);

    const seen = new Set<string>();
    for (let a = 0; a < articlesPerDoc; a++) {
      const seed = pick(r, articles);
      let heading = r() < 0.4 ? mutate(r, seed.heading, city.name, 0.7) : pick(r, HEADING_TEMPLATES)(r);
      if (seen.has(heading)) heading = `${heading.replace(/,.*/, '')}${pick(r, ['工作', '体系建设', '能力建设'])}`;
      seen.add(heading);
      const body: string[] = [];
      const wanted = 2 + Math.floor(r() * 4);
      while (body.length < wanted) {
        if (r() < 0.15) {
          body.push(pick(r, SENTENCE_TEMPLATES)(r, city.name));
          continue;
        }
        // A new sentence of 2–4 clauses: a few from the seed (mostly this article's topic), the rest from the grammar.
        const n = 2 + Math.floor(r() * 3);
        const parts: string[] = [];
        for (let i = 0; i < n; i++) {
          const x = r();
          if (x < seedShare * 0.6) parts.push(mutate(r, pick(r, seed.clauses), city.name, 0.7));
          else if (x < seedShare) parts.push(mutate(r, pick(r, allClauses), city.name, 0.7));
          else parts.push(pick(r, CLAUSE_TEMPLATES)(r, city.name));
        }
        const sentence = `${[...new Set(parts)].join(',')}。`;
        if (seedSentences.has(sentence)) verbatim++;
        body.push(sentence);
      }
      while (`${heading}。${body.join('')}`.length > 600 && body.length > 1) body.pop();
      while (used.has(`${heading}\n${heading}。${body.join('')}`)) body.push(pick(r, SENTENCE_TEMPLATES)(r, city.name));
      used.add(`${heading}\n${heading}。${body.join('')}`);
      sentences += body.length;
      let text = `${NUMERALS[a]}、${heading}。${body.join('')}`;
      if (r() < 0.8) text += `(责任单位:${pickSome(r, SHORT_BUREAUS, 1 + Math.floor(r() * 3)).join('、')})`;
      lines.push(text);
    }
    await writeFile(path.join(dir, 'documents', `${id}.md`), `${lines.join('\n')}\n`);
  }
  return { dir, documents, sentences, verbatimSeedSentences: verbatim, copies, levels };
}
