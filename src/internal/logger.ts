import { redactText, redactValue } from './redact.js';

/** Minimal logger interface; `console` satisfies it. Every line passes through redaction first. */
export interface Logger {
  debug?(msg: string, meta?: Record<string, unknown>): void;
  info?(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { warn() {}, error() {} };

/** Wraps a logger so that no secret can reach it. */
export function redactingLogger(inner: Logger): Logger {
  const wrap = (fn: ((m: string, meta?: Record<string, unknown>) => void) | undefined) =>
    fn
      ? (m: string, meta?: Record<string, unknown>) =>
          meta === undefined ? fn.call(inner, redactText(m)) : fn.call(inner, redactText(m), redactValue(meta) as Record<string, unknown>)
      : undefined;
  const out: Logger = { warn: wrap(inner.warn)!, error: wrap(inner.error)! };
  const d = wrap(inner.debug);
  const i = wrap(inner.info);
  if (d) out.debug = d;
  if (i) out.info = i;
  return out;
}
