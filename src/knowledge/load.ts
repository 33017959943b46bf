import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import matter from 'gray-matter';
import { z } from 'zod/v4';
import { DOCUMENT_LEVELS, type DocumentMeta, type KnowledgeDocument } from '../types.js';

/** Files under the knowledge folder that are not documents. */
export const DICTIONARY_FILE = 'dictionary.txt';
export const THESAURUS_FILE = 'thesaurus.txt';
const NOT_DOCUMENTS = new Set([DICTIONARY_FILE, THESAURUS_FILE, 'README.md']);
const DOCUMENT_EXT = new Set(['.md', '.txt']);

const isoDate = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v.trim()))
  .pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD'));
const text = z.string().trim().min(1);
const list = z.union([text.transform((s) => [s]), z.array(text).min(1)]);

const metaSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lower-case letters, digits, . _ -'),
  title: text,
  docNumber: text.optional(),
  issuers: list,
  issueDate: isoDate,
  region: text.optional(),
  /** Where the document sits in the hierarchy; `guidance` is explanatory text, never policy. */
  level: z.enum(DOCUMENT_LEVELS).optional(),
  /** Ids of documents this one replaces. */
  supersedes: z.union([text.transform((s) => [s]), z.array(text)]).default([]),
  status: text,
  validFrom: isoDate.optional(),
  validUntil: isoDate.optional(),
  source: text,
  language: z.string().default('zh'),
  tags: z.array(text).default([]),
  checked: isoDate.optional(),
  sources: z.array(text).optional(),
});

/** A file that could not be loaded, and why; the caller decides whether that is fatal. */
export interface LoadProblem {
  file: string;
  message: string;
}

export interface LoadedKnowledge {
  documents: KnowledgeDocument[];
  problems: LoadProblem[];
}

/** Parses one document file: front-matter (required metadata) and body. Throws with a readable message. */
export function parseDocument(file: string, raw: string): KnowledgeDocument {
  let parsed: matter.GrayMatterFile<string>;
  try {
    // gray-matter caches by content; pass an options object to keep each parse independent.
    parsed = matter(raw, {});
  } catch (err) {
    throw new Error(`front-matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!raw.trimStart().startsWith('---')) throw new Error('missing front-matter (a --- block with id, title, issuers, issueDate, status, source)');
  const result = metaSchema.safeParse(parsed.data);
  if (!result.success) {
    const fields = result.error.issues.map((i) => `${i.path.join('.') || '(front-matter)'}: ${i.message}`);
    throw new Error(`metadata: ${fields.join('; ')}`);
  }
  const body = parsed.content.replace(/^\r?\n/, '').replace(/\r\n/g, '\n');
  if (!body.trim()) throw new Error('the document has no text');
  return { meta: result.data satisfies DocumentMeta, body, file };
}

/** Reads every .md/.txt document below `dir`. Broken files are reported by name, never silently skipped. */
export async function loadKnowledge(dir: string): Promise<LoadedKnowledge> {
  const documents: KnowledgeDocument[] = [];
  const problems: LoadProblem[] = [];
  for (const file of await listDocumentFiles(dir)) {
    try {
      documents.push(parseDocument(file, await readFile(path.join(dir, file), 'utf8')));
    } catch (err) {
      problems.push({ file, message: (err as Error).message });
    }
  }
  // Two files with one id: neither is trusted over the other, both are reported.
  const byId = new Map<string, KnowledgeDocument[]>();
  for (const d of documents) byId.set(d.meta.id, [...(byId.get(d.meta.id) ?? []), d]);
  for (const [id, docs] of byId) {
    if (docs.length < 2) continue;
    for (const d of docs) problems.push({ file: d.file, message: `id "${id}" is also used by ${docs.filter((o) => o !== d).map((o) => o.file).join(', ')}` });
  }
  return { documents: documents.filter((d) => byId.get(d.meta.id)!.length === 1), problems };
}

/** Document files, sorted, as paths relative to `dir`. */
export async function listDocumentFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && DOCUMENT_EXT.has(path.extname(e.name).toLowerCase()))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((f) => !NOT_DOCUMENTS.has(f) && !path.basename(f).startsWith('.'))
    .sort();
}
