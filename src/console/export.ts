/**
 * Exports as streams with bounded memory: rows are read a page at a time (store/console-queries.ts) and
 * written as they come. CSV is UTF-8 with a BOM (Excel opens Chinese text), every field quoted, and every
 * line of a text cell that a spreadsheet would read as a formula (= + - @, or a leading tab or CR) gets a
 * leading apostrophe (OWASP CSV injection). Both matter: csv-stringify leaves a field with a lone LF
 * unquoted under CRLF record delimiters, and a reader that splits rows there (Excel, WPS, LibreOffice)
 * starts a new row with whatever followed the break, so the text after a line break is a cell start too.
 * XLSX cells are written as typed text, which spreadsheets never evaluate.
 */
import { once } from 'node:events';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';

export type Cell = string | number | null;

export interface Column<T> {
  header: string;
  value: (row: T) => Cell;
  /** XLSX column width in characters. */
  width?: number;
}

/** The start of the cell or of any line in it, followed by a character that opens a formula. */
const FORMULA_START = /(^|\r\n|\r|\n)(?=[=+\-@\t\r])/g;

export function neutralise(cell: Cell): Cell {
  return typeof cell === 'string' ? cell.replace(FORMULA_START, "$1'") : cell;
}

const NEUTRALISED = /(^|\r\n|\r|\n)'(?=[=+\-@\t\r])/g;

/** The text `neutralise` was given, for a CSV exported here and imported again. */
export function restoreNeutralised(text: string): string {
  return text.replace(NEUTRALISED, '$1');
}

export const BOM = '\ufeff';

/** The rows as CSV, header first, BOM in front. */
export function csvStream<T>(rows: AsyncIterable<T>, columns: Column<T>[]): Readable {
  const out = new PassThrough();
  out.write(BOM);
  const toRecord = new Transform({
    objectMode: true,
    transform(row: T, _encoding, done) {
      done(null, columns.map((c) => neutralise(c.value(row)) ?? ''));
    },
  });
  pipeline(Readable.from(rows), toRecord, stringify({ header: true, columns: columns.map((c) => c.header), eof: true, record_delimiter: 'windows', quoted: true, quoted_empty: true }), out).catch((error: unknown) => out.destroy(error as Error));
  return out;
}

/**
 * The rows as one XLSX sheet, written with exceljs' streaming writer. exceljs is loaded on the first
 * export: it costs start-up a quarter of a second and some 25 MB that most runs never use.
 */
export function xlsxStream<T>(rows: AsyncIterable<T>, columns: Column<T>[], sheetName: string): Readable {
  const out = new PassThrough();
  (async () => {
    const { default: ExcelJS } = await import('exceljs');
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
    const sheet = workbook.addWorksheet(sheetName);
    sheet.columns = columns.map((c, i) => ({ key: String(i), header: c.header, width: c.width ?? 14 }));
    for await (const row of rows) {
      sheet.addRow(columns.map((c) => c.value(row) ?? '')).commit();
      // Wait for the reader when it is slower than the database: memory stays bounded.
      if (out.readableLength > 4 * 1024 * 1024) await once(out, 'data');
    }
    sheet.commit();
    await workbook.commit();
  })().catch((error: unknown) => out.destroy(error as Error));
  return out;
}

/** `Content-Disposition` with a UTF-8 file name (RFC 6266) and an ASCII fallback. */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
