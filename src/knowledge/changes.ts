/** What changed between two indexes, document by document (by id; a document is changed when its file or sidecar bytes are). */
import type { DocumentSource } from './index-build.js';

export interface KnowledgeChanges {
  added: DocumentSource[];
  changed: { before: DocumentSource; after: DocumentSource }[];
  removed: DocumentSource[];
  unchanged: number;
}

export function compareSources(before: DocumentSource[], after: DocumentSource[]): KnowledgeChanges {
  const old = new Map(before.map((s) => [s.id, s]));
  const now = new Set(after.map((s) => s.id));
  const changes: KnowledgeChanges = { added: [], changed: [], removed: before.filter((s) => !now.has(s.id)), unchanged: 0 };
  for (const s of after) {
    const prior = old.get(s.id);
    if (!prior) changes.added.push(s);
    else if (prior.hash !== s.hash || prior.file !== s.file) changes.changed.push({ before: prior, after: s });
    else changes.unchanged++;
  }
  return changes;
}

/** e.g. "2 added, 1 changed, 0 removed". */
export function summarizeChanges(c: KnowledgeChanges): string {
  return `${c.added.length} added, ${c.changed.length} changed, ${c.removed.length} removed`;
}
