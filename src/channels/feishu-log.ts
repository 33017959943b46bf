/**
 * A logger for the Lark SDK that never prints secrets. The SDK logs whole request errors, and those carry
 * the token request body (`app_secret`), `Authorization: Bearer t-…` headers and message bodies (user text).
 * Every argument is reduced to a short description (message, HTTP status, Feishu code and msg, method and
 * path) and then scrubbed of the configured secrets, anything shaped like a token and personal data.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { loggableText } from '../privacy/log-text.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Where the channel's log lines go (the service's pino logger, or stderr). */
export type LogSink = (level: LogLevel, message: string) => void;

const TOKEN_SHAPES: [RegExp, string][] = [
  [/Bearer\s+[^\s"',}]+/gi, 'Bearer [redacted]'],
  [/\b[tua]-[A-Za-z0-9._-]{8,}/g, '[token]'],
  [/("?(?:app_secret|appSecret|AppSecret|tenant_access_token|app_access_token|encrypt_key|token)"?\s*[:=]\s*)"?[^",\s}]+"?/g, '$1"[redacted]"'],
];

/** Removes the given secrets and token-shaped strings from a text. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  for (const [pattern, replacement] of TOKEN_SHAPES) out = out.replace(pattern, replacement);
  return out;
}

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  msg?: unknown;
  config?: { method?: unknown; url?: unknown };
  response?: { status?: unknown; data?: { code?: unknown; msg?: unknown } };
}

/** A short description of one log argument; request and response bodies are left out on purpose. */
export function describeLogArgument(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (typeof arg !== 'object' || arg === null) return String(arg);
  if (Array.isArray(arg)) return arg.map(describeLogArgument).join(' ');
  const e = arg as ErrorLike;
  const parts: string[] = [];
  if (arg instanceof Error) parts.push(`${arg.name}: ${arg.message}`);
  else if (typeof e.message === 'string') parts.push(e.message);
  if (typeof e.config?.method === 'string' || typeof e.config?.url === 'string') {
    parts.push(`${String(e.config?.method ?? '').toUpperCase()} ${String(e.config?.url ?? '').split('?')[0]}`.trim());
  }
  if (e.response?.status !== undefined) parts.push(`status ${String(e.response.status)}`);
  const code = e.response?.data?.code ?? e.code;
  const msg = e.response?.data?.msg ?? e.msg;
  if (code !== undefined) parts.push(`code ${String(code)}`);
  if (typeof msg === 'string') parts.push(msg);
  return parts.length ? parts.join(' · ') : '[object]';
}

/** The SDK's logger interface over a sink, with everything redacted. */
export function createRedactingLogger(sink: () => LogSink, secrets: readonly string[]): lark.Logger {
  // The SDK also logs what events carry (an unknown event type, say): masked like any outside text.
  const emit = (level: LogLevel) => (...args: unknown[]) => sink()(level, loggableText(redact(args.map(describeLogArgument).join(' '), secrets), 1_000));
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug'), trace: emit('debug') };
}

/** Default sink before the service's logger is known: one line on stderr for warnings and errors. */
export const stderrSink: LogSink = (level, message) => {
  if (level === 'error' || level === 'warn') process.stderr.write(`feishu ${level}: ${message}\n`);
};
