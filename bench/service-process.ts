/**
 * The service as a user starts it, for the memory and start-up benchmarks: `npm start` in a checkout
 * (this one, or BENCH_ROOT for another, e.g. an older commit to compare with), its whole process tree read
 * from /proc, stopped with SIGTERM as a process manager would. Linux only (/proc).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = process.env.BENCH_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface RunningService {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the printed URL, and to the first /readyz 200. */
  listenMs: number;
  readyMs: number;
  /** Highest tree RSS seen while starting (sampled every 50 ms), in MB. */
  startPeakMb: number;
  output(): string;
  /**
   * SIGTERM to the process started (npm), as a process manager sends it; then waits up to 15 s for every
   * process of the tree to end. Those still running are killed and returned (an older `npm start` left its
   * node running), so that the next run does not find the data directory taken.
   */
  stop(): Promise<{ leftRunning: string[] }>;
}

/**
 * Processes of the tree below and including `pid`: pid, command, resident MB, and proportional MB (PSS:
 * pages shared between them, such as the node binary that npm and the service both map, counted once).
 */
export function processTree(pid: number): { pid: number; command: string; rssMb: number; pssMb: number }[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: { pid: number; command: string; rssMb: number; pssMb: number }[] = [];
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const command = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      const pssKb = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      out.push({ pid: p, command, rssMb: rssKb / 1024, pssMb: pssKb / 1024 });
    } catch {
      return;
    }
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return out;
}

export const treeRssMb = (pid: number) => processTree(pid).reduce((sum, p) => sum + p.rssMb, 0);
export const treePssMb = (pid: number) => processTree(pid).reduce((sum, p) => sum + p.pssMb, 0);

/** Starts `npm start` with `env` on top of a minimal environment; resolves once /readyz answers 200. */
export async function startService(env: Record<string, string>, command: string[] = ['npm', 'start']): Promise<RunningService> {
  const started = performance.now();
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'warn' };
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  const gone = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  let startPeakMb = 0;
  let listenMs = 0;
  let url = '';
  for (;;) {
    if (exited) throw new Error(`the service exited before it was ready:\n${output}`);
    startPeakMb = Math.max(startPeakMb, treeRssMb(child.pid!));
    const match = /listening on (http:\/\/\S+)/.exec(output);
    if (match && !url) {
      url = match[1]!;
      listenMs = performance.now() - started;
    }
    if (url) {
      const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
      if (status === 200) break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const readyMs = performance.now() - started;
  return {
    child,
    url,
    listenMs,
    readyMs,
    startPeakMb,
    output: () => output,
    async stop() {
      const tree = processTree(child.pid!).slice(1);
      if (!exited) child.kill('SIGTERM');
      await gone;
      const alive = () => tree.filter((p) => existsSync(`/proc/${p.pid}`) && !readFileSync(`/proc/${p.pid}/stat`, 'utf8').includes(') Z '));
      for (let waited = 0; alive().length && waited < 15_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      const left = alive();
      for (const p of left) process.kill(p.pid, 'SIGKILL');
      return { leftRunning: left.map((p) => p.command) };
    },
  };
}

/** A scratch Postgres database (created, and dropped by the returned function), or undefined when none is reachable. */
export async function scratchPostgres(baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test') {
  const { default: postgres } = await import('postgres');
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    await admin`select 1`;
  } catch {
    await admin.end({ timeout: 1 });
    return undefined;
  }
  const name = `ipcb_bench_${process.pid}_${Date.now()}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** min / median / max of `values`, formatted. */
export function spread(values: number[], digits = 2): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const f = (x: number) => x.toFixed(digits);
  return `${f(sorted[0]!)} / ${f(median)} / ${f(sorted[sorted.length - 1]!)}`;
}

/** The machine's load, to print beside figures taken on a shared machine. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) `pid` has used so far, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND; // utime, stime (fields 14, 15)
  } catch {
    return 0;
  }
}

/** Resident MB of `pid` alone. */
export function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
