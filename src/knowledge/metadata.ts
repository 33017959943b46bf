/**
 * Document metadata: the fields every document carries, in a Markdown front-matter block or in a sidecar
 * `NAME.yaml` beside `NAME.docx`/`.pdf`/`.html`. Parsed with `yaml` (not a hand-written reader) so that a
 * syntax error and a bad field can be reported with the line staff must fix.
 */
import { LineCounter, parseDocument, isMap, isScalar } from 'yaml';
import { z } from 'zod/v4';
import { DOCUMENT_LEVELS, type DocumentMeta } from '../types.js';
import { parseRegion } from './places.js';

const isoDate = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v.trim()))
  .pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD'));
const text = z.string().trim().min(1);
const list = z.union([text.transform((s) => [s]), z.array(text).min(1)]);
const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lower-case letters, digits, . _ -');

const fields = z.object({
  id,
  title: text,
  docNumber: text.optional(),
  issuers: list,
  issueDate: isoDate,
  region: text.optional(),
  /** Where the document sits in the hierarchy; `guidance` is explanatory text, never policy. */
  level: z.enum(DOCUMENT_LEVELS).optional(),
  /** Ids of documents this one replaces. */
  supersedes: z.union([id.transform((s) => [s]), z.array(id)]).default([]),
  status: text,
  /** What is known, or not known, about the status ("a revision was adopted in 2025; not verified here"). */
  statusNote: text.optional(),
  /** Effective from (施行日期), inclusive. */
  validFrom: isoDate.optional(),
  /** Expires after (有效期至), inclusive. */
  validUntil: isoDate.optional(),
  source: text,
  language: z.string().default('zh'),
  tags: z.array(text).default([]),
  /** When the facts (a guide) or the status (a law) were last checked. */
  checked: isoDate.optional(),
  /** Guidance documents: the public sources their facts were checked against. */
  sources: z.array(text).optional(),
});

const metaSchema = fields.superRefine((m, ctx) => {
  if (m.validFrom && m.validUntil && m.validUntil < m.validFrom) {
    ctx.addIssue({ code: 'custom', path: ['validUntil'], message: `${m.validUntil} is before validFrom ${m.validFrom}` });
  }
  if (m.supersedes.includes(m.id)) ctx.addIssue({ code: 'custom', path: ['supersedes'], message: 'a document cannot supersede itself' });
});

const FIELDS = new Set(Object.keys(fields.shape));
export const REQUIRED_FIELDS = 'id, title, issuers, issueDate, status, source';

/** One thing wrong with a document, with the line of its file when there is one. */
export interface Issue {
  message: string;
  line?: number;
  /** A warning leaves the document indexed. */
  severity: 'error' | 'warning';
}

/** Thrown when a document cannot be indexed; `issues` holds every reason (field errors come together). */
export class DocumentError extends Error {
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => (i.line ? `line ${i.line}: ${i.message}` : i.message)).join('; '));
    this.name = 'DocumentError';
  }

  static of(message: string, line?: number): DocumentError {
    return new DocumentError([{ message, line, severity: 'error' }]);
  }
}

/**
 * Parses YAML metadata. `firstLine` is the file line the YAML text starts on (2 in a front-matter block).
 * Returns the metadata and any warnings (unknown fields); throws a DocumentError listing every bad field.
 */
export function parseMetadata(yamlText: string, firstLine = 1, what = 'metadata'): { meta: DocumentMeta; warnings: Issue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number) => lines.linePos(offset).line + firstLine - 1;
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw DocumentError.of(`${what} is not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, lineOf(e.pos[0]));
  }
  const keyLines = new Map<string, number>();
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (isScalar(pair.key) && pair.key.range) keyLines.set(String(pair.key.value), lineOf(pair.key.range[0]));
    }
  } else if (doc.contents !== null) {
    throw DocumentError.of(`${what} must be a list of fields (id: …, title: …), not a single value`, firstLine);
  }
  const result = metaSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const issues: Issue[] = result.error.issues.map((i) => {
      const field = String(i.path[0] ?? '');
      const missing = i.code === 'invalid_type' && i.input === undefined;
      const message = missing ? `${field}: missing (required: ${REQUIRED_FIELDS})` : `${i.path.join('.') || what}: ${i.message}`;
      return { message, line: keyLines.get(field), severity: 'error' };
    });
    throw new DocumentError(issues);
  }
  const warnings: Issue[] = [...keyLines]
    .filter(([key]) => !FIELDS.has(key))
    .map(([key, line]) => ({ message: `unknown field "${key}" is ignored${suggest(key)}`, line, severity: 'warning' }));
  // A region that names no known place makes the document apply nowhere: it stays indexed but answers nothing.
  if (result.data.region && !parseRegion(result.data.region)) {
    warnings.push({ message: `region: "${result.data.region}" names no known place; the document answers no question`, line: keyLines.get('region'), severity: 'warning' });
  }
  return { meta: result.data satisfies DocumentMeta, warnings };
}

/** A known field that differs from `key` only in case (issuedate → issueDate). */
function suggest(key: string): string {
  const match = [...FIELDS].find((f) => f.toLowerCase() === key.toLowerCase().replace(/[_-]/g, ''));
  return match ? ` (did you mean ${match}?)` : '';
}
