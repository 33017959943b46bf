/** Agencies, keys and a case service for tests: a registry built in memory, the 24x7 calendar, short SLAs. */
import { parseAgencies, syncAgencies, type AgencyRegistry } from '../../src/escalation/agencies.js';
import { ALWAYS } from '../../src/escalation/calendar.js';
import { CaseService, type CaseServiceDeps } from '../../src/escalation/case-service.js';
import { DataKey } from '../../src/escalation/data-key.js';
import type { Outbox } from '../../src/queue/outbox.js';
import type { Database } from '../../src/store/db.js';

export const TEST_DATA_KEY = Buffer.alloc(32, 7).toString('base64');
export const WEBHOOK_SECRET = `whsec_${Buffer.from('test-webhook-secret-0123456789ab').toString('base64')}`;
export const OTHER_SECRET = `whsec_${Buffer.from('another-agency-secret-9876543210').toString('base64')}`;
/** The agency chats of the test registry. */
export const TELEGRAM_AGENCY_CHAT = '-100777';
export const FEISHU_AGENCY_CHAT = 'oc_agency_chat';

export interface AgencyFixture {
  id: string;
  name: string;
  fields?: string[];
  services?: string[];
  districts?: string[] | 'all';
  capacity?: number;
  contact?: string;
  example?: boolean;
  channel?: Record<string, unknown>;
}

/** A registry of the given agencies (every field and service unless said otherwise). */
export function registryOf(entries: AgencyFixture[]): AgencyRegistry {
  return parseAgencies(
    {
      agencies: entries.map((e) => ({
        fields: ['patent', 'trademark', 'copyright', 'trade_secret', 'geographical_indication', 'plant_variety', 'ic_layout'],
        services: ['agency', 'litigation', 'mediation_arbitration', 'valuation_finance', 'overseas', 'consulting'],
        districts: 'all',
        capacity: 5,
        contact: '0533-1234567',
        ...e,
      })),
    },
    'test registry',
  );
}

/** Two law firms for litigation (reached in Telegram and Feishu chats) and one on a webhook. */
export function litigationRegistry(webhookUrl = 'http://127.0.0.1:9/hook'): AgencyRegistry {
  return registryOf([
    { id: 'a-telegram-firm', name: '甲律师事务所', services: ['litigation'], channel: { type: 'telegram', chatId: TELEGRAM_AGENCY_CHAT }, contact: '甲所 0533-1111111' },
    { id: 'b-feishu-firm', name: '乙律师事务所', services: ['litigation'], channel: { type: 'feishu', chatId: FEISHU_AGENCY_CHAT }, contact: '乙所 0533-2222222' },
    { id: 'c-webhook-firm', name: '丙知识产权服务中心', services: ['litigation'], channel: { type: 'webhook', url: webhookUrl, secret: WEBHOOK_SECRET }, contact: '丙中心 0533-3333333' },
  ]);
}

/** A case service over `db` with the test agencies (or `overrides.registry`) synced into it. */
export async function testCases(db: Database, outbox: Outbox, overrides: Partial<CaseServiceDeps> = {}): Promise<CaseService> {
  const service = new CaseService({
    db,
    outbox,
    registry: litigationRegistry(),
    calendar: ALWAYS,
    acceptSlaMs: 3_600_000,
    answerSlaMs: 3_600_000,
    dataKey: DataKey.fromBase64(TEST_DATA_KEY),
    bots: { telegram: '123456', feishu: 'cli_a1b2c3d4e5f60718' },
    ...overrides,
  });
  await syncAgencies(db, service.registry);
  return service;
}
