/** The real server (`src/main.ts`, embedded database in a temp DATA_DIR) and Debian's Chromium, for page tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll } from 'vitest';
import { ROOT } from '../helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
/** Where page tests leave their screenshots (ignored by git). */
export const SCREENSHOTS = path.join(ROOT, 'test-results');

export function startServer(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extraEnv };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = /ip-consult-bot listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** What a page test starts (its data directory, the server, the browser), stopped after the file's tests. */
export function pageTestResources(): { browser?: Browser; server?: ChildProcess; dataDir: string } {
  const held: { browser?: Browser; server?: ChildProcess; dataDir: string } = { dataDir: '' };
  afterAll(async () => {
    await held.browser?.close();
    if (held.server && held.server.exitCode === null) held.server.kill('SIGKILL');
    if (held.dataDir) await rm(held.dataDir, { recursive: true, force: true });
  });
  return held;
}
