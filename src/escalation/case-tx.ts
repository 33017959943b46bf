/**
 * One case transaction: the repository and the writer over it, and what happens after the commit (the
 * sender woken for the rows queued). Every command and every timer runs through `transact`.
 */
import type { Database } from '../store/db.js';
import type { Agency } from './agencies.js';
import type { CaseServiceDeps } from './case-deps.js';
import { CaseRepository } from './case-repository.js';
import { CaseWriter } from './case-writer.js';

export interface CaseTx {
  tx: Database;
  repo: CaseRepository;
  writer: CaseWriter;
  deps: CaseServiceDeps;
  now: () => Date;
}

export const clockOf = (deps: CaseServiceDeps): (() => Date) => deps.now ?? (() => new Date());

export async function transact<T>(deps: CaseServiceDeps, work: (ctx: CaseTx) => Promise<T>): Promise<T> {
  const now = clockOf(deps);
  let queued: CaseWriter['queued'] = new Set();
  const result = await deps.db.transaction(async (tx) => {
    const repo = new CaseRepository(tx, now);
    const writer = new CaseWriter(tx, repo, { ...deps, now });
    queued = writer.queued;
    return work({ tx, repo, writer, deps, now });
  });
  for (const channel of queued) deps.failpoint?.('case.committed', { channel });
  if (queued.size) deps.onQueued?.();
  return result;
}

export function agencyIn(deps: CaseServiceDeps, id: string): Agency {
  const agency = deps.registry.get(id);
  if (!agency) throw new Error(`agency ${id} is no longer in the registry`);
  return agency;
}
