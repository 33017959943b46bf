/** JSON schemas of the public API: validation, fast serialisation and the OpenAPI document in one place. */
import { MAX_QUESTION_CHARS } from '../consult.js';

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
    userId: { ...clientId, description: 'Anonymous user id; history is never shared across users.' },
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
  properties: { consultationId: uuid, userId: clientId, topic: { type: 'string', maxLength: 50 } },
} as const;

export const okResponse = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, message: { type: 'string' }, id: { type: 'string' }, status: { type: 'string' } },
} as const;

export const errorResponses = { 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 429: { $ref: 'Error#' } } as const;

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
  topic?: string;
}
