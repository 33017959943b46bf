/**
 * Knowledge gaps: unanswered and low-confidence questions grouped by similarity, biggest groups first.
 * Each question becomes a vector of its informative words weighted by the knowledge base's IDF (the same
 * analysis retrieval uses, so 被抢注/恶意抢注 meet through the thesaurus); a single pass of leader
 * clustering joins a question to the closest group whose centroid it resembles at cosine ≥ 0.5, or starts
 * a new group. Linear in questions × groups, which stays fast for the few thousand a range holds.
 */
import type { Analyzer } from '../approved/matcher.js';

export interface Gap {
  /** The group's heaviest words. */
  terms: string[];
  count: number;
  /** Up to three distinct questions of the group, newest first. */
  examples: string[];
  notCovered: number;
}

const JOIN_AT = 0.5;

type Vector = Map<string, number>;

function norm(v: Vector): number {
  let s = 0;
  for (const x of v.values()) s += x * x;
  return Math.sqrt(s);
}

function cosine(a: Vector, b: Vector, bNorm: number): number {
  let dot = 0;
  for (const [k, x] of a) dot += x * (b.get(k) ?? 0);
  const n = norm(a) * bNorm;
  return n ? dot / n : 0;
}

export function clusterGaps(questions: { question: string; outcome: string }[], analyze: Analyzer, top = 15): Gap[] {
  const groups: { centroid: Vector; norm: number; count: number; examples: string[]; notCovered: number }[] = [];
  const vectors = new Map<string, Vector>();
  for (const { question, outcome } of questions) {
    let v = vectors.get(question);
    if (!v) {
      v = new Map();
      for (const g of analyze(question).groups) v.set(g.word, (v.get(g.word) ?? 0) + g.weight);
      vectors.set(question, v);
    }
    if (!v.size) continue;
    let best: (typeof groups)[number] | undefined;
    let bestSim = JOIN_AT;
    for (const group of groups) {
      const sim = cosine(v, group.centroid, group.norm);
      if (sim >= bestSim) {
        bestSim = sim;
        best = group;
      }
    }
    if (!best) {
      best = { centroid: new Map(), norm: 0, count: 0, examples: [], notCovered: 0 };
      groups.push(best);
    }
    for (const [k, x] of v) best.centroid.set(k, (best.centroid.get(k) ?? 0) + x);
    best.norm = norm(best.centroid);
    best.count++;
    if (outcome === 'not_covered') best.notCovered++;
    if (best.examples.length < 3 && !best.examples.includes(question)) best.examples.push(question);
  }
  return groups
    .sort((a, b) => b.count - a.count)
    .slice(0, top)
    .map((g) => ({
      terms: [...g.centroid].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k]) => k),
      count: g.count,
      examples: g.examples,
      notCovered: g.notCovered,
    }));
}
