import type { BaseMessageLike } from '@langchain/core/messages';
import type { ChatOpenAI } from '@langchain/openai';
import CircuitBreaker from 'opossum';
import { deadline } from '../deadline.js';
import { maskPersonalInfo } from '../privacy/pii.js';
import type { Language } from './extractive.js';
import { checkAnswer, rewritePrompt, systemPrompt, userPrompt, type CheckedAnswer, type PromptPassage } from './grounding.js';

export interface LlmSettings {
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Per HTTP request. */
  timeoutMs: number;
  /** For one answer, retries included; after it the extractive answer is used. */
  budgetMs: number;
  /**
   * A model that has not sent its first token by then is given up on at once (the extractive answer is
   * used), so a provider that hangs costs a user seconds, not the whole budget. Unset: only the budget.
   */
  firstTokenMs?: number;
  /** Retries of a failed request (429, 5xx, timeouts) inside the budget. */
  maxRetries: number;
  maxTokens: number;
  /** Passages are cut to this many characters in all, so cost per answer stays bounded. */
  maxInputChars: number;
}

/** What the model produced, or why it produced nothing usable. */
export type Generation =
  | ({ kind: 'answer' } & CheckedAnswer)
  | { kind: 'not_covered'; dropped: number }
  | { kind: 'unavailable'; reason: 'timeout' | 'breaker_open' | 'error'; message: string };

/**
 * Answers through any OpenAI-compatible chat model, strictly from the given passages. Personal numbers
 * are masked before anything leaves the process; the model gets no tools, so it can only write text, and
 * that text is checked (src/answer/grounding.ts) before anyone sees it. A circuit breaker stops calling a
 * provider that keeps failing, so answers fall back to quotes at once instead of after a timeout each.
 */
export class LlmAnswerer {
  /** Created on first use: the OpenAI client is only loaded in processes that call a model. */
  private model?: Promise<ChatOpenAI>;
  private readonly breaker: CircuitBreaker<[BaseMessageLike[], AbortSignal], string>;

  constructor(
    private readonly settings: LlmSettings,
    breaker: { resetTimeoutMs?: number; volumeThreshold?: number } = {},
  ) {
    this.breaker = new CircuitBreaker((messages: BaseMessageLike[], signal: AbortSignal) => this.invoke(messages, signal), {
      timeout: false, // the per-call AbortSignal enforces the budget and also cancels the request
      errorThresholdPercentage: 50,
      volumeThreshold: breaker.volumeThreshold ?? 3,
      resetTimeout: breaker.resetTimeoutMs ?? 30_000,
      rollingCountTimeout: 60_000,
    });
  }

  get breakerOpen(): boolean {
    return this.breaker.opened;
  }

  /**
   * `allowedLinks`: the documents' own source URLs, the only links an answer may keep. `missing`: what the
   * passages do not state of what was asked, which the answer must say first.
   */
  async answer(question: string, passages: PromptPassage[], language: Language, allowedLinks: string[] = [], missing?: string): Promise<Generation> {
    const bounded = boundPassages(passages, this.settings.maxInputChars);
    const messages: BaseMessageLike[] = [
      ['system', systemPrompt(language)],
      ['human', userPrompt(maskPersonalInfo(question).text, bounded, missing)],
    ];
    const result = await this.call(messages);
    if (typeof result !== 'string') return result;
    const checked = checkAnswer(result, bounded.map((p) => p.text), allowedLinks);
    return checked.notCovered ? { kind: 'not_covered', dropped: checked.dropped } : { kind: 'answer', ...checked };
  }

  /** A follow-up rewritten as a standalone question, or undefined when the model is unavailable. */
  async rewrite(question: string, earlier: string[]): Promise<string | undefined> {
    const mask = (s: string) => maskPersonalInfo(s).text;
    const result = await this.call([['human', rewritePrompt(mask(question), earlier.map(mask))]]);
    if (typeof result !== 'string') return undefined;
    const line = result.trim().split('\n')[0]?.trim();
    return line && line.length <= 500 ? line : undefined;
  }

  private async call(messages: BaseMessageLike[]): Promise<string | Extract<Generation, { kind: 'unavailable' }>> {
    try {
      return await this.breaker.fire(messages, AbortSignal.timeout(this.settings.budgetMs));
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === 'EOPENBREAKER') return { kind: 'unavailable', reason: 'breaker_open', message: 'circuit breaker open' };
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /abort|timed? ?out/i.test(e.message);
      return { kind: 'unavailable', reason: timedOut ? 'timeout' : 'error', message: e.message.slice(0, 200) };
    }
  }

  private chatModel(): Promise<ChatOpenAI> {
    const settings = this.settings;
    this.model ??= import('@langchain/openai').then(
      ({ ChatOpenAI }) =>
        new ChatOpenAI({
          model: settings.model,
          apiKey: settings.apiKey,
          configuration: { baseURL: settings.baseUrl },
          temperature: 0.2,
          maxTokens: settings.maxTokens,
          timeout: settings.timeoutMs,
          maxRetries: settings.maxRetries,
          // Some compatible servers reject stream_options; usage is not needed here.
          streamUsage: false,
        }),
    );
    return this.model;
  }

  /** Streams the reply, so that a model that never starts answering is noticed after `firstTokenMs`. */
  private async invoke(messages: BaseMessageLike[], signal: AbortSignal): Promise<string> {
    const model = await this.chatModel();
    const firstToken = this.settings.firstTokenMs;
    // Until the first token: the first-token deadline or the budget; after it, the budget alone.
    const silent = firstToken ? deadline(firstToken, `no first token within ${firstToken} ms`, signal) : undefined;
    let text = '';
    try {
      for await (const chunk of await model.stream(messages, { signal: silent?.signal ?? signal })) {
        silent?.stopTimer();
        text += typeof chunk.content === 'string' ? chunk.content : chunk.content.map((p) => ('text' in p ? p.text : '')).join('');
      }
    } finally {
      silent?.clear();
    }
    return text;
  }

  async close(): Promise<void> {
    this.breaker.shutdown();
  }
}

/** Keeps whole passages in rank order until the character budget is spent (always at least one). */
function boundPassages(passages: PromptPassage[], maxChars: number): PromptPassage[] {
  const out: PromptPassage[] = [];
  let used = 0;
  for (const p of passages) {
    if (out.length && used + p.text.length > maxChars) break;
    out.push(out.length ? p : { ...p, text: p.text.slice(0, maxChars) });
    used += p.text.length;
  }
  return out;
}
