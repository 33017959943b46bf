import { describe, expect, it } from 'vitest';
import { isLuhnValid, isValidIdCard, maskPersonalInfo } from '../../src/privacy/pii.js';
import type { PiiKind } from '../../src/types.js';

// Independent GB 11643 check character, so that fixtures are built from the standard, not from the code under test.
function withCheckChar(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11];
}
function withWrongCheckChar(first17: string): string {
  const right = withCheckChar(first17).at(-1);
  return first17 + (right === '0' ? '1' : '0');
}
function withLuhnDigit(prefix: string): string {
  for (let d = 0; d <= 9; d++) if (isLuhnValid(prefix + d)) return prefix + d;
  throw new Error('unreachable');
}

const ID_X = '11010519491231002X'; // the textbook example, check character X
const ID_A = withCheckChar('37030319900307123');
const ID_B = withCheckChar('44030420001229567');
// Contains the mobile-shaped run 13701199012 (1[3-9] + 9 digits) starting at its 2nd digit.
const ID_WITH_PHONE_RUN = withCheckChar('51370119901213001');
// Starts with 13 (Hebei), so its first 11 digits look like a mobile number.
const ID_HEBEI = withCheckChar('13010219900307123');
const ID_BAD_CHECK = withWrongCheckChar('33010619851111888');
const ID_15 = '370303900307123';
const CARD_19 = withLuhnDigit('622202123456789012');
const CARD_16 = withLuhnDigit('436742123456789');
const CARD_16_BAD = CARD_16.slice(0, 15) + ((Number(CARD_16.at(-1)) + 1) % 10);

interface Case {
  name: string;
  input: string;
  expected: string;
  found?: Partial<Record<PiiKind, number>>;
}

const ID = '[身份证号]';
const CARD = '[银行卡号]';
const MAIL = '[邮箱]';

