/**
 * `npm run bench:fuzz`: every HTTP entry point fuzzed with FUZZ_RUNS generated malformed requests (default
 * 10 000 each, seed FUZZ_SEED), against the whole service on the embedded database; FUZZ_ONLY=<text> keeps
 * the targets whose route contains it. Prints one row per entry point (runs, status codes seen, time, the
 * first failure) and exits 1 when any failed. The CI test (test/security/fuzz.test.ts) runs fewer.
 */
import { TARGETS } from '../test/security/fuzz-targets.js';
import { runTarget, type FuzzResult } from '../test/security/fuzz-run.js';
import { startFuzzService } from '../test/security/fuzz-service.js';

const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
const seed = Number(process.env.FUZZ_SEED ?? 20261203);
const only = process.env.FUZZ_ONLY;

const fuzz = await startFuzzService();
const results: FuzzResult[] = [];
const started = Date.now();
try {
  for (const target of TARGETS.filter((t) => !only || t.route.includes(only))) {
    const result = await runTarget(fuzz, target, { runs, seed });
    results.push(result);
    const codes = Object.entries(result.statuses).map(([code, n]) => `${code}×${n}`).join(' ');
    console.log(`${result.failure ? 'FAIL' : 'ok  '} ${result.route.padEnd(56)} ${String(result.runs).padStart(6)} runs ${(result.ms / 1000).toFixed(1).padStart(7)} s  ${codes}`);
    if (result.failure) console.log(`     ${result.failure.problem}\n     input: ${result.failure.request}`);
  }
} finally {
  await fuzz.stop();
}
const total = results.reduce((a, r) => a + r.runs, 0);
const failed = results.filter((r) => r.failure);
console.log(`\n${results.length} entry points, ${total} requests in ${((Date.now() - started) / 1000).toFixed(0)} s (seed ${seed}); ${failed.length} failed${failed.length ? `: ${failed.map((r) => r.route).join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
