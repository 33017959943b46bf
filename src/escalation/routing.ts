/**
 * Picks the agency for a case: those that serve its field, service and district and have not had it before,
 * agencies of the case's own district before city-wide ones; among them the one with the fewest open cases
 * under its capacity (Chatwoot's "balanced" rule), ties by id.
 * The candidate agency rows are locked for the routing transaction, so two instances routing at once never
 * count the same free slot twice. (SKIP LOCKED would make a busy moment look like "no agency free" and send
 * cases to the staff queue; the cases themselves are claimed with SKIP LOCKED where work is picked up: timers.)
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../store/db.js';
import type { Agency, AgencyRegistry } from './agencies.js';
import { WITH_AGENCY } from '../cases/core.js';
import { serves, type Needs } from './intake.js';

export async function pickAgency(tx: Database, registry: AgencyRegistry, needs: Needs, exclude: readonly string[]): Promise<Agency | undefined> {
  const candidates = registry.routable().filter((a) => !exclude.includes(a.id) && serves(a, needs));
  const local = candidates.filter((a) => a.districts !== 'all');
  return (local.length ? await leastBusy(tx, registry, local) : undefined) ?? leastBusy(tx, registry, candidates.filter((a) => a.districts === 'all'));
}

async function leastBusy(tx: Database, registry: AgencyRegistry, candidates: Agency[]): Promise<Agency | undefined> {
  if (!candidates.length) return undefined;
  const ids = sql.join(candidates.map((a) => sql`${a.id}`), sql`, `);
  // Locked in id order (no deadlock between two routers), then counted: a concurrent router waits for this
  // transaction and then sees its new case, so a free slot is never handed out twice.
  await queryRows(tx, sql`select id from agencies where active and id in (${ids}) order by id for update`);
  const open = sql.join(WITH_AGENCY.map((s) => sql`${s}`), sql`, `);
  const rows = await queryRows<{ id: string; open: number | string; capacity: number }>(
    tx,
    sql`select a.id, a.capacity, (select count(*) from cases c where c.agency_id = a.id and c.status in (${open})) as open
        from agencies a where a.active and a.id in (${ids})`,
  );
  const free = rows
    .map((r) => ({ id: r.id, open: Number(r.open), capacity: Number(r.capacity) }))
    .filter((r) => r.open < r.capacity)
    .sort((a, b) => a.open - b.open || a.id.localeCompare(b.id))[0];
  return free ? registry.get(free.id) : undefined;
}
