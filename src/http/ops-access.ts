/**
 * Who may read /metrics and /docs. Both are open by default (a local `npm start`, the tests); an operator
 * closes them with METRICS_TOKEN (a Bearer token Prometheus sends) and/or OPS_ALLOW (addresses and CIDR
 * ranges), and can turn /docs off with DOCS_ENABLED=false. /metrics is let through when either configured
 * means admits the request; /docs, read in a browser, only by address. /healthz and /readyz stay open:
 * orchestrators probe them from addresses nobody lists.
 * The decision reads the matched route (route-path.ts), never the URL; a request no route matched is a 404.
 */
import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';
import { routePath } from './route-path.js';

export interface OpsAccess {
  /** Bearer token for /metrics. */
  metricsToken?: string;
  /** Addresses or CIDR ranges (IPv4 or IPv6) allowed to read /metrics and /docs. */
  allow?: string[];
}

/** A BlockList of the entries, or the first entry that is not an address or range. */
export function parseAllowList(entries: string[]): { list: BlockList } | { invalid: string } {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const bits = prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix);
    if (!family || extra !== undefined || !/^\d+$/.test(String(bits)) || bits > (family === 'ipv4' ? 32 : 128)) return { invalid: entry };
    list.addSubnet(address, bits, family);
  }
  return { list };
}

/** Whether `ip` (as fastify reports it, IPv4-mapped IPv6 included) is on the list. */
export function allowed(list: BlockList, ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return list.check(mapped, 'ipv4') || list.check(ip, 'ipv6');
  return isIPv4(ip) ? list.check(ip, 'ipv4') : isIPv6(ip) && list.check(ip, 'ipv6');
}

export function restrictOps(app: FastifyInstance, access: OpsAccess): void {
  const parsed = access.allow?.length ? parseAllowList(access.allow) : undefined;
  if (parsed && 'invalid' in parsed) throw new Error(`OPS_ALLOW: not an address or CIDR range: ${parsed.invalid}`);
  const list = parsed?.list;
  const token = access.metricsToken ? Buffer.from(access.metricsToken) : undefined;
  const byAddress = (request: FastifyRequest) => list !== undefined && allowed(list, request.ip);
  const byToken = (request: FastifyRequest) => {
    const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !given) return false;
    const bytes = Buffer.from(given);
    return bytes.length === token.length && timingSafeEqual(bytes, token);
  };
  app.addHook('onRequest', async (request, reply) => {
    const route = routePath(request);
    if (route === '/metrics') {
      if ((!token && !list) || byAddress(request) || byToken(request)) return;
      if (token) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw new HttpError(401, 'unauthorized', 'metrics need a valid bearer token');
      }
      throw new HttpError(403, 'forbidden', 'metrics are not served to this address');
    }
    if ((route === '/docs' || route.startsWith('/docs/')) && list && !byAddress(request)) {
      throw new HttpError(403, 'forbidden', 'the API documentation is not served to this address');
    }
  });
}
