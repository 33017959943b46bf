import type { FastifyInstance } from 'fastify';
import { routePath } from './route-path.js';

/**
 * The chat page loads only its own script and stylesheet and talks only to this origin; no inline code,
 * no frames, no plugins. Swagger UI (/docs) sets its own policy.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The console posts its own forms; everything else is as strict as the chat page. */
export const CONSOLE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("form-action 'none'", "form-action 'self'");

export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    const route = routePath(request);
    reply.header('x-content-type-options', 'nosniff');
    // The console's forms need a real Origin header for its CSRF check; with no-referrer, browsers send `null`.
    reply.header('referrer-policy', route.startsWith('/console') ? 'same-origin' : 'no-referrer');
    reply.header('x-request-id', request.id);
    if (!route.startsWith('/docs')) {
      reply.header('content-security-policy', route.startsWith('/console') ? CONSOLE_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY);
      reply.header('x-frame-options', 'DENY');
    }
    if (route.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
}
