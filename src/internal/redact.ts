/**
 * Secret redaction shared by errors, logs and the emulator's request log.
 * Secrets never leave the process in text: `apiSecret`, `apiKey`, tokens, push secrets.
 */

/** Field names whose values are secrets, whatever they hold. */
export const SECRET_KEYS = /^(apiSecret|apiKey|secret|accessToken|token|authorization|password|pushSecret)$/i;
const REDACTED = '[REDACTED]';

/** Values registered at runtime (the configured secret, every token seen) are scrubbed from any text. */
const knownSecrets = new Set<string>();

/** Registers a secret value so that {@link redactText} removes it wherever it appears. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) knownSecrets.add(value);
  // Keep the set bounded: tokens rotate daily, a long-lived process must not grow forever.
  if (knownSecrets.size > 10_000) {
    const first = knownSecrets.values().next().value;
    if (first !== undefined) knownSecrets.delete(first);
  }
}

/** Removes secrets from a free-form string: query parameters, bearer tokens, registered values. */
export function redactText(text: string): string {
  let out = text
    // Stops at a backslash too: inside JSON text (`--json` output) the value ends at an escaped quote.
    // A `<placeholder>` (help text: `?secret=<your push secret>`) is not a value.
    .replace(/((?:apiSecret|apiKey|secret|accessToken|token)=)(?!<)[^&\s"'\\]*/gi, `$1${REDACTED}`)
    // Spaces or tabs, never a newline: in a key/value view `type  Bearer` is followed by the next line's key.
    .replace(/(Bearer[ \t]+)[A-Za-z0-9\-._~+/=]+/gi, `$1${REDACTED}`)
    .replace(/("(?:apiSecret|apiKey|secret|accessToken|token|authorization)"\s*:\s*")[^"]*"/gi, `$1${REDACTED}"`)
    // The same field inside a JSON string (a raw body in `--json` output): quotes escaped as \".
    .replace(/(\\"(?:apiSecret|apiKey|secret|accessToken|token|authorization)\\"\s*:\s*\\")(?:[^\\]|\\(?!"))*\\"/gi, `$1${REDACTED}\\"`);
  for (const s of knownSecrets) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Deep copy of a value with secret-named keys and registered secret values replaced. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEYS.test(k) ? REDACTED : redactValue(v, depth + 1);
    }
    return out;
  }
  return value;
}
