/**
 * Places in questions and in document metadata: the gazetteer's provinces, cities and county-level units
 * (gazetteer.ts) with the short and English names people use, and a recognizer that finds them in Chinese
 * or English text. Segmentation (jieba, the one search uses: segmenter.ts) decides word boundaries, so 大连
 * is not found in 最大连续 nor 中山 in 中山大学; names that are also common words (来宾, 白银, 朝阳) count
 * only with their suffix (来宾市). Pure and offline.
 */
import { CHINA, gazetteer, type Place } from './gazetteer.js';
import { segmenter } from './segmenter.js';

/** Homonymous district names: the one people usually mean when nothing else in the text says which. */
const PREFERRED_CITY: Record<string, string> = {
  朝阳区: '北京市', 通州区: '北京市', 南山区: '深圳市', 龙华区: '深圳市', 宝山区: '上海市', 普陀区: '上海市', 和平区: '天津市', 河东区: '天津市',
  鼓楼区: '南京市', 西湖区: '杭州市', 江北区: '重庆市', 市中区: '济南市', 白云区: '广州市', 长安区: '西安市', 新城区: '西安市', 青山区: '武汉市',
  铁西区: '沈阳市', 城关区: '兰州市', 新华区: '石家庄市', 桥西区: '石家庄市', 城中区: '西宁市', 海州区: '连云港市',
};

/** Names that stand for several provinces at once. */
const GROUPS: Record<string, string[]> = {
  京津冀: ['北京市', '天津市', '河北省'],
  长三角: ['上海市', '江苏省', '浙江省', '安徽省'],
  珠三角: ['广东省'],
  大湾区: ['广东省', '香港特别行政区', '澳门特别行政区'],
  粤港澳大湾区: ['广东省', '香港特别行政区', '澳门特别行政区'],
  东北三省: ['辽宁省', '吉林省', '黑龙江省'],
};

/**
 * One-character abbreviations (京, 沪, 鲁, 淄 …) are places only in set phrases: 在京设立, 来淄投资, 沪企.
 * Elsewhere the character is part of other words (京东, 鲁市监知促字 is a document number, 新 is new).
 */
const ABBREVIATIONS: Record<string, string> = {
  京: '北京市', 沪: '上海市', 津: '天津市', 渝: '重庆市', 冀: '河北省', 晋: '山西省', 辽: '辽宁省', 苏: '江苏省', 浙: '浙江省', 皖: '安徽省',
  闽: '福建省', 赣: '江西省', 鲁: '山东省', 豫: '河南省', 鄂: '湖北省', 湘: '湖南省', 粤: '广东省', 琼: '海南省', 川: '四川省', 陕: '陕西省',
  淄: '淄博市', 青: '青岛市', 济: '济南市', 深: '深圳市', 穗: '广州市', 杭: '杭州市', 蓉: '成都市',
};
const ABBREVIATION_PHRASE = new RegExp(
  `(?:(?<=在|来|赴|到|驻|落户|进)([${Object.keys(ABBREVIATIONS).join('')}])(?=设立|投资|发展|办厂|办企业|注册|创业|工作|企业|的企业|公司|期间|[，。,.？?！!\\s]|$))|(?:(?<![\\p{Script=Han}])|(?<=[是的和与及、]))([京沪津渝冀晋辽苏浙皖闽赣鲁豫鄂湘粤川陕淄])企(?!业|鹅|划)`,
  'gu',
);

