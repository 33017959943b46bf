import type { ApprovedAnswerSource } from './approved/approved-answers.js';
import { policyBasis } from './answer/basis.js';
import { cite, excerptLines, extractiveAnswer, notStatedAnswer, quotePassages, type AnswerInput, type Language } from './answer/extractive.js';
import { readInContext, type History } from './answer/follow-up.js';
import type { PromptPassage } from './answer/grounding.js';
import { placesIn, type Guard } from './answer/guard.js';
import type { LlmAnswerer } from './answer/llm.js';
import { MESSAGES, detectLanguage } from './answer/messages.js';
import { planAnswer, type AnswerPlan } from './answer/plan.js';
import { missingLine } from './answer/slots.js';
import { AppError } from './errors.js';
import type { KnowledgeBase, Retrieval } from './knowledge/knowledge-base.js';
import { evidence } from './knowledge/query.js';
import { searchableText } from './knowledge/knowledge-base.js';
import type { Answer, DocumentMeta, Passage } from './types.js';

export type { History, Turn } from './answer/follow-up.js';

export const MAX_QUESTION_CHARS = 2000;

export interface ConsultOptions {
  /** Below this confidence the documents are taken not to cover the question. */
  minConfidence: number;
}

export const DEFAULT_CONSULT_OPTIONS: ConsultOptions = { minConfidence: 0.3 };

/** What consult() produced, with what it looked at, for logging and evaluation. */
export interface ConsultResult {
  answer: Answer;
  retrieval?: Retrieval;
  latencyMs: number;
}

/**
 * The platform-free pipeline: validate → guard → read in context → retrieve → plan (what is asked, what
 * is stated) → answer, say what is missing, or decline/refer.
 * Channels, the HTTP API and the CLI all call this and only render what it returns.
 */
export function createConsult(deps: {
  kb: { current(): KnowledgeBase };
  guard: Guard;
  llm?: LlmAnswerer;
  options?: Partial<ConsultOptions>;
  /** Staff-approved answers (src/approved/): checked after the guard, before retrieval; the CLIs leave it out. */
  approved?: ApprovedAnswerSource;
}) {
  // One question sees one snapshot of the knowledge, read once at its start; a reload swaps it between questions.
  const bySnapshot = new WeakMap<KnowledgeBase, ReturnType<typeof consultOver>>();
  return function consult(rawQuestion: string, context: { history?: History } = {}): Promise<ConsultResult> {
    const kb = deps.kb.current();
    let over = bySnapshot.get(kb);
    if (!over) bySnapshot.set(kb, (over = consultOver({ ...deps, kb })));
    return over(rawQuestion, context);
  };
}

