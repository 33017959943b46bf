import path from 'node:path';
import type { Config } from './config.js';
import { createConsult } from './consult.js';
import { createGuard } from './answer/guard.js';
import { KnowledgeBase } from './knowledge/knowledge-base.js';
import { ConsultationStore } from './store/consultations.js';
import { openDatabase } from './store/db.js';

/** Opens the knowledge base (from its cache when unchanged) and wires the consultation pipeline. */
export async function openConsultation(config: Pick<Config, 'knowledgeDir' | 'dataDir' | 'minConfidence'>) {
  const kb = await KnowledgeBase.open({ knowledgeDir: config.knowledgeDir, cacheDir: path.join(config.dataDir, 'index') });
  const consult = createConsult({ kb, guard: createGuard(kb.vocabulary), options: { minConfidence: config.minConfidence } });
  return { kb, consult };
}

/** Opens the consultation log: PGlite under DATA_DIR, or Postgres when DATABASE_URL is set. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'storeRawText'>) {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir });
  return { database, store: new ConsultationStore(database.db, { keepRawText: config.storeRawText }) };
}
