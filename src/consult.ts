import { lacksAskedFigure, type Guard } from './answer/guard.js';
import { cite, extractiveAnswer, selectPassages } from './answer/extractive.js';
import { MESSAGES, detectLanguage } from './answer/messages.js';
import { AppError } from './errors.js';
import type { KnowledgeBase, Retrieval } from './knowledge/knowledge-base.js';
import { evidence } from './knowledge/query.js';
import { searchableText } from './knowledge/knowledge-base.js';
import type { Answer, Passage } from './types.js';

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
 * The platform-free pipeline: validate → guard → retrieve → answer or decline/refer.
 * Channels, the HTTP API and the CLI all call this and only render what it returns.
 */
export function createConsult(deps: { kb: KnowledgeBase; guard: Guard; options?: Partial<ConsultOptions> }) {
  const options = { ...DEFAULT_CONSULT_OPTIONS, ...deps.options };
  const { kb, guard } = deps;

  return async function consult(rawQuestion: string): Promise<ConsultResult> {
    const started = performance.now();
    const question = validateQuestion(rawQuestion);
    const language = detectLanguage(question);
    const verdict = guard(question);
    const done = (answer: Answer, retrieval?: Retrieval): ConsultResult => ({ answer, retrieval, latencyMs: performance.now() - started });

    if (verdict.verdict === 'injection') return done(fixed('declined', MESSAGES.declined[language]));
    if (verdict.verdict === 'greeting') return done(fixed('out_of_scope', MESSAGES.greeting[language]));

    const retrieval = await kb.retrieve(question, 5);
    const top = retrieval.passages[0];
    const confidence = top ? confidenceOf(top, retrieval) : 0;

    if (verdict.verdict === 'escalate') {
      // Cite the policy basis when the documents speak to the matter; the referral is offered either way.
      const basis = top && confidence >= options.minConfidence ? selectPassages(retrieval.passages).slice(0, 2) : [];
      const citations = basis.map((p) => cite(p, retrieval.query, kb.document(p.chunk.documentId)));
      const text = citations.length
        ? `${MESSAGES.escalation[language]}\n\n${MESSAGES.escalationBasis[language]}\n${extractiveAnswer(citations, basis.map((p) => p.chunk), language).answer}`
        : MESSAGES.escalation[language];
      return done(
        { outcome: 'escalation_offered', answer: text, citations, confidence: round(confidence), escalation: { reason: verdict.humanRequested ? 'requested' : 'professional_service' }, answerer: 'guard' },
        retrieval,
      );
    }

    // Without IP vocabulary a question needs a clearly better match to count as one about the documents.
    if (!verdict.inDomain && confidence < options.minConfidence * 1.5) {
      return done({ ...fixed('out_of_scope', MESSAGES.outOfScope[language]), confidence: round(confidence) }, retrieval);
    }
    if (!top || confidence < options.minConfidence || lacksAskedFigure(question, top.chunk.text)) {
      return done({ outcome: 'not_covered', answer: MESSAGES.notCovered[language], citations: [], confidence: round(confidence), escalation: { reason: 'not_covered' }, answerer: 'extractive' }, retrieval);
    }

    const chosen = selectPassages(retrieval.passages);
    const citations = chosen.map((p) => cite(p, retrieval.query, kb.document(p.chunk.documentId)));
    const { answer } = extractiveAnswer(citations, chosen.map((p) => p.chunk), language);
    return done({ outcome: 'answered', answer, citations, confidence: round(confidence), answerer: 'extractive' }, retrieval);
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

function fixed(outcome: Answer['outcome'], text: string): Answer {
  return { outcome, answer: text, citations: [], confidence: 0, answerer: 'guard' };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