const cases: Case[] = [
  // Mobile numbers in each form.
  { name: 'mobile, bare', input: '电话13800138000', expected: '电话138****8000', found: { mobile: 1 } },
  { name: 'mobile, +86', input: '+8613912345678', expected: '+86139****5678', found: { mobile: 1 } },
  { name: 'mobile, +86 space', input: '请拨 +86 13912345678 联系', expected: '请拨 +86 139****5678 联系', found: { mobile: 1 } },
  { name: 'mobile, 86 prefix', input: '8615012345678', expected: '86150****5678', found: { mobile: 1 } },
  { name: 'mobile, 86- prefix', input: '86-15012345678', expected: '86-150****5678', found: { mobile: 1 } },
  { name: 'mobile, 0086', input: '008618612345678', expected: '0086186****5678', found: { mobile: 1 } },
  { name: 'mobile, (+86)', input: '(+86)17712345678', expected: '(+86)177****5678', found: { mobile: 1 } },
  { name: 'mobile, trunk 0', input: '013800138000', expected: '0138****8000', found: { mobile: 1 } },
  { name: 'mobile, spaces 3-4-4', input: '手机 138 0013 8000。', expected: '手机 138****8000。', found: { mobile: 1 } },
  { name: 'mobile, dashes 3-4-4', input: '手机:138-0013-8000', expected: '手机:138****8000', found: { mobile: 1 } },
  { name: 'mobile, +86 and dashes', input: '+86-138-0013-8000', expected: '+86-138****8000', found: { mobile: 1 } },
  { name: 'mobile, 19x and 16x', input: '19912345678或16612345678', expected: '199****5678或166****5678', found: { mobile: 2 } },
  { name: 'mobile, next to Chinese', input: '联系人王经理13305331234谢谢', expected: '联系人王经理133****1234谢谢', found: { mobile: 1 } },
  { name: 'not a mobile: 12 prefix', input: '编号12812345678', expected: '编号12812345678' },
  { name: 'not a mobile: 10 digits', input: '1380013800', expected: '1380013800' },
  { name: 'not a mobile: 12 digits', input: '138001380001', expected: '138001380001' },

  // Landlines stay: they are office numbers in this domain.
  { name: 'landline with area code', input: '咨询电话：0533-1234567', expected: '咨询电话：0533-1234567' },
  { name: 'landline 8 digits', input: '(010)12345678', expected: '(010)12345678' },
  { name: 'landline, 400 number', input: '400-123-4567', expected: '400-123-4567' },
  { name: 'landline, 3-digit area code', input: '021-87654321转8001', expected: '021-87654321转8001' },

  // ID-card numbers.
  { name: 'ID, valid, X check', input: `身份证号${ID_X}`, expected: `身份证号${ID}`, found: { id_card: 1 } },
  { name: 'ID, valid, lowercase x', input: `证件 ${ID_X.toLowerCase()} 。`, expected: `证件 ${ID} 。`, found: { id_card: 1 } },
  { name: 'ID, valid digit check', input: `ID:${ID_A}`, expected: `ID:${ID}`, found: { id_card: 1 } },
  { name: 'ID, born 2000', input: `${ID_B}号`, expected: `${ID}号`, found: { id_card: 1 } },
  { name: 'ID, checksum fails, still masked', input: `身份证${ID_BAD_CHECK}`, expected: `身份证${ID}`, found: { id_card: 1 } },
  { name: 'ID containing a phone-like run', input: `身份证${ID_WITH_PHONE_RUN}`, expected: `身份证${ID}`, found: { id_card: 1 } },
  { name: 'ID starting with 13 (mobile-like head)', input: `${ID_HEBEI}`, expected: ID, found: { id_card: 1 } },
  { name: 'ID with spaces 6-8-4', input: `${ID_A.slice(0, 6)} ${ID_A.slice(6, 14)} ${ID_A.slice(14)}`, expected: ID, found: { id_card: 1 } },
  { name: 'ID, 15-digit old form', input: `旧身份证${ID_15}`, expected: `旧身份证${ID}`, found: { id_card: 1 } },
  { name: 'ID and mobile together', input: `${ID_A}，13800138000`, expected: `${ID}，138****8000`, found: { id_card: 1, mobile: 1 } },

  // E-mail addresses.
  { name: 'email, simple', input: '发到zhangsan@163.com吧', expected: `发到${MAIL}吧`, found: { email: 1 } },
  { name: 'email, dots and plus', input: 'li.si+ip@corp.example.com.cn', expected: MAIL, found: { email: 1 } },
  { name: 'email, phone as local part', input: '13800138000@qq.com', expected: MAIL, found: { email: 1 } },
  { name: 'two emails', input: 'a@b.cn, c_d@e-f.org', expected: `${MAIL}, ${MAIL}`, found: { email: 2 } },

  // Bank cards.
  { name: 'card, 19 digits Luhn-valid', input: `卡号${CARD_19}`, expected: `卡号${CARD}`, found: { bank_card: 1 } },
  { name: 'card, 16 digits grouped', input: `卡号 ${CARD_16.replace(/(\d{4})(?=\d)/g, '$1 ')}`, expected: `卡号 ${CARD}`, found: { bank_card: 1 } },
  { name: 'card, 16 digits dashes', input: CARD_16.replace(/(\d{4})(?=\d)/g, '$1-'), expected: CARD, found: { bank_card: 1 } },
  { name: 'not a card: Luhn fails', input: `订单号${CARD_16_BAD}`, expected: `订单号${CARD_16_BAD}` },
  { name: 'card and ID together, each once', input: `${CARD_19} ${ID_X}`, expected: `${CARD} ${ID}`, found: { bank_card: 1, id_card: 1 } },

  // Text that must not change.
  { name: 'document number', input: '淄市监知促字〔2023〕130号', expected: '淄市监知促字〔2023〕130号' },
  { name: 'dates', input: '2023年11月9日印发，自2023-11-09起施行至2028.11.08', expected: '2023年11月9日印发，自2023-11-09起施行至2028.11.08' },
  { name: 'amounts', input: '最高奖励1000000元，补助50,000元，比例30%', expected: '最高奖励1000000元，补助50,000元，比例30%' },
  { name: 'patent application number', input: '申请号CN202310123456.7', expected: '申请号CN202310123456.7' },
  { name: 'patent number ZL', input: 'ZL 2023 1 0123456.7', expected: 'ZL 2023 1 0123456.7' },
  { name: 'trademark registration number', input: '第12345678号商标', expected: '第12345678号商标' },
  { name: 'unified social credit code', input: '统一社会信用代码91370300MA3C8KXX1Q', expected: '统一社会信用代码91370300MA3C8KXX1Q' },
  { name: 'URL without email', input: 'https://www.zibo.gov.cn/art/2023/11/9/art_123.html', expected: 'https://www.zibo.gov.cn/art/2023/11/9/art_123.html' },
  { name: 'plain question', input: '商标被抢注了怎么办？', expected: '商标被抢注了怎么办？' },
  { name: 'already masked text is stable', input: `138****8000 ${ID} ${MAIL} ${CARD}`, expected: `138****8000 ${ID} ${MAIL} ${CARD}` },
  { name: 'empty', input: '', expected: '' },
];

