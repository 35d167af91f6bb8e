import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { ImportFileError } from './errors.js';

/** File formats the import reads. */
export type ImportFormat = 'csv' | 'tsv' | 'xlsx' | 'jsonl';

/** One data row of a file: its fields, or why it could not be read. `line` is 1-based. */
export type SourceRow =
  | { line: number; record: Record<string, unknown>; error?: undefined }
  | { line: number; record?: undefined; error: string };

/** An open file: its rows in order, and how far the reading has got. */
export interface RowSource {
  format: ImportFormat;
  /** Header of a CSV/XLSX file (undefined for JSONL, whose rows carry their own keys). */
  columns: string[] | undefined;
  rows: AsyncIterable<SourceRow>;
  /** Bytes of the file consumed so far (for progress and ETA). */
  bytesRead(): number;
  /** Size of the file in bytes. */
  totalBytes: number;
  /** Stops reading and releases the file. */
  close(): void;
}

/** How to read a file. */
export interface SourceOptions {
  /** Overrides the format picked from the extension. */
  format?: ImportFormat | undefined;
  /** Text encoding of CSV/JSONL files, e.g. `gbk` for files saved by Excel in China. @default "utf-8" */
  encoding?: string | undefined;
  /** CSV field delimiter. @default "," (tab for .tsv) */
  delimiter?: string | undefined;
  /** XLSX worksheet: its name or 1-based position. @default the first worksheet */
  sheet?: string | number | undefined;
}

