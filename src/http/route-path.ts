/**
 * The path a request is judged by: the pattern of the route that matched it (`/metrics`, `/docs/json`,
 * `/console/cases/:id`), or '' when none did. The router percent-decodes a path before matching, so the
 * raw URL (`/%6detrics`) may name another path than the handler that runs; every decision about a
 * request (who may read it, which headers it gets) is made on this one instead.
 */
import type { FastifyRequest } from 'fastify';

export function routePath(request: FastifyRequest): string {
  return request.routeOptions.url ?? '';
}