/** Masks the case's input, checks the text and the counts, and returns the masked text. */
function expectMasked({ input, expected, found }: Case): string {
  const result = maskPersonalInfo(input);
  expect(result.text).toBe(expected);
  expect(Object.fromEntries(result.found.map((f) => [f.kind, f.count]))).toEqual(found ?? {});
  return result.text;
}

/** Full-width form of ASCII text, as a Chinese IME types it. */
const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const ZWSP = '\u200b';

// The spellings an outside probe got past the masker, and texts that must still come out unchanged.
const spellings: Case[] = [
  { name: 'mobile, full-width digits', input: '电话１３８１１１１４４４４', expected: '电话138****4444', found: { mobile: 1 } },
  { name: 'mobile, full-width with full-width dashes', input: '电话１３８－１１１１－４４４４。', expected: '电话138****4444。', found: { mobile: 1 } },
  { name: 'mobile, dots', input: '手机138.1111.4444，谢谢', expected: '手机138****4444，谢谢', found: { mobile: 1 } },
  { name: 'mobile, slashes', input: '手机138/1111/7777', expected: '手机138****7777', found: { mobile: 1 } },
  { name: 'mobile, underscores', input: '手机138_1111_7777', expected: '手机138****7777', found: { mobile: 1 } },
  { name: 'mobile, every digit spaced', input: '打 1 3 8 1 1 1 1 4 4 4 4 找我', expected: '打 138****4444 找我', found: { mobile: 1 } },
  { name: 'mobile, 2-3-2-4 spaced', input: '13 811 11 4444', expected: '138****4444', found: { mobile: 1 } },
  { name: 'mobile, ideographic spaces', input: '138\u30001111\u30004444', expected: '138****4444', found: { mobile: 1 } },
  { name: 'mobile, zero-width space inside', input: `电话138${ZWSP}1111${ZWSP}4444`, expected: '电话138****4444', found: { mobile: 1 } },
  { name: 'mobile, zero-width joiner and soft hyphen', input: '1381\u200d111\u00ad4444', expected: '138****4444', found: { mobile: 1 } },
  { name: 'mobile, Chinese numerals', input: '我的电话是一三八一一一一四四四四', expected: '我的电话是138****4444', found: { mobile: 1 } },
  { name: 'mobile, Chinese numerals with 幺 and 〇', input: '幺三九〇〇幺三八〇〇〇', expected: '139****8000', found: { mobile: 1 } },
  { name: 'mobile, Chinese numerals spaced', input: '一三八 一一一一 四四四四', expected: '138****4444', found: { mobile: 1 } },
  { name: 'mobile, financial numerals', input: '壹叁捌壹壹壹壹肆肆肆肆', expected: '138****4444', found: { mobile: 1 } },
  { name: 'mobile, mixed digits and numerals', input: '138一一一一4444', expected: '138****4444', found: { mobile: 1 } },
  { name: 'mobile after a dotted date', input: '2023.11.09 138.0013.8000', expected: '2023.11.09 138****8000', found: { mobile: 1 } },
  { name: 'mobile, +86 and dots', input: '+86.138.1111.4444', expected: '+86.138****4444', found: { mobile: 1 } },
  { name: 'ID, full-width', input: `身份证${fullWidth(ID_X)}`, expected: `身份证${ID}`, found: { id_card: 1 } },
  { name: 'ID, hyphenated 6-8-4', input: `身份证${ID_A.slice(0, 6)}-${ID_A.slice(6, 14)}-${ID_A.slice(14)}`, expected: `身份证${ID}`, found: { id_card: 1 } },
  { name: 'ID, hyphenated with X', input: `${ID_X.slice(0, 6)}-${ID_X.slice(6, 14)}-${ID_X.slice(14)}号`, expected: `${ID}号`, found: { id_card: 1 } },
  { name: 'ID, dotted', input: `${ID_B.slice(0, 6)}.${ID_B.slice(6, 14)}.${ID_B.slice(14)}`, expected: ID, found: { id_card: 1 } },
  { name: 'ID, zero-width inside', input: `${ID_A.slice(0, 9)}${ZWSP}${ID_A.slice(9)}`, expected: ID, found: { id_card: 1 } },
  { name: 'email, full-width', input: `邮箱${fullWidth('zhangsan@163.com')}谢谢`, expected: `邮箱${MAIL}谢谢`, found: { email: 1 } },
  { name: 'email, full-width at sign only', input: 'zhangsan＠163.com', expected: MAIL, found: { email: 1 } },
  { name: 'card, dotted 4-4-4-4', input: `卡号${CARD_16.replace(/(\d{4})(?=\d)/g, '$1.')}`, expected: `卡号${CARD}`, found: { bank_card: 1 } },
  { name: 'card, full-width', input: fullWidth(CARD_19), expected: CARD, found: { bank_card: 1 } },

  { name: 'unmasked: article numbers', input: '依据《商标法》第四十二条、第三十二条第一款', expected: '依据《商标法》第四十二条、第三十二条第一款' },
  { name: 'unmasked: years', input: '2023年、二〇二三年、２０２３年申请的专利', expected: '2023年、二〇二三年、２０２３年申请的专利' },
  { name: 'unmasked: amounts', input: '补助3万元，最高一百万元，奖励１０万元，合计1,380,013,800元', expected: '补助3万元，最高一百万元，奖励１０万元，合计1,380,013,800元' },
  { name: 'unmasked: dates', input: '2023.11.09—2028.11.08，2023/11/09，2023-11-09 至 2024-01-01', expected: '2023.11.09—2028.11.08，2023/11/09，2023-11-09 至 2024-01-01' },
  { name: 'unmasked: dates as digits spaced', input: '2023 11 09 2024 01 01', expected: '2023 11 09 2024 01 01' },
  { name: 'unmasked: Chinese date', input: '二〇二三年十一月九日', expected: '二〇二三年十一月九日' },
  { name: 'unmasked: counting words', input: '一一对应，三三两两，一五一十地说', expected: '一一对应，三三两两，一五一十地说' },
  { name: 'unmasked: version and section numbers', input: '第3.2.1节，v1.38.1111', expected: '第3.2.1节，v1.38.1111' },
  { name: 'unmasked: landline with dots', input: '0533.1234567', expected: '0533.1234567' },
  { name: 'unmasked: full-width punctuation kept', input: '商标注册要多久？（第三条）', expected: '商标注册要多久？（第三条）' },
];

