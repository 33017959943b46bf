/**
 * The callback verifier against the worked example in WeCom's documentation of its encryption scheme
 * (加解密方案说明: corp id wx5823bf96d3bd56c7, Token QDG6eK, the EncodingAESKey below, a URL check and a
 * callback with their published signatures and plaintexts), then against forgeries of each part.
 */
import { encrypt, getSignature } from '@wecom/crypto';
import { describe, expect, it } from 'vitest';
import { openCiphertext, verifyCallback, verifyUrlCheck, type WecomKeys } from '../../../src/channels/wechat/verify.js';

const DOC_KEYS: WecomKeys = { token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };

/** The documentation's URL check: GET …?msg_signature=5c45…&timestamp=1409659589&nonce=263014780&echostr=P9nA… */
const DOC_URL_CHECK = {
  msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
};
const DOC_ECHO = '1616140317555161061';

/** The documentation's callback: POST …?msg_signature=4777…&timestamp=1409659813&nonce=1372623149 */
const DOC_CALLBACK_QUERY = { msg_signature: '477715d11cdb4164915debcba66cb864d751f3e6', timestamp: '1409659813', nonce: '1372623149' };
const DOC_ENCRYPT =
  'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';
const DOC_BODY = Buffer.from(`<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[${DOC_ENCRYPT}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`);
/** The plaintext the documentation gives for that callback (whitespace between its tags aside). */
const DOC_PLAINTEXT_FIELDS = ['<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>', '<FromUserName><![CDATA[mycreate]]></FromUserName>', '<CreateTime>1409659813</CreateTime>', '<Content><![CDATA[hello]]></Content>', '<MsgId>4561255354251345929</MsgId>'];

describe('WeCom callback verification: the documented example', () => {
  it('answers the URL check with the documented echostr', () => {
    const result = verifyUrlCheck(DOC_URL_CHECK, DOC_KEYS, { now: 1409659589_000 });
    expect(result).toEqual({ ok: true, message: DOC_ECHO });
  });

  it('decrypts the documented callback to the documented message', () => {
    const result = verifyCallback(DOC_CALLBACK_QUERY, DOC_BODY, DOC_KEYS, { now: 1409659813_000 });
    expect(result.ok).toBe(true);
    const message = result.ok ? result.message.replace(/>\s+</g, '><') : '';
    for (const field of DOC_PLAINTEXT_FIELDS) expect(message).toContain(field);
  });
});

describe('WeCom callback verification: refusals', () => {
  const at = { now: 1409659813_000 };
  it('refuses a wrong signature, a missing one, and a signature made with another token', () => {
    expect(verifyCallback({ ...DOC_CALLBACK_QUERY, msg_signature: '0'.repeat(40) }, DOC_BODY, DOC_KEYS, at)).toMatchObject({ ok: false, status: 401, reason: 'signature mismatch' });
    expect(verifyCallback({ timestamp: '1409659813', nonce: '1' }, DOC_BODY, DOC_KEYS, at)).toMatchObject({ ok: false, status: 401 });
    const forged = getSignature('another-token', DOC_CALLBACK_QUERY.timestamp, DOC_CALLBACK_QUERY.nonce, DOC_ENCRYPT);
    expect(verifyCallback({ ...DOC_CALLBACK_QUERY, msg_signature: forged }, DOC_BODY, DOC_KEYS, at)).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses the documented callback replayed an hour later, and a body whose ciphertext was swapped', () => {
    expect(verifyCallback(DOC_CALLBACK_QUERY, DOC_BODY, DOC_KEYS, { now: 1409659813_000 + 3_600_000 })).toMatchObject({ ok: false, status: 401, reason: expect.stringContaining('timestamp') });
    const other = encrypt(DOC_KEYS.encodingAesKey, '<xml><Content>bye</Content></xml>', DOC_KEYS.corpId);
    const swapped = Buffer.from(DOC_BODY.toString().replace(DOC_ENCRYPT, other));
    expect(verifyCallback(DOC_CALLBACK_QUERY, swapped, DOC_KEYS, at)).toMatchObject({ ok: false, status: 401, reason: 'signature mismatch' });
  });

  it('refuses a correctly signed message encrypted for another corp, and malformed bodies', () => {
    const foreign = encrypt(DOC_KEYS.encodingAesKey, '<xml><Content>hi</Content></xml>', 'ww-another-corp');
    const query = { timestamp: '1409659813', nonce: '7', msg_signature: getSignature(DOC_KEYS.token, '1409659813', '7', foreign) };
    expect(verifyCallback(query, Buffer.from(`<xml><Encrypt><![CDATA[${foreign}]]></Encrypt></xml>`), DOC_KEYS, at)).toMatchObject({ ok: false, status: 401, reason: 'receiver id is not our corp id' });
    expect(verifyCallback(DOC_CALLBACK_QUERY, Buffer.from('not xml'), DOC_KEYS, at)).toMatchObject({ ok: false, status: 400 });
    expect(verifyCallback(DOC_CALLBACK_QUERY, Buffer.from('<xml><Encrypt></Encrypt></xml>'), DOC_KEYS, at)).toMatchObject({ ok: false, status: 400 });
  });

  it('opens only whole blocks with valid padding', () => {
    expect(openCiphertext(DOC_ENCRYPT, DOC_KEYS.encodingAesKey)?.receiveId).toBe(DOC_KEYS.corpId);
    expect(openCiphertext(DOC_ENCRYPT.slice(0, 40), DOC_KEYS.encodingAesKey)).toBeUndefined();
    expect(openCiphertext(Buffer.alloc(64, 7).toString('base64'), DOC_KEYS.encodingAesKey)).toBeUndefined();
  });
});
