import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import jschardet from 'jschardet';
import { Parser, type Options as CsvOptions } from 'csv-parse';
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
  /**
   * The same rows in arrays: for CSV/TSV, the rows of one 16 KiB read (a few hundred), so a reader
   * awaits once per read instead of once per row; for JSONL and XLSX, one row each. Iterate `rows`
   * or `batches`, not both: they share one reader.
   */
  batches: AsyncIterable<SourceRow[]>;
  /**
   * Text encoding used to decode a CSV/TSV/JSONL file, and why, when it was detected rather than given:
   * `reason` is null for plain UTF-8 (nothing to tell) and for XLSX.
   */
  encoding?: { name: string; reason: string | null } | undefined;
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
  // No --encoding: look at the start of the file (a GBK file from Excel on Chinese Windows is not UTF-8).
  const encoding = options.encoding !== undefined ? { name: options.encoding, reason: null } : detectEncoding(readSample(file));
  // Small reads: each read becomes a batch of rows at once, and rows still waiting while requests
  // are in flight outlive young-generation GCs; 16 KiB keeps a batch to a few hundred rows at no
  // cost in throughput.
  const input = createReadStream(file, { highWaterMark: 16 * 1024 });
  let bytes = 0;
  // Everything below attaches synchronously: the 'data' listener starts the flow at once.
  input.on('data', (c) => {
    bytes += c.length;
  });
  const decoded = decode(input, encoding.name);
  const text = crlfToLf();
  // pipe() does not forward errors: a read error must still reach the parser.
  input.on('error', (e) => text.destroy(e));
  decoded.on('error', (e) => text.destroy(e));
  decoded.pipe(text);
  const base = { format, totalBytes, encoding, bytesRead: () => bytes, close: () => input.destroy() };
  if (format === 'jsonl') return { ...base, columns: undefined, ...fromRows(jsonlRows(text)) };
  const delimiter = options.delimiter ?? (format === 'tsv' ? '\t' : ',');
  return csvSource(text, delimiter, base, file);
}

/** The first 64 KiB of a file, for encoding detection. */
function readSample(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

// Encodings of East Asian files a detector may name: trusted whatever its confidence (a short sample
// gives a low one); GB2312 and GBK are subsets of GB18030, which decodes them all.
const CJK_ENCODINGS: Record<string, string> = {
  gb2312: 'gb18030', gbk: 'gb18030', gb18030: 'gb18030', big5: 'big5', 'euc-tw': 'big5',
  'euc-jp': 'euc-jp', shift_jis: 'shift_jis', 'iso-2022-jp': 'iso-2022-jp', 'euc-kr': 'euc-kr',
};

function supported(encoding: string): boolean {
  try {
    new TextDecoder(encoding);
    return true;
  } catch {
    return false;
  }
}

/**
 * The encoding of a text file from its first bytes: a byte order mark; else UTF-8 when the bytes are
 * valid UTF-8 (reason null: nothing to tell); else what jschardet finds (an East Asian encoding whatever
 * its confidence, another one at 0.8 or more); else GB18030, what Excel saves CSV as on Chinese Windows.
 */
export function detectEncoding(sample: Uint8Array): { name: string; reason: string | null } {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return { name: 'utf-8', reason: null };
  if (sample[0] === 0xff && sample[1] === 0xfe) return { name: 'utf-16le', reason: 'UTF-16LE byte order mark' };
  if (sample[0] === 0xfe && sample[1] === 0xff) return { name: 'utf-16be', reason: 'UTF-16BE byte order mark' };
  try {
    // stream: a multi-byte character cut at the end of the sample is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return { name: 'utf-8', reason: null };
  } catch {
    /* not UTF-8 */
  }
  const found = jschardet.detect(Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength));
  const name = typeof found.encoding === 'string' ? found.encoding.toLowerCase() : '';
  const cjk = CJK_ENCODINGS[name];
  if (cjk !== undefined) return { name: cjk, reason: `not UTF-8; detected ${found.encoding}` };
  if (name !== '' && found.confidence >= 0.8 && supported(name)) return { name, reason: `not UTF-8; detected ${found.encoding} (confidence ${found.confidence.toFixed(2)})` };
  return { name: 'gb18030', reason: 'not UTF-8 and no confident detection; assuming GB18030/GBK (what Excel saves on Chinese Windows)' };
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

/** `rows` and `batches` of a source that produces rows one at a time (JSONL, XLSX). */
function fromRows(rows: AsyncIterable<SourceRow>): Pick<RowSource, 'rows' | 'batches'> {
  return {
    rows,
    batches: (async function* () {
      for await (const row of rows) yield [row];
    })(),
  };
}

/** `rows` and `batches` of a source that produces batches (CSV). */
function fromBatches(batches: AsyncIterable<SourceRow[]>): Pick<RowSource, 'rows' | 'batches'> {
  return {
    batches,
    rows: (async function* () {
      for await (const batch of batches) yield* batch;
    })(),
  };
}

/**
 * csv-parse's stream parser, handing each record to `onRecord` with its line as soon as it is
 * parsed. csv-parse's own ways to get the line (`on_record`, `info: true`) build two info objects
 * per record, the biggest single allocation of a big import; `info.lines` read when the record is
 * pushed is the same number. Records never enter the stream's buffer: the reader writes one piece of
 * the file at a time and takes the rows it produced (see csvSource), which bounds them instead.
 */
class RecordParser extends Parser {
  constructor(options: CsvOptions, private readonly onRecord: (record: string[], line: number) => void) {
    super(options);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null, encoding);
    this.onRecord(chunk as string[], this.info.lines);
    return true;
  }
}

