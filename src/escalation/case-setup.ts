/**
 * Reads what the case workflow needs from its configuration: the agency registry, the working-time
 * calendar, the SLAs and the data key. Problems come back as one message per bad variable or entry, each
 * naming the variable (AGENCIES_FILE, CASE_CALENDAR, CASE_ACCEPT_SLA …).
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { AgencyRegistryError, loadAgencies, registryWarnings, type AgencyRegistry } from './agencies.js';
import { holidaysIn, loadCalendar, parseSla, type WorkCalendar } from './calendar.js';
import type { CaseSettings } from './case-service.js';
import { DataKey } from './data-key.js';

export interface CaseSetup extends CaseSettings {
  warnings: string[];
}

export class CaseSetupError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid case configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CaseSetupError';
  }
}

export function loadCaseSetup(config: Pick<Config, 'cases' | 'dataDir' | 'databaseUrl' | 'telegram' | 'feishu'>, env: NodeJS.ProcessEnv = process.env): CaseSetup {
  const problems: string[] = [];
  const warnings: string[] = [];
  let registry: AgencyRegistry | undefined;
  let calendar: WorkCalendar | undefined;
  try {
    registry = loadAgencies(config.cases.agenciesFile, env, config.cases.agenciesFileRequired);
    warnings.push(...registryWarnings(registry));
  } catch (error) {
    if (!(error instanceof AgencyRegistryError)) throw error;
    problems.push(...error.problems.map((p) => `AGENCIES_FILE: ${p}`));
  }
  try {
    calendar = loadCalendar(config.cases.calendar);
    const year = new Date().getFullYear();
    if (calendar.name !== '24x7' && !holidaysIn(calendar, year)) warnings.push(`CASE_CALENDAR: ${path.basename(calendar.name)} lists no public holidays for ${year}; add them (SLAs would count holidays as working days)`);
  } catch (error) {
    problems.push(`CASE_CALENDAR: ${(error as Error).message}`);
  }
  const sla = (name: string, value: string) => {
    try {
      return calendar ? parseSla(value, calendar) : 0;
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
      return 0;
    }
  };
  const acceptSlaMs = sla('CASE_ACCEPT_SLA', config.cases.acceptSla);
  const answerSlaMs = sla('CASE_ANSWER_SLA', config.cases.answerSla);
  let dataKey: DataKey | undefined;
  if (config.cases.dataKey) dataKey = DataKey.fromBase64(config.cases.dataKey);
  else if (!config.databaseUrl) dataKey = DataKey.inDirectory(config.dataDir);
  else warnings.push('CASE_DATA_KEY: not set; users cannot leave a contact for agencies (set the same key on every instance)');
  if (problems.length || !registry || !calendar) throw new CaseSetupError(problems);
  const bots: CaseSetup['bots'] = {};
  if (config.telegram) bots.telegram = config.telegram.token.split(':')[0];
  if (config.feishu) bots.feishu = config.feishu.appId;
  return { registry, calendar, acceptSlaMs, answerSlaMs, dataKey, bots, warnings };
}