describe('maskPersonalInfo on other spellings', () => {
  it.each(spellings)('$name', (c) => {
    const masked = expectMasked(c);
    expect(maskPersonalInfo(masked)).toEqual({ text: masked, found: [] });
  });
});

describe('maskPersonalInfo fixtures', () => {
  it('has at least 40 cases and valid/invalid ID fixtures as intended', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const id of [ID_X, ID_A, ID_B, ID_WITH_PHONE_RUN, ID_HEBEI]) expect(isValidIdCard(id)).toBe(true);
    expect(isValidIdCard(ID_BAD_CHECK)).toBe(false);
    expect(isLuhnValid(CARD_19) && isLuhnValid(CARD_16)).toBe(true);
    expect(isLuhnValid(CARD_16_BAD)).toBe(false);
  });

  it.each(cases)('$name', (c) => {
    expectMasked(c);
  });

  it('masks every personal number in a mixed message and changes nothing else', () => {
    const input =
      `您好，我是淄博某公司的张经理，手机+86 138-0013-8000，身份证${ID_WITH_PHONE_RUN}，` +
      `邮箱zhang@example.cn，收款卡${CARD_19}。办公室电话0533-1234567。` +
      '请问按淄市监知促字〔2023〕130号第七条，2024年申请的50万元补助怎么办理？';
    const { text } = maskPersonalInfo(input);
    expect(text).toBe(
      `您好，我是淄博某公司的张经理，手机+86 138****8000，身份证${ID}，` +
        `邮箱${MAIL}，收款卡${CARD}。办公室电话0533-1234567。` +
        '请问按淄市监知促字〔2023〕130号第七条，2024年申请的50万元补助怎么办理？',
    );
    for (const value of ['0013', ID_WITH_PHONE_RUN, 'zhang@', CARD_19]) expect(text).not.toContain(value);
  });

  it('is idempotent', () => {
    const once = maskPersonalInfo(`13800138000 ${ID_A} a@b.cn ${CARD_16}`).text;
    expect(maskPersonalInfo(once)).toEqual({ text: once, found: [] });
  });
});