async function csvSource(
  text: Readable,
  delimiter: string,
  base: Omit<RowSource, 'columns' | 'rows' | 'batches'>,
  file: string,
): Promise<RowSource> {
  let columns: string[] | undefined;
  let width = 0;
  let lastLine = 0;
  // Rows parsed from the pieces written so far, in file order (records and skipped records
  // interleave as the parser meets them). Taken whole by the reader after each piece: at most one
  // piece of the file (16 KiB, a few hundred rows) is ever held as rows.
  let pending: SourceRow[] = [];
  // Records stay arrays (faster than objects); a malformed row is skipped and reported, never fatal.
  const parser = new RecordParser(
    { bom: true, delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, skip_records_with_error: true },
    (record, line) => {
      lastLine = line;
      if (!columns) {
        columns = record.map((c) => c.trim());
        width = columns.length;
        return;
      }
      if (record.length !== width) {
        // A lone empty field is a blank line that holds only a delimiter-less space: skip it.
        if (record.length === 1 && record[0]!.trim() === '') return;
        pending.push({ line, error: `has ${record.length} fields, the header has ${width}` });
        return;
      }
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < width; i++) if (columns[i] !== '') obj[columns[i]!] = record[i];
      pending.push({ line, record: obj });
    },
  );
  // Skip events fire synchronously inside the parser, between the records around the bad one.
  parser.on('skip', (err: Error & { lines?: number; code?: string }) => {
    const start = lastLine + 1;
    const end = err.lines ?? start;
    const why =
      err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? `unterminated quote: lines ${start}–${end} could not be read as CSV`
        : `malformed CSV: ${err.message}`;
    pending.push({ line: start, error: why });
  });
  // Errors reach the reader through the write/end callbacks; the listener keeps them from being unhandled.
  parser.on('error', () => undefined);

  const pieces = text[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let ended = false;
  /** Feeds the next piece of the file (or its end) to the parser; resolves once it is parsed. */
  const feed = async (): Promise<void> => {
    const piece = await pieces.next();
    if (piece.done) ended = true;
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (piece.done) parser.end(cb);
      else parser.write(piece.value, cb);
    });
  };
  try {
    while (!columns && !ended) await feed();
  } catch (err) {
    throw new ImportFileError(`${file}: cannot read (${(err as Error).message})`);
  }
  if (!columns) throw new ImportFileError(`${file}: the file is empty (a header row is required)`);
  if ((columns as string[]).every((c) => c === '')) throw new ImportFileError(`${file}: the header row is empty`);
  async function* batches(): AsyncGenerator<SourceRow[]> {
    for (;;) {
      if (pending.length) {
        const batch = pending;
        pending = [];
        yield batch;
      } else if (ended) return;
      else await feed();
    }
  }
  return { ...base, columns, ...fromBatches(batches()) };
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

/** Excel serial day number (1900 date system) of 1970-01-01. */
const EXCEL_EPOCH_DAYS = 25569;

/**
 * What a date/time number format shows: a date, a time, or both (sections, quoted text, colours and
 * escapes aside). `m` alone is minutes next to `h` or `s`, else a month; both lead to the same answer.
 */
function dateParts(numFmt: string): { date: boolean; time: boolean; seconds: boolean } | undefined {
  const f = numFmt.split(';')[0]!.replace(/"[^"]*"|\\.|\[(?!h\]|m\]|s\])[^\]]*\]/gi, '').toLowerCase();
  const date = /[yd]/.test(f) || (/m/.test(f) && !/[hs]/.test(f));
  const time = /[hs]|am\/pm|a\/p/.test(f);
  if (!date && !time) return undefined;
  return { date, time, seconds: /s/.test(f) };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A numeric cell as the text Excel shows for a date or time format (`2026-12-09`, `09:30`,
 * `2026-12-09 09:30:15`); any other number as it is. Excel stores wall-clock time without a zone:
 * the value is read in UTC, where exceljs puts it.
 */
function shownValue(v: unknown, numFmt: string | undefined): unknown {
  const inner = typeof v === 'object' && v !== null && !(v instanceof Date) && 'result' in v ? (v as { result: unknown }).result : v;
  const parts = typeof numFmt === 'string' ? dateParts(numFmt) : undefined;
  if (parts === undefined || (typeof inner !== 'number' && !(inner instanceof Date))) return cellValue(inner);
  const ms = inner instanceof Date ? inner.getTime() : Math.round((inner - EXCEL_EPOCH_DAYS) * 86_400_000);
  if (!Number.isFinite(ms)) return cellValue(inner);
  // Serial fractions carry float noise (09:29:59.9996): Excel shows the nearest second.
  const d = new Date(Math.round(ms / 1000) * 1000);
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${parts.seconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
  return parts.date && parts.time ? `${day} ${time}` : parts.date ? day : time;
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
    // Styles carry each cell's number format: what tells a date (46366) from a number.
    styles: 'cache',
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
        const raw = values[i];
        // Dates and times as a person sees them in Excel, per the cell's number format.
        const v = raw instanceof Date || typeof raw === 'number' || (typeof raw === 'object' && raw !== null && 'result' in raw)
          ? shownValue(raw, r.value.getCell(i).numFmt)
          : cellValue(raw);
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
  return { format: 'xlsx', columns, ...fromRows(rows()), totalBytes, bytesRead: () => bytes, close: () => input.destroy() };
}
