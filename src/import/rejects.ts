import { once } from 'node:events';
import { constants, type WriteStream } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import { neutralizeFormula } from '../internal/csv.js';
import { ImportFileError } from './errors.js';

/** One row that was not imported: its line in the source file and why. */
export interface RejectedRow {
  line: number;
  reason: string;
  outId?: unknown;
  telephone?: unknown;
}

/** Header of the reject file. */
export const REJECTS_HEADER = 'line,reason,outId,telephone\n';

/**
 * Quotes a CSV field when it needs it (RFC 4180). With `neutralize` (the default) a text cell that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@`, TAB, CR first) gets a leading `'` (OWASP).
 */
export function csvField(v: unknown, neutralize = true): string {
  if (v === undefined || v === null) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (neutralize && typeof v !== 'number') s = neutralizeFormula(s);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Opens the reject file for writing without following a symbolic link (`O_NOFOLLOW`): a link planted
 * at its path would otherwise make the import overwrite the link's target. Only a regular file is
 * written; it is made `0600` (it holds phone numbers). `truncateTo` cuts an existing file back (resume),
 * otherwise the file is emptied.
 */
async function openRejectFile(path: string, truncateTo?: number): Promise<WriteStream> {
  let fh;
  try {
    fh = await open(path, constants.O_WRONLY | constants.O_CREAT | NOFOLLOW | (truncateTo === undefined ? constants.O_TRUNC : 0), 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new ImportFileError(`reject file ${path} is a symbolic link: refusing to write through it (remove it or pass --rejects)`);
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ImportFileError(`reject file ${path} is not a regular file`);
    await fh.chmod(0o600);
    if (truncateTo !== undefined) await fh.truncate(truncateTo);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh.createWriteStream({ start: truncateTo ?? 0 });
}

/**
 * The reject file (`line,reason,outId,telephone`), appended in line order. `bytes` is the length of
 * what has been written, recorded in the checkpoint so that a resumed import can cut the file back
 * to the rows the checkpoint covers and append from there without listing a row twice.
 */
export class RejectWriter {
  private constructor(
    readonly path: string,
    private readonly out: WriteStream,
    private written: number,
    private readonly headerBytes: number,
    private readonly neutralize: boolean,
  ) {}

  /** Bytes written so far (header included). */
  get bytes(): number {
    return this.written;
  }

  /** True when the file holds rejected rows (not just the header). */
  get hasRows(): boolean {
    return this.written > this.headerBytes;
  }

  /**
   * Opens the reject file: a fresh one with its header, or, to resume, the existing one cut back to
   * `resumeAt` bytes. Returns undefined when the existing file is shorter than that (cannot resume).
   * A symbolic link at `path` is refused ({@link ImportFileError}). `neutralizeFormulas` (default
   * true) prefixes cells a spreadsheet would run as formulas with `'`.
   */
  static async open(path: string, resumeAt?: number, neutralizeFormulas = true): Promise<RejectWriter | undefined> {
    const headerBytes = Buffer.byteLength(REJECTS_HEADER);
    if (resumeAt !== undefined) {
      // lstat: a symbolic link is not followed here either (openRejectFile refuses it).
      const size = await lstat(path).then((s) => (s.isSymbolicLink() ? Number.MAX_SAFE_INTEGER : s.size), () => -1);
      // An import that had rejected nothing yet may have left no file: start it afresh.
      if (size === -1 && resumeAt === headerBytes) return RejectWriter.open(path, undefined, neutralizeFormulas);
      if (size < resumeAt || resumeAt < headerBytes) return undefined;
      return new RejectWriter(path, await openRejectFile(path, resumeAt), resumeAt, headerBytes, neutralizeFormulas);
    }
    const out = await openRejectFile(path);
    const w = new RejectWriter(path, out, 0, headerBytes, neutralizeFormulas);
    await w.writeRaw(REJECTS_HEADER);
    return w;
  }

  /** Appends rows; resolves when the stream accepted them (waits for drain under backpressure). */
  async write(rows: RejectedRow[]): Promise<void> {
    if (rows.length === 0) return;
    let text = '';
    const n = this.neutralize;
    for (const r of rows) text += `${r.line},${csvField(r.reason, n)},${csvField(r.outId, n)},${csvField(r.telephone, n)}\n`;
    await this.writeRaw(text);
  }

  private async writeRaw(text: string): Promise<void> {
    this.written += Buffer.byteLength(text);
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  /** Flushes everything written so far to the file. */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => this.out.write('', (err) => (err ? reject(err) : resolve())));
  }

  /** Closes the file; removes it when `removeIfEmpty` and it holds no rejected row. */
  async close(removeIfEmpty = false): Promise<void> {
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (removeIfEmpty && !this.hasRows) await unlink(this.path).catch(() => undefined);
  }
}
