/** The WeChat channel's configuration: all five WECOM_* variables or none, each problem naming its variable. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { wechatEnv } from '../../fakes/wecom-api.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('WECOM_* configuration', () => {
  it('reads a complete setup, with the public API root by default', () => {
    const { WECOM_API_ROOT: _root, ...env } = wechatEnv('http://127.0.0.1:1');
    expect(loadConfig(env).wechat).toMatchObject({ corpId: env.WECOM_CORP_ID, openKfId: env.WECOM_OPEN_KFID, apiRoot: 'https://qyapi.weixin.qq.com' });
    expect(loadConfig({}).wechat).toBeUndefined();
  });

  it('refuses a partial setup, naming each missing variable', () => {
    const found = problems({ WECOM_CORP_ID: 'ww1', WECOM_OPEN_KFID: 'wk1' });
    expect(found.map((p) => p.split(':')[0])).toEqual(['WECOM_KF_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY']);
  });

  it('refuses an EncodingAESKey that is not 43 characters, and an API root with a path', () => {
    expect(problems({ ...wechatEnv('http://127.0.0.1:1'), WECOM_ENCODING_AES_KEY: 'short' })).toEqual([expect.stringMatching(/^WECOM_ENCODING_AES_KEY: expected the 43 characters/)]);
    expect(problems(wechatEnv('http://127.0.0.1:1/cgi-bin/'))).toEqual([expect.stringMatching(/^WECOM_API_ROOT: /)]);
  });
});