/** The pipeline over one snapshot of the knowledge. */
function consultOver(deps: { kb: KnowledgeBase; guard: Guard; llm?: LlmAnswerer; options?: Partial<ConsultOptions>; approved?: ApprovedAnswerSource }) {
  const options = { ...DEFAULT_CONSULT_OPTIONS, ...deps.options };
  const { kb, guard, llm } = deps;
  // Only the documents' own web sources may appear as links in a generated answer.
  const allowedLinks = kb.documents.map((d) => d.source).filter((s) => /^https?:\/\//.test(s));

  const document = (id: string) => kb.document(id);

  /** Quotes, with a note when they stand in for a generated answer that failed. */
  function extractive(plan: AnswerPlan, retrieval: Retrieval, confidence: number, language: Language, note?: string): Answer {
    const input: AnswerInput = { query: retrieval.query, language, passages: plan.chosen, document, slots: plan.slots, missing: plan.missing, objects: plan.objects };
    if (plan.verdict === 'not_stated') {
      const { answer, citations } = notStatedAnswer(input);
      return { ...notCovered(confidence, language), answer: withNote(note, answer), citations, answerer: 'extractive' };
    }
    const { answer, citations } = extractiveAnswer(input);
    return { outcome: 'answered', answer: withNote(note, answer), citations, confidence: round(confidence), answerer: 'extractive' };
  }

  /**
   * The model's answer over the retrieved passages, checked; quotes when it fails; not covered when it
   * says so. What the passages do not state is given to the model, which must say so first.
   */
  async function generated(model: LlmAnswerer, question: string, plan: AnswerPlan, retrieval: Retrieval, confidence: number, language: Language): Promise<Answer> {
    const passages = plan.chosen.concat(retrieval.passages.filter((p) => !plan.chosen.includes(p)));
    const missing = plan.missing.length ? missingLine(plan.missing, language, plan.objects) : undefined;
    const prompts = passages.map((p) => promptPassage(p, kb.document(p.chunk.documentId)));
    const generation = await model.answer(question, prompts, language, allowedLinks, missing);
    if (generation.kind === 'unavailable') return extractive(plan, retrieval, confidence, language, MESSAGES.generationUnavailable[language]);
    if (generation.kind === 'not_covered') return notCovered(confidence, language);
    const citations = generation.used.map((i) => cite(passages[i]!, retrieval.query, kb.document(passages[i]!.chunk.documentId)));
    const text = `${generation.text}\n\n${MESSAGES.aiLabel[language]}`;
    if (plan.verdict === 'not_stated') return { ...notCovered(confidence, language), answer: text, citations, answerer: 'llm' };
    return { outcome: 'answered', answer: text, citations, confidence: round(confidence), answerer: 'llm' };
  }

  return async function consult(rawQuestion: string, context: { history?: History } = {}): Promise<ConsultResult> {
    const started = performance.now();
    const question = validateQuestion(rawQuestion);
    let verdict = guard(question);
    const done = (answer: Answer, retrieval?: Retrieval): ConsultResult => ({ answer, retrieval, latencyMs: performance.now() - started });

    if (verdict.verdict === 'injection') return done(fixed('declined', MESSAGES.declined[detectLanguage(question)]));
    if (verdict.verdict === 'greeting') return done(fixed('out_of_scope', MESSAGES.greeting[detectLanguage(question)]));
    // A plain question that staff have answered gets their approved answer (a referral request never does).
    const reviewed = verdict.verdict === 'escalate' ? undefined : await deps.approved?.answer(question);
    if (reviewed) return done(reviewed);

    const reading = await readInContext(kb, question, context.history ?? [], llm);
    const { retrieval } = reading;
    const language = reading.language ?? detectLanguage(question);
    // A follow-up is judged with what it continues: "找谁办？" after a patent question is about patents.
    if (reading.previous) verdict = guard(question, reading.previous);
    else if (reading.question !== question) verdict = guard(reading.question);
    const top = retrieval.passages[0];
    const confidence = top ? confidenceOf(top, retrieval) : 0;

    if (verdict.verdict === 'escalate') {
      // Cite the policy basis when the documents speak to the matter; the referral is offered either way.
      const basis = top && confidence >= options.minConfidence ? policyBasis(reading.question, retrieval.query, retrieval.passages) : [];
      const quoted = quotePassages(basis, retrieval.query, document);
      const citations = quoted.map((q) => q.citation);
      const text = citations.length ? `${MESSAGES.escalation[language]}\n\n${MESSAGES.escalationBasis[language]}\n${excerptLines(quoted, language)}` : MESSAGES.escalation[language];
      return done(
        { outcome: 'escalation_offered', answer: text, citations, confidence: round(confidence), escalation: { reason: verdict.humanRequested ? 'requested' : 'professional_service' }, answerer: 'guard' },
        retrieval,
      );
    }

    // Without IP vocabulary a question needs a clearly better match to count as one about the documents.
    if (!verdict.inDomain && confidence < options.minConfidence * 1.5) {
      return done({ ...fixed('out_of_scope', MESSAGES.outOfScope[language]), confidence: round(confidence) }, retrieval);
    }
    // A question about a place no document mentions (青岛市 when the documents are Zibo's) is not covered.
    const elsewhere = placesIn(question).some((place) => !kb.mentions(place));
    if (!top || elsewhere || confidence < options.minConfidence) return done(notCovered(confidence, language), retrieval);

    const plan = planAnswer(kb, reading.question, retrieval.passages, reading.previous);
    if (plan.verdict === 'not_covered') return done(notCovered(confidence, language), retrieval);
    const answer = llm ? await generated(llm, reading.question, plan, retrieval, confidence, language) : extractive(plan, retrieval, confidence, language);
    return done(answer, retrieval);
  };
}

export type Consult = ReturnType<typeof createConsult>;

/**
 * Confidence that the documents answer the question: half the share of the question's words the best
 * passage covers, half the absolute evidence (IDF mass) it holds, saturating at 4 — a long colloquial
 * question with one strongly matching term is still covered.
 */
function confidenceOf(top: Passage, retrieval: Retrieval): number {
  const { found } = evidence(retrieval.query.groups, searchableText(top.chunk));
  return 0.5 * Math.min(1, found / 4) + 0.5 * top.coverage;
}

/** Cleans a question and rejects what cannot be one, with a message fit to show the user. */
export function validateQuestion(raw: unknown): string {
  if (typeof raw !== 'string') throw new AppError('input_invalid', '问题必须是文本。');
  // Control characters and unpaired surrogates come from binary garbage; drop them.
  const text = raw
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .trim();
  if (!raw.trim()) throw new AppError('input_invalid', '问题是空的，请输入您想咨询的知识产权问题。');
  if (text.length > MAX_QUESTION_CHARS) {
    throw new AppError('input_invalid', `问题太长（${text.length} 字），请精简到 ${MAX_QUESTION_CHARS} 字以内。`);
  }
  if (!/[\p{L}\p{N}]/u.test(text)) throw new AppError('input_invalid', '没有识别到文字内容，请用中文或英文描述您的问题。');
  return text;
}

/** The fixed reply when the documents do not cover a question (a reply that quotes them says so with `answerer`). */
function notCovered(confidence: number, language: Language): Answer {
  return { outcome: 'not_covered', answer: MESSAGES.notCovered[language], citations: [], confidence: round(confidence), escalation: { reason: 'not_covered' }, answerer: 'guard' };
}

/** A passage as the model sees it: where it comes from (document, number, article, departments) and its text. */
function promptPassage(p: Passage, doc: DocumentMeta | undefined): PromptPassage {
  const source = `《${doc?.title ?? p.chunk.documentId}》${doc?.docNumber ? `（${doc.docNumber}）` : ''} ${p.chunk.section}`;
  const departments = p.chunk.departments.length ? `\n（责任单位：${p.chunk.departments.join('、')}）` : '';
  return { source, text: p.chunk.text + departments };
}

/** A note on how the answer was made goes last: the first line stays the answer. */
function withNote(note: string | undefined, text: string): string {
  return note ? `${text}\n\n${note}` : text;
}

function fixed(outcome: Answer['outcome'], text: string): Answer {
  return { outcome, answer: text, citations: [], confidence: 0, answerer: 'guard' };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
