/**
 * npm run ask -- "问题"            prints the answer
 * npm run ask -- --json "问题"     prints one JSON object (the evaluation contract)
 * npm run ask -- - < question.txt  reads the question from stdin (for long text)
 * npm run ask -- --jsonl < q.jsonl reads {"id","q"} lines, prints one JSON object per line with the same id
 * npm run ask -- --record "问题"   also writes the consultation to the log (channel cli)
 * Without --record, asking from the command line never writes to the consultation log.
 */
import os from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openConsultation, openStore } from '../bootstrap.js';
import { usePrivateUmask } from '../store/file-modes.js';
import { ConfigError, loadConfig } from '../config.js';
import { AppError } from '../errors.js';
import { toRecord } from '../record.js';
import { toContractJson, toText } from './format.js';

const USAGE = 'usage: npm run ask -- [--json] [--record] "问题"  |  npm run ask -- --jsonl < questions.jsonl';

async function main(): Promise<number> {
  usePrivateUmask();
  const { values, positionals } = parseArgs({
    options: { json: { type: 'boolean', default: false }, jsonl: { type: 'boolean', default: false }, record: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help || (!values.jsonl && positionals.length === 0)) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  const { kb, consult } = await openConsultation(config);
  for (const p of kb.problems) console.error(`knowledge: ${p.severity === 'warning' ? 'warning' : 'skipped'} ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);

  if (values.jsonl) {
    let failures = 0;
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      let id: string | undefined;
      try {
        const item = JSON.parse(line) as { id?: unknown; q?: unknown; question?: unknown };
        id = item.id === undefined ? undefined : String(item.id);
        const { answer } = await consult(typeof item.q === 'string' ? item.q : (item.question as string));
        console.log(JSON.stringify(toContractJson(answer, id)));
      } catch (err) {
        failures++;
        const message = err instanceof SyntaxError ? `not a JSON line: ${err.message}` : (err as Error).message;
        console.log(JSON.stringify({ ...(id !== undefined ? { id } : {}), error: { code: err instanceof AppError ? err.code : 'input_invalid', message } }));
      }
    }
    return failures ? 1 : 0;
  }

  const question = positionals.length === 1 && positionals[0] === '-' ? await readStdin() : positionals.join(' ');
  try {
    const result = await consult(question);
    const { answer } = result;
    let id: string | undefined;
    if (values.record) {
      const { database, store } = await openStore(config);
      try {
        const user = os.userInfo().username;
        id = (await store.record(toRecord({ channel: 'cli', conversationId: `cli:${user}`, userId: user }, question, result))).id;
      } finally {
        await database.close();
      }
    }
    console.log(values.json ? JSON.stringify(toContractJson(answer, id)) : toText(answer) + (id ? `\n记录编号：${id}` : ''));
    return 0;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (values.json) console.log(JSON.stringify({ error: { code: err.code, message: err.message } }));
    else console.error(err.message);
    return 2;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : `ask failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
