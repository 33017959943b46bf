/**
 * The counts in the menu bar (store/console-waiting.ts), read once per page view. A hook reads them before
 * the route runs and keeps them with the request's session, because `page()` renders synchronously from
 * the session and is called from every route and the error handler; JSON requests skip the query.
 */
import type { FastifyInstance } from 'fastify';
import type { Session } from '../store/console-accounts.js';
import { waitingFor, type Waiting } from '../store/console-waiting.js';
import { LOW_CONFIDENCE } from '../store/reviews.js';
import type { ConsoleDeps } from './context.js';

const bySession = new WeakMap<Session, Waiting>();

export function waitingHook(app: FastifyInstance, deps: ConsoleDeps) {
  app.addHook('preHandler', async (request) => {
    const session = request.consoleSession;
    if (!session || session.stage !== 'full' || request.method !== 'GET') return;
    const accept = request.headers.accept ?? '';
    if (accept.includes('application/json') && !accept.includes('text/html')) return;
    await readWaiting(deps, session);
  });
}

/** Reads the counts for a page a POST answers with (the confirmation page), which the hook skips. */
export async function readWaiting(deps: ConsoleDeps, session: Session): Promise<void> {
  bySession.set(session, await waitingFor(deps.db, session.account, deps.settings.lowConfidence ?? LOW_CONFIDENCE));
}

export function waitingOf(session: Session): Waiting | undefined {
  return bySession.get(session);
}
