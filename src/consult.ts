import type { ApprovedAnswerSource } from './approved/approved-answers.js';
import { policyBasis } from './answer/basis.js';
import { cite, excerptLines, extractiveAnswer, lapsedAnswer, notStatedAnswer, quotePassages, type AnswerInput, type Language } from './answer/extractive.js';
import { readInContext, type History, type Reading, type Search } from './answer/follow-up.js';
import type { PromptPassage } from './answer/grounding.js';
import type { Guard } from './answer/guard.js';
import type { LlmAnswerer } from './answer/llm.js';
import { MESSAGES, detectLanguage } from './answer/messages.js';
import { planAnswer, type AnswerPlan } from './answer/plan.js';
import { clarification, combineParts, questionParts, type PartAnswer } from './answer/conversation.js';
import { ROUTES, askedSlots, asksWhatToDo, isAskingWord, missingLine, statesSlot, type Slot, type SlotKind } from './answer/slots.js';
import { GUIDANCE_NOTE, elsewhereNote, isGuidance, lapseNotice, noDocumentsFor } from './answer/validity.js';
import { AppError } from './errors.js';
import { Applicability, DocumentScope, asksAboutLocalProvision, chinaDate, type Scoped } from './knowledge/applicability.js';
import type { KnowledgeBase, Retrieval, RetrieveOptions } from './knowledge/knowledge-base.js';
import type { Place } from './knowledge/gazetteer.js';
import { findPlaces, within, withoutPlaces } from './knowledge/places.js';
import { coverage, evidence, groupMatch, type TermGroup } from './knowledge/query.js';
import { normalize } from './knowledge/tokenizer.js';
import { searchableText } from './knowledge/knowledge-base.js';
import type { Answer, Chunk, DocumentMeta, Passage } from './types.js';

export type { History, Turn } from './answer/follow-up.js';

export const MAX_QUESTION_CHARS = 2000;

export interface ConsultOptions {
  /** Below this confidence the documents are taken not to cover the question. */
  minConfidence: number;
  /** HOME_REGION: the region whose documents answer a question that names no place. */
  homeRegion: string;
  /** For a question about what the policy says, guidance passages count this much against policy text: the policy wins a near-tie. */
  guidanceWeight: number;
}

export const DEFAULT_CONSULT_OPTIONS: ConsultOptions = { minConfidence: 0.3, homeRegion: '山东省淄博市', guidanceWeight: 0.8 };

/** What consult() produced, with what it looked at, for logging and evaluation. */
export interface ConsultResult {
  answer: Answer;
  retrieval?: Retrieval;
  latencyMs: number;
}

/**
 * What one question is answered from: the knowledge base as it is when the question arrives, and which of
 * its documents apply that day. Everything consult() reads of the knowledge goes through this.
 */
interface Sources {
  kb: KnowledgeBase;
  documents: DocumentScope;
  document: (id: string) => DocumentMeta | undefined;
}

/**
 * The platform-free pipeline: validate → guard → read in context (the places asked about, the documents in
 * force) → retrieve → plan (what is asked, what is stated) → answer, say what is missing or what is no longer
 * in force, or decline/refer.
 * Channels, the HTTP API and the CLI all call this and only render what it returns.
 */
