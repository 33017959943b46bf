/** JSON schemas of the public API: validation, fast serialisation and the OpenAPI document in one place. */
import { MAX_QUESTION_CHARS } from '../consult.js';
import { CASE_STATUSES } from '../cases/core.js';

/** Client-chosen ids (conversation, anonymous user): short, printable, no spaces. */
const clientId = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:@-]+$' } as const;
const uuid = { type: 'string', format: 'uuid' } as const;

export const errorBody = {
  $id: 'Error',
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'input_invalid | not_found | rate_limited | internal' },
    message: { type: 'string', description: 'Fit to show the user (Chinese).' },
    retryAfterSeconds: { type: 'integer' },
  },
} as const;

const citation = {
  type: 'object',
  required: ['documentId', 'title', 'section', 'excerpt', 'score'],
  properties: {
    documentId: { type: 'string' },
    title: { type: 'string' },
    docNumber: { type: 'string', description: '文号' },
    section: { type: 'string' },
    article: { type: 'string', description: 'Article key: 一 … 十九, or header' },
    excerpt: { type: 'string' },
    score: { type: 'number' },
  },
} as const;

export const askBody = {
  type: 'object',
  required: ['question'],
  additionalProperties: false,
  properties: {
    // A loose bound here; validateQuestion() gives the precise limit with a message for the user.
    question: { type: 'string', maxLength: MAX_QUESTION_CHARS * 4 },
    conversationId: { ...clientId, description: 'Keeps follow-ups together (with userId).' },
    userId: { ...clientId, description: "The user's own random secret (the answer returns a fresh one when absent); history and referrals are never shared across users." },
  },
} as const;

export const askResponse = {
  type: 'object',
  required: ['outcome', 'answer', 'citations', 'confidence'],
  properties: {
    id: { type: 'string', description: 'Consultation id, for feedback and referral.' },
    outcome: { type: 'string', enum: ['answered', 'not_covered', 'out_of_scope', 'declined', 'escalation_offered'] },
    answer: { type: 'string' },
    citations: { type: 'array', items: citation },
    confidence: { type: 'number' },
    escalation: {
      type: 'object',
      properties: { reason: { type: 'string', enum: ['requested', 'professional_service', 'not_covered'] }, topic: { type: 'string' } },
    },
    answerer: { type: 'string', enum: ['extractive', 'llm', 'guard', 'reviewed'], description: 'extractive: quotes of the documents; llm: generated (AI); guard: a fixed reply; reviewed: an answer written and approved by staff' },
    userId: { type: 'string', description: 'The user id to act with (feedback, referral): the one sent, or a fresh random one when none was. Keep it secret: it is the only proof of who asked.' },
  },
} as const;

const articleKey = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const articleParams = {
  type: 'object',
  required: ['documentId', 'article'],
  properties: { documentId: articleKey, article: articleKey },
} as const;

export const articleResponse = {
  type: 'object',
  required: ['documentId', 'title', 'article', 'section', 'text', 'departments'],
  properties: {
    documentId: { type: 'string' },
    title: { type: 'string' },
    docNumber: { type: 'string', description: '文号' },
    article: { type: 'string', description: 'Article key: 一 … 十九, or header' },
    section: { type: 'string' },
    text: { type: 'string', description: 'The whole article, verbatim' },
    departments: { type: 'array', items: { type: 'string' }, description: '责任单位' },
  },
} as const;

export const feedbackBody = {
  type: 'object',
  required: ['consultationId', 'rating', 'userId'],
  additionalProperties: false,
  properties: {
    consultationId: uuid,
    rating: { enum: ['up', 'down', 1, -1], description: '👍 up / 1, 👎 down / -1' },
    comment: { type: 'string', maxLength: 1000 },
    userId: clientId,
  },
} as const;

export const referralBody = {
  type: 'object',
  required: ['consultationId', 'userId'],
  additionalProperties: false,
  properties: { consultationId: uuid, userId: clientId, district: { type: 'string', minLength: 1, maxLength: 30, description: 'e.g. 张店区; routes to agencies serving it' } },
} as const;

const caseView = {
  type: 'object',
  required: ['id', 'status', 'agency', 'consent', 'messages', 'events'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: [...CASE_STATUSES] },
    agency: { type: ['object', 'null'], properties: { id: { type: 'string' }, name: { type: 'string' }, contact: { type: 'string' } } },
    consent: {
      type: 'object',
      required: ['required'],
      properties: { required: { type: 'boolean' }, text: { type: 'string' }, data: { type: 'array', items: { type: 'string' } }, consentId: { type: 'integer' } },
    },
    messages: { type: 'array', items: { type: 'object', properties: { from: { type: 'string', enum: ['agency', 'bot'] }, text: { type: 'string' }, at: { type: 'string' } } } },
    events: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, at: { type: 'string' } } } },
    intake: { type: 'object', properties: { ask: { type: 'string', enum: ['district', 'field'] }, options: { type: 'array', items: { type: 'string' } } } },
    rating: { type: 'object', properties: { resolved: { type: ['boolean', 'null'] }, rating: { type: ['integer', 'null'] } } },
  },
} as const;
export const caseResponse = caseView;
export const caseParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;
export const caseQuery = { type: 'object', required: ['userId'], properties: { userId: clientId } } as const;

export const consentBody = {
  type: 'object',
  required: ['userId', 'consent'],
  additionalProperties: false,
  properties: {
    userId: clientId,
    consent: { type: 'boolean' },
    contact: { type: 'string', maxLength: 200, description: 'Phone or e-mail the agency may use; encrypted, shown only to the agency' },
    consentId: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The notice answered (consent.consentId of the case view)' },
  },
} as const;

export const ratingBody = {
  type: 'object',
  required: ['userId', 'resolved', 'rating'],
  additionalProperties: false,
  properties: { userId: clientId, resolved: { type: 'boolean' }, rating: { type: 'integer', minimum: 1, maximum: 5 }, comment: { type: 'string', maxLength: 1000 } },
} as const;

export const userOnlyBody = { type: 'object', required: ['userId'], additionalProperties: false, properties: { userId: clientId } } as const;

export const chooseBody = {
  type: 'object',
  required: ['userId', 'slot', 'value'],
  additionalProperties: false,
  properties: { userId: clientId, slot: { type: 'string', enum: ['district', 'field'] }, value: { type: 'string', minLength: 1, maxLength: 40 } },
} as const;

export const okResponse = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, message: { type: 'string' }, id: { type: 'string' }, status: { type: 'string' } },
} as const;

export const errorResponses = { 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, 429: { $ref: 'Error#' } } as const;

export interface AskBody {
  question: string;
  conversationId?: string;
  userId?: string;
}
export interface ArticleParams {
  documentId: string;
  article: string;
}
export interface FeedbackBody {
  consultationId: string;
  rating: 'up' | 'down' | 1 | -1;
  comment?: string;
  userId: string;
}
export interface ReferralBody {
  consultationId: string;
  userId: string;
  district?: string;
}
export interface ConsentBody {
  userId: string;
  consent: boolean;
  contact?: string;
  consentId?: number;
}
export interface RatingBody {
  userId: string;
  resolved: boolean;
  rating: number;
  comment?: string;
}
export interface ChooseBody {
  userId: string;
  slot: 'district' | 'field';
  value: string;
}
