/** The link from a message posted in an agency's chat to its case (an agency answers by replying to it). */
import { and, eq } from 'drizzle-orm';
import type { ChannelName } from '../types.js';
import type { Database } from './db.js';
import { caseAgencyMessages } from './schema.js';

export async function linkAgencyMessage(db: Database, link: { channel: ChannelName; chatId: string; platformMessageId: string; caseId: string; agencyId: string }): Promise<void> {
  await db.insert(caseAgencyMessages).values(link).onConflictDoNothing();
}

/** The case of the agency's that a posted message belongs to, if any. */
export async function caseOfAgencyMessage(db: Database, where: { channel: ChannelName; chatId: string; platformMessageId: string; agencyId: string }): Promise<string | undefined> {
  const [row] = await db
    .select({ caseId: caseAgencyMessages.caseId })
    .from(caseAgencyMessages)
    .where(
      and(
        eq(caseAgencyMessages.channel, where.channel),
        eq(caseAgencyMessages.chatId, where.chatId),
        eq(caseAgencyMessages.platformMessageId, where.platformMessageId),
        eq(caseAgencyMessages.agencyId, where.agencyId),
      ),
    );
  return row?.caseId;
}
