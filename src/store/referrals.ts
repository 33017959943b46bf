/**
 * Requests for help from an IP service agency ("转人工"). Until the escalation issue routes them, a
 * request is an `escalations` row with reason `requested` and status `offered`: the user asked, no agency
 * is chosen and no consent to share data has been given yet.
 */
import { and, eq } from 'drizzle-orm';
import type { Database } from './db.js';
import { escalations } from './schema.js';

export interface ReferralRequest {
  id: string;
  consultationId: string;
  status: string;
  /** False when the same consultation had already been referred. */
  created: boolean;
}

export class ReferralStore {
  constructor(private readonly db: Database) {}

  /** Records the request once per consultation; the caller has checked that the consultation is the user's. */
  async request(consultationId: string, topic?: string): Promise<ReferralRequest> {
    return this.db.transaction(async (tx) => {
      const existing = await tx
        .select({ id: escalations.id, status: escalations.status })
        .from(escalations)
        .where(and(eq(escalations.consultationId, consultationId), eq(escalations.reason, 'requested')))
        .limit(1);
      if (existing[0]) return { ...existing[0], consultationId, created: false };
      const [row] = await tx
        .insert(escalations)
        .values({ consultationId, reason: 'requested', status: 'offered', topic: topic ?? null })
        .returning({ id: escalations.id, status: escalations.status });
      return { ...row!, consultationId, created: true };
    });
  }
}