/** English names (pinyin or customary) of provinces, major cities and the home city's districts. */
const ENGLISH: Record<string, string> = {
  beijing: '北京市', tianjin: '天津市', shanghai: '上海市', chongqing: '重庆市', hebei: '河北省', shanxi: '山西省', 'inner mongolia': '内蒙古自治区',
  liaoning: '辽宁省', jilin: '吉林省', heilongjiang: '黑龙江省', jiangsu: '江苏省', zhejiang: '浙江省', anhui: '安徽省', fujian: '福建省', jiangxi: '江西省',
  shandong: '山东省', henan: '河南省', hubei: '湖北省', hunan: '湖南省', guangdong: '广东省', guangxi: '广西壮族自治区', hainan: '海南省', sichuan: '四川省',
  guizhou: '贵州省', yunnan: '云南省', tibet: '西藏自治区', xizang: '西藏自治区', shaanxi: '陕西省', gansu: '甘肃省', qinghai: '青海省', ningxia: '宁夏回族自治区',
  xinjiang: '新疆维吾尔自治区', 'hong kong': '香港特别行政区', hongkong: '香港特别行政区', macau: '澳门特别行政区', macao: '澳门特别行政区', taiwan: '台湾省',
  zibo: '淄博市', zhangdian: '张店区', zichuan: '淄川区', boshan: '博山区', linzi: '临淄区', zhoucun: '周村区', huantai: '桓台县', gaoqing: '高青县', yiyuan: '沂源县',
  jinan: '济南市', qingdao: '青岛市', zaozhuang: '枣庄市', dongying: '东营市', yantai: '烟台市', weifang: '潍坊市', jining: '济宁市', taian: '泰安市', "tai'an": '泰安市',
  weihai: '威海市', rizhao: '日照市', linyi: '临沂市', dezhou: '德州市', liaocheng: '聊城市', binzhou: '滨州市', heze: '菏泽市', shouguang: '寿光市',
  shijiazhuang: '石家庄市', taiyuan: '太原市', hohhot: '呼和浩特市', shenyang: '沈阳市', dalian: '大连市', changchun: '长春市', harbin: '哈尔滨市',
  nanjing: '南京市', suzhou: '苏州市', wuxi: '无锡市', changzhou: '常州市', hangzhou: '杭州市', ningbo: '宁波市', wenzhou: '温州市', hefei: '合肥市',
  fuzhou: '福州市', xiamen: '厦门市', quanzhou: '泉州市', nanchang: '南昌市', zhengzhou: '郑州市', luoyang: '洛阳市', wuhan: '武汉市', changsha: '长沙市',
  guangzhou: '广州市', canton: '广州市', shenzhen: '深圳市', zhuhai: '珠海市', shantou: '汕头市', foshan: '佛山市', dongguan: '东莞市', zhongshan: '中山市',
  nanning: '南宁市', guilin: '桂林市', haikou: '海口市', sanya: '三亚市', chengdu: '成都市', guiyang: '贵阳市', kunming: '昆明市', lhasa: '拉萨市',
  "xi'an": '西安市', xian: '西安市', lanzhou: '兰州市', xining: '西宁市', yinchuan: '银川市', urumqi: '乌鲁木齐市', taipei: '台北市',
  haidian: '海淀区', pudong: '浦东新区', chaoyang: '朝阳区', nanshan: '南山区', xiongan: '雄安新区', "xiong'an": '雄安新区',
};
const ENGLISH_NAMES = new RegExp(`\\b(${Object.keys(ENGLISH).sort((a, b) => b.length - a.length).map((k) => k.replace(/ /g, '\\s+')).join('|')})\\b`, 'gi');
/** An English place by its form: "Huangdao District", "Yiwu City". */
const ENGLISH_FORM = /\b([A-Z][a-z]{2,}(?:'[a-z]+)?)\s+(City|Province|District|County|Prefecture)\b/g;
const NOT_ENGLISH_PLACE = /^(The|Our|This|That|Which|What|Any|Each|Every|My|Your|Their|Home|Same|Other|Another|Capital|Big|Small|Local|Whole|Entire|Municipal|Prefecture|Province|City|County|District|Level|Inner|New|Smart|Free|Special)$/;

/** County-level stems of the form "X区/X县" that name no place: 先行区, 示范区, 本县 … */
const GENERIC_STEM = /^(本|该|我|全|各|每|同|邻|外|市|城|郊|新|老|小|专|片|街|社|园|景|校|厂|矿|牧|山|库|灾|禁|误|盲|雷|分|港|湾|商|保税|自贸|高新|经开|开发|先行|示范|试点|试验|实验|集聚|聚集|功能|产业|工业|经济|商务|旅游|度假|风景|生态|创新|承载|服务|保护|引领|合作|协作|核心|改革|样板|先导|集中|起步|主城|中心城|老城|边境|民族|重点|欠发达|贫困|偏远|示范县|强县|大县|百强|县域|区域|地区|行政|辖|管辖|所在|当地|本地)$/;
/** Parts of speech (jieba tags) a stem of an unknown X县 may carry: names and unknown words. */
const NAME_TAG = /^(ns|nr|nrt|nz|nt|x|s|j)$/;

/** A place found in a text, with where. */
interface Mention {
  start: number;
  end: number;
  candidates: Place[];
}

/**
 * Places a text names, in the order they first appear, each once. Homonyms are resolved by the other
 * places named (济南市中区 → 济南's 市中区), else by the usual reading (朝阳区 → 北京).
 */
export function findPlaces(text: string): Place[] {
  return resolve(mentions(text.normalize('NFKC'), true));
}

/**
 * The text with the places it names blanked out, except those `keep` accepts. Once retrieval is limited to
 * a place's documents, its name is no evidence of relevance: every one of them repeats it in its issuing block.
 */
export function withoutPlaces(text: string, keep: (place: Place) => boolean = () => false): string {
  const normalized = text.normalize('NFKC');
  let out = normalized;
  for (const m of mentions(normalized, true)) {
    if (m.candidates.some(keep)) continue;
    out = out.slice(0, m.start) + ' '.repeat(m.end - m.start) + out.slice(m.end);
  }
  return out;
}

/**
 * The region a document's metadata names (山东省淄博市, 北京市海淀区, 全国), as its most specific place;
 * undefined when it names none or names places that do not nest (山东省广州市).
 */
export function parseRegion(region: string): Place | undefined {
  const text = region.normalize('NFKC').trim();
  if (/^(全国|中国|中华人民共和国|国家|national|china|prc)$/i.test(text)) return CHINA;
  const found = resolve(mentions(text, false));
  const deepest = [...found].sort((a, b) => depth(b) - depth(a))[0];
  if (!deepest || found.some((p) => !within(deepest, p))) return undefined;
  return deepest;
}

/** Whether `inner` lies in `outer` (a place lies in itself; everything lies in 全国). */
export function within(inner: Place, outer: Place): boolean {
  if (outer.level === 'country') return true;
  if (inner.level === 'country') return false;
  if (!inner.known || !outer.known) return inner.name === outer.name;
  if (outer.level === 'province') return inner.province === outer.name;
  if (outer.level === 'city') return inner.city === outer.name;
  return inner.level === 'district' && inner.name === outer.name && inner.city === outer.city && inner.province === outer.province;
}

function depth(p: Place): number {
  return { country: 0, province: 1, city: 2, district: 3 }[p.level];
}

function mentions(text: string, atWordBoundaries: boolean): Mention[] {
  const { names, longest } = gazetteer();
  const tokens = segmenter().tag(text, true);
  const bounds = new Set<number>([0]);
  const starts: { start: number; word: string; tag: string }[] = [];
  let offset = 0;
  for (const t of tokens) {
    starts.push({ start: offset, word: t.word, tag: t.tag });
    offset += t.word.length;
    bounds.add(offset);
  }
  const at = (i: number) => !atWordBoundaries || bounds.has(i);
  const found: Mention[] = [];
  const lookup = (name: string): Place[] | undefined =>
    names.get(name) ?? (GROUPS[name] ? GROUPS[name].flatMap((n) => names.get(n)?.slice(0, 1) ?? []) : undefined);

  for (let i = 0; i < text.length; ) {
    let matched = 0;
    if (at(i) && /\p{Script=Han}/u.test(text[i]!)) {
      for (let len = Math.min(longest, text.length - i); len >= 2; len--) {
        const candidates = lookup(text.slice(i, i + len));
        if (candidates && at(i + len)) {
          found.push({ start: i, end: i + len, candidates });
          matched = len;
          break;
        }
      }
    }
    i += matched || 1;
  }
  const taken = (start: number, end: number) => found.some((m) => start < m.end && end > m.start);

  // X县 / X区 that the gazetteer does not know: a place somewhere else (a deployment knows its own).
  starts.forEach((t, k) => {
    const suffix = /^(县|区|新区)$/.test(t.word) ? t.word : undefined;
    const prev = starts[k - 1];
    if (!suffix || !prev || taken(prev.start, t.start + t.word.length)) return;
    const stem = prev.word;
    if (!/^\p{Script=Han}{2,3}$/u.test(stem) || GENERIC_STEM.test(stem) || !NAME_TAG.test(prev.tag)) return;
    const name = stem + suffix;
    found.push({ start: prev.start, end: t.start + t.word.length, candidates: [{ name, short: stem, level: 'district', known: false }] });
  });

  for (const m of text.matchAll(ABBREVIATION_PHRASE)) {
    const char = m[1] ?? m[2]!;
    const start = m.index! + m[0].indexOf(char);
    const candidates = names.get(ABBREVIATIONS[char]!);
    if (candidates && !taken(start, start + 1)) found.push({ start, end: start + 1, candidates });
  }
  for (const m of text.matchAll(ENGLISH_NAMES)) {
    const candidates = names.get(ENGLISH[m[1]!.toLowerCase().replace(/\s+/g, ' ')]!);
    if (candidates) found.push({ start: m.index!, end: m.index! + m[0].length, candidates });
  }
  for (const m of text.matchAll(ENGLISH_FORM)) {
    if (NOT_ENGLISH_PLACE.test(m[1]!) || ENGLISH[m[1]!.toLowerCase()] !== undefined) continue;
    found.push({ start: m.index!, end: m.index! + m[0].length, candidates: [{ name: `${m[1]} ${m[2]}`, short: m[1]!, level: 'district', known: false }] });
  }
  return found.sort((a, b) => a.start - b.start);
}

function resolve(found: Mention[]): Place[] {
  const certain = found.filter((m) => m.candidates.length === 1).map((m) => m.candidates[0]!);
  const out: Place[] = [];
  for (const m of found) {
    // A group (长三角) stands for all its provinces; a homonym for one place.
    const group = m.candidates.length > 1 && m.candidates.every((c) => c.level === 'province');
    const chosen = group ? m.candidates : [choose(m.candidates, certain)];
    for (const p of chosen) if (!out.some((o) => o.name === p.name && o.city === p.city && o.province === p.province)) out.push(p);
  }
  return out;
}

function choose(candidates: Place[], context: Place[]): Place {
  if (candidates.length === 1) return candidates[0]!;
  const inContext = candidates.find((c) => context.some((o) => o !== c && (within(c, o) || within(o, c))));
  if (inContext) return inContext;
  const preferred = candidates.find((c) => c.city === PREFERRED_CITY[c.name]);
  if (preferred) return preferred;
  // 吉林 the province rather than the city: the larger unit is the usual reading.
  return [...candidates].sort((a, b) => depth(a) - depth(b))[0]!;
}
