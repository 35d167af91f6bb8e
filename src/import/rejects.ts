import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat, truncate, unlink } from 'node:fs/promises';

/** One row that was not imported: its line in the source file and why. */
export interface RejectedRow {
  line: number;
  reason: string;
  outId?: unknown;
  telephone?: unknown;
}

/** Header of the reject file. */
export const REJECTS_HEADER = 'line,reason,outId,telephone\n';

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
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
   */
  static async open(path: string, resumeAt?: number): Promise<RejectWriter | undefined> {
    const headerBytes = Buffer.byteLength(REJECTS_HEADER);
    if (resumeAt !== undefined) {
      const size = await stat(path).then((s) => s.size, () => -1);
      // An import that had rejected nothing yet may have left no file: start it afresh.
      if (size === -1 && resumeAt === headerBytes) return RejectWriter.open(path);
      if (size < resumeAt || resumeAt < headerBytes) return undefined;
      await truncate(path, resumeAt);
      return new RejectWriter(path, createWriteStream(path, { flags: 'a' }), resumeAt, headerBytes);
    }
    const out = createWriteStream(path, { flags: 'w' });
    const w = new RejectWriter(path, out, 0, headerBytes);
    await w.writeRaw(REJECTS_HEADER);
    return w;
  }

  /** Appends rows; resolves when the stream accepted them (waits for drain under backpressure). */
  async write(rows: RejectedRow[]): Promise<void> {
    if (rows.length === 0) return;
    let text = '';
    for (const r of rows) text += `${r.line},${csvField(r.reason)},${csvField(r.outId)},${csvField(r.telephone)}\n`;
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
