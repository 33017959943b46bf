import { lacksAskedFigure, type Guard } from './answer/guard.js';
import { cite, extractiveAnswer, selectPassages, type Language } from './answer/extractive.js';
import type { PromptPassage } from './answer/grounding.js';
import type { LlmAnswerer } from './answer/llm.js';
import { MESSAGES, detectLanguage } from './answer/messages.js';
import { GUIDANCE_NOTE, elsewhereNote, isGuidance, lapseNotice, noDocumentsFor } from './answer/validity.js';
import { AppError } from './errors.js';
import { Applicability, asksAboutLocalProvision, asksAboutPolicy, chinaDate, lapseOf, replacements, type QuestionScope } from './knowledge/applicability.js';
import type { KnowledgeBase, Retrieval, RetrieveOptions } from './knowledge/knowledge-base.js';
import { within, withoutPlaces } from './knowledge/places.js';
import { evidence, groupMatch } from './knowledge/query.js';
import { normalize } from './knowledge/tokenizer.js';
import { searchableText } from './knowledge/knowledge-base.js';
import type { Answer, Citation, DocumentMeta, Passage } from './types.js';

export const MAX_QUESTION_CHARS = 2000;

export interface ConsultOptions {
  /** Below this confidence the documents are taken not to cover the question. */
  minConfidence: number;
  /** HOME_REGION: the region whose documents answer a question that names no place. */
  homeRegion: string;
  /** For a question about what the policy says, guidance passages count this much against policy text: the policy wins a near-tie. */
  guidanceWeight: number;
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

export const DEFAULT_CONSULT_OPTIONS: ConsultOptions = { minConfidence: 0.3, homeRegion: '山东省淄博市', guidanceWeight: 0.8 };
/** Policy text goes ahead of guidance when it covers at least this share of what the guidance covers. */
const POLICY_COVERAGE_RATIO = 0.9;

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
export function createConsult(deps: { kb: KnowledgeBase; guard: Guard; llm?: LlmAnswerer; options?: Partial<ConsultOptions>; now?: () => Date }) {
  const options = { ...DEFAULT_CONSULT_OPTIONS, ...deps.options };
  const { kb, guard, llm } = deps;
  const now = deps.now ?? (() => new Date());
  const applicability = new Applicability(options.homeRegion);
  /**
   * What is searched for: the question without the names of other places, which retrieval already limits
   * to their documents (the home region's names stay: they favour its own documents over national ones).
   */
  const query = (text: string) => withoutPlaces(text, (p) => within(p, applicability.home) || within(applicability.home, p));
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
    const labels = [...(citations.some(isGuidance) ? [GUIDANCE_NOTE[language]] : []), MESSAGES.aiLabel[language]].join('\n');
    return { outcome: 'answered', answer: `${generation.text}\n\n${labels}`, citations, confidence: round(confidence), answerer: 'llm' };
  }

  /**
   * A follow-up ("那责任单位是谁?") is retrieved together with the question before it, and prefers the
   * articles that answer cited, unless it clearly stands on its own.
   */
  async function retrieveInContext(question: string, turns: History, scopeOf: (text: string) => Scoped): Promise<Scoped & { retrieval: Retrieval }> {
    // Most questions stand on their own: the history is read only for one that may refer back.
    const alone = async () => {
      const scoped = scopeOf(question);
      return { ...scoped, retrieval: await kb.retrieve(query(question), 5, scoped.retrieve) };
    };
    if (!REFERS_BACK.test(question) && question.length > SHORT_QUESTION) return alone();
    const history = typeof turns === 'function' ? await turns() : turns;
    const last = history.at(-1);
    if (!last) return alone();
    // A model rewrites the follow-up into a standalone question; without one, the two are read together.
    const standalone = llm ? await llm.rewrite(question, history.slice(-3).map((t) => t.question)) : undefined;
    const text = standalone ?? `${last.question} ${question}`;
    // A place the follow-up names replaces the one before ("那北京呢？"); otherwise the earlier one holds.
    const scoped = scopeOf(applicability.scope(question).elsewhere.length || standalone ? question : text);
    const combined = await kb.retrieve(query(text), 8, scoped.retrieve);
    const earlier = new Set(last.citations.map((c) => `${c.documentId}#${c.article}`));
    const bonus = (p: Passage) => (earlier.has(`${p.chunk.documentId}#${p.chunk.article}`) ? 1 : 0);
    const passages = [...combined.passages].sort((a, b) => bonus(b) - bonus(a) || b.score - a.score).slice(0, 5);
    // Coverage is judged on the question as asked plus what it refers to.
    return { ...scoped, retrieval: { query: combined.query, passages } };
  }

  /**
   * The documents a question may be answered from: those of the places it is read against (the home region
   * when it names none), in force today; guidance a little below policy text. `lapsed` asks for the same
   * places' documents that are no longer (or not yet) in force instead.
   */
  function scopeFor(text: string, today: string, replaced: ReturnType<typeof replacements>): Scoped {
    const scope = applicability.scope(text);
    const guidanceWeight = asksAboutPolicy(text, scope) ? options.guidanceWeight : 1;
    const weight = (d: DocumentMeta) => (d.level === 'guidance' ? guidanceWeight : 1);
    const prefer = { doc: (d: DocumentMeta) => d.level !== 'guidance', ratio: POLICY_COVERAGE_RATIO };
    const current = (d: DocumentMeta) => !lapseOf(d, today, replaced);
    return {
      text,
      scope,
      retrieve: { accept: (d) => applicability.applies(d, scope.targets) && current(d), weight, prefer },
      lapsed: { accept: (d) => applicability.applies(d, scope.targets) && !current(d), weight },
    };
  }

