/**
 * `npm run bench:crash`: the crash matrix. For every step × platform (src/failpoint.ts; the rows are in
 * test/ops/crash-matrix.ts) the real service is killed with SIGKILL at the step, restarted, and left to
 * finish while the platforms redeliver what was not acknowledged; then the replies each fake platform
 * received are counted: lost, duplicated, and re-sent but dropped by the platform's idempotency key.
 * Runs on PGlite, and also on Postgres with `--pg` or DATABASE_URL (a scratch database per row).
 * `--only=<step>[:<platform>]` runs the matching rows alone. Last, the Telegram duplicate window in time
 * (bench/telegram-window.ts).
 */
import { formatTable, MATRIX, runScenario, type DatabaseTarget, type Outcome } from '../test/ops/crash-matrix.js';
import { telegramWindow } from './telegram-window.js';

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const pgUrl = process.env.DATABASE_URL ?? (args.includes('--pg') ? 'postgres://postgres@127.0.0.1:5432/test' : undefined);
const targets: DatabaseTarget[] = [{ kind: 'pglite' }, ...(pgUrl ? [{ kind: 'postgres' as const, url: pgUrl }] : [])];
const rows = MATRIX.filter((s) => !only || `${s.step}:${s.platform}`.startsWith(only));

const outcomes: Outcome[] = [];
for (const target of targets) {
  for (const scenario of rows) {
    const outcome = await runScenario(scenario, target);
    outcomes.push(outcome);
    console.error(`${target.kind} ${scenario.step} ${scenario.platform}: lost ${outcome.lost}, duplicated ${outcome.duplicated}, dropped ${outcome.dropped}${outcome.crashed ? '' : ' (step not reached)'} — ${outcome.seconds.toFixed(1)} s`);
  }
}
console.log(formatTable(outcomes));
console.log('\nTelegram duplicate window (Bot API received the send → sent mark committed), 200 replies in 20 chats, sender concurrency 8:');
for (const target of targets) {
  const w = await telegramWindow(target);
  console.log(`- ${target.kind}: p50 ${w.p50} ms, p99 ${w.p99} ms, max ${w.max} ms (${w.replies} replies)`);
}
const bad = outcomes.filter((o) => !o.crashed || o.lost > 0 || o.apologies > 0 || (o.platform !== 'telegram' && o.duplicated > 0));
if (bad.length) {
  console.error(`\n${bad.length} row(s) broke the goal (no loss anywhere, no duplicate outside Telegram, every step reached).`);
  process.exitCode = 1;
}
