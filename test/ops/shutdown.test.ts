/**
 * Whatever starts the service can stop it: SIGTERM or SIGINT to `npm start` (npm → sh → node, where npm
 * forwards the signal to its child and `exec` makes node that child) or to a systemd-style
 * `node dist/src/main.js` drains and exits within 10 s, and leaves no process behind. Start-up says what
 * it is doing before the URL. Runs the compiled service, as `npm start` does (built at install).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const MAIN = path.join(ROOT, 'dist/src/main.js');
const dirs: string[] = [];

beforeAll(() => {
  // `npm install` / `npm ci` build dist/ (the prepare script); build here only on a checkout that was never installed.
  if (!existsSync(MAIN)) expect(spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' }).status).toBe(0);
}, 180_000);
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function start(command: string, args: string[]): Promise<Started> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-stop-'));
  dirs.push(dataDir);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' };
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      }
    }, 20);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`exited before listening:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

/** Pids of every process below `pid` (from /proc). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (parents.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function stopWithin(started: Started, signal: NodeJS.Signals, ms: number) {
  const below = descendants(started.child.pid!);
  started.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([started.exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  clearTimeout(timer);
  if (result === 'timeout') {
    for (const pid of [started.child.pid!, ...below]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  return { result, below, left: below.filter(alive) };
}

describe('stopping the service', { timeout: 120_000 }, () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('npm start stops on %s: node drains and exits, nothing is left', async (signal) => {
    const started = await start('npm', ['start']);
    expect(started.output()).toMatch(/opening the database[\s\S]*loading knowledge[\s\S]*knowledge: [\s\S]*database open[\s\S]*listening on/);
    expect((await fetch(`${started.url}/readyz`)).status).toBe(200);
    const { result, below, left } = await stopWithin(started, signal, 10_000);
    expect(below.length).toBeGreaterThan(0); // node ran below npm
    expect(result).toEqual({ code: 0, signal: null });
    expect(left).toEqual([]);
    expect(started.output()).toContain(`ip-consult-bot stopped (${signal})`);
  });

  it('node dist/src/main.js (a systemd unit, a process manager) serves every page, then stops on SIGTERM', async () => {
    const started = await start(process.execPath, [MAIN]);
    // The compiled service reads the pages' files from the project, as the sources do.
    for (const asset of ['/', '/console/assets/console.css', '/console/assets/analytics.js', '/console/assets/vendor/echarts.min.js']) {
      const response = await fetch(`${started.url}${asset}`);
      await response.arrayBuffer(); // a response still being read keeps its connection busy
      expect(response.status, asset).toBe(200);
    }
    expect(started.output()).not.toMatch(/must exist/);
    const { result, left } = await stopWithin(started, 'SIGTERM', 10_000);
    expect(result).toEqual({ code: 0, signal: null });
    expect(left).toEqual([]);
  });
});
