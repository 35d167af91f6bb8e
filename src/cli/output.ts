import { SECRET_KEYS, redactText } from '../internal/redact.js';
import { rawStdout, type CliIO } from './io.js';

/** Options of the printers: `reveal` prints secrets as they are (only `zhichi token --show` asks for it). */
export interface OutputOptions {
  reveal?: boolean;
}

/**
 * The one redaction of everything the CLI prints (JSON, tables, key/value views): `secret=`, `apiSecret=`,
 * `token=` query values (a task's pushUrl), bearer tokens, secret-named JSON fields, and every
 * registered secret value (the configured apiSecret, push secret, each token seen).
 */
export function redactOutput(text: string, options: OutputOptions = {}): string {
  return options.reveal ? text : redactText(text);
}

/** Display width of a string in a terminal: CJK and full-width characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) continue;
    w +=
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1faff) ||
      (c >= 0x20000 && c <= 0x3fffd)
        ? 2
        : 1;
  }
  return w;
}

function pad(s: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return right ? fill + s : s + fill;
}

/** Text of a cell. */
export function cell(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? formatInt(v) : String(v);
  if (typeof v === 'string') return v.replace(/[\r\n\t]+/g, ' ');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return JSON.stringify(v);
}

// Formatted quantities (`1,234`, `12.5%`), not digit strings such as phone numbers or ids.
const NUMERIC_TEXT = /^-?\d{1,3}(?:,\d{3})*(?:\.\d+)?%?$/;

/** A table with a header row; numeric columns (numbers, or texts like `12.5%`) are right-aligned; redacted. */
export function table(headers: string[], rows: unknown[][], options: OutputOptions = {}): string {
  const cells = rows.map((r) => headers.map((_, i) => cell(r[i])));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === undefined || r[i] === null || (typeof r[i] === 'string' && NUMERIC_TEXT.test(r[i]))),
  );
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[i]!))));
  const line = (r: string[]) => r.map((c, i) => pad(c, widths[i]!, numeric[i]!)).join('  ').trimEnd();
  const out = [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  return redactOutput(out.join('\n') + '\n', options);
}

/** `key  value` lines, keys aligned; redacted. */
export function keyValues(entries: Array<[string, unknown]>, options: OutputOptions = {}): string {
  const w = Math.max(0, ...entries.map(([k]) => displayWidth(k)));
  return redactOutput(entries.map(([k, v]) => `${pad(k, w, false)}  ${cell(v)}`.trimEnd()).join('\n') + '\n', options);
}

/** 1234567 → "1,234,567". */
export function formatInt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

/** Epoch ms → `2026-01-05 09:30:00` in the given time zone (default Asia/Shanghai, the API's), or "-". */
export function formatTime(ms: unknown, timeZone = 'Asia/Shanghai'): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

/** Milliseconds → `1h 02m`, `3m 05s`, `12s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

/**
 * Writes a value as pretty JSON on stdout (the `--json` output of every command); absent fields become
 * null. Redacted like every other output ({@link redactOutput}): each string value, and every
 * secret-named field.
 */
export function printJson(io: CliIO, value: unknown, options: OutputOptions = {}): void {
  (options.reveal === true ? rawStdout(io) : io.stdout.bind(io))(JSON.stringify(value, jsonReplacer(options), 2) + '\n');
}

/**
 * Writes a value as one JSON line on stdout: a status line of a long-running command under `--json`
 * (`{"listening":…}`, `{"published":…}`, `{"stopped":…}`), read line by line by a supervisor. Redacted like {@link printJson}.
 */
export function printJsonLine(io: CliIO, value: unknown): void {
  io.stdout(jsonLine(value));
}

/** One redacted JSON line, newline included (for stderr log lines under `--json`). */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, jsonReplacer({})) + '\n';
}

function jsonReplacer(options: OutputOptions): (k: string, v: unknown) => unknown {
  // Redacted value by value (every string, at any depth, and every secret-named field), so the output
  // stays valid JSON whatever a value holds (a raw push body is a string with quotes of its own).
  const reveal = options.reveal === true;
  return (k: string, v: unknown): unknown => {
    if (v === undefined) return null;
    if (reveal || v === null || typeof v === 'object') return v;
    if (SECRET_KEYS.test(k)) return '[REDACTED]';
    return typeof v === 'string' ? redactText(v) : v;
  };
}
