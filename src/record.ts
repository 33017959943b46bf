import { topicsOf } from './answer/topics.js';
import type { ConsultResult } from './consult.js';
import type { NewConsultation } from './store/consultations.js';
import type { ChannelName } from './types.js';

/** Who asked, where: what a channel knows about a question besides its text. */
export interface Asker {
  channel: ChannelName;
  conversationId: string;
  userId: string;
  chatId?: string;
  /** Platform message id; makes recording idempotent. */
  messageId?: string;
}

/** The consultation-log entry for one answered question: answer, citations, retrieved passages and timing. */
export function toRecord(asker: Asker, question: string, result: ConsultResult): NewConsultation {
  const { answer, retrieval } = result;
  return {
    ...asker,
    question,
    answer: answer.answer,
    outcome: answer.outcome,
    citations: answer.citations,
    passages: (retrieval?.passages ?? []).map((p) => ({
      chunkId: p.chunk.id,
      documentId: p.chunk.documentId,
      article: p.chunk.article,
      section: p.chunk.section,
      score: p.score,
      coverage: p.coverage,
    })),
    confidence: answer.confidence,
    answerer: answer.answerer,
    latencyMs: result.latencyMs,
    topics: topicsOf(question, ...answer.citations.map((c) => c.section)),
  };
}
