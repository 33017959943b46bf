/**
 * The gazetteer: China's provinces, cities and county-level units (src/knowledge/divisions.ts) by their full
 * and short names, plus named zones, as places that know what they lie in. Pure data, built once on first
 * use; places.ts finds these names in text, segmenter.ts keeps each of them one word.
 */
import { DIVISIONS } from './divisions.js';

export type PlaceLevel = 'country' | 'province' | 'city' | 'district';

export interface Place {
  /** Full name: 山东省, 淄博市, 张店区; 全国 for the whole country. */
  name: string;
  /** The name as people say it: 山东, 淄博, 张店. */
  short: string;
  level: PlaceLevel;
  /** The province or municipality it lies in (itself for one). */
  province?: string;
  /** The prefecture-level city it lies in (itself for a city); absent for units the province governs directly. */
  city?: string;
  /** False for a place known by its form only (an X县 not in the gazetteer): where it lies is unknown. */
  known: boolean;
}

export const CHINA: Place = { name: '全国', short: '全国', level: 'country', known: true };

/** City short names that are everyday words too: they count only with their suffix (来宾市, 朝阳市). */
const NEEDS_SUFFIX = new Set(
  '来宾 白银 朝阳 安康 东方 北海 黄山 日照 开封 阿里 普洱 玉树 红河 怒江 海西 海北 海东 海南 黄南 山南 中卫 定西 通化 安顺 长治 大同 四平 三明 中山 文山 兴安 吉安 白山 白城 黑河 伊春 南平 宁德 保山 丽水 金昌 阳江 云浮 清远 河源 三沙 铜仁 临沧 果洛'.split(' '),
);

/**
 * County-level units people name without their suffix: the home city's districts (this deployment's first
 * region) and a few that are better known than their city. Others need 区/县/市 (张店 vs 南山区).
 */
const DISTRICT_SHORT = new Set(
  '张店 淄川 博山 临淄 周村 桓台 高青 沂源 海淀 浦东 黄岛 即墨 崂山 寿光 青州 诸城 邹平 曲阜 滕州 龙口 胶州 平度 荣成 昆山 义乌 江阴 张家港 常熟 晋江 慈溪 宜兴 太仓'.split(' '),
);

/**
 * Named zones and new areas that are not in the statistical division list, each with the city it lies in.
 * 淄博's development zones come first: 高新区 and 经开区 alone name no other place (every city has one).
 */
const ZONES: [name: string, province: string, city: string | undefined][] = [
  ['淄博高新区', '山东省', '淄博市'], ['淄博高新技术产业开发区', '山东省', '淄博市'], ['淄博经济开发区', '山东省', '淄博市'], ['淄博经开区', '山东省', '淄博市'],
  ['文昌湖区', '山东省', '淄博市'], ['文昌湖省级旅游度假区', '山东省', '淄博市'],
  ['雄安新区', '河北省', '保定市'], ['两江新区', '重庆市', '重庆市'], ['天府新区', '四川省', '成都市'], ['西海岸新区', '山东省', '青岛市'], ['青岛西海岸新区', '山东省', '青岛市'],
  ['南沙新区', '广东省', '广州市'], ['前海', '广东省', '深圳市'], ['横琴', '广东省', '珠海市'], ['西咸新区', '陕西省', '西安市'], ['贵安新区', '贵州省', '贵阳市'],
  ['金普新区', '辽宁省', '大连市'], ['舟山群岛新区', '浙江省', '舟山市'], ['赣江新区', '江西省', '南昌市'], ['滇中新区', '云南省', '昆明市'],
  ['哈尔滨新区', '黑龙江省', '哈尔滨市'], ['长春新区', '吉林省', '长春市'], ['福州新区', '福建省', '福州市'], ['湘江新区', '湖南省', '长沙市'], ['江北新区', '江苏省', '南京市'],
  ['中关村', '北京市', '北京市'], ['张江', '上海市', '上海市'], ['临港新片区', '上海市', '上海市'],
];

export interface Gazetteer {
  /** Full and short names → places (several for homonyms such as 朝阳区). */
  names: Map<string, Place[]>;
  longest: number;
}

let built: Gazetteer | undefined;

function build(): Gazetteer {
  const names = new Map<string, Place[]>();
  const add = (name: string, place: Place) => {
    if (name.length < 2) return;
    const list = names.get(name) ?? [];
    if (!list.some((p) => p.name === place.name && p.city === place.city)) list.push(place);
    names.set(name, list);
  };
  let province: Place | undefined;
  for (const line of DIVISIONS.split('\n')) {
    if (!line.trim()) continue;
    if (!line.startsWith(' ')) {
      const name = line.trim();
      province = { name, short: provinceShort(name), level: 'province', province: name, known: true };
      add(name, province);
      add(province.short, province);
      continue;
    }
    const [head, ...units] = line.trim().split(/\s+/);
    const p = province!.name;
    if (head === '-') {
      // A municipality's districts: the municipality is their province and their city.
      for (const u of units) addDistrict(u, p, p);
    } else if (head === '+') {
      for (const u of units) {
        if (u.endsWith('市')) add(u, { name: u, short: cityShort(u), level: 'city', province: p, city: u, known: true });
        else addDistrict(u, p, undefined);
      }
    } else {
      const city: Place = { name: head!, short: cityShort(head!), level: 'city', province: p, city: head, known: true };
      add(head!, city);
      if (city.short.length >= 2 && !NEEDS_SUFFIX.has(city.short)) add(city.short, city);
      for (const u of units) addDistrict(u, p, head);
    }
  }
  function addDistrict(name: string, p: string, city: string | undefined) {
    const short = name.replace(/(新区|区|县|市|旗)$/, '');
    const place: Place = { name, short, level: 'district', province: p, ...(city ? { city } : {}), known: true };
    add(name, place);
    if (DISTRICT_SHORT.has(short)) add(short, place);
  }
  for (const [name, p, city] of ZONES) add(name, { name, short: name, level: 'district', province: p, ...(city ? { city } : {}), known: true });

  return { names, longest: Math.max(...[...names.keys()].map((n) => n.length)) };
}

/** The tables, built on first use. */
export function gazetteer(): Gazetteer {
  built ??= build();
  return built;
}

function provinceShort(name: string): string {
  return name.replace(/(省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$/, '');
}

function cityShort(name: string): string {
  if (name.endsWith('自治州')) return name.replace(/(朝鲜族|土家族|苗族|侗族|彝族|藏族|白族|傣族|景颇族|壮族|哈尼族|傈僳族|蒙古族|回族|布依族|羌族|哈萨克|柯尔克孜|蒙古).*$/, '');
  return name.replace(/(市|地区|盟)$/, '');
}
