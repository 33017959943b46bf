/**
 * The case side of sending: the user's contact lives only in `cases`, encrypted. A message to an agency
 * names the case and whether the user gave a contact; the contact is read and decrypted here, just before
 * the send, and only while the case is still with that agency (a withdrawal or a move to another agency in
 * between erases it). A message posted in an agency's chat is linked to its case, for the agency's replies.
 */
import { eq } from 'drizzle-orm';
import { agencyMaySeeContact } from '../cases/core.js';
import type { SendHooks } from '../queue/sender.js';
import { linkAgencyMessage } from '../store/case-agency-messages.js';
import type { Database } from '../store/db.js';
import { cases } from '../store/schema.js';
import { openContact, type DataKey } from './data-key.js';
import { CONTACT_SLOT, NO_CONTACT } from './notices.js';

export function caseDeliveryHooks(deps: { db: Database; dataKey?: DataKey }): SendHooks {
  return {
    async prepare(reply) {
      const ref = reply.agencyCase;
      if (!ref?.contact) return reply;
      const contact = await readContact(deps, ref.caseId, ref.agencyId);
      if (reply.kind === 'agency_event' && reply.event) {
        return contact ? { ...reply, event: { ...reply.event, data: { ...reply.event.data, contact } } } : reply;
      }
      return { ...reply, text: fillSlot(reply.text, contact ?? NO_CONTACT) };
    },
    async delivered(reply, receipt) {
      const ref = reply.agencyCase;
      if (!ref || !receipt?.messageId || reply.kind === 'agency_event') return;
      await linkAgencyMessage(deps.db, { channel: reply.channel, chatId: reply.chatId, platformMessageId: receipt.messageId, caseId: ref.caseId, agencyId: ref.agencyId });
    },
  };
}

async function readContact(deps: { db: Database; dataKey?: DataKey }, caseId: string, agencyId: string): Promise<string | undefined> {
  const [c] = await deps.db.select({ agencyId: cases.agencyId, status: cases.status, contactCipher: cases.contactCipher }).from(cases).where(eq(cases.id, caseId));
  if (!c?.contactCipher || !agencyMaySeeContact(c, agencyId)) return undefined;
  return openContact(deps.dataKey, c.contactCipher);
}

/** The slot is in the last line but one of the message; the user's question above it could hold the same characters. */
function fillSlot(text: string, value: string): string {
  const at = text.lastIndexOf(CONTACT_SLOT);
  return at < 0 ? text : `${text.slice(0, at)}${value}${text.slice(at + CONTACT_SLOT.length)}`;
}
