/**
 * WeChat rendering within WeCom's limits: text of at most 2 048 bytes split at sentence boundaries, menus
 * within their sizes, and a reply cut to the messages the customer's message still allows, keeping its
 * sources and its closing menu.
 */
import { describe, expect, it } from 'vitest';
import { unpackAction } from '../../../src/channels/action-codec.js';
import type { KfOutgoing } from '../../../src/channels/wechat/api.js';
import { fromKfMessage } from '../../../src/channels/wechat/decode.js';
import { renderForWechat } from '../../../src/channels/wechat/format.js';
import type { Citation, OutgoingReply } from '../../../src/types.js';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const CASE = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const citation: Citation = { documentId: 'zibo-ip', title: '淄博市知识产权服务业高质量发展实施意见', section: '七、推动知识产权服务业优化升级', article: '七', excerpt: '……', score: 1 };
const reply = (over: Partial<OutgoingReply>): OutgoingReply => ({ id: 7, channel: 'wechat', botId: 'wk1', chatId: 'u1', text: '', citations: [], attempt: 1, ...over });
const sentence = '企业申请专利质押融资的，可以按规定享受贴息支持，具体比例以当年申报通知为准。';
const long = Array.from({ length: 120 }, () => sentence).join(''); // ~4 600 characters, ~14 KB
const bytes = (m: KfOutgoing) => Buffer.byteLength(m.msgtype === 'text' ? m.text.content : `${m.msgmenu.head_content ?? ''}`);
const texts = (ms: KfOutgoing[]) => ms.flatMap((m) => (m.msgtype === 'text' ? [m.text.content] : []));

describe('renderForWechat', () => {
  it('answers with text, sources and a 👍/👎/转人工 menu labelled by who wrote it', () => {
    const out = renderForWechat(reply({ text: '可以申请贴息。', citations: [citation], consultationId: ID, outcome: 'answered', answerer: 'llm' }), 5);
    expect(out).toHaveLength(2);
    expect(texts(out)[0]).toMatch(/可以申请贴息。\n\n依据\n1\. 《淄博市知识产权服务业高质量发展实施意见》七、/);
    const menu = out[1]!;
    if (menu.msgtype !== 'msgmenu') throw new Error('expected a menu');
    expect(menu.msgmenu.tail_content).toContain('人工智能生成');
    expect(menu.msgmenu.list.map((i) => unpackAction(i.click.id))).toEqual([
      { type: 'feedback', consultationId: ID, rating: 1 },
      { type: 'feedback', consultationId: ID, rating: -1 },
      { type: 'refer', consultationId: ID },
    ]);
  });

  it('splits a long answer at sentence ends into messages of at most 2 048 bytes, within 5 messages', () => {
    const out = renderForWechat(reply({ text: long, citations: [citation], consultationId: ID, outcome: 'answered', answerer: 'extractive' }), 5);
    expect(out).toHaveLength(5);
    for (const m of out) expect(bytes(m)).toBeLessThanOrEqual(2048);
    const parts = texts(out);
    for (const part of parts.slice(0, -2)) expect(part.endsWith('。')).toBe(true);
    expect(parts.at(-2)).toContain('余下部分从略'); // said less …
    expect(parts.at(-1)).toMatch(/^依据/); // … but the sources
    expect(out.at(-1)!.msgtype).toBe('msgmenu'); // and the menu stay
  });

  it('fits what the customer message still allows: two messages, then one', () => {
    const two = renderForWechat(reply({ text: long, citations: [citation], consultationId: ID, outcome: 'answered' }), 2);
    expect(two.map((m) => m.msgtype)).toEqual(['text', 'msgmenu']);
    expect(texts(two)[0]).toMatch(/^依据|余下部分从略/);
    const one = renderForWechat(reply({ text: long, consultationId: ID, outcome: 'answered' }), 1);
    expect(one).toHaveLength(1);
    expect(one[0]!.msgtype).toBe('msgmenu');
    expect(bytes(one[0]!)).toBeLessThanOrEqual(1024);
    expect(renderForWechat(reply({ text: 'x' }), 0)).toEqual([]);
  });

  it('turns a notice with buttons into one menu, its text as the head', () => {
    const out = renderForWechat(reply({ text: '转介前需要您的单独同意：…', buttons: [[{ label: '同意转介', action: { type: 'consent', caseId: CASE, consent: true, consentId: 3 } }, { label: '不同意', action: { type: 'consent', caseId: CASE, consent: false, consentId: 3 } }]] }), 5);
    expect(out).toHaveLength(1);
    if (out[0]!.msgtype !== 'msgmenu') throw new Error('expected a menu');
    expect(out[0]!.msgmenu.head_content).toBe('转介前需要您的单独同意：…');
    expect(unpackAction(out[0]!.msgmenu.list[0]!.click.id)).toEqual({ type: 'consent', caseId: CASE, consent: true, consentId: 3 });
  });
});

describe('fromKfMessage', () => {
  const base = { msgid: 'm1', open_kfid: 'wk1', external_userid: 'u1', send_time: 1, origin: 3 };
  it('reads questions, menu clicks and command words of customers only', () => {
    expect(fromKfMessage({ ...base, msgtype: 'text', text: { content: ' 商标怎么注册？ ' } }, 'wk1')).toMatchObject({ channel: 'wechat', chatId: 'u1', eventId: 'm1', text: '商标怎么注册？', conversationId: 'wechat:wk1:u1' });
    expect(fromKfMessage({ ...base, msgtype: 'text', text: { content: '👍 有帮助', menu_id: `fb:1:${ID}` } }, 'wk1')).toMatchObject({ action: { type: 'feedback', rating: 1, consultationId: ID } });
    expect(fromKfMessage({ ...base, msgtype: 'text', text: { content: '转人工' } }, 'wk1')).toMatchObject({ action: { type: 'refer' } });
    expect(fromKfMessage({ ...base, msgtype: 'text', text: { content: '删除我的记录' } }, 'wk1')).toMatchObject({ action: { type: 'command', command: 'forget' } });
    expect(fromKfMessage({ ...base, msgtype: 'image' }, 'wk1')).toMatchObject({ text: '' });
    expect(fromKfMessage({ ...base, origin: 5, msgtype: 'text', text: { content: 'servicer' } }, 'wk1')).toBeUndefined();
    expect(fromKfMessage({ ...base, open_kfid: 'other', msgtype: 'text', text: { content: 'x' } }, 'wk1')).toBeUndefined();
  });
});
