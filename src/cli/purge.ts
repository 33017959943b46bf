/**
 * `npm run db:purge -- --older-than 180d`: deletes consultations older than the period (default: the
 * RETENTION setting), with their feedback and escalations, and old processed platform events.
 * Nothing younger than 24 h is ever deleted.
 */
import { parseArgs } from 'node:util';
import { openStore } from '../bootstrap.js';
import { ConfigError, loadConfig } from '../config.js';
import { cutoffFor } from '../store/retention.js';

const USAGE = 'Usage: npm run db:purge -- [--older-than <N>d|<N>h]   (default: RETENTION, 180d)';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'older-than': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const config = loadConfig();
  const cutoff = cutoffFor(values['older-than'] ?? config.retention);
  const { database: handle, store } = await openStore(config);
  try {
    const counts = await store.purgeOlderThan(cutoff, 'cli:purge');
    const capped = counts.cutoff.getTime() !== cutoff.getTime() ? ' (capped: nothing younger than 24 h is purged)' : '';
    console.log(`Purged records created before ${counts.cutoff.toISOString()}${capped} on ${handle.driver}:`);
    console.log(`  consultations     ${counts.consultations}`);
    console.log(`  feedback          ${counts.feedback}`);
    console.log(`  escalations       ${counts.escalations}`);
    console.log(`  conversations     ${counts.conversations}`);
    console.log(`  processed events  ${counts.processedEvents}`);
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
