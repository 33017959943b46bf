/**
 * The WeCom API client against the fake WeCom API: the access token cached, a stale one replaced once and
 * never in a loop; and how each WeCom failure is classified for the sender.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDeliveryError, WAITS_FOR_CUSTOMER, WecomApi, WecomApiError } from '../../../src/channels/wechat/api.js';
import { CORP_ID, FakeWecomApi, KF_SECRET, OPEN_KFID } from '../../fakes/wecom-api.js';

describe('WecomApi', () => {
  let fake: FakeWecomApi;
  beforeAll(async () => {
    fake = await new FakeWecomApi().start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('caches the token, replaces an expired one once, and gives up when the new one is refused too', async () => {
    const api = new WecomApi({ apiRoot: fake.apiRoot, corpId: CORP_ID, secret: KF_SECRET });
    fake.customerSays('u1', '你好');
    await api.syncMsg({ cursor: '', openKfId: OPEN_KFID });
    await api.syncMsg({ cursor: '', openKfId: OPEN_KFID });
    expect(api.tokensFetched).toBe(1);
    fake.expireTokens();
    expect((await api.syncMsg({ cursor: '', openKfId: OPEN_KFID })).msg_list).toHaveLength(1);
    expect(api.tokensFetched).toBe(2);
    fake.rejectTokens = true;
    const calls = fake.calls.length;
    await expect(api.syncMsg({ cursor: '', openKfId: OPEN_KFID })).rejects.toMatchObject({ errcode: 42001 });
    fake.rejectTokens = false;
    expect(api.tokensFetched).toBe(3);
    expect(fake.calls.length - calls).toBe(3); // the call, one new token, the call again: no loop
  });

  it('refuses a wrong secret with WeCom’s code', async () => {
    const api = new WecomApi({ apiRoot: fake.apiRoot, corpId: CORP_ID, secret: 'wrong' });
    await expect(api.accessToken()).rejects.toMatchObject({ errcode: 40001 });
  });
});

describe('toDeliveryError', () => {
  const err = (code: number) => toDeliveryError(new WecomApiError('kf/send_msg', code, 'x'));
  it('gives up until the customer writes on quota, window and session codes', () => {
    for (const code of [95001, 95002, 95013, 95018]) {
      expect(err(code)).toMatchObject({ permanent: true });
      expect(err(code).message).toContain(WAITS_FOR_CUSTOMER);
    }
  });
  it('waits a minute on the frequency limit, gives up on bad requests, retries the rest', () => {
    expect(err(45009)).toMatchObject({ permanent: false, retryAfterMs: 60_000 });
    for (const code of [40001, 40003, 44004, 45002, 95000, 95004]) expect(err(code)).toMatchObject({ permanent: true });
    expect(err(-1)).toMatchObject({ permanent: false });
    expect(toDeliveryError(new Error('socket hang up'))).toMatchObject({ permanent: false });
  });
});
