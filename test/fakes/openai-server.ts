import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/** What the fake answers to one chat request: text, text made from the request, an HTTP error, a hang, or a stream of pieces. */
export type ChatBehaviour =
  | { reply: string }
  | { respond: (body: any) => string }
  | { stream: string[]; pauseMs?: number }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { hang: true };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/**
 * A fake OpenAI-compatible server on 127.0.0.1 for tests: /v1/chat/completions (plain and streamed) and
 * /v1/embeddings (float or base64, as asked). Chat replies come from a script the test sets; every request
 * is recorded so tests can check what reached the "provider".
 */
export class FakeOpenAI extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  /** Behaviours used in order, one per chat request; the last one repeats. */
  chat: ChatBehaviour[] = [{ reply: '根据第1段，可以。[1]' }];
  /** Embedding for a text; deterministic bag-of-characters by default. */
  embed: (text: string) => number[] = defaultEmbedding;
  private chatCalls = 0;

  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/chat/completions'));
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const path = req.url ?? '';
    this.requests.push({ path, headers: req.headers, body });
    if (path.endsWith('/embeddings')) {
      try {
        return this.embeddings(body, res);
      } catch (err) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: (err as Error).message } }));
        return;
      }
    }
    if (path.endsWith('/chat/completions')) {
      const behaviour = this.chat[Math.min(this.chatCalls++, this.chat.length - 1)]!;
      return this.chatCompletion(body, behaviour, res);
    }
    res.writeHead(404).end();
  }

  private async chatCompletion(body: any, b: ChatBehaviour, res: ServerResponse): Promise<void> {
    if ('hang' in b) {
      this.hanging.add(res);
      return;
    }
    if ('status' in b) {
      res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers });
      res.end(JSON.stringify(b.body ?? { error: { message: `fake ${b.status}`, type: 'server_error' } }));
      return;
    }
    if ('respond' in b) b = { reply: b.respond(body) };
    const base = { id: 'chatcmpl-fake', created: Math.floor(Date.now() / 1000), model: body?.model ?? 'fake' };
    if ('stream' in b || body?.stream) {
      const pieces = 'stream' in b ? b.stream : [b.reply];
      const pauseMs = 'stream' in b ? (b.pauseMs ?? 0) : 0;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const content of pieces) {
        if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);
      }
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      if (body?.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage: usage() })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: b.reply }, finish_reason: 'stop' }], usage: usage() }));
  }

  private embeddings(body: any, res: ServerResponse): void {
    const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
    const data = inputs.map((text, index) => {
      const vector = this.embed(text);
      const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
  }
}

function usage() {
  return { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
}

/** 64 dimensions from character codes: similar texts get similar vectors, deterministically. */
function defaultEmbedding(text: string): number[] {
  const v = new Array<number>(64).fill(0);
  for (const ch of text) v[ch.codePointAt(0)! % 64]! += 1;
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}
