/**
 * Reading the knowledge folder: every document file, in whatever format, becomes metadata plus plain text
 * (one paragraph per line) for the chunker. `.md`/`.txt` carry their metadata in a front-matter block;
 * `.docx`, `.pdf` and `.html` in a sidecar `NAME.yaml` beside them. A file that cannot be read is reported
 * by name (and line, where there is one) and left out; the rest still loads.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { KnowledgeDocument } from '../types.js';
import { withoutInstructions } from './instructions.js';
import { DocumentError, REQUIRED_FIELDS, parseMetadata, type Issue } from './metadata.js';

/** Files under the knowledge folder that are not documents. */
export const DICTIONARY_FILE = 'dictionary.txt';
export const THESAURUS_FILE = 'thesaurus.txt';
const NOT_DOCUMENTS = new Set([DICTIONARY_FILE, THESAURUS_FILE, 'README.md']);
/** Documents with a front-matter block. */
const TEXT_EXT = new Set(['.md', '.txt']);
/**
 * Documents whose metadata sits in a sidecar YAML file, and how each becomes text. The converters (pdf.js,
 * mammoth, linkedom: some 40 MB resident) are loaded when such a file is read, not by every process that
 * only answers from a cached index.
 */
const CONVERTERS: Record<string, (bytes: Buffer) => Promise<{ text: string; warnings: Issue[] }>> = {
  '.docx': async (bytes) => (await import('./formats/docx.js')).docxToText(bytes),
  '.pdf': async (bytes) => ({ text: await (await import('./formats/pdf.js')).pdfToText(bytes), warnings: [] }),
  '.html': async (bytes) => ({ text: (await import('./formats/html.js')).htmlToText(bytes), warnings: [] }),
  '.htm': async (bytes) => ({ text: (await import('./formats/html.js')).htmlToText(bytes), warnings: [] }),
};
const SIDECAR_EXT = ['.yaml', '.yml'];
/** Formats staff may drop in by mistake: reported with what to do, rather than passed over in silence. */
const UNSUPPORTED: Record<string, string> = {
  '.doc': 'save it as .docx',
  '.wps': 'save it as .docx',
  '.rtf': 'save it as .docx',
  '.odt': 'save it as .docx',
  '.ofd': 'export it as PDF with text, or .docx',
  '.jpg': 'a picture has no text: add the document as .docx, .pdf with text, or .md',
  '.jpeg': 'a picture has no text: add the document as .docx, .pdf with text, or .md',
  '.png': 'a picture has no text: add the document as .docx, .pdf with text, or .md',
  '.tif': 'a picture has no text: add the document as .docx, .pdf with text, or .md',
  '.tiff': 'a picture has no text: add the document as .docx, .pdf with text, or .md',
};

/** A file that could not be loaded (error: left out) or that loaded with something to fix (warning). */
export interface LoadProblem {
  file: string;
  message: string;
  /** Line of the file (front-matter or sidecar) the problem is on, when known. */
  line?: number;
  /** Absent means error. */
  severity?: 'error' | 'warning';
}

/** A loaded document and a hash of its bytes (and its sidecar's), for telling what changed. */
export type LoadedDocument = KnowledgeDocument & { hash: string };

export interface LoadedKnowledge {
  documents: LoadedDocument[];
  problems: LoadProblem[];
}

const FRONT_MATTER = /^\ufeff?---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;

/** Parses one Markdown/text document: front-matter (required metadata) and body. Throws a DocumentError. */
export function parseDocument(file: string, raw: string): KnowledgeDocument {
  return parseText(file, raw).document;
}

function parseText(file: string, raw: string): { document: KnowledgeDocument; warnings: Issue[] } {
  const m = FRONT_MATTER.exec(raw);
  if (!m) throw DocumentError.of(`missing front-matter (a --- block with ${REQUIRED_FIELDS})`, 1);
  const { meta, warnings } = parseMetadata(m[1] ?? '', 2, 'front-matter');
  const body = raw.slice(m[0].length).replace(/^\r?\n/, '').replace(/\r\n/g, '\n');
  if (!body.trim()) throw DocumentError.of('the document has no text');
  return { document: { meta, body, file }, warnings };
}

/** Loads one document file (path relative to `dir`), converting it and reading its sidecar as needed. */
async function loadDocument(dir: string, file: string): Promise<{ document: LoadedDocument; warnings: Issue[] }> {
  const bytes = await readFile(path.join(dir, file));
  const ext = path.extname(file).toLowerCase();
  const hash = createHash('sha256').update(bytes);
  if (TEXT_EXT.has(ext)) {
    const { document, warnings } = parseText(file, bytes.toString('utf8'));
    return { document: { ...document, hash: hash.digest('hex') }, warnings };
  }
  const sidecar = await readSidecar(dir, file);
  if (!sidecar) {
    throw DocumentError.of(`missing sidecar ${path.basename(file, path.extname(file))}.yaml beside it, with the document's ${REQUIRED_FIELDS}`);
  }
  hash.update(sidecar.text);
  let meta;
  let warnings: Issue[];
  try {
    ({ meta, warnings } = parseMetadata(sidecar.text, 1, 'sidecar'));
  } catch (err) {
    // Sidecar problems are the sidecar's lines: name it.
    if (err instanceof DocumentError) throw new DocumentError(err.issues.map((i) => ({ ...i, message: `${path.basename(sidecar.file)}: ${i.message}` })));
    throw err;
  }
  const converted = await CONVERTERS[ext]!(bytes);
  if (!converted.text.trim()) throw DocumentError.of('the document has no text');
  return { document: { meta, body: converted.text, file, hash: hash.digest('hex') }, warnings: [...warnings, ...converted.warnings] };
}