  /**
   * When nothing in force answers, a repealed, expired, replaced or not yet effective document of the same
   * places that does is named plainly with its dates and quoted for reference; the outcome stays not_covered.
   */
  async function outOfForce(question: string, lapsed: RetrieveOptions, language: Language, today: string, replaced: ReturnType<typeof replacements>) {
    const retrieval = await kb.retrieve(query(question), 5, lapsed);
    const top = retrieval.passages[0];
    if (!top) return undefined;
    const confidence = confidenceOf(top, retrieval);
    const doc = kb.document(top.chunk.documentId);
    const lapse = doc && lapseOf(doc, today, replaced);
    if (!doc || !lapse || confidence < options.minConfidence || lacksAskedFigure(question, top.chunk.text)) return undefined;
    const chosen = selectPassages(retrieval.passages).filter((p) => p.chunk.documentId === doc.id);
    const citations = chosen.map((p) => cite(p, retrieval.query, doc));
    const quoted = extractiveAnswer(citations, chosen.map((p) => p.chunk), language, question).answer;
    const answer: Answer = {
      ...notCovered(confidence, language),
      answer: `${lapseNotice(doc, lapse, language)}\n\n${quoted}`,
      citations,
    };
    return { answer, retrieval };
  }

  return async function consult(rawQuestion: string, context: { history?: History } = {}): Promise<ConsultResult> {
    const started = performance.now();
    const question = validateQuestion(rawQuestion);
    const language = detectLanguage(question);
    const verdict = guard(question);
    const done = (answer: Answer, retrieval?: Retrieval): ConsultResult => ({ answer, retrieval, latencyMs: performance.now() - started });

    if (verdict.verdict === 'injection') return done(fixed('declined', MESSAGES.declined[language]));
    if (verdict.verdict === 'greeting') return done(fixed('out_of_scope', MESSAGES.greeting[language]));

    const today = chinaDate(now());
    const replaced = replacements(kb.documents, today);
    const { text, scope, lapsed, retrieval } = await retrieveInContext(question, context.history ?? [], (text) => scopeFor(text, today, replaced));
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

    // Without IP vocabulary a question needs a clearly better match: more than one shared everyday word (买, 填)
    // or a good share of the question.
    const weakMatch = !top || (wordsShared(top, retrieval) < 2 && top.coverage < options.minConfidence);
    if (!verdict.inDomain && (confidence < options.minConfidence * 1.5 || weakMatch)) {
      return done({ ...fixed('out_of_scope', MESSAGES.outOfScope[language]), confidence: round(confidence) }, retrieval);
    }
    // Places asked about that have no documents of their own: only national documents can answer for them.
    const unlisted = scope.elsewhere.filter((p) => !applicability.hasOwnDocuments(kb.documents, p));
    const onlyElsewhere = scope.elsewhere.length > 0 && scope.targets.every((t) => scope.elsewhere.includes(t));
    // What another place provides (its subsidies, platforms) cannot be read from national guidance.
    const localOnly = onlyElsewhere && unlisted.length > 0 && asksAboutLocalProvision(text);
    if (localOnly) return done({ ...notCovered(confidence, language), answer: noDocumentsFor(unlisted, language) }, retrieval);
    if (!top || confidence < options.minConfidence || lacksAskedFigure(question, top.chunk.text)) {
      const old = await outOfForce(question, lapsed, language, today, replaced);
      if (old) return done(old.answer, old.retrieval);
      if (unlisted.length && onlyElsewhere) return done({ ...notCovered(confidence, language), answer: noDocumentsFor(unlisted, language) }, retrieval);
      return done(notCovered(confidence, language), retrieval);
    }
    const note = unlisted.length ? elsewhereNote(unlisted, onlyElsewhere, language) : undefined;
    const answer = llm ? await generated(llm, question, retrieval, confidence, language) : extractive(question, retrieval, confidence, language, note);
    return done(note && answer.answerer === 'llm' ? { ...answer, answer: `${note}\n\n${answer.answer}` } : answer, retrieval);
  };
}

export type Consult = ReturnType<typeof createConsult>;

/** The places a question is read against, and the retrieval options that follow from them. */
interface Scoped {
  /** The text the places were read from: the question, or with a follow-up the exchange before it too. */
  text: string;
  scope: QuestionScope;
  retrieve: RetrieveOptions;
  lapsed: RetrieveOptions;
}

/**
 * Confidence that the documents answer the question: half the share of the question's words the best
 * passage covers, half the absolute evidence (IDF mass) it holds, saturating at 4 — a long colloquial
 * question with one strongly matching term is still covered.
 */
function confidenceOf(top: Passage, retrieval: Retrieval): number {
  const { found } = evidence(retrieval.query.groups, searchableText(top.chunk));
  return 0.5 * Math.min(1, found / 4) + 0.5 * top.coverage;
}

/** How many of the question's words the passage contains (whole, as a synonym or by its parts). */
function wordsShared(top: Passage, retrieval: Retrieval): number {
  const text = normalize(searchableText(top.chunk));
  return retrieval.query.groups.filter((g) => groupMatch(g, text) > 0).length;
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
