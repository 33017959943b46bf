/**
 * Runs one fuzz target against the service and checks each request: an answer within 10 s, no 5xx, the
 * service still healthy, nothing unhandled in the process, and no log line (of the request or of the queue
 * work it set off) holding a secret, a session or CSRF token or unmasked personal data, or logged as an error.
 */
import fc from 'fast-check';
import { ConsoleAccounts } from '../../src/store/console-accounts.js';
import { FRESH, type FuzzRequest, type FuzzTarget } from './fuzz-targets.js';
import { PLANTED_PII, type FuzzService } from './fuzz-service.js';

const ANSWER_WITHIN_MS = 10_000;

export interface FuzzResult {
  route: string;
  runs: number;
  statuses: Record<string, number>;
  ms: number;
  /** The first failing input and what was wrong; undefined when every run passed. */
  failure?: { problem: string; request: string };
}

/** Problems in log lines: what must never be logged, and errors. */
export function logProblems(lines: string[], secrets: string[]): string[] {
  const problems: string[] = [];
  for (const line of lines) {
    for (const secret of secrets) if (line.includes(secret)) problems.push(`a secret in the log: ${line.slice(0, 300)}`);
    for (const pii of PLANTED_PII) if (line.includes(pii)) problems.push(`unmasked personal data in the log: ${line.slice(0, 300)}`);
    const level = /"level":(\d+)/.exec(line)?.[1];
    if (level && Number(level) >= 50) problems.push(`an error logged: ${line.slice(0, 600)}`);
  }
  return problems;
}

/** Caught by the process while fuzzing: unhandled rejections and exceptions would crash the service. */
const unhandled: string[] = [];
let listening = false;
function watchProcess() {
  if (listening) return;
  listening = true;
  process.on('unhandledRejection', (reason) => unhandled.push(`unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`));
  process.on('uncaughtExceptionMonitor', (error) => unhandled.push(`uncaught exception: ${error.stack ?? String(error)}`));
}

export const describeRequest = (r: FuzzRequest) => {
  const payload = r.payload === undefined ? '' : Buffer.isBuffer(r.payload) ? `<${r.payload.length} bytes: ${r.payload.toString('hex').slice(0, 200)}>` : String(r.payload);
  return `${r.method} ${r.url.slice(0, 300)}${r.url.length > 300 ? `…(${r.url.length})` : ''} ${JSON.stringify(r.headers ?? {}).slice(0, 400)} ${JSON.stringify(payload.slice(0, 600))}${payload.length > 600 ? `…(${payload.length})` : ''}`;
};

async function withFreshSession(f: FuzzService, request: FuzzRequest): Promise<FuzzRequest> {
  const accounts = new ConsoleAccounts(f.service.db);
  const admin = (await accounts.byUsername('fuzz-admin'))!;
  const { token, csrfToken } = await accounts.startSession(admin.id, 3_600_000);
  f.secrets.push(token, csrfToken);
  const swap = (s: string) => s.replaceAll(FRESH.cookie.split('=')[1]!, token).replaceAll(FRESH.csrf, csrfToken);
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k, typeof v === 'string' ? swap(v) : v]));
  return { ...request, headers, payload: typeof request.payload === 'string' ? swap(request.payload) : request.payload };
}

async function check(f: FuzzService, target: FuzzTarget, request: FuzzRequest, statuses: Record<string, number>): Promise<string | undefined> {
  const sent = target.freshSession ? await withFreshSession(f, request) : request;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), ANSWER_WITHIN_MS)));
  const res = await Promise.race([f.service.app.inject(sent), hang]).finally(() => clearTimeout(timer));
  if (res === 'hang') return `no answer within ${ANSWER_WITHIN_MS / 1000} s`;
  statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
  const lines = f.logs.splice(0);
  if (res.statusCode >= 500) return `answered ${res.statusCode}; logged: ${lines.filter((l) => /"level":50/.test(l)).join('\n').slice(0, 1500)}`;
  const problems = [...logProblems(lines, f.secrets), ...unhandled.splice(0)];
  if (problems.length) return problems.slice(0, 3).join('\n');
  return undefined;
}

export async function runTarget(f: FuzzService, target: FuzzTarget, options: { runs: number; seed: number }): Promise<FuzzResult> {
  watchProcess();
  const statuses: Record<string, number> = {};
  const started = Date.now();
  let problem: string | undefined;
  const details = await fc.check(
    fc.asyncProperty(target.request(f), async (request) => {
      problem = await check(f, target, request, statuses).catch((error: unknown) => `the request threw: ${String((error as Error)?.stack ?? error)}`);
      return problem === undefined;
    }),
    { numRuns: options.runs, seed: options.seed, endOnFailure: true },
  );
  // What the run's last requests set off in the queue logs a little later: it counts for this target.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const late = [...logProblems(f.logs.splice(0), f.secrets), ...unhandled.splice(0)];
  if (!problem && late.length) problem = `after the run: ${late.slice(0, 3).join('\n')}`;
  const health = await f.service.app.inject({ method: 'GET', url: '/healthz' });
  if (!details.failed && health.statusCode !== 200) problem = `unhealthy after the run: ${health.statusCode}`;
  const runs = Object.values(statuses).reduce((a, b) => a + b, 0);
  const failing = details.counterexample?.[0] as FuzzRequest | undefined;
  return {
    route: target.route,
    runs,
    statuses,
    ms: Date.now() - started,
    ...(problem ? { failure: { problem, request: failing ? describeRequest(failing) : '(after the run)' } } : {}),
  };
}
