/**
 * `npm run bench:startup`: time from `npm start` to the printed URL and to the first /readyz 200, on a
 * fresh DATA_DIR (nothing there: the database is created and the index built) and warm (the same DATA_DIR
 * again), BENCH_RUNS = 5 runs each, embedded database. BENCH_ROOT runs another checkout the same way.
 * Prints min / median / max in seconds, with the load average (the machine may be shared).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadAverage, ROOT, spread, startService } from './service-process.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function once(dataDir: string) {
  const service = await startService({ DATA_DIR: dataDir, KNOWLEDGE_RELOAD_MS: '0' });
  const { leftRunning } = await service.stop();
  if (leftRunning.length) console.log(`  SIGTERM to npm start left running after 15 s (killed): ${leftRunning.join('; ').slice(0, 200)}`);
  return { listen: service.listenMs / 1000, ready: service.readyMs / 1000, peak: service.startPeakMb };
}

async function main() {
  console.log(`checkout ${ROOT}; ${RUNS} runs each; load average before: ${loadAverage()}`);
  const fresh: Awaited<ReturnType<typeof once>>[] = [];
  const warm: Awaited<ReturnType<typeof once>>[] = [];
  const dirs: string[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-start-'));
      dirs.push(dir);
      fresh.push(await once(dir));
      warm.push(await once(dir));
    }
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
  console.log(`load average after: ${loadAverage()}`);
  console.log('| data directory | to URL printed, s (min / median / max) | to /readyz 200, s | start peak RSS, MB |');
  console.log('|---|---|---|---|');
  for (const [name, runs] of [['fresh', fresh], ['warm', warm]] as const) {
    console.log(`| ${name} | ${spread(runs.map((r) => r.listen))} | ${spread(runs.map((r) => r.ready))} | ${spread(runs.map((r) => r.peak), 0)} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