const EXTENSIONS: Record<string, ImportFormat> = {
  '.csv': 'csv',
  '.txt': 'csv',
  '.tsv': 'tsv',
  '.xlsx': 'xlsx',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

/** The format of `file`, from `format` or the file extension; throws naming the accepted extensions. */
export function detectFormat(file: string, format?: string): ImportFormat {
  if (format !== undefined) {
    if (format === 'csv' || format === 'tsv' || format === 'xlsx' || format === 'jsonl') return format;
    throw new ImportFileError(`format must be csv, tsv, xlsx or jsonl (got "${format}")`);
  }
  const f = EXTENSIONS[extname(file).toLowerCase()];
  if (!f) throw new ImportFileError(`${file}: unsupported file type "${extname(file) || '(none)'}" (use .csv, .tsv, .xlsx or .jsonl, or --format)`);
  return f;
}

/** Opens `file` for streaming: nothing but the current chunk of it is held in memory. */
export async function openRows(file: string, options: SourceOptions = {}): Promise<RowSource> {
  const format = detectFormat(file, options.format);
  let totalBytes: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new ImportFileError(`${file}: not a regular file`);
    totalBytes = st.size;
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportFileError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? (err as Error).message})`);
  }
  if (format === 'xlsx') return openXlsx(file, totalBytes, options);
  if (options.encoding !== undefined) checkEncoding(options.encoding);
  // Small reads: csv-parse turns a whole read into records at once, and records waiting in its
  // buffer while requests are in flight outlive young-generation GCs; 16 KiB keeps that to a few
  // hundred rows (and the process's peak RSS well lower) at no cost in throughput.
  const input = createReadStream(file, { highWaterMark: 16 * 1024 });
  let bytes = 0;
  // Everything below attaches synchronously: the 'data' listener starts the flow at once.
  input.on('data', (c) => {
    bytes += c.length;
  });
  const decoded = decode(input, options.encoding);
  const text = crlfToLf();
  // pipe() does not forward errors: a read error must still reach the parser.
  input.on('error', (e) => text.destroy(e));
  decoded.on('error', (e) => text.destroy(e));
  decoded.pipe(text);
  const base = { format, totalBytes, bytesRead: () => bytes, close: () => input.destroy() };
  if (format === 'jsonl') return { ...base, columns: undefined, rows: jsonlRows(text) };
  const delimiter = options.delimiter ?? (format === 'tsv' ? '\t' : ',');
  return csvSource(text, delimiter, base, file);
}

function checkEncoding(encoding: string): void {
  try {
    new TextDecoder(encoding);
  } catch {
    throw new ImportFileError(`encoding "${encoding}" is not supported (try utf-8 or gbk)`);
  }
}

/** UTF-8 goes straight through (csv-parse and readline decode it); other encodings are decoded here. */
function decode(input: Readable, encoding: string | undefined): Readable {
  const enc = (encoding ?? 'utf-8').toLowerCase();
  if (enc === 'utf-8' || enc === 'utf8') return input;
  const decoder = new TextDecoder(enc);
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      cb(null, decoder.decode(chunk, { stream: true }));
    },
    flush(cb) {
      cb(null, decoder.decode());
    },
  });
  input.on('error', (e) => t.destroy(e));
  return input.pipe(t);
}

/**
 * CRLF → LF. csv-parse counts a CRLF inside a quoted field as two lines, which would shift the line
 * numbers of every later row; with LF only, its line count is the file's (a multi-line field keeps
 * its text, with LF line breaks).
 */
function crlfToLf(): Transform {
  let pendingCR = false;
  return new Transform({
    transform(chunk: Buffer | string, _e, cb) {
      let b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      if (pendingCR) {
        b = Buffer.concat([Buffer.from([0x0d]), b]);
        pendingCR = false;
      }
      // A CR at the end may be the first half of a CRLF split across chunks.
      if (b.length && b[b.length - 1] === 0x0d) {
        pendingCR = true;
        b = b.subarray(0, b.length - 1);
      }
      let i = b.indexOf('\r\n');
      if (i === -1) return cb(null, b);
      const parts: Buffer[] = [];
      let from = 0;
      while (i !== -1) {
        parts.push(b.subarray(from, i));
        from = i + 1; // drop the CR, keep the LF
        i = b.indexOf('\r\n', from);
      }
      parts.push(b.subarray(from));
      cb(null, Buffer.concat(parts));
    },
    flush(cb) {
      cb(null, pendingCR ? Buffer.from([0x0d]) : undefined);
    },
  });
}

async function csvSource(
  text: Readable,
  delimiter: string,
  base: Omit<RowSource, 'columns' | 'rows'>,
  file: string,
): Promise<RowSource> {
  // Records stay arrays (faster than objects); a malformed row is skipped and reported, never fatal.
  let lastLine = 0;
  const parser = parse({
    bom: true,
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // Carries each record's line number (of its last line) without csv-parse's heavier `info` objects.
    on_record: (record: string[], ctx: { lines: number }) => {
      lastLine = ctx.lines;
      return { record, line: ctx.lines } as unknown as string[];
    },
  });
  // Skip events fire synchronously inside the parser, before any later record is pushed; the
  // consumer emits each one before the first record past its line, so the order is the file's.
  const skipped: Array<{ line: number; error: string }> = [];
  parser.on('skip', (err: Error & { lines?: number; code?: string }) => {
    const start = lastLine + 1;
    const end = err.lines ?? start;
    const why =
      err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? `unterminated quote: lines ${start}–${end} could not be read as CSV`
        : `malformed CSV: ${err.message}`;
    skipped.push({ line: start, error: why });
  });
  text.on('error', (e) => parser.destroy(e));
  text.pipe(parser);
  const it = (parser as AsyncIterable<{ record: string[]; line: number }>)[Symbol.asyncIterator]();
  let first: IteratorResult<{ record: string[]; line: number }>;
  try {
    first = await it.next();
  } catch (err) {
    throw new ImportFileError(`${file}: cannot read (${(err as Error).message})`);
  }
  if (first.done) throw new ImportFileError(`${file}: the file is empty (a header row is required)`);
  const columns = first.value.record.map((c) => c.trim());
  if (columns.every((c) => c === '')) throw new ImportFileError(`${file}: the header row is empty`);
  async function* rows(): AsyncGenerator<SourceRow> {
    const width = columns.length;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      const { record, line } = r.value;
      while (skipped.length && skipped[0]!.line <= line) yield skipped.shift()!;
      if (record.length !== width) {
        // A lone empty field is a blank line that holds only a delimiter-less space: skip it.
        if (record.length === 1 && record[0]!.trim() === '') continue;
        yield { line, error: `has ${record.length} fields, the header has ${width}` };
        continue;
      }
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < width; i++) if (columns[i] !== '') obj[columns[i]!] = record[i];
      yield { line, record: obj };
    }
    while (skipped.length) yield skipped.shift()!;
  }
  return { ...base, columns, rows: rows() };
}

async function* jsonlRows(text: Readable): AsyncGenerator<SourceRow> {
  const rl = createInterface({ input: text, crlfDelay: Infinity });
  let line = 0;
  for await (const raw of rl) {
    line++;
    const s = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (s.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (err) {
      yield { line, error: `not valid JSON (${(err as Error).message})` };
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      yield { line, error: 'must be a JSON object' };
      continue;
    }
    yield { line, record: v as Record<string, unknown> };
  }
}

/** The value of an Excel cell as the contact should see it. */
function cellValue(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object') return v;
  if (v instanceof Date) return v.toISOString();
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.richText)) return (o.richText as Array<{ text?: string }>).map((p) => p.text ?? '').join('');
  if ('result' in o) return cellValue(o.result);
  if (typeof o.text === 'string') return o.text;
  if (typeof o.error === 'string') return o.error;
  return String(v);
}

async function openXlsx(file: string, totalBytes: number, options: SourceOptions): Promise<RowSource> {
  // exceljs is heavy: loaded only when an .xlsx file is imported.
  const mod = (await import('exceljs')) as unknown as { default?: typeof import('exceljs') } & typeof import('exceljs');
  const ExcelJS = mod.default ?? mod;
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  let bytes = 0;
  input.on('data', (c) => {
    bytes += c.length;
  });
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    sharedStrings: 'cache',
    worksheets: 'emit',
    hyperlinks: 'ignore',
    styles: 'ignore',
    entries: 'emit',
  });
  const wanted = options.sheet;
  let columns: string[] | undefined;
  const sheets = reader[Symbol.asyncIterator]();
  let sheetIndex = 0;
  let sheet: AsyncGenerator<import('exceljs').Row> | undefined;
  try {
    for (;;) {
      const s = await sheets.next();
      if (s.done) break;
      sheetIndex++;
      const ws = s.value as unknown as { name?: string; [Symbol.asyncIterator](): AsyncGenerator<import('exceljs').Row> };
      const match = wanted === undefined ? sheetIndex === 1 : typeof wanted === 'number' ? sheetIndex === wanted : ws.name === wanted;
      if (match) {
        sheet = ws[Symbol.asyncIterator]();
        break;
      }
      // Drain sheets we skip: the zip is read in order.
      for await (const _row of ws) void _row;
    }
  } catch (err) {
    input.destroy();
    throw new ImportFileError(`${file}: not a readable .xlsx file (${(err as Error).message})`);
  }
  if (!sheet) {
    input.destroy();
    throw new ImportFileError(wanted === undefined ? `${file}: the workbook has no worksheet` : `${file}: no worksheet "${wanted}"`);
  }
  const header = await sheet.next().catch((err: Error) => {
    input.destroy();
    throw new ImportFileError(`${file}: not a readable .xlsx file (${err.message})`);
  });
  if (header.done) {
    input.destroy();
    throw new ImportFileError(`${file}: the worksheet is empty (a header row is required)`);
  }
  const hv = header.value.values as unknown[];
  columns = [];
  for (let i = 1; i < hv.length; i++) columns.push(String(cellValue(hv[i]) ?? '').trim());
  const cols = columns;
  async function* rows(): AsyncGenerator<SourceRow> {
    for (;;) {
      const r = await sheet!.next();
      if (r.done) break;
      const values = r.value.values as unknown[];
      const obj: Record<string, unknown> = {};
      let any = false;
      for (let i = 1; i < values.length; i++) {
        const v = cellValue(values[i]);
        if (v === undefined || v === '') continue;
        any = true;
        const name = cols[i - 1];
        if (name === undefined || name === '') {
          yield { line: r.value.number, error: `has a value in column ${i}, which has no header` };
          any = false;
          break;
        }
        obj[name] = v;
      }
      if (any) yield { line: r.value.number, record: obj };
    }
  }
  return { format: 'xlsx', columns, rows: rows(), totalBytes, bytesRead: () => bytes, close: () => input.destroy() };
}
