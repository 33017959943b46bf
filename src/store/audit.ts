/**
 * The append-only audit log: who did what, when, to which record, from where. The application only adds
 * rows (a trigger refuses UPDATE and DELETE, migration 0005); details never hold revealed personal data.
 */
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Database } from './db.js';
import { auditLog } from './schema.js';
import { storable } from './storable.js';

export interface AuditEntry {
  /** Staff account id, `username:<name>` for failed logins, or a job name such as `cli:admin`. */
  actor: string;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

export type AuditRow = typeof auditLog.$inferSelect;

export async function appendAudit(db: Database, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actor: storable(entry.actor),
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId === undefined ? null : storable(entry.targetId),
    details: entry.details === undefined ? null : storable(entry.details),
  });
}

/** The newest entries first, optionally of one action, before an id (keyset paging). */
export async function recentAudit(db: Database, options: { limit?: number; beforeId?: number; action?: string; actor?: string } = {}): Promise<AuditRow[]> {
  const where: (SQL | undefined)[] = [
    options.beforeId ? lt(auditLog.id, options.beforeId) : undefined,
    options.action ? eq(auditLog.action, options.action) : undefined,
    options.actor ? eq(auditLog.actor, options.actor) : undefined,
  ];
  return db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(Math.min(500, Math.max(1, options.limit ?? 100)));
}
