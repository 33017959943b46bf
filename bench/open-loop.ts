/**
 * Open-loop load for the webhook benchmarks: requests leave on a fixed schedule whatever the answers before
 * them did, and each latency counts from the time the request was due, not from when the client got round
 * to it, so a slow server cannot hide its delay by slowing the client down (coordinated omission).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface PreparedRequest {
  method?: string;
  path?: string;
  headers: Record<string, string>;
  body: string;
}

/** Status 0: the connection failed or the request timed out. */
export function post(agent: http.Agent, url: URL, request: PreparedRequest, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = request.path ? new URL(request.path, url) : url;
    const req = http.request(target, { method: request.method ?? 'POST', agent, timeout: timeoutMs, headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(request.body);
  });
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export const round = (n: number) => Math.round(n * 100) / 100;

export interface Outcome<K> {
  kind: K;
  /** Milliseconds from the due time to the end of the response. */
  latencyMs: number;
  /** HTTP status, 0 for a transport error or timeout. */
  status: number;
}

/**
 * Sends `requests[i]` at `i / rate` seconds after the start; resolves when every response is in, with
 * one outcome per request and the worst lateness of a send against its schedule (the client's own lag).
 */
export async function runOpenLoop<K>(agent: http.Agent, base: URL, requests: { kind: K; request: PreparedRequest }[], rate: number): Promise<{ outcomes: Outcome<K>[]; maxSendLagMs: number }> {
  const outcomes: Outcome<K>[] = [];
  const inFlight: Promise<void>[] = [];
  let maxSendLagMs = 0;
  const started = performance.now();
  for (let i = 0; i < requests.length; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
    const { kind, request } = requests[i]!;
    inFlight.push(
      post(agent, base, request).then(
        (status) => void outcomes.push({ kind, latencyMs: performance.now() - due, status }),
        () => void outcomes.push({ kind, latencyMs: performance.now() - due, status: 0 }),
      ),
    );
  }
  await Promise.all(inFlight);
  return { outcomes, maxSendLagMs };
}
