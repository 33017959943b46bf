/**
 * `npm run bench:hanging-model`: how long a user waits when the configured model never answers. The
 * service runs as `npm start` does (its own process, embedded database) with LLM_BASE_URL pointing at a
 * fake OpenAI-compatible server that accepts each request and never sends a byte. Asks BENCH_N = 10
 * questions over `POST /api/v1/ask` one after another, with the default settings and, for comparison,
 * with LLM_FIRST_TOKEN_MS=0 (wait for the whole budget, LLM_BUDGET_MS, as before the first-token deadline).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FakeOpenAI } from '../test/fakes/openai-server.js';
import { loadAverage, spread, startService } from './service-process.js';

const N = Number(process.env.BENCH_N ?? 10);
const QUESTIONS = ['知识产权保险有哪些?', '专利导航有什么支持?', '商标被抢注了怎么办？', '版权示范企业创建有什么要求?', 'What support is there for IP pledge financing?'];

async function waits(extra: Record<string, string>, n: number): Promise<{ seconds: number[]; answerers: string[] }> {
  const model = new FakeOpenAI();
  model.chat = [{ hang: true }];
  await model.start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-hang-'));
  const service = await startService({ DATA_DIR: dataDir, KNOWLEDGE_RELOAD_MS: '0', LLM_BASE_URL: model.baseUrl, LLM_API_KEY: 'sk-bench', LLM_MODEL: 'silent', ...extra });
  const seconds: number[] = [];
  const answerers: string[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      const res = await fetch(`${service.url}/api/v1/ask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question: QUESTIONS[i % QUESTIONS.length], userId: `bench-${i}` }),
      });
      const body = (await res.json()) as { answerer?: string };
      seconds.push((performance.now() - started) / 1000);
      answerers.push(`${res.status} ${body.answerer ?? '?'}`);
    }
  } finally {
    await service.stop();
    await model.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return { seconds, answerers };
}

async function main() {
  console.log(`load average before: ${loadAverage()}`);
  const rows: [string, Awaited<ReturnType<typeof waits>>][] = [
    ['defaults (LLM_FIRST_TOKEN_MS 5000, LLM_BUDGET_MS 30000)', await waits({}, N)],
    ['LLM_FIRST_TOKEN_MS=0 (the whole budget)', await waits({ LLM_FIRST_TOKEN_MS: '0' }, Math.min(N, 3))],
  ];
  console.log(`load average after: ${loadAverage()}`);
  console.log('| settings | questions | wait for the answer, s (min / median / max) | status, answerer |');
  console.log('|---|---|---|---|');
  for (const [name, r] of rows) {
    const kinds = [...new Set(r.answerers)].map((k) => `${k} × ${r.answerers.filter((a) => a === k).length}`).join(', ');
    console.log(`| ${name} | ${r.seconds.length} | ${spread(r.seconds)} | ${kinds} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