/** The sidecar of a document, if there is one: NAME.yaml (or NAME.yml) beside NAME.docx. */
async function readSidecar(dir: string, file: string): Promise<{ file: string; text: string } | undefined> {
  const stem = file.slice(0, -path.extname(file).length);
  for (const ext of SIDECAR_EXT) {
    try {
      return { file: stem + ext, text: await readFile(path.join(dir, stem + ext), 'utf8') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return undefined;
}

/**
 * Reads every document below `dir`. Broken files are reported by name, never silently skipped; the checks
 * across documents (one id per document, `supersedes` naming a known id) run after all are read.
 */
export async function loadKnowledge(dir: string, onProgress: (done: number, total: number) => void = () => {}): Promise<LoadedKnowledge> {
  const documents: LoadedDocument[] = [];
  const problems: LoadProblem[] = [];
  const listing = await listKnowledge(dir);
  for (const [file, advice] of listing.unsupported) problems.push({ file, message: `not indexed: ${path.extname(file)} files are not read; ${advice}` });
  for (const file of listing.orphanSidecars) {
    problems.push({ file, message: 'a sidecar without its document (NAME.docx, NAME.pdf or NAME.html beside it)', severity: 'warning' });
  }
  let done = 0;
  for (const file of listing.documents) {
    try {
      const { document, warnings } = await loadDocument(dir, file);
      const { body, leftOut } = withoutInstructions(document.body);
      documents.push({ ...document, body });
      for (const w of warnings) problems.push({ file, message: w.message, line: w.line, severity: 'warning' });
      for (const l of leftOut) problems.push({ file, message: `left out, as it gives the bot instructions (line ${l.line} of the text): ${l.text.slice(0, 80)}`, severity: 'warning' });
    } catch (err) {
      const issues = err instanceof DocumentError ? err.issues : [{ message: (err as Error).message, severity: 'error' as const }];
      for (const i of issues) problems.push({ file, message: i.message, ...(i.line ? { line: i.line } : {}) });
    }
    onProgress(++done, listing.documents.length);
  }
  // Two files with one id: neither is trusted over the other, both are reported.
  const byId = new Map<string, LoadedDocument[]>();
  for (const d of documents) byId.set(d.meta.id, [...(byId.get(d.meta.id) ?? []), d]);
  for (const [id, docs] of byId) {
    if (docs.length < 2) continue;
    for (const d of docs) problems.push({ file: d.file, message: `id "${id}" is also used by ${docs.filter((o) => o !== d).map((o) => o.file).join(', ')}` });
  }
  const kept = documents.filter((d) => byId.get(d.meta.id)!.length === 1);
  for (const d of kept) {
    const unknown = d.meta.supersedes.filter((id) => !byId.has(id));
    if (unknown.length) {
      problems.push({ file: d.file, message: `supersedes ${unknown.map((u) => `"${u}"`).join(', ')}, which no document has as its id`, severity: 'warning' });
    }
  }
  return { documents: kept, problems };
}

interface Listing {
  /** Document files, sorted, relative to the folder. */
  documents: string[];
  /** Sidecars of those documents. */
  sidecars: string[];
  /** YAML files that look like metadata but have no document. */
  orphanSidecars: string[];
  /** Files in a format that is not read, with advice. */
  unsupported: [string, string][];
}

async function listKnowledge(dir: string): Promise<Listing> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && !e.name.startsWith('~$'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
  const documents = files.filter((f) => !NOT_DOCUMENTS.has(f) && (TEXT_EXT.has(ext(f)) || ext(f) in CONVERTERS));
  const stems = new Set(documents.filter((f) => ext(f) in CONVERTERS).map(stem));
  const yaml = files.filter((f) => SIDECAR_EXT.includes(ext(f)));
  const sidecars = yaml.filter((f) => stems.has(stem(f)));
  const orphanSidecars: string[] = [];
  for (const f of yaml.filter((y) => !stems.has(stem(y)))) {
    // Other YAML in the folder (the agency registry) is not a sidecar: only metadata-shaped files are.
    const text = await readFile(path.join(dir, f), 'utf8').catch(() => '');
    if (/^(title|issuers|docNumber)\s*:/m.test(text)) orphanSidecars.push(f);
  }
  const unsupported = files.filter((f) => ext(f) in UNSUPPORTED).map((f): [string, string] => [f, UNSUPPORTED[ext(f)]!]);
  return { documents, sidecars, orphanSidecars, unsupported };
}

/** Document files, sorted, as paths relative to `dir`. */
export async function listDocumentFiles(dir: string): Promise<string[]> {
  return (await listKnowledge(dir)).documents;
}

/** Document files and their sidecars: every file whose content shapes the index. */
export async function listKnowledgeFiles(dir: string): Promise<string[]> {
  const { documents, sidecars } = await listKnowledge(dir);
  return [...documents, ...sidecars].sort();
}

/** A text file of the knowledge folder (dictionary, thesaurus), empty when it is missing. */
export async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

const ext = (f: string) => path.extname(f).toLowerCase();
const stem = (f: string) => f.slice(0, -path.extname(f).length);
