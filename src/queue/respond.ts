/**
 * The one path from a question to a recorded answer, shared by the HTTP API (which returns the answer)
 * and the queue worker (which also writes the reply's outbox row in the same transaction).
 */
import { validateQuestion, type Consult, type ConsultResult } from '../consult.js';
import { toRecord, type Asker } from '../record.js';
import type { ConsultationStore } from '../store/consultations.js';
import type { Database } from '../store/db.js';
import { recentTurns } from '../store/history.js';
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
}

/**
 * Answers a question with the history of the same conversation and user (never another user's), and
 * records it; `within` runs in the recording transaction, so what it writes commits with the record.
 * Throws AppError('input_invalid') with a message fit for the user when the text is no question.
 */
export type Responder = (
  question: Question,
  options?: { freshConversation?: boolean; within?: (tx: Database, recorded: Responded) => Promise<void> },
) => Promise<Responded>;

export function createResponder(deps: ResponderDeps): Responder {
  return async (question, options = {}) => {
    const text = validateQuestion(question.text);
    const history = options.freshConversation ? [] : () => recentTurns(deps.db, question.conversationId, question.userId, HISTORY_TURNS);
    const result = await deps.consult(text, { history });
    deps.onAnswer?.(question, result);
    const asker: Asker = {
      channel: question.channel,
      conversationId: question.conversationId,
      userId: question.userId,
      chatId: question.chatId,
      messageId: question.messageId,
    };
    const record = toRecord(asker, text, result);
    const answered = (consultation: Consultation): Responded => ({ consultation, answer: { ...result.answer, id: consultation.id } });
    const { within } = options;
    // Recording alone is one statement, atomic by itself: no BEGIN/COMMIT round trips on the HTTP path.
    if (!within) return answered(await deps.store.recordBatched(record));
    return deps.db.transaction(async (tx) => {
      const recorded = answered(await deps.store.recordIn(tx, record));
      await within(tx, recorded);
      return recorded;
    });
  };
}
