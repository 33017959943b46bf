/**
 * `npm run bench:approved`: precision and recall of approved-answer matching at several thresholds, on the
 * labelled set eval/approved-matching.jsonl. Every approved question is in the matcher at once; each
 * paraphrase should return its own approved answer, each near miss and unrelated question none.
 * - precision: of the questions that got an approved answer, the share that got the right one;
 * - recall: of the paraphrases (and the approved questions themselves), the share that got theirs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KnowledgeBase } from '../src/knowledge/knowledge-base.js';
import { MATCH_THRESHOLD, Matcher } from '../src/approved/matcher.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Entry {
  approved?: string;
  paraphrases?: string[];
  near?: string[];
  unrelated?: string[];
}

const entries = (await readFile(path.join(ROOT, 'eval/approved-matching.jsonl'), 'utf8'))
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Entry);
const kb = await KnowledgeBase.open({ knowledgeDir: path.join(ROOT, 'knowledge') });
const approved = entries.filter((e) => e.approved).map((e, i) => ({ item: i, question: e.approved! }));
const matcher = new Matcher(approved, (t) => kb.analyze(t));

/** Each probe: its text and the approved answer it should get (undefined: none). */
const probes: { text: string; expect?: number; kind: string }[] = [];
entries.forEach((e) => {
  const own = approved.findIndex((a) => a.question === e.approved);
  if (e.approved) probes.push({ text: e.approved, expect: own, kind: 'self' });
  for (const p of e.paraphrases ?? []) probes.push({ text: p, expect: own, kind: 'paraphrase' });
  for (const n of e.near ?? []) probes.push({ text: n, kind: 'near' });
  for (const u of e.unrelated ?? []) probes.push({ text: u, kind: 'unrelated' });
});
const ranked = probes.map((p) => ({ ...p, top: matcher.ranked(p.text)[0] }));

console.log(`approved questions ${approved.length}; probes: ${probes.filter((p) => p.kind === 'paraphrase').length} paraphrases, ${probes.filter((p) => p.kind === 'near').length} near misses, ${probes.filter((p) => p.kind === 'unrelated').length} unrelated`);
console.log('threshold  precision  recall  false matches  missed paraphrases');
for (const threshold of [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]) {
  let returned = 0;
  let right = 0;
  let wantedBack = 0;
  let gotBack = 0;
  const falses: string[] = [];
  const missed: string[] = [];
  for (const p of ranked) {
    const hit = p.top && p.top.similarity >= threshold ? p.top.item : undefined;
    if (hit !== undefined) {
      returned++;
      if (hit === p.expect) right++;
      else falses.push(`${p.text} → ${approved[hit]!.question} (${p.top!.similarity.toFixed(2)})`);
    }
    if (p.expect !== undefined) {
      wantedBack++;
      if (hit === p.expect) gotBack++;
      else if (p.kind === 'paraphrase') missed.push(`${p.text} (${p.top?.similarity.toFixed(2)})`);
    }
  }
  const mark = threshold === MATCH_THRESHOLD ? ' ← MATCH_THRESHOLD' : '';
  console.log(`${threshold.toFixed(2).padEnd(9)}  ${(returned ? right / returned : 1).toFixed(2).padEnd(9)}  ${(gotBack / wantedBack).toFixed(2).padEnd(6)}  ${String(falses.length).padEnd(13)}  ${missed.length}${mark}`);
  if (process.argv.includes('--verbose')) {
    for (const f of falses) console.log(`    false: ${f}`);
    for (const m of missed) console.log(`    missed: ${m}`);
  }
}
