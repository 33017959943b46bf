/** Shared nouns of the service. No logic lives here. */

/** The platforms the bot listens on; `cli` is the command line, `webhook` the agencies reached by signed HTTP. */
export type ChannelName = 'telegram' | 'feishu' | 'wechat' | 'web' | 'api' | 'cli' | 'webhook';

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
  /** What is known, or not known, about the status: shown with every answer that cites the document. */
  statusNote?: string;
  validFrom?: string;
  validUntil?: string;
  source: string;
  language: string;
  tags: string[];
  /** When the facts (a guide) or the status (a law) were last checked (YYYY-MM-DD). */
  checked?: string;
  /** Guidance documents: the public sources their facts were checked against. */
  sources?: string[];
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
  /** The chapter or part the article sits in (第七章 专利权的保护), shown as context; not the article's own words. */
  chapter?: string;
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
  /** Who issued it (the lead issuer and how many more), when, its level and whether it is in force. */
  issuer?: string;
  issueDate?: string;
  /** `guidance`: explanatory text written for companies, never to be presented as policy. */
  level?: DocumentLevel;
  status?: string;
  /** What is known of the status when it is uncertain (a revision adopted but not verified here). */
  statusNote?: string;
  validFrom?: string;
  validUntil?: string;
  region?: string;
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

/** Where an inbound item came from and where its replies go; shared by messages and interactions. */
export interface Envelope {
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
  /** The platform message to reply to (quoted in the reply), when the channel supports it. */
  replyTo?: string;
}

/**
 * One user message, the same shape whichever platform it came from. A channel builds it from a platform
 * event and hands it to `inbox.accept()`; core code never reads `raw`.
 */
export interface IncomingMessage extends Envelope {
  /** Platform message id, unique within the channel (e.g. `<chat>:<message_id>` on Telegram). */
  messageId?: string;
  /** Plain text with bot mentions removed. */
  text: string;
  /** The bot's platform message this one replies to (an agency answering a case notice), if any. */
  quoted?: string;
  /** Untouched platform payload, kept for debugging. */
  raw?: unknown;
}

/** The chat commands every channel offers. */
export type ChatCommand = 'start' | 'help' | 'privacy' | 'forget' | 'ask_usage';

/** What a button press or a command asks for, decoded by the channel; handled in one place (src/interactions/). */
export type InteractionAction =
  | { type: 'feedback'; consultationId: string; rating: 1 | -1 }
  /** 转人工 on an answer, or /human (the user's last consultation). */
  | { type: 'refer'; consultationId?: string }
  /** An intake answer: the district, or the IP field; `-` for "not sure". */
  | { type: 'choose'; caseId: string; slot: 'district' | 'field'; value: string }
  /** The answer to a consent notice; `consentId` names the notice (and so the agency) it answers. */
  | { type: 'consent'; caseId: string; consent: boolean; consentId?: number }
  /** Withdraw one open case, or (without an id) list the open ones with withdraw buttons. */
  | { type: 'withdraw'; caseId?: string }
  | { type: 'resolved'; caseId: string; resolved: boolean }
  | { type: 'rate'; caseId: string; rating: number }
  | { type: 'command'; command: ChatCommand }
  /** A button in an agency's chat. */
  | { type: 'agency'; caseId: string; op: 'accept' | 'decline' | 'close' };

/** A button press or command, stored in the inbox like a message and handled once, in chat order. */
export interface Interaction extends Envelope {
  action: InteractionAction;
  /** The platform message the button sat on (its card can be updated). */
  messageId?: string;
}

/** A button under an outbound message; each channel encodes `action` in its own callback format. */
export interface ReplyButton {
  label: string;
  action: InteractionAction;
  primary?: boolean;
}

/** The body of a Standard Webhooks delivery to an agency (DESIGN "Cases"). */
export interface AgencyWebhookEvent {
  type: 'case.requested' | 'case.withdrawn' | 'case.closed';
  timestamp: string;
  data: {
    caseId: string;
    agencyId: string;
    field?: string;
    service?: string;
    district?: string;
    question: string;
    conversation: { question: string; answer: string }[];
    contact?: string;
    respondBy?: string;
  };
}

/**
 * A message to an agency about a case. With `contact`, the user's contact is read from the case (stored
 * once, encrypted) and filled in just before the send, if the case is still with that agency: the queue
 * never holds it in clear.
 */
export interface AgencyCaseRef {
  caseId: string;
  agencyId: string;
  contact?: boolean;
}

/**
 * What the sender asks a channel to do: post one message to one chat (an answer, a notice, a prompt with
 * buttons), update an earlier message's buttons, or (channel `webhook`) deliver an event to an agency.
 */
export interface OutgoingReply {
  /** Outbox row id; stable across retries, so a platform idempotency key (Feishu `uuid`) can use it. */
  id: number;
  /** What to do; a plain message when absent. */
  kind?: 'message' | 'card_update' | 'agency_event';
  channel: ChannelName;
  botId: string;
  chatId: string;
  replyTo?: string;
  text: string;
  outcome?: Outcome;
  citations: Citation[];
  /** Which answerer wrote the text (channels label generated answers); absent for notices. */
  answerer?: Answer['answerer'];
  /** Consultation the reply answers: its 👍/👎/转人工 buttons; absent for notices. */
  consultationId?: string;
  /** Rows of buttons under a notice (consent, district, rating, accept/decline). */
  buttons?: ReplyButton[][];
  /** Contact details meant for the user (an agency's phone or e-mail), which a channel must not mask away. */
  contacts?: boolean;
  /** card_update: the platform message whose buttons are replaced by `text` as a status line. */
  target?: string;
  /** card_update: the answer the card showed, for platforms that redraw the whole card (Feishu). */
  card?: { text: string; citations: Citation[]; answerer?: Answer['answerer'] };
  /** agency_event: the webhook body; `chatId` is the agency id. */
  event?: AgencyWebhookEvent;
  /** A message about a case to its agency: the contact is filled in at send time, and replies to it answer the case. */
  agencyCase?: AgencyCaseRef;
  /** 1 on the first try. */
  attempt: number;
  /** Messages of a split reply that an earlier attempt got posted (a crash mid-way): the next one starts after them. */
  partsSent?: number;
}

/** What a deliverer learned from the platform: the id of the message it posted, for replies to it. */
export interface DeliveryReceipt {
  messageId?: string;
}

/**
 * Posts replies on one platform. Translates only: throw a `DeliveryError` (src/queue/delivery-error.ts)
 * with `retryAfterMs` when the platform asks to wait, or `permanent` when retrying cannot help.
 */
export interface Deliverer {
  channel: ChannelName;
  /**
   * `progress.partSent(n)`: a platform without an idempotency key (Telegram) that posts a reply as several
   * messages reports each one but the last, so that a retry after a crash does not post them again.
   */
  send(reply: OutgoingReply, progress?: DeliveryProgress): Promise<DeliveryReceipt | void>;
  /**
   * The platform's send limits that this reply counts against, in the order they are waited for (the
   * tightest, shared one last, so that its slot is taken right before the send). The sender enforces them
   * (src/queue/send-limits.ts), across every instance when the store is shared.
   */
  sendLimits?(reply: OutgoingReply): SendLimit[];
}

/** At most `limit` sends per `windowMs` under `key` (e.g. `feishu:app:<appId>`). */
export interface SendLimit {
  key: string;
  limit: number;
  windowMs: number;
}

export interface DeliveryProgress {
  /** The first `parts` messages of the reply are posted; resolves once that is stored. */
  partSent(parts: number): Promise<void>;
}
