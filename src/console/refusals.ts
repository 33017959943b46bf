/**
 * Refused console requests (another site's POST, a missing CSRF token, a page the role may not see) are
 * audited: the log shows who probed what. Anyone can send them by the thousand, though, and audit rows
 * cannot be deleted; so each source address gets a few audited refusals a minute, and past that is
 * answered 429 without a row. A fixed one-minute window is enough here: the point is a bounded number of
 * rows, not a smooth rate. The map is bounded too, so a sender rotating addresses cannot grow it.
 */
export const AUDITED_REFUSALS_PER_MINUTE = 20;
const MAX_ADDRESSES = 10_000;

export class RefusalBudget {
  private window = -1;
  private readonly counts = new Map<string, number>();

  constructor(private readonly perMinute = AUDITED_REFUSALS_PER_MINUTE) {}

  /** Counts a refusal from `address`; true while it may still be written to the audit log this minute. */
  take(address: string): boolean {
    const window = Math.floor(Date.now() / 60_000);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const known = this.counts.get(address);
    if (known === undefined && this.counts.size >= MAX_ADDRESSES) return false;
    const count = (known ?? 0) + 1;
    this.counts.set(address, count);
    return count <= this.perMinute;
  }
}
