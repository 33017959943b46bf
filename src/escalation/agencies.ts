/**
 * The agency registry (AGENCIES_FILE, YAML, top-level `agencies:`): who takes referred cases, for which IP
 * fields, services and districts, how many at once, and how each is reached. Validated entry by entry, with
 * one message per problem naming the entry; synced into Postgres at start (inactive when removed from the file).
 * Webhook secrets stay in memory: the database never holds them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod/v4';
import type { Database } from '../store/db.js';
import { agencies as agencyTable } from '../store/schema.js';
import { IP_FIELDS, type IpField } from '../knowledge/ip-fields.js';
import type { ChannelName } from '../types.js';

export { IP_FIELDS, type IpField };
export const SERVICES = ['agency', 'litigation', 'mediation_arbitration', 'valuation_finance', 'overseas', 'consulting'] as const;
export type Service = (typeof SERVICES)[number];

export const FIELD_LABELS: Record<IpField, string> = {
  patent: '专利',
  trademark: '商标',
  copyright: '版权',
  trade_secret: '商业秘密',
  geographical_indication: '地理标志',
  plant_variety: '植物新品种',
  ic_layout: '集成电路布图设计',
};
export const SERVICE_LABELS: Record<Service, string> = {
  agency: '代理申请',
  litigation: '诉讼维权',
  mediation_arbitration: '调解仲裁',
  valuation_finance: '评估融资',
  overseas: '海外维权',
  consulting: '咨询',
};

export type AgencyChannel = { type: 'telegram'; chatId: string } | { type: 'feishu'; chatId: string } | { type: 'webhook'; url: string; secret: string };

export interface Agency {
  id: string;
  name: string;
  example: boolean;
  fields: IpField[];
  services: Service[];
  /** District names, or `all`. */
  districts: string[] | 'all';
  capacity: number;
  /** Shown to users; may be empty until the operator fills it in. */
  contact: string;
  /** How new cases are announced to it; without one the agency works its cases in the console only. */
  channel?: AgencyChannel;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

const chatChannel = (type: 'telegram' | 'feishu') =>
  z.object({ type: z.literal(type), chatId: z.union([z.string().trim().min(1), z.number().int()]).transform(String) });
const webhookChannel = z
  .object({
    type: z.literal('webhook'),
    url: z.string().refine((u) => {
      try {
        const url = new URL(u);
        return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname));
      } catch {
        return false;
      }
    }, 'expected an https:// URL (http:// only on a loopback address)'),
    secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'expected whsec_ followed by the base64 secret').optional(),
    secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name').optional(),
  })
  .refine((c) => Boolean(c.secret) !== Boolean(c.secretEnv), 'give exactly one of secret or secretEnv');

const entrySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'expected lower-case letters, digits, . _ - (at most 64)'),
  name: z.string().trim().min(1),
  example: z.boolean().default(false),
  fields: z.array(z.enum(IP_FIELDS)).min(1),
  services: z.array(z.enum(SERVICES)).min(1),
  districts: z
    .union([z.literal('all'), z.array(z.string().trim().min(1)).min(1)], { error: 'expected all or a list of district names' })
    .transform((d) => (Array.isArray(d) && d.includes('all') ? 'all' : d)),
  capacity: z.number().int().min(1).max(10_000),
  contact: z.string().trim().default(''),
  channel: z.unknown().optional(),
});

const CHANNEL_SCHEMAS = { telegram: chatChannel('telegram'), feishu: chatChannel('feishu'), webhook: webhookChannel } as const;

/** The channel of an entry, checked by its type so that a problem names the field that is wrong. */
function parseChannel(raw: unknown, problems: string[], label: string) {
  if (raw === undefined || raw === null) return undefined;
  const type = (raw as { type?: unknown }).type;
  const schema = typeof type === 'string' ? CHANNEL_SCHEMAS[type as keyof typeof CHANNEL_SCHEMAS] : undefined;
  if (!schema) {
    problems.push(`${label}: channel.type: expected telegram, feishu or webhook`);
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${label}: channel${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
    return undefined;
  }
  return parsed.data;
}

/** Raised with one line per bad entry or field, each naming the file and the entry. */
export class AgencyRegistryError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'AgencyRegistryError';
  }
}

export class AgencyRegistry {
  private readonly byId: Map<string, Agency>;
  private readonly byChat: Map<string, Agency>;

  constructor(readonly agencies: Agency[]) {
    this.byId = new Map(agencies.map((a) => [a.id, a]));
    this.byChat = new Map(agencies.flatMap((a) => (a.channel && a.channel.type !== 'webhook' ? [[`${a.channel.type}\u0000${a.channel.chatId}`, a] as const] : [])));
  }

  get(id: string): Agency | undefined {
    return this.byId.get(id);
  }

  /** The agency whose chat this is, if any: messages and buttons there are the agency's, not questions. */
  forChat(channel: ChannelName, chatId: string): Agency | undefined {
    return this.byChat.get(`${channel}\u0000${chatId}`);
  }

