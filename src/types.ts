/** Shared nouns of the service. No logic lives here. */

/** The platforms the bot listens on; `cli` is the command line. */
export type ChannelName = 'telegram' | 'feishu' | 'web' | 'api' | 'cli';

/** What happened to a question. Part of the evaluation contract. */
export type Outcome = 'answered' | 'not_covered' | 'out_of_scope' | 'declined' | 'escalation_offered';

/** Levels of the document hierarchy, from the State Council down; `guidance` is explanatory text written for companies. */
export const DOCUMENT_LEVELS = ['national', 'provincial', 'municipal', 'district', 'guidance'] as const;
export type DocumentLevel = (typeof DOCUMENT_LEVELS)[number];

/** Metadata every knowledge document carries in its front-matter. */
export interface DocumentMeta {
  id: string;
  title: string;
  /** 文号, e.g. 淄市监知促字〔2023〕130号. */
  docNumber?: string;
  issuers: string[];
  /** ISO date, YYYY-MM-DD. */
  issueDate: string;
  region?: string;
  level?: DocumentLevel;
  /** Ids of the documents this one replaces. */
  supersedes: string[];
  /** e.g. 现行有效, 已废止. */
  status: string;
  validFrom?: string;
  validUntil?: string;
  source: string;
  language: string;
  tags: string[];
}

export interface KnowledgeDocument {
  meta: DocumentMeta;
  /** Body text without front-matter, as written in the file. */
  body: string;
  /** Path relative to the knowledge folder. */
  file: string;
}

/** A retrievable piece of a document: one article, the header, or a part of a long article. */
export interface Chunk {
  /** Stable id: `${documentId}#${article}` plus `.${part}` for split articles. */
  id: string;
  documentId: string;
  /** Article key: the numeral (一 … 十九, 第三条 → 三) or `header`. */
  article: string;
  /** Human-readable location, e.g. `七、推动知识产权服务业优化升级`. */
  section: string;
  /** The article's heading sentence, e.g. `推动知识产权服务业优化升级`. */
  heading: string;
  /** Verbatim text of the chunk (without the trailing 责任单位 note). */
  text: string;
  /** Departments in charge, from a trailing （责任单位：…） note. */
  departments: string[];
}

/** A chunk that matched a question, with how well. */
export interface Passage {
  chunk: Chunk;
  /** Fused rank score; only comparable within one result list. */
  score: number;
  /** Share (0…1) of the question's informative terms found in this chunk, IDF-weighted. */
  coverage: number;
}

/** A source the answer relies on. Part of the evaluation contract. */
export interface Citation {
  documentId: string;
  title: string;
  docNumber?: string;
  section: string;
  /** Article key (一 … 十九 or header). */
  article: string;
  /** Verbatim excerpt from the document. */
  excerpt: string;
  score: number;
}

/** Why a case is offered to a human / an agency. */
export interface EscalationOffer {
  reason: 'requested' | 'professional_service' | 'not_covered';
  /** Short topic for routing, e.g. 商业秘密. */
  topic?: string;
}

/** The answer to one question. Its JSON form is the evaluation contract. */
export interface Answer {
  id?: string;
  outcome: Outcome;
  answer: string;
  citations: Citation[];
  /** 0…1; how well the documents cover the question. */
  confidence: number;
  escalation?: EscalationOffer;
  /** Which answerer produced the text; `reviewed`: an approved answer written and approved by staff. */
  answerer: 'extractive' | 'llm' | 'guard' | 'reviewed';
}

/** Kinds of personal information masked before storage and before any LLM call. */
export type PiiKind = 'mobile' | 'id_card' | 'email' | 'bank_card';

/** How many values of one kind were masked in a text (never the values themselves). */
export interface PiiFinding {
  kind: PiiKind;
  count: number;
}

/** A retrieved passage as stored with a consultation: a reference and its scores, not the chunk text. */
export interface PassageRef {
  chunkId: string;
  documentId: string;
  article: string;
  section: string;
  score: number;
  coverage: number;
}

/** One recorded question and its answer, as the store returns it. Text is masked unless configured otherwise. */
export interface Consultation {
  id: string;
  conversationId: string;
  channel: ChannelName;
  chatId: string | null;
  userId: string;
  messageId: string | null;
  question: string;
  answer: string;
  outcome: Outcome;
  citations: Citation[];
  passages: PassageRef[];
  confidence: number;
  answerer: Answer['answerer'];
  latencyMs: number;
  topics: string[];
  /** What was masked in question and answer. */
  piiFound: PiiFinding[];
  createdAt: Date;
  reviewedAt: Date | null;
}

/**
 * One user message, the same shape whichever platform it came from. A channel builds it from a platform
 * event and hands it to `inbox.accept()`; core code never reads `raw`.
 */
export interface IncomingMessage {
  channel: ChannelName;
  /** Which bot (account) of the channel received it; several bots may share one service. */
  botId: string;
  /** Platform event id (Telegram update_id, Feishu event_id): a redelivery carries the same one. */
  eventId: string;
  /** Where the reply goes (Telegram chat id, Feishu chat_id). Replies to one chat keep their order. */
  chatId: string;
  /** The sender, as the platform identifies them. History is never shared across users. */
  userId: string;
  /** Stable conversation key, e.g. `telegram:<chat>` or `feishu:<chat>:<thread>`. */
  conversationId: string;
  /** Platform message id, unique within the channel (e.g. `<chat>:<message_id>` on Telegram). */
  messageId?: string;
  /** Plain text with bot mentions removed. */
  text: string;
  /** The platform message to reply to (quoted in the reply), when the channel supports it. */
  replyTo?: string;
  /** Untouched platform payload, kept for debugging. */
  raw?: unknown;
}

/** What the sender asks a channel to post: one reply to one chat. */
export interface OutgoingReply {
  /** Outbox row id; stable across retries, so a platform idempotency key (Feishu `uuid`) can use it. */
  id: number;
  channel: ChannelName;
  botId: string;
  chatId: string;
  replyTo?: string;
  text: string;
  outcome?: Outcome;
  citations: Citation[];
  /** Which answerer wrote the text (channels label generated answers); absent for apologies and input errors. */
  answerer?: Answer['answerer'];
  /** Consultation the reply answers; absent for apologies and input errors. */
  consultationId?: string;
  /** 1 on the first try. */
  attempt: number;
}

/**
 * Posts replies on one platform. Translates only: throw a `DeliveryError` (src/queue/delivery-error.ts)
 * with `retryAfterMs` when the platform asks to wait, or `permanent` when retrying cannot help.
 */
export interface Deliverer {
  channel: ChannelName;
  send(reply: OutgoingReply): Promise<void>;
}
