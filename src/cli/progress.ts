import cliProgress from 'cli-progress';
import type { ImportProgress } from '../import/index.js';
import type { CliIO } from './io.js';
import { formatDuration, formatInt } from './output.js';

/** Shows import progress: a bar with rows/s and ETA on a terminal, a plain line every few seconds otherwise. */
export interface ProgressView {
  update(p: ImportProgress): void;
  stop(): void;
}

/** A writable that cli-progress can draw on, routed to the CLI's stderr (stdout stays clean for --json). */
function ttyStream(io: CliIO): NodeJS.WritableStream {
  const s = {
    isTTY: true,
    columns: 100,
    write: (chunk: string) => {
      io.stderr(String(chunk));
      return true;
    },
    // cli-progress moves the cursor with readline helpers, which only need write().
    cursorTo: (x: number) => io.stderr(`\x1b[${x + 1}G`),
    clearLine: () => io.stderr('\x1b[2K'),
    moveCursor: () => true,
    on: () => s,
    once: () => s,
    removeListener: () => s,
    off: () => s,
    emit: () => false,
  };
  return s as unknown as NodeJS.WritableStream;
}

/** Import progress for `label`; `plainEveryMs` spaces the plain lines. */
export function importProgress(io: CliIO, label: string, plainEveryMs = 2000): ProgressView {
  if (io.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: ttyStream(io),
        format: `${label} [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {etaText} | sent {sent} | rejected {rejected}`,
        barsize: 24,
        hideCursor: false,
        clearOnComplete: false,
        noTTYOutput: true,
        fps: 8,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const payload = {
          rows: formatInt(p.rowsRead),
          rate: formatInt(p.rowsPerSec),
          etaText: p.etaMs === undefined ? '…' : formatDuration(p.etaMs),
          sent: formatInt(p.acknowledged),
          rejected: formatInt(p.rejected),
        };
        const total = Math.max(1, p.totalBytes);
        if (!started) {
          bar.start(total, p.bytesRead, payload);
          started = true;
        } else bar.update(p.done ? total : p.bytesRead, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0; // first plain line after `plainEveryMs`, the final one always
  return {
    update(p) {
      const t = p.elapsedMs;
      if (!p.done && t - last < plainEveryMs) return;
      last = t;
      const pct = p.totalBytes > 0 ? Math.floor((p.bytesRead / p.totalBytes) * 100) : 100;
      io.stderr(
        `${label}: ${pct}% ${formatInt(p.rowsRead)} rows read, ${formatInt(p.acknowledged)} sent, ${formatInt(p.rejected)} rejected, ` +
          `${formatInt(p.rowsPerSec)} rows/s${p.etaMs !== undefined && !p.done ? `, ETA ${formatDuration(p.etaMs)}` : ''}\n`,
      );
    },
    stop() {},
  };
}
