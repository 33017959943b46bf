import { describe, expect, it } from 'vitest';
import { CHINA, type Place } from '../../src/knowledge/gazetteer.js';
import { findPlaces, parseRegion, within } from '../../src/knowledge/places.js';

const names = (text: string) => findPlaces(text).map((p) => p.name);
const region = (text: string): Place => {
  const place = parseRegion(text);
  if (!place) throw new Error(`no region in ${text}`);
  return place;
};

describe('findPlaces', () => {
  it('finds provinces, cities and districts with or without their suffix', () => {
    expect(names('北京对中小企业专利有啥补贴政策')).toEqual(['北京市']);
    expect(names('山东有没有专利补贴')).toEqual(['山东省']);
    expect(names('青岛市对知识产权服务机构有什么奖励政策')).toEqual(['青岛市']);
    expect(names('山东省淄博市张店区的企业')).toEqual(['山东省', '淄博市', '张店区']);
    expect(names('淄博张店的企业能申请吗')).toEqual(['淄博市', '张店区']);
    expect(names('我们厂在桓台,老板想问问')).toEqual(['桓台县']);
    expect(names('新疆的企业')).toEqual(['新疆维吾尔自治区']);
    expect(names('内蒙古和广西')).toEqual(['内蒙古自治区', '广西壮族自治区']);
    expect(names('延边的人参能做地理标志吗')).toEqual(['延边朝鲜族自治州']);
    expect(names('山东省和淄博市的政策')).toEqual(['山东省', '淄博市']);
  });

  it('places a district in its city and province', () => {
    const [haidian] = findPlaces('海淀区的公司');
    expect(haidian).toMatchObject({ name: '海淀区', level: 'district', city: '北京市', province: '北京市' });
    const [zhangdian] = findPlaces('张店区');
    expect(zhangdian).toMatchObject({ level: 'district', city: '淄博市', province: '山东省' });
    expect(findPlaces('寿光的企业')[0]).toMatchObject({ name: '寿光市', level: 'district', city: '潍坊市' });
  });

  it('resolves homonymous districts by the other places named, else by the usual reading', () => {
    expect(findPlaces('朝阳区的企业')[0]).toMatchObject({ name: '朝阳区', city: '北京市' });
    expect(findPlaces('长春朝阳区的企业')[1]).toMatchObject({ name: '朝阳区', city: '长春市' });
    expect(findPlaces('济南市中区的企业')[1]).toMatchObject({ name: '市中区', city: '济南市' });
    expect(findPlaces('我在深圳南山区')[1]).toMatchObject({ name: '南山区', city: '深圳市' });
  });

  it('does not find places inside other words', () => {
    for (const text of [
      '最大连续专利申请', '中山大学的专利', '三明治店注册商标', '朝阳产业有什么政策', '来宾签到表', '白银首饰的商标', '长治久安',
      '大同小异', '四平八稳', '新县城', '先行区建设', '示范区和集聚区', '本县企业', '在京东开店', '重庆火锅商标能注册吗', '普洱茶的地理标志',
      '鲁市监知促字〔2023〕151号', '国家知识产权局', '公司计划三年内上市,全市规模以上企业', '省级专精特新', '在新设立公司', '开封检验',
    ]) {
      expect(names(text), text).toEqual([]);
    }
  });

  it('reads 高新区 and 经开区 without a city as naming no other place, and a city before them as that city', () => {
    expect(names('高新区的企业申请专利有补贴吗')).toEqual([]);
    expect(names('经开区的企业')).toEqual([]);
    expect(names('深圳高新区的企业')).toEqual(['深圳市']);
    expect(findPlaces('文昌湖区的企业')[0]).toMatchObject({ city: '淄博市' });
  });

  it('finds one-character abbreviations only in set phrases', () => {
    expect(names('在沪企业能享受吗')).toEqual(['上海市']);
    expect(names('京企来淄投资')).toEqual(['北京市', '淄博市']);
    expect(names('我们在京设立了分公司')).toEqual(['北京市']);
    expect(names('京东的商标')).toEqual([]);
  });

  it('expands regions that stand for several provinces', () => {
    expect(names('长三角的政策')).toEqual(['上海市', '江苏省', '浙江省', '安徽省']);
    expect(names('京津冀')).toEqual(['北京市', '天津市', '河北省']);
  });

  it('finds English names, case-insensitively, and places by their English form', () => {
    expect(names('What subsidies does Beijing give for patents?')).toEqual(['北京市']);
    expect(names('Is Zibo City covered? We are in shandong province.')).toEqual(['淄博市', '山东省']);
    expect(names('Our plant is in Zhangdian')).toEqual(['张店区']);
    expect(names('patent rules in Hong Kong and Inner Mongolia')).toEqual(['香港特别行政区', '内蒙古自治区']);
    expect(findPlaces('We are in Huangdao District')[0]).toMatchObject({ name: 'Huangdao District', known: false });
    expect(names('Which City regulates this? The Province?')).toEqual([]);
    expect(names('Peking University patents')).toEqual([]);
  });

  it('takes an unknown X县 or X区 for a place of unknown whereabouts', () => {
    const [place] = findPlaces('我在阳光县开了个厂');
    expect(place).toMatchObject({ name: '阳光县', known: false });
    expect(within(place!, region('山东省淄博市'))).toBe(false);
  });
});

describe('parseRegion and within', () => {
  it('parses document regions to their most specific place', () => {
    expect(region('山东省淄博市')).toMatchObject({ name: '淄博市', level: 'city', province: '山东省' });
    expect(region('山东省')).toMatchObject({ name: '山东省', level: 'province' });
    expect(region('北京市海淀区')).toMatchObject({ name: '海淀区', city: '北京市' });
    expect(region('济南市市中区')).toMatchObject({ name: '市中区', city: '济南市' });
    expect(region('全国')).toBe(CHINA);
    expect(parseRegion('山东省广州市')).toBeUndefined();
    expect(parseRegion('火星')).toBeUndefined();
  });

  it('nests districts in cities, cities in provinces and everything in the country', () => {
    const zibo = region('山东省淄博市');
    const shandong = region('山东省');
    const zhangdian = region('淄博市张店区');
    expect(within(zhangdian, zibo)).toBe(true);
    expect(within(zibo, shandong)).toBe(true);
    expect(within(zhangdian, shandong)).toBe(true);
    expect(within(zibo, CHINA)).toBe(true);
    expect(within(zibo, zibo)).toBe(true);
    expect(within(shandong, zibo)).toBe(false);
    expect(within(region('青岛市'), zibo)).toBe(false);
    expect(within(region('青岛市'), shandong)).toBe(true);
    expect(within(region('北京市海淀区'), region('北京市'))).toBe(true);
    expect(within(CHINA, zibo)).toBe(false);
  });
});
