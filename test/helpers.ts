import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGuard } from '../src/answer/guard.js';
import { createConsult } from '../src/consult.js';
import { KnowledgeBase } from '../src/knowledge/knowledge-base.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const KNOWLEDGE_DIR = path.join(ROOT, 'knowledge');
export const SEED_ID = 'zibo-ip-service-opinions-2023';

let shipped: Promise<KnowledgeBase> | undefined;

/** The shipped knowledge, opened once per test file (in memory, no cache). */
export function shippedKnowledge(): Promise<KnowledgeBase> {
  shipped ??= KnowledgeBase.open({ knowledgeDir: KNOWLEDGE_DIR });
  return shipped;
}

export async function shippedConsult() {
  const kb = await shippedKnowledge();
  return createConsult({ kb, guard: createGuard(kb.vocabulary) });
}

let seedOnly: Promise<KnowledgeBase> | undefined;

/**
 * The shipped knowledge without the national laws: the seed policy and the guides, as the first
 * deployments had it. Tests of how the pipeline treats a local policy and guidance use it, so that what
 * they assert does not change whenever a law is added; the laws have tests of their own.
 */
export function seedOnlyKnowledge(): Promise<KnowledgeBase> {
  seedOnly ??= seedOnlyDir().then((dir) => KnowledgeBase.open({ knowledgeDir: dir }));
  return seedOnly;
}

let seedDir: Promise<string> | undefined;

/** A copy of the shipped knowledge folder without the national laws (made once per test file). */
export function seedOnlyDir(): Promise<string> {
  seedDir ??= (async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'ipbot-seed-'));
    const dir = path.join(root, 'knowledge');
    await cp(KNOWLEDGE_DIR, dir, { recursive: true, filter: (src) => !src.startsWith(path.join(KNOWLEDGE_DIR, 'documents', 'laws')) });
    return dir;
  })();
  return seedDir;
}

export async function seedOnlyConsult() {
  const kb = await seedOnlyKnowledge();
  return createConsult({ kb, guard: createGuard(kb.vocabulary) });
}

/** A temporary copy of the knowledge folder that a test may change; removed by the returned cleanup. */
export async function tempKnowledgeCopy(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'ipbot-kb-'));
  const dir = path.join(root, 'knowledge');
  await cp(KNOWLEDGE_DIR, dir, { recursive: true });
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point as a user would (node + tsx), feeding `input` on stdin. */
export function runTsx(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: options.cwd ?? ROOT, env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
