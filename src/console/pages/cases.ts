/** The cases board. Until the case workflow is in place it says so; agency accounts land here after login. */
import type { FastifyInstance } from 'fastify';
import { ANYONE, sessionOf, type ConsoleDeps } from '../context.js';
import { html } from '../html.js';
import { page } from '../layout.js';

export async function caseRoutes(app: FastifyInstance, _deps: ConsoleDeps) {
  app.get('/console/cases', { config: { roles: ANYONE } }, async (request, reply) => {
    const session = sessionOf(request);
    const body = html`<main><h1>转介案件</h1><p class="empty">暂无案件。</p></main>`;
    return reply.type('text/html; charset=utf-8').send(page({ title: '转介案件', session, active: '/console/cases', body }));
  });
}
