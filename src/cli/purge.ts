/**
 * `npm run db:purge -- --older-than 180d`: the service's retention purge, run by hand (default period: the
 * RETENTION setting): open cases of expired consultations are withdrawn (the agencies are told when the
 * service next sends), closed cases have what they shared erased, then consultations with their feedback,
 * old processed platform events and finished queue rows are deleted. Nothing younger than 24 h is deleted.
 */
import { parseArgs } from 'node:util';
import { openStore } from '../bootstrap.js';
import { usePrivateUmask } from '../store/file-modes.js';
import { ConfigError, loadConfig } from '../config.js';
import { loadCaseSetup } from '../escalation/case-setup.js';
import { CaseService } from '../escalation/case-service.js';
import { Outbox } from '../queue/outbox.js';
import { purgeExpired } from '../retention-purge.js';
import { cutoffFor } from '../store/retention.js';

const USAGE = 'Usage: npm run db:purge -- [--older-than <N>d|<N>h]   (default: RETENTION, 180d)';

async function main(): Promise<number> {
  usePrivateUmask();
  const { values } = parseArgs({ options: { 'older-than': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const config = loadConfig();
  const cutoff = cutoffFor(values['older-than'] ?? config.retention);
  const setup = loadCaseSetup(config);
  const { database: handle, store } = await openStore(config);
  try {
    const cases = new CaseService({ db: handle.db, outbox: new Outbox(handle.db), ...setup });
    const { log: counts, cases: retired, queues, approvedHits } = await purgeExpired({ db: handle.db, store, cases }, cutoff, 'cli:purge');
    const capped = counts.cutoff.getTime() !== cutoff.getTime() ? ' (capped: nothing younger than 24 h is purged)' : '';
    console.log(`Purged records created before ${counts.cutoff.toISOString()}${capped} on ${handle.driver}:`);
    console.log(`  consultations     ${counts.consultations}`);
    console.log(`  feedback          ${counts.feedback}`);
    console.log(`  conversations     ${counts.conversations}`);
    console.log(`  processed events  ${counts.processedEvents}`);
    console.log(`  cases withdrawn   ${retired.withdrawn}`);
    console.log(`  cases erased      ${retired.erased}`);
    console.log(`  approved hits     ${approvedHits}`);
    console.log(`  queue rows        ${queues.inbox + queues.outbox}`);
    return 0;
  } finally {
    await handle.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(`db:purge failed: ${error instanceof Error ? error.message : String(error)}`, `\n${USAGE}`);
    process.exitCode = 1;
  },
);
