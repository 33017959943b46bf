/**
 * Knowledge gaps: unanswered and low-confidence questions grouped by similarity, biggest groups first.
 * Each question becomes a vector of its informative words weighted by the knowledge base's IDF, with its
 * sub-words at 0.8 (the analysis retrieval uses); a single pass of leader
 * clustering joins a question to the closest group whose centroid it resembles at cosine ≥ 0.5, or starts
 * a new group. Repeated questions are clustered once with their count, and question vectors are cached,
 * so the cost is distinct questions × groups.
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

function cosine(a: Vector, aNorm: number, b: Vector, bNorm: number): number {
  let dot = 0;
  for (const [k, x] of a) dot += x * (b.get(k) ?? 0);
  const n = aNorm * bNorm;
  return n ? dot / n : 0;
}

/** Vectors of questions seen before, per analyser (a knowledge reload brings new weights). */
const cache = new WeakMap<Analyzer, Map<string, Vector>>();
const CACHE_LIMIT = 20_000;

function vectorOf(question: string, analyze: Analyzer): Vector {
  let known = cache.get(analyze);
  if (!known || known.size > CACHE_LIMIT) cache.set(analyze, (known = new Map()));
  let v = known.get(question);
  if (!v) {
    v = new Map();
    for (const g of analyze(question).groups) {
      v.set(g.word, (v.get(g.word) ?? 0) + g.weight);
      // Sub-words count too (青岛市 → 青岛), a little less, as in the knowledge base's own coverage.
      for (const part of g.parts) v.set(part, (v.get(part) ?? 0) + 0.8 * g.weight);
    }
    known.set(question, v);
  }
  return v;
}

export function clusterGaps(questions: { question: string; outcome: string }[], analyze: Analyzer, top = 15): Gap[] {
  // The same question asked many times is clustered once, with its count (newest first is kept).
  const distinct = new Map<string, { count: number; notCovered: number }>();
  for (const { question, outcome } of questions) {
    const d = distinct.get(question) ?? { count: 0, notCovered: 0 };
    d.count++;
    if (outcome === 'not_covered') d.notCovered++;
    distinct.set(question, d);
  }
  const groups: { centroid: Vector; norm: number; count: number; examples: string[]; notCovered: number }[] = [];
  for (const [question, seen] of distinct) {
    const v = vectorOf(question, analyze);
    if (!v.size) continue;
    const vNorm = norm(v);
    let best: (typeof groups)[number] | undefined;
    let bestSim = JOIN_AT;
    for (const group of groups) {
      const sim = cosine(v, vNorm, group.centroid, group.norm);
      if (sim >= bestSim) {
        bestSim = sim;
        best = group;
      }
    }
    if (!best) {
      best = { centroid: new Map(), norm: 0, count: 0, examples: [], notCovered: 0 };
      groups.push(best);
    }
    for (const [k, x] of v) best.centroid.set(k, (best.centroid.get(k) ?? 0) + x * seen.count);
    best.norm = norm(best.centroid);
    best.count += seen.count;
    best.notCovered += seen.notCovered;
    if (best.examples.length < 3) best.examples.push(question);
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
