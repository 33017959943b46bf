/** What the console needs from the service, and what every console request carries once authenticated. */
import type { FastifyRequest } from 'fastify';
import type { ApprovedAnswers } from '../approved/approved-answers.js';
import type { AgencyRegistry } from '../escalation/agencies.js';
import type { CaseService } from '../escalation/case-service.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import { appendAudit, type AuditEntry } from '../store/audit.js';
import type { ConsoleAccounts, Role, Session, SessionStage } from '../store/console-accounts.js';
import type { ConsultationStore } from '../store/consultations.js';
import type { Database } from '../store/db.js';

export interface ConsoleSettings {
  sessionIdleMs: number;
  sessionMaxMs: number;
  /** `auto`: Secure (and `__Host-`) when the request came over TLS, as fastify sees it (TRUST_PROXY). */
  cookieSecure: 'auto' | boolean;
  /** The IANA zone times are shown and days counted in (TIME_ZONE); Asia/Shanghai when absent. */
  timeZone?: string;
  /** Below this confidence an answer goes to the review queue. */
  lowConfidence?: number;
  /** The time TOTP codes are checked at (Date.now); tests let it move on between sign-ins of one account. */
  now?: () => number;
}

/** The parts of the knowledge base the console reads: chunk texts for passages, citations for approved answers, the article search of the review form. */
export type Knowledge = Pick<KnowledgeBase, 'chunks' | 'documents' | 'document' | 'analyze' | 'retrieve'>;

export interface ConsoleDeps {
  db: Database;
  store: ConsultationStore;
  accounts: ConsoleAccounts;
  /** The case workflow: agency actions and staff assignment go through it, so its rules and notices hold. */
  cases: CaseService;
  registry: AgencyRegistry;
  /** The knowledge in use now (it may be reloaded while the service runs). */
  knowledge: () => Knowledge;
  approved: ApprovedAnswers;
  settings: ConsoleSettings;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: Session;
  }
  interface FastifyContextConfig {
    /** Roles allowed on a console route; absent means the route needs no login. */
    roles?: readonly Role[];
    /** The route checks the CSRF token itself (multipart bodies arrive after the preHandler). */
    csrfInHandler?: boolean;
    /** Sign-in stages the route serves; absent means a complete sign-in (`full`) only. */
    stages?: readonly SessionStage[];
  }
}

export const STAFF: readonly Role[] = ['admin', 'reviewer'];
export const ADMIN: readonly Role[] = ['admin'];
export const ANYONE: readonly Role[] = ['admin', 'reviewer', 'agency'];

/** The signed-in session; routes with `roles` run only after the session hook set it. */
export function sessionOf(request: FastifyRequest): Session {
  if (!request.consoleSession) throw new Error('console route without a session');
  return request.consoleSession;
}

/** Appends an audit entry for the request's account, with the source address and request id. */
export async function audit(db: Database, request: FastifyRequest, entry: Omit<AuditEntry, 'actor'> & { actor?: string }): Promise<void> {
  const account = request.consoleSession?.account;
  await appendAudit(db, {
    ...entry,
    actor: entry.actor ?? account?.id ?? 'anonymous',
    details: { ...entry.details, ...(account ? { username: account.username, role: account.role } : {}), ip: request.ip, requestId: request.id },
  });
}
