/**
 * The one path from a question to a recorded answer, shared by the HTTP API (which returns the answer)
 * and the queue worker (which drafts several, then records them with their outbox rows in one transaction).
 */
import { validateQuestion, type Consult, type ConsultResult } from '../consult.js';
import { toRecord, type Asker } from '../record.js';
import type { ConsultationStore, NewConsultation } from '../store/consultations.js';
import type { Database } from '../store/db.js';
import { recentTurns } from '../store/history.js';
import type { Failpoint } from '../failpoint.js';
import type { Answer, Consultation } from '../types.js';

/** Turns of earlier history a follow-up is read with. */
export const HISTORY_TURNS = 5;

/** A question and who asked it; `IncomingMessage` is one. */
export type Question = Asker & { text: string };

export interface Responded {
  consultation: Consultation;
  answer: Answer;
}

export interface ResponderDeps {
  db: Database;
  store: ConsultationStore;
  consult: Consult;
  /** Told about every answer, e.g. to count outcomes and latency. */
  onAnswer?: (question: Question, result: ConsultResult) => void;
  /** Crash tests stop the process here (src/failpoint.ts). */
  failpoint?: Failpoint;
}

/** An answer and its log entry, not yet written: the worker commits several of these in one transaction. */
export interface Draft {
  record: NewConsultation;
  answer: Answer;
}

/**
 * Answers a question with the history of the same conversation and user (never another user's), without
 * writing anything. Throws AppError('input_invalid') with a message fit for the user when the text is no question.
 */
export type Drafter = (question: Question, options?: { freshConversation?: boolean }) => Promise<Draft>;

/** A drafted answer, recorded: what the HTTP API returns. */
export type Responder = (question: Question, options?: { freshConversation?: boolean }) => Promise<Responded>;

export function createDrafter(deps: Omit<ResponderDeps, 'store'>): Drafter {
  return async (question, options = {}) => {
    const text = validateQuestion(question.text);
    const history = options.freshConversation ? [] : () => recentTurns(deps.db, question.conversationId, question.userId, HISTORY_TURNS);
    const result = await deps.consult(text, { history });
    deps.onAnswer?.(question, result);
    deps.failpoint?.('answer.drafted', { channel: question.channel });
    const asker: Asker = {
      channel: question.channel,
      conversationId: question.conversationId,
      userId: question.userId,
      chatId: question.chatId,
      messageId: question.messageId,
    };
    return { record: toRecord(asker, text, result), answer: result.answer };
  };
}

/** The recorded form of a draft: the answer carries its consultation's id. */
export const recorded = (draft: Draft, consultation: Consultation): Responded => ({ consultation, answer: { ...draft.answer, id: consultation.id } });

export function createResponder(deps: ResponderDeps): Responder {
  const draft = createDrafter(deps);
  // Recording alone is one statement, atomic by itself; concurrent answers share it (no BEGIN/COMMIT round trips).
  return async (question, options) => {
    const drafted = await draft(question, options);
    return recorded(drafted, await deps.store.recordBatched(drafted.record));
  };
}
