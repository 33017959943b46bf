/**
 * `npm run bench:live-reload`: how long after a document lands in the knowledge folder the running
 * service answers from it. The service runs as `npm start` does (its own process, embedded database, the
 * default KNOWLEDGE_RELOAD_MS) on a copy of `knowledge/`, while two users keep asking a question the seed
 * answers. Each round copies a new document in (a text PDF with its sidecar, or a Markdown file, in turn)
 * and asks the question only that document answers until an answer cites it; the round's figure is the time
 * from the copy to that answer, beside the rebuild's own time from the service's `knowledge reloaded` log
 * line (the rest is noticing the change and the next question). BENCH_N = 6 rounds; every answer given
 * meanwhile is checked too.
 */
import { copyFile, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadAverage, ROOT, spread, startService } from './service-process.js';

const N = Number(process.env.BENCH_N ?? 6);
const FIXTURE_PDF = path.join(ROOT, 'test', 'knowledge', 'fixtures', 'policy.pdf');
const PDF_QUESTION = '通过专利合作条约途径提交国际专利申请并进入国家阶段的，有资助吗？';
const SEED_QUESTION = '知识产权保险有哪些?';

const sidecar = (id: string) =>
  `id: ${id}\ntitle: 示例市知识产权资助管理办法（${id}）\ndocNumber: 示市监发〔2024〕${id.replace(/\D/g, '')}号\nissuers: 示例市市场监督管理局\nissueDate: "2024-03-01"\nstatus: 现行有效\nsource: 基准样例\n`;
const markdown = (id: string, term: string) =>
  `---\nid: ${id}\ntitle: 示例市${term}扶持办法\nissuers: [示例市市场监督管理局]\nissueDate: "2024-05-01"\nstatus: 现行有效\nsource: 基准样例\n---\n一、对开展${term}的企业，给予一次性奖励五万元。\n`;
/** Words no shipped document uses, so only the new Markdown document answers the question about it. */
const TERMS = ['星图登记', '月桂备案', '云杉评估', '琥珀托管', '珊瑚核验', '松塔认证'];

type Ask = (question: string, userId: string) => Promise<{ status: number; outcome: string; cited: string[] }>;

async function main() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ipcb-bench-reload-'));
  const knowledgeDir = path.join(root, 'knowledge');
  await cp(path.join(ROOT, 'knowledge'), knowledgeDir, { recursive: true });
  const documents = path.join(knowledgeDir, 'documents');
  const service = await startService({ DATA_DIR: path.join(root, 'data'), KNOWLEDGE_DIR: knowledgeDir, RATE_LIMIT_USER_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '100000', LOG_LEVEL: 'info' });
  const ask: Ask = async (question, userId) => {
    const res = await fetch(`${service.url}/api/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question, userId }) });
    const body = (await res.json()) as { outcome: string; citations?: { documentId: string }[] };
    return { status: res.status, outcome: body.outcome, cited: (body.citations ?? []).map((c) => c.documentId) };
  };

  let asking = true;
  let meanwhile = 0;
  const wrong: string[] = [];
  const asker = async (userId: string) => {
    while (asking) {
      const r = await ask(SEED_QUESTION, userId).catch((e: unknown) => ({ status: 0, outcome: String(e), cited: [] }));
      meanwhile++;
      if (r.status !== 200 || r.outcome !== 'answered') wrong.push(`${r.status} ${r.outcome}`);
      await new Promise((done) => setTimeout(done, 10));
    }
  };
  console.log(`load average before: ${loadAverage()}`);
  const askers = [asker('bench-a'), asker('bench-b')];
  const rows: { kind: string; seconds: number; rebuild: number }[] = [];
  try {
    for (let round = 0; round < N; round++) {
      const pdf = round % 2 === 0;
      const id = `bench-doc-${round}`;
      const term = TERMS[round % TERMS.length]!;
      const question = pdf ? PDF_QUESTION : `开展${term}的企业有什么奖励？`;
      if (pdf) {
        // Earlier PDF rounds' copies are removed first, so the question has one document to find.
        for (let earlier = 0; earlier < round; earlier += 2) {
          await rm(path.join(documents, `bench-doc-${earlier}.pdf`), { force: true });
          await rm(path.join(documents, `bench-doc-${earlier}.yaml`), { force: true });
        }
        await new Promise((done) => setTimeout(done, 3000)); // the removal reloads first
      }
      const started = performance.now();
      if (pdf) {
        await writeFile(path.join(documents, `${id}.yaml`), sidecar(id));
        await copyFile(FIXTURE_PDF, path.join(documents, `${id}.pdf`));
      } else {
        await writeFile(path.join(documents, `${id}.md`), markdown(id, term));
      }
      for (;;) {
        const r = await ask(question, 'bench-probe');
        if (r.cited.includes(id)) break;
        if (performance.now() - started > 120_000) throw new Error(`round ${round}: no answer from ${id} within 120 s`);
        await new Promise((done) => setTimeout(done, 50));
      }
      const seconds = (performance.now() - started) / 1000;
      rows.push({ kind: pdf ? 'PDF + sidecar' : 'Markdown', seconds, rebuild: rebuildMs(service.output(), id) / 1000 });
    }
  } finally {
    asking = false;
    await Promise.all(askers);
    await service.stop();
    await rm(root, { recursive: true, force: true });
  }
  console.log(`load average after: ${loadAverage()}`);
  console.log('| document added | rounds | copy to first answer citing it, s (min / median / max) | of which the rebuild, s |');
  console.log('|---|---|---|---|');
  for (const kind of ['PDF + sidecar', 'Markdown']) {
    const of = rows.filter((r) => r.kind === kind);
    if (of.length) console.log(`| ${kind} | ${of.length} | ${spread(of.map((r) => r.seconds))} | ${spread(of.map((r) => r.rebuild))} |`);
  }
  console.log(`questions answered meanwhile: ${meanwhile}, not answered from the seed: ${wrong.length}${wrong.length ? ` (${[...new Set(wrong)].join(', ')})` : ''}`);
}

/** The `ms` of the service's log line for the reload that added `id` (NaN when there is none). */
function rebuildMs(output: string, id: string): number {
  for (const line of output.split('\n')) {
    if (!line.includes('"knowledge reloaded"') || !line.includes(`"${id}"`)) continue;
    const entry = JSON.parse(line) as { ms: number; added: string[] };
    if (entry.added.includes(id)) return entry.ms;
  }
  return Number.NaN;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
