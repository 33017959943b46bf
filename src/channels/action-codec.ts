/**
 * Button actions on the wire. Telegram's callback_data holds at most 64 bytes, so actions are packed into
 * short strings there (case ids as 22 base64url characters); Feishu buttons carry the action object itself,
 * checked on the way back in. Either way a decoded action is validated before it reaches the inbox.
 */
import { z } from 'zod/v4';
import { IP_FIELDS } from '../escalation/agencies.js';
import type { InteractionAction } from '../types.js';

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
const short = z.string().trim().min(1).max(40);

/** What a decoded button may ask for; anything else is ignored. */
export const actionSchema: z.ZodType<InteractionAction> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('feedback'), consultationId: uuid, rating: z.union([z.literal(1), z.literal(-1)]) }),
  z.object({ type: z.literal('refer'), consultationId: uuid.optional() }),
  z.object({ type: z.literal('choose'), caseId: uuid, slot: z.enum(['district', 'field']), value: short }),
  z.object({ type: z.literal('consent'), caseId: uuid, consent: z.boolean(), consentId: z.number().int().positive().optional() }),
  z.object({ type: z.literal('withdraw'), caseId: uuid.optional() }),
  z.object({ type: z.literal('resolved'), caseId: uuid, resolved: z.boolean() }),
  z.object({ type: z.literal('rate'), caseId: uuid, rating: z.number().int().min(1).max(5) }),
  z.object({ type: z.literal('command'), command: z.enum(['start', 'help', 'privacy', 'forget', 'ask_usage']) }),
  z.object({ type: z.literal('agency'), caseId: uuid, op: z.enum(['accept', 'decline', 'close']) }),
]) as z.ZodType<InteractionAction>;

export function parseAction(value: unknown): InteractionAction | undefined {
  const parsed = actionSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A uuid as 22 base64url characters, and back. */
export const packId = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');
export function unpackId(packed: string): string {
  const hex = Buffer.from(packed, 'base64url').toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const MAX_CALLBACK_BYTES = 64;

/** Telegram callback_data for an action (≤ 64 bytes), or undefined when it cannot be packed. */
export function packAction(a: InteractionAction): string | undefined {
  let data: string;
  switch (a.type) {
    case 'feedback':
      data = `fb:${a.rating}:${a.consultationId}`;
      break;
    case 'refer':
      data = a.consultationId ? `hu:${a.consultationId}` : 'hu';
      break;
    case 'choose':
      data = `ch:${packId(a.caseId)}:${a.slot === 'field' ? `f:${IP_FIELDS.indexOf(a.value as (typeof IP_FIELDS)[number])}` : `d:${a.value}`}`;
      break;
    case 'consent':
      data = `c${a.consent ? 'y' : 'n'}:${packId(a.caseId)}:${a.consentId ?? ''}`;
      break;
    case 'withdraw':
      data = a.caseId ? `wd:${packId(a.caseId)}` : 'wd';
      break;
    case 'resolved':
      data = `rs:${packId(a.caseId)}:${a.resolved ? 1 : 0}`;
      break;
    case 'rate':
      data = `rt:${packId(a.caseId)}:${a.rating}`;
      break;
    case 'command':
      data = `cm:${a.command}`;
      break;
    case 'agency':
      data = `ag:${packId(a.caseId)}:${a.op[0]}`;
      break;
  }
  return Buffer.byteLength(data) <= MAX_CALLBACK_BYTES ? data : undefined;
}

const AGENCY_OPS = { a: 'accept', d: 'decline', c: 'close' } as const;

/** The action behind Telegram callback_data; undefined for anything that is not ours. */
export function unpackAction(data: string): InteractionAction | undefined {
  const [kind, first = '', second = '', ...rest] = data.split(':');
  const caseId = () => (first.length === 22 ? unpackId(first) : '');
  let action: unknown;
  switch (kind) {
    case 'fb':
      action = { type: 'feedback', rating: Number(first), consultationId: second };
      break;
    case 'hu':
      action = { type: 'refer', ...(first ? { consultationId: first } : {}) };
      break;
    case 'ch':
      action = second === 'f' ? { type: 'choose', caseId: caseId(), slot: 'field', value: IP_FIELDS[Number(rest[0])] } : { type: 'choose', caseId: caseId(), slot: 'district', value: [rest[0], ...rest.slice(1)].join(':') };
      break;
    case 'cy':
    case 'cn':
      action = { type: 'consent', caseId: caseId(), consent: kind === 'cy', ...(second ? { consentId: Number(second) } : {}) };
      break;
    case 'wd':
      action = { type: 'withdraw', ...(first ? { caseId: caseId() } : {}) };
      break;
    case 'rs':
      action = { type: 'resolved', caseId: caseId(), resolved: second === '1' };
      break;
    case 'rt':
      action = { type: 'rate', caseId: caseId(), rating: Number(second) };
      break;
    case 'cm':
      action = { type: 'command', command: first };
      break;
    case 'ag':
      action = { type: 'agency', caseId: caseId(), op: AGENCY_OPS[second as keyof typeof AGENCY_OPS] };
      break;
    default:
      return undefined;
  }
  return parseAction(action);
}

/** Text commands every channel understands: /help, /human, /privacy … (Feishu has no command entities). */
export function parseTextCommand(text: string): { command: string; rest: string } | undefined {
  const m = /^\/([A-Za-z_]+)(?:@\w+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  return m ? { command: m[1]!.toLowerCase(), rest: (m[2] ?? '').trim() } : undefined;
}

/** The interaction a command stands for; `ask` (a question) is the caller's. */
export function commandAction(command: string): InteractionAction | undefined {
  if (command === 'human') return { type: 'refer' };
  if (command === 'start' || command === 'help' || command === 'privacy' || command === 'forget') return { type: 'command', command };
  return undefined;
}