export function createConsult(deps: {
  /** A knowledge base or a live one: read once at each question's start, so a reload swaps it between questions. */
  kb: { current(): KnowledgeBase };
  guard: Guard;
  llm?: LlmAnswerer;
  options?: Partial<ConsultOptions>;
  now?: () => Date;
  /** Staff-approved answers (src/approved/): checked after the guard, before retrieval; the CLIs leave it out. */
  approved?: ApprovedAnswerSource;
}) {
  const options = { ...DEFAULT_CONSULT_OPTIONS, ...deps.options };
  const { guard, llm } = deps;
  const now = deps.now ?? (() => new Date());
  const applicability = new Applicability(options.homeRegion);
  const query = (text: string) => searchText(text, applicability.home);

  function sourcesFor(kb: KnowledgeBase): Sources {
    return { kb, documents: new DocumentScope(applicability, kb.documents, chinaDate(now()), options.guidanceWeight), document: (id) => kb.document(id) };
  }

  const searchIn = (src: Sources) => scopedSearch(src.kb, src.documents);

  function answerInput(src: Sources, plan: AnswerPlan, retrieval: Retrieval, language: Language, lead?: string): AnswerInput {
    return { query: retrieval.query, language, passages: plan.chosen, document: src.document, slots: plan.slots, missing: plan.missing, objects: plan.objects, lead };
  }

  /** Quotes, with a note when they stand in for a generated answer that failed. */
  function extractive(src: Sources, plan: AnswerPlan, retrieval: Retrieval, confidence: number, language: Language, lead?: string, note?: string): Answer {
    const input = answerInput(src, plan, retrieval, language, lead);
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
  async function generated(src: Sources, model: LlmAnswerer, question: string, plan: AnswerPlan, retrieval: Retrieval, confidence: number, language: Language, lead?: string): Promise<Answer> {
    const passages = plan.chosen.concat(retrieval.passages.filter((p) => !plan.chosen.includes(p)));
    const missing = plan.missing.length ? missingLine(plan.missing, language, plan.objects) : undefined;
    const prompts = passages.map((p) => promptPassage(p, src.document(p.chunk.documentId)));
    // Only the documents' own web sources may appear as links in a generated answer.
    const allowedLinks = src.kb.documents.map((d) => d.source).filter((s) => /^https?:\/\//.test(s));
    const generation = await model.answer(question, prompts, language, allowedLinks, missing);
    if (generation.kind === 'unavailable') return extractive(src, plan, retrieval, confidence, language, lead, MESSAGES.generationUnavailable[language]);
    if (generation.kind === 'not_covered') return notCovered(confidence, language);
    const citations = generation.used.map((i) => cite(passages[i]!, retrieval.query, src.document(passages[i]!.chunk.documentId)));
    const labels = [...(citations.some(isGuidance) ? [GUIDANCE_NOTE[language]] : []), MESSAGES.aiLabel[language]].join('\n');
    const text = `${lead ?? ''}${generation.text}\n\n${labels}`;
    if (plan.verdict === 'not_stated') return { ...notCovered(confidence, language), answer: text, citations, answerer: 'llm' };
    return { outcome: 'answered', answer: text, citations, confidence: round(confidence), answerer: 'llm' };
  }

  /** The referral, citing the policy basis when the policy text speaks to the matter (guidance is none). */
  async function referral(src: Sources, reading: Reading, humanRequested: boolean, confidence: number, language: Language): Promise<Answer> {
    const { retrieval } = reading;
    // An issuing block names issuers (仲裁委员会办公室 among them), which is no provision to rest on.
    const provisions = (passages: Passage[]) => passages.filter((p) => p.chunk.article !== 'header' && src.document(p.chunk.documentId)?.level !== 'guidance');
    // The basis is policy text: when guidance sharing the question's words (起诉, 侵权) fills the answer's
    // passages, it is looked for among more candidates.
    let policy = provisions(retrieval.passages);
    if (!policy.length) policy = provisions((await searchIn(src)(reading.text, BASIS_CANDIDATES, reading.places)).passages).slice(0, retrieval.passages.length);
    const basis = policy.length && confidence >= options.minConfidence ? policyBasis(reading.question, retrieval.query, policy) : [];
    const quoted = quotePassages(basis, retrieval.query, src.document);
    const citations = quoted.map((q) => q.citation);
    const text = citations.length ? `${MESSAGES.escalation[language]}\n\n${MESSAGES.escalationBasis[language]}\n${excerptLines(quoted, language)}` : MESSAGES.escalation[language];
    return { outcome: 'escalation_offered', answer: text, citations, confidence: round(confidence), escalation: { reason: humanRequested ? 'requested' : 'professional_service' }, answerer: 'guard' };
  }

  /**
   * When nothing in force answers, a repealed, expired, replaced or not yet effective document of the same
   * places that states what was asked is named plainly with its dates and quoted for reference; the outcome
   * stays not_covered.
   */
  async function outOfForce(src: Sources, reading: Reading, scoped: Scoped, language: Language): Promise<{ answer: Answer; retrieval: Retrieval } | undefined> {
    const retrieval = await src.kb.retrieve(query(reading.text), 5, scoped.lapsed);
    const top = retrieval.passages[0];
    const doc = top && src.document(top.chunk.documentId);
    const lapse = doc && src.documents.lapse(doc);
    if (!top || !doc || !lapse || confidenceOf(top, retrieval.query.groups) < options.minConfidence) return undefined;
    const plan = planAnswer(src.kb, reading.question, retrieval.passages.filter((p) => p.chunk.documentId === doc.id), reading.previous);
    if (plan.verdict !== 'answer' || plan.missing.length) return undefined;
    const { answer, citations } = lapsedAnswer(answerInput(src, plan, retrieval, language), lapseNotice(doc, lapse, language));
    return { answer: { ...notCovered(confidenceOf(top, retrieval.query.groups), language), answer, citations, answerer: 'extractive' }, retrieval };
  }

  /**
   * A message as a whole: a bare topic gets a question back, several questions are answered part by part
   * (each read with the parts before it, as follow-ups are), anything else is one question.
   */
  return async function consult(rawQuestion: string, context: { history?: History } = {}): Promise<ConsultResult> {
    const started = performance.now();
    // The knowledge base is read once per message: every later step uses these sources.
    const src = sourcesFor(deps.kb.current());
    // Typos are read as the knowledge's words before anything judges the question (续站 is 续展).
    const question = src.kb.correct(validateQuestion(rawQuestion));
    const language = detectLanguage(question);
    const clarify = clarification(question, language);
    if (clarify && guard(question).verdict !== 'injection') {
      return { answer: { outcome: 'answered', answer: clarify.text, citations: [], confidence: 0, answerer: 'guard' }, latencyMs: performance.now() - started };
    }
    const parts = questionParts(question);
    if (parts.length === 1) return one(src, question, context, started);
    const earlier = typeof context.history === 'function' ? await context.history() : (context.history ?? []);
    const answered: PartAnswer[] = [];
    let first: Retrieval | undefined;
    for (const part of parts) {
      const turns = [...earlier, ...answered.map((a) => ({ question: a.question, citations: a.answer.citations }))];
      const result = await one(src, part, { history: turns }, started);
      first ??= result.retrieval;
      answered.push({ question: part, answer: result.answer });
    }
    // A part that tries to change the bot's instructions declines the whole message.
    const declined = answered.find((a) => a.answer.outcome === 'declined');
    return { answer: declined?.answer ?? combineParts(answered, language), retrieval: first, latencyMs: performance.now() - started };
  };

  async function one(src: Sources, question: string, context: { history?: History }, started: number): Promise<ConsultResult> {
    let verdict = guard(question);
    const done = (answer: Answer, retrieval?: Retrieval): ConsultResult => ({ answer, retrieval, latencyMs: performance.now() - started });

    if (verdict.verdict === 'injection') return done(fixed('declined', MESSAGES.declined[detectLanguage(question)]));
    if (verdict.verdict === 'greeting') return done(fixed('out_of_scope', MESSAGES.greeting[detectLanguage(question)]));
    // A plain question that staff have answered gets their approved answer (a referral request never does).
    const reviewed = verdict.verdict === 'escalate' ? undefined : await deps.approved?.answer(question);
    if (reviewed) return done(reviewed);

    const reading = await readInContext(src.kb, question, context.history ?? [], searchIn(src), llm, !verdict.inDomain);
    const { retrieval } = reading;
    const language = reading.language ?? detectLanguage(question);
    // A follow-up is judged with what it continues: "找谁办？" after a patent question is about patents.
    if (reading.previous) verdict = guard(question, reading.previous);
    else if (reading.question !== question) verdict = guard(reading.question);
    const top = retrieval.passages[0];
    const confidence = top ? confidenceOf(top, retrieval.query.groups) : 0;

    if (verdict.verdict === 'escalate') return done(await referral(src, reading, verdict.humanRequested, confidence, language), retrieval);

    // Without IP vocabulary a question needs a clearly better match: more than one shared everyday word (买, 填)
    // or a good share of the question, searched in its own words (股票 is no 股份, 帮 no 援助, for this).
    // Searched again only when the dictionary's senses took part in the first search.
    const literal = verdict.inDomain ? undefined : retrieval.query.groups.some((g) => g.related.length) ? await searchIn(src)(reading.text, 5, reading.places, true) : retrieval;
    const plain = literal?.passages[0];
    const weakMatch = !plain || (wordsShared(plain, literal!.query.groups) < 2 && plain.coverage < options.minConfidence);
    if (literal && ((plain ? confidenceOf(plain, literal.query.groups) : 0) < options.minConfidence * 1.5 || weakMatch)) {
      return done({ ...fixed('out_of_scope', MESSAGES.outOfScope[language]), confidence: round(confidence) }, retrieval);
    }

    const scoped = src.documents.of(reading.places, asksWhatToDo(reading.text));
    const { scope } = scoped;
    const unlisted = src.documents.unlisted(scope);
    const onlyElsewhere = scope.elsewhere.length > 0 && scope.targets.every((t) => scope.elsewhere.includes(t));
    const noDocuments = () => done({ ...notCovered(confidence, language), answer: noDocumentsFor(unlisted, language) }, retrieval);
    const notCoveredHere = () => (unlisted.length && onlyElsewhere ? noDocuments() : done(notCovered(confidence, language), retrieval));
    /** Nothing in force states it: a document no longer in force that does is named plainly, else `otherwise`. */
    const lapsedOr = async (otherwise: () => ConsultResult | Promise<ConsultResult>) => {
      const old = await outOfForce(src, reading, scoped, language);
      return old ? done(old.answer, old.retrieval) : otherwise();
    };
    // What another place provides (its subsidies, platforms) cannot be read from national guidance: not when
    // the place has no documents, nor when none of them is in force any more (those are quoted as such).
    if (onlyElsewhere && asksAboutLocalProvision(reading.text)) {
      if (unlisted.length > 0) return noDocuments();
      if (src.documents.withoutCurrent(scope).length > 0) return lapsedOr(notCoveredHere);
    }
    if (!top || confidence < options.minConfidence) return lapsedOr(notCoveredHere);

    const plan = planAnswer(src.kb, reading.question, retrieval.passages, reading.previous);
    if (plan.verdict === 'not_covered') return lapsedOr(notCoveredHere);
    const lead = unlisted.length ? elsewhereNote(unlisted, onlyElsewhere, language) : undefined;
    const answer = async () =>
      done(llm ? await generated(src, llm, reading.question, plan, retrieval, confidence, language, lead) : extractive(src, plan, retrieval, confidence, language, lead), retrieval);
    return plan.verdict === 'not_stated' ? lapsedOr(answer) : answer();
  }
}

export type Consult = ReturnType<typeof createConsult>;

/**
 * What is searched for: the text without the names of other places, which retrieval already limits to
 * their documents (the home region's names stay: they favour its own documents over national ones).
 */
function searchText(text: string, home: Place): string {
  return withoutPlaces(text, (p) => within(p, home) || within(home, p));
}

/**
 * Retrieval under the region and validity rules, as every question is searched: `text` among the documents
 * of `documents` that apply to the places `places` names and are in force on its day. The retrieval
 * benchmark searches the same way.
 */
export function scopedSearch(kb: KnowledgeBase, documents: DocumentScope, inspect?: RetrieveOptions['inspect']): Search {
  return (text, limit, places, literal) => {
    const asked = askedSlots(text);
    const slots = asked.filter((s) => ANSWER_SHAPED.has(s.kind));
    // A passage that states what is asked (a period for 多久, a body for 找谁, a route for 怎么办) is the likelier answer.
    const stated = (s: Slot, chunk: Chunk) => (s.kind === 'advice' ? ROUTES.test(chunk.text) : statesSlot(s, chunk.text, chunk.departments));
    const states = slots.length ? (chunk: Chunk) => slots.some((s) => stated(s, chunk)) : undefined;
    const advice = asked.some((s) => s.kind === 'advice');
    const asksLocal = advice || asksAboutLocalProvision(text) || findPlaces(places).length > 0;
    return kb.retrieve(searchText(text, documents.home), limit, { ...documents.of(places, advice).retrieve, states, asksLocal, asks: isAskingWord, inspect, literal });
  };
}

/** How many candidates a referral's policy basis is chosen from. */
const BASIS_CANDIDATES = 15;

/** Slots whose answer has a recognisable shape in the text: a figure, a date, a body. */
const ANSWER_SHAPED: ReadonlySet<SlotKind> = new Set(['period', 'deadline', 'date', 'amount', 'count', 'who', 'materials', 'conditions', 'advice']);

/**
 * Confidence that the documents answer the question: half the share of the question's words the best
 * passage covers, half the absolute evidence (IDF mass) it holds, saturating at 4 — a long colloquial
 * question with one strongly matching term is still covered.
 */
function confidenceOf(top: Passage, groups: TermGroup[]): number {
  // Judged on the question's own words and the thesaurus's: the dictionary's senses (扣 → 扣留) order the
  // passages, but are no evidence that the documents answer (previous user → 以前, 用户).
  const literal = groups.map((g) => ({ ...g, related: [] }));
  const text = searchableText(top.chunk);
  const { found } = evidence(literal, text);
  return 0.5 * Math.min(1, found / 4) + 0.5 * coverage(literal, text);
}

/** How many of the question's words the passage contains (whole, as a synonym or by its parts). */
function wordsShared(top: Passage, groups: TermGroup[]): number {
  const text = normalize(searchableText(top.chunk));
  return groups.filter((g) => groupMatch(g, text) > 0).length;
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
