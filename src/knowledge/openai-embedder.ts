import { OpenAIEmbeddings } from '@langchain/openai';
import { createHash } from 'node:crypto';
import { unit, type Embedder } from './embedder.js';

export interface OpenAIEmbedderSettings {
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Texts per request: DashScope's compatible mode takes at most 10. */
  batchSize: number;
  /** `float` suits most compatible providers; `base64` is the OpenAI SDK's own default (smaller responses). */
  encodingFormat: 'float' | 'base64';
  /** Per request while indexing. */
  timeoutMs: number;
  /** Per question: a slow embedding service must not hold up answers. Default 3 s. */
  queryTimeoutMs?: number;
  /**
   * Weight of its ranking against BM25's 1. Default 0.5: a general-purpose model knows synonyms the
   * thesaurus lacks, but BM25 over the IP dictionary stays the more precise signal on policy text.
   */
  fusionWeight?: number;
}

/**
 * Embeddings from any OpenAI-compatible service (OpenAI, DashScope/Qwen, vLLM, Ollama…). Its id names the
 * model and the endpoint, so switching either rebuilds the index.
 */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly fusionWeight: number;
  private readonly client: OpenAIEmbeddings;
  private readonly queryClient: OpenAIEmbeddings;

  constructor(settings: OpenAIEmbedderSettings) {
    const endpoint = createHash('sha256').update(settings.baseUrl).digest('hex').slice(0, 8);
    this.id = `openai-${settings.model}-${endpoint}`;
    this.fusionWeight = settings.fusionWeight ?? 0.5;
    const common = {
      model: settings.model,
      apiKey: settings.apiKey,
      configuration: { baseURL: settings.baseUrl },
      batchSize: settings.batchSize,
      // Asking for base64 explicitly makes the SDK hand back the raw string; left unset, it asks for
      // base64 itself and decodes the floats.
      ...(settings.encodingFormat === 'float' ? { encodingFormat: 'float' as const } : {}),
    };
    this.client = new OpenAIEmbeddings({ ...common, timeout: settings.timeoutMs, maxRetries: 2 });
    this.queryClient = new OpenAIEmbeddings({ ...common, timeout: settings.queryTimeoutMs ?? 3_000, maxRetries: 0 });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const vectors = await this.client.embedDocuments(texts);
    return vectors.map((v) => unit(Float32Array.from(v)));
  }

  async embedQuery(text: string): Promise<Float32Array> {
    return unit(Float32Array.from(await this.queryClient.embedQuery(text)));
  }
}
