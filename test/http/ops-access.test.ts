/**
 * /metrics and /docs can be closed: by a bearer token (METRICS_TOKEN, /metrics only), by address
 * (OPS_ALLOW, both) and /docs turned off (DOCS_ENABLED=false). Open by default; /healthz and /readyz always.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { allowed, parseAllowList } from '../../src/http/ops-access.js';
import { openDatabase, type DatabaseHandle } from '../../src/store/db.js';
import { testApp } from './fixtures.js';

const TOKEN = 'scrape-token-0123456789abcdef';

describe('who may read /metrics and /docs', { timeout: 60_000 }, () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openDatabase({});
  }, 60_000);
  afterAll(() => handle?.close());

  const get = async (options: Parameters<typeof testApp>[1], url: string, request: { remoteAddress?: string; headers?: Record<string, string> } = {}) => {
    const { app } = await testApp(handle, { logLevel: 'silent', ...options });
    try {
      return await app.inject({ method: 'GET', url, ...request });
    } finally {
      await app.close();
    }
  };

  it('serves both to anyone by default', async () => {
    expect((await get({}, '/metrics', { remoteAddress: '203.0.113.7' })).statusCode).toBe(200);
    expect((await get({}, '/docs/json', { remoteAddress: '203.0.113.7' })).statusCode).toBe(200);
  });

  it('asks for the bearer token on /metrics when one is set, and compares it whole', async () => {
    const opsAccess = { metricsToken: TOKEN };
    const missing = await get({ opsAccess }, '/metrics');
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await get({ opsAccess }, '/metrics', { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } })).statusCode).toBe(401);
    const ok = await get({ opsAccess }, '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/ipcb_answers_total/);
    expect((await get({ opsAccess }, '/healthz')).statusCode).toBe(200);
  });

  it('lets listed addresses through, with or without a token, and keeps /docs to them', async () => {
    const opsAccess = { metricsToken: TOKEN, allow: ['10.0.0.0/8', '127.0.0.1', '2001:db8::/32'] };
    expect((await get({ opsAccess }, '/metrics', { remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
    expect((await get({ opsAccess }, '/metrics', { remoteAddress: '::ffff:127.0.0.1' })).statusCode).toBe(200);
    expect((await get({ opsAccess }, '/metrics', { remoteAddress: '2001:db8::5' })).statusCode).toBe(200);
    expect((await get({ opsAccess }, '/metrics', { remoteAddress: '203.0.113.7' })).statusCode).toBe(401);
    expect((await get({ opsAccess }, '/metrics', { remoteAddress: '203.0.113.7', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    expect((await get({ opsAccess: { allow: ['10.0.0.0/8'] } }, '/metrics', { remoteAddress: '203.0.113.7' })).statusCode).toBe(403);
    expect((await get({ opsAccess }, '/docs', { remoteAddress: '203.0.113.7' })).statusCode).toBe(403);
    expect((await get({ opsAccess }, '/docs/json', { remoteAddress: '10.9.9.9' })).statusCode).toBe(200);
    expect((await get({ opsAccess }, '/readyz', { remoteAddress: '203.0.113.7' })).statusCode).toBe(200);
  });

  it('has no /docs when turned off', async () => {
    expect((await get({ docs: false }, '/docs')).statusCode).toBe(404);
    expect((await get({ docs: false }, '/docs/json')).statusCode).toBe(404);
  });

  // The router decodes the path before matching; the check must judge the route that runs, not the URL.
  const METRICS_SPELLINGS = ['/%6detrics', '/%6Detrics', '/m%65trics', '/%6d%65%74%72%69%63%73', '/metrics?x=1', '/%6detrics?x=/docs', '/metrics#x'];
  const DOCS_SPELLINGS = ['/%64ocs/json', '/%64%6f%63%73/json', '/docs/%6a%73%6f%6e', '/%64ocs', '/%64ocs/', '/docs/', '/%64ocs/static/index.html', '/%64ocs/yaml'];
  const OTHER_SPELLINGS = ['/%256detrics', '/%2564ocs/json', '/metrics/', '/METRICS', '/Metrics', '/DOCS/json', '/Docs/json', '//metrics', '/./metrics', '/x/../metrics'];

  it('judges every spelling of /metrics and /docs by the route it reaches: encoded, double-encoded, trailing slash, case', async () => {
    const opsAccess = { metricsToken: TOKEN, allow: ['10.0.0.0/8'] };
    const outside = { remoteAddress: '203.0.113.7' };
    for (const url of METRICS_SPELLINGS) {
      const res = await get({ opsAccess }, url, outside);
      expect(res.statusCode, url).toBe(401);
      expect(res.body, url).not.toMatch(/ipcb_answers_total/);
      expect((await get({ opsAccess }, url, { ...outside, headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, url).toBe(200);
    }
    for (const url of DOCS_SPELLINGS) {
      const res = await get({ opsAccess }, url, outside);
      expect(res.statusCode, url).toBe(403);
      expect(res.body, url).not.toMatch(/openapi/);
      expect((await get({ opsAccess }, url, { remoteAddress: '10.1.1.1' })).statusCode, url).not.toBe(403);
    }
    // Anything that does not reach either route: not served at all (404), never the content.
    for (const url of OTHER_SPELLINGS) {
      const res = await get({ opsAccess }, url, outside);
      expect([401, 403, 404], url).toContain(res.statusCode);
      expect(res.body, url).not.toMatch(/ipcb_answers_total|openapi/);
    }
    for (const url of [...DOCS_SPELLINGS, '/%64ocs/json']) expect((await get({ docs: false }, url)).statusCode, url).toBe(404);
  });
});

describe('the settings', () => {
  it('are read from METRICS_TOKEN, OPS_ALLOW and DOCS_ENABLED', () => {
    expect(loadConfig({})).toMatchObject({ docs: true, opsAccess: {} });
    const config = loadConfig({ METRICS_TOKEN: TOKEN, OPS_ALLOW: ' 10.0.0.0/8, ::1 ', DOCS_ENABLED: 'false' });
    expect(config).toMatchObject({ docs: false, opsAccess: { metricsToken: TOKEN, allow: ['10.0.0.0/8', '::1'] } });
  });

  it('names each bad one', () => {
    try {
      loadConfig({ METRICS_TOKEN: 'short', OPS_ALLOW: '10.0.0.0/8,10.0.0.300', DOCS_ENABLED: 'maybe' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DOCS_ENABLED', 'METRICS_TOKEN']);
    }
    try {
      loadConfig({ OPS_ALLOW: '10.0.0.0/8,10.0.0.300' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^OPS_ALLOW: "10\.0\.0\.300" is not an address or CIDR range/)]);
    }
  });

  it('parse addresses and ranges of both families', () => {
    const parsed = parseAllowList(['192.168.0.0/16', 'fd00::/8']);
    if (!('list' in parsed)) throw new Error('expected a list');
    expect(allowed(parsed.list, '192.168.4.4')).toBe(true);
    expect(allowed(parsed.list, '192.169.0.1')).toBe(false);
    expect(allowed(parsed.list, 'fd12::1')).toBe(true);
    expect(allowed(parsed.list, 'not-an-ip')).toBe(false);
    expect(parseAllowList(['10.0.0.0/33'])).toEqual({ invalid: '10.0.0.0/33' });
    expect(parseAllowList(['example.com'])).toEqual({ invalid: 'example.com' });
  });
});
