/**
 * Picks the agency for a case: those that serve its field, service and district and have not had it before,
 * agencies of the case's own district before city-wide ones; among them the one with the fewest open cases
 * under its capacity (Chatwoot's "balanced" rule), ties by id.
 * The agency rows are locked FOR UPDATE SKIP LOCKED, so two instances routing at once never count the same
 * free slot twice: the second skips the locked agency and takes the next one.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../store/db.js';
import type { Agency, AgencyRegistry } from './agencies.js';
import { WITH_AGENCY } from './case-states.js';
import { serves, type Needs } from './intake.js';

export async function pickAgency(tx: Database, registry: AgencyRegistry, needs: Needs, exclude: readonly string[]): Promise<Agency | undefined> {
  const candidates = registry.routable().filter((a) => !exclude.includes(a.id) && serves(a, needs));
  const local = candidates.filter((a) => a.districts !== 'all');
  return (local.length ? await leastBusy(tx, registry, local) : undefined) ?? leastBusy(tx, registry, candidates.filter((a) => a.districts === 'all'));
}

async function leastBusy(tx: Database, registry: AgencyRegistry, candidates: Agency[]): Promise<Agency | undefined> {
  if (!candidates.length) return undefined;
  const ids = sql.join(candidates.map((a) => sql`${a.id}`), sql`, `);
  const open = sql.join(WITH_AGENCY.map((s) => sql`${s}`), sql`, `);
  const rows = await queryRows<{ id: string; open: number; capacity: number }>(
    tx,
    sql`select a.id, a.capacity, (select count(*)::int from cases c where c.agency_id = a.id and c.status in (${open})) as open
        from agencies a
        where a.active and a.id in (${ids})
        order by open, a.id
        for update of a skip locked`,
  );
  const free = rows.find((r) => Number(r.open) < Number(r.capacity));
  return free ? registry.get(free.id) : undefined;
}
