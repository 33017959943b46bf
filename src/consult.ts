import { lacksAskedFigure, placesIn, type Guard } from './answer/guard.js';
import type { ApprovedAnswerSource } from './approved/approved-answers.js';
import { cite, extractiveAnswer, selectPassages, type Language } from './answer/extractive.js';
import type { PromptPassage } from './answer/grounding.js';
import type { LlmAnswerer } from './answer/llm.js';
import { MESSAGES, detectLanguage } from './answer/messages.js';
import { AppError } from './errors.js';
import type { KnowledgeBase, Retrieval } from './knowledge/knowledge-base.js';
import { evidence } from './knowledge/query.js';
import { searchableText } from './knowledge/knowledge-base.js';
import type { Answer, Citation, DocumentMeta, Passage } from './types.js';

export const MAX_QUESTION_CHARS = 2000;

export interface ConsultOptions {
  /** Below this confidence the documents are taken not to cover the question. */
  minConfidence: number;
}

/** An earlier exchange of the same user in the same conversation, oldest first. */
export interface Turn {
  question: string;
  citations: Pick<Citation, 'documentId' | 'article'>[];
}

/**
 * Words that point back at an earlier exchange: 那/这/该 + 条/个/项, 它, 上面, 刚才, or a bare 呢-question.
 * Such a question is read together with the one before it.
 */
/** Earlier turns, or a loader for them: the pipeline reads them only when a question may refer back. */
export type History = Turn[] | (() => Promise<Turn[]>);

const REFERS_BACK = /^(那|那么|这|这个|那个|该|它|其|还有|另外|再|此外|同样|then|and|what about|how about)|这条|那条|该条|这一条|上一条|上面|刚才|前面说的|它的|其中|这项|那项|这个政策|那个政策|呢[？?]?$|\b(it|this|that|its|those)\b/i;
const SHORT_QUESTION = 8;

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
export function createConsult(deps: {
  kb: KnowledgeBase;
  guard: Guard;
  llm?: LlmAnswerer;
  options?: Partial<ConsultOptions>;
  /** Staff-approved answers (src/approved/): checked after the guard, before retrieval; the CLIs leave it out. */
  approved?: ApprovedAnswerSource;
}) {
  const options = { ...DEFAULT_CONSULT_OPTIONS, ...deps.options };
  const { kb, guard, llm } = deps;
  // Only the documents' own web sources may appear as links in a generated answer.
  const allowedLinks = kb.documents.map((d) => d.source).filter((s) => /^https?:\/\//.test(s));

  /** Quotes, with a note when they stand in for a generated answer that failed. */
  function extractive(question: string, retrieval: Retrieval, confidence: number, language: Language, note?: string): Answer {
    const chosen = selectPassages(retrieval.passages);
    const citations = chosen.map((p) => cite(p, retrieval.query, kb.document(p.chunk.documentId)));
    const { answer } = extractiveAnswer(citations, chosen.map((p) => p.chunk), language, question);
    return { outcome: 'answered', answer: note ? `${note}\n\n${answer}` : answer, citations, confidence: round(confidence), answerer: 'extractive' };
  }

  /** The model's answer over the retrieved passages, checked; quotes when it fails; not covered when it says so. */
  async function generated(model: LlmAnswerer, question: string, retrieval: Retrieval, confidence: number, language: Language): Promise<Answer> {
    const passages = retrieval.passages;
    const generation = await model.answer(question, passages.map((p) => promptPassage(p, kb.document(p.chunk.documentId))), language, allowedLinks);
    if (generation.kind === 'unavailable') return extractive(question, retrieval, confidence, language, MESSAGES.generationUnavailable[language]);
    if (generation.kind === 'not_covered') return notCovered(confidence, language);
    const citations = generation.used.map((i) => cite(passages[i]!, retrieval.query, kb.document(passages[i]!.chunk.documentId)));
    return { outcome: 'answered', answer: `${generation.text}\n\n${MESSAGES.aiLabel[language]}`, citations, confidence: round(confidence), answerer: 'llm' };
  }

  /**
   * A follow-up ("那责任单位是谁?") is retrieved together with the question before it, and prefers the
   * articles that answer cited, unless it clearly stands on its own.
   */
  async function retrieveInContext(question: string, turns: History): Promise<Retrieval> {
    // Most questions stand on their own: the history is read only for one that may refer back.
    if (!REFERS_BACK.test(question) && question.length > SHORT_QUESTION) return kb.retrieve(question, 5);
    const history = typeof turns === 'function' ? await turns() : turns;
    const last = history.at(-1);
    if (!last) return kb.retrieve(question, 5);
    // A model rewrites the follow-up into a standalone question; without one, the two are read together.
    const standalone = llm ? await llm.rewrite(question, history.slice(-3).map((t) => t.question)) : undefined;
    const combined = await kb.retrieve(standalone ?? `${last.question} ${question}`, 8);
    const earlier = new Set(last.citations.map((c) => `${c.documentId}#${c.article}`));
    const bonus = (p: Passage) => (earlier.has(`${p.chunk.documentId}#${p.chunk.article}`) ? 1 : 0);
    const passages = [...combined.passages].sort((a, b) => bonus(b) - bonus(a) || b.score - a.score).slice(0, 5);
    // Coverage is judged on the question as asked plus what it refers to.
    return { query: combined.query, passages };
  }

  return async function consult(rawQuestion: string, context: { history?: History } = {}): Promise<ConsultResult> {
    const started = performance.now();
    const question = validateQuestion(rawQuestion);
    const language = detectLanguage(question);
    const verdict = guard(question);
    const done = (answer: Answer, retrieval?: Retrieval): ConsultResult => ({ answer, retrieval, latencyMs: performance.now() - started });

    if (verdict.verdict === 'injection') return done(fixed('declined', MESSAGES.declined[language]));
    if (verdict.verdict === 'greeting') return done(fixed('out_of_scope', MESSAGES.greeting[language]));
    // A plain question that staff have answered gets their approved answer (a referral request never does).
    const reviewed = verdict.verdict === 'escalate' ? undefined : await deps.approved?.answer(question);
    if (reviewed) return done(reviewed);

    const retrieval = await retrieveInContext(question, context.history ?? []);
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
    // A question about a place no document mentions (青岛市 when the documents are Zibo's) is not covered.
    const elsewhere = placesIn(question).some((place) => !kb.mentions(place));
    if (!top || elsewhere || confidence < options.minConfidence || lacksAskedFigure(question, top.chunk.text)) {
      return done(notCovered(confidence, language), retrieval);
    }
    const answer = llm ? await generated(llm, question, retrieval, confidence, language) : extractive(question, retrieval, confidence, language);
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

function notCovered(confidence: number, language: Language): Answer {
  return { outcome: 'not_covered', answer: MESSAGES.notCovered[language], citations: [], confidence: round(confidence), escalation: { reason: 'not_covered' }, answerer: 'extractive' };
}

/** A passage as the model sees it: where it comes from (document, number, article, departments) and its text. */
function promptPassage(p: Passage, doc: DocumentMeta | undefined): PromptPassage {
  const source = `《${doc?.title ?? p.chunk.documentId}》${doc?.docNumber ? `（${doc.docNumber}）` : ''} ${p.chunk.section}`;
  const departments = p.chunk.departments.length ? `\n（责任单位：${p.chunk.departments.join('、')}）` : '';
  return { source, text: p.chunk.text + departments };
}

function fixed(outcome: Answer['outcome'], text: string): Answer {
  return { outcome, answer: text, citations: [], confidence: 0, answerer: 'guard' };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