  /** Agencies the router may pick (all of them: one without a channel works its cases in the console). */
  routable(): Agency[] {
    return this.agencies;
  }
}

/**
 * Reads and validates the registry. A missing file is an empty registry (every referral then goes to the
 * staff queue) unless `required` (the operator named it). `env` resolves `secretEnv`.
 */
export function loadAgencies(file: string, env: NodeJS.ProcessEnv = process.env, required = false): AgencyRegistry {
  if (!existsSync(file)) {
    if (required) throw new AgencyRegistryError([`${file}: no such file`]);
    return new AgencyRegistry([]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    const line = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line})` : '';
    throw new AgencyRegistryError([`${file}${line}: not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  return parseAgencies(raw, file, env);
}

export function parseAgencies(raw: unknown, file: string, env: NodeJS.ProcessEnv = {}): AgencyRegistry {
  const list = (raw as { agencies?: unknown } | null)?.agencies;
  if (!Array.isArray(list)) throw new AgencyRegistryError([`${file}: expected a top-level "agencies:" list`]);
  const problems: string[] = [];
  const agencies: Agency[] = [];
  const seen = new Set<string>();
  list.forEach((entry, i) => {
    const label = `${file}: agencies[${i}]${typeof (entry as { id?: unknown })?.id === 'string' ? ` (${(entry as { id: string }).id})` : ''}`;
    const parsed = entrySchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${label}: ${issue.path.join('.') || 'entry'}: ${issue.message}`);
      return;
    }
    const a = parsed.data;
    if (seen.has(a.id)) problems.push(`${label}: id is used by an earlier entry`);
    seen.add(a.id);
    const given = parseChannel(a.channel, problems, label);
    let channel: AgencyChannel | undefined;
    if (given?.type === 'webhook') {
      const secret = given.secret ?? env[given.secretEnv!];
      if (!secret) problems.push(`${label}: channel.secretEnv: ${given.secretEnv} is not set`);
      else if (!/^whsec_[A-Za-z0-9+/=]{16,}$/.test(secret)) problems.push(`${label}: channel.secretEnv: ${given.secretEnv} must hold whsec_ followed by the base64 secret`);
      else channel = { type: 'webhook', url: given.url, secret };
    } else {
      channel = given;
    }
    agencies.push({ id: a.id, name: a.name, example: a.example, fields: a.fields, services: a.services, districts: a.districts, capacity: a.capacity, contact: a.contact, channel });
  });
  if (problems.length) throw new AgencyRegistryError(problems);
  return new AgencyRegistry(agencies);
}

/** Writes the registry into the `agencies` table; agencies no longer in the file are kept, inactive. */
export async function syncAgencies(db: Database, registry: AgencyRegistry): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(agencyTable).set({ active: false, syncedAt: sql`now()` });
    if (!registry.agencies.length) return;
    const rows = registry.agencies.map((a) => ({
      id: a.id,
      name: a.name,
      example: a.example,
      fields: a.fields,
      services: a.services,
      districts: a.districts === 'all' ? ['all'] : a.districts,
      capacity: a.capacity,
      contact: a.contact,
      channelType: a.channel?.type ?? null,
      channelAddress: a.channel ? (a.channel.type === 'webhook' ? a.channel.url : a.channel.chatId) : null,
      active: true,
    }));
    await tx
      .insert(agencyTable)
      .values(rows)
      .onConflictDoUpdate({
        target: agencyTable.id,
        set: {
          name: sql`excluded.name`,
          example: sql`excluded.example`,
          fields: sql`excluded.fields`,
          services: sql`excluded.services`,
          districts: sql`excluded.districts`,
          capacity: sql`excluded.capacity`,
          contact: sql`excluded.contact`,
          channelType: sql`excluded.channel_type`,
          channelAddress: sql`excluded.channel_address`,
          active: sql`true`,
          syncedAt: sql`now()`,
        },
      });
  });
}

/** Startup warnings: examples that stand in for real agencies, agencies without a channel or a contact. */
export function registryWarnings(registry: AgencyRegistry): string[] {
  const warnings: string[] = [];
  const examples = registry.agencies.filter((a) => a.example);
  if (examples.length) warnings.push(`agencies: ${examples.map((a) => a.id).join(', ')} are examples; replace them with real agencies in the registry file`);
  const consoleOnly = registry.agencies.filter((a) => !a.channel);
  if (consoleOnly.length) warnings.push(`agencies: ${consoleOnly.map((a) => a.id).join(', ')} have no channel: they see new cases only in the console`);
  const noContact = registry.agencies.filter((a) => !a.contact);
  if (noContact.length) warnings.push(`agencies: ${noContact.map((a) => a.id).join(', ')} have no contact for users yet`);
  if (!registry.agencies.length) warnings.push('agencies: the registry is empty; every referral goes to the staff queue');
  return warnings;
}
