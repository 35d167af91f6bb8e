/**
 * Nesting bounds for push bodies. `JSON.parse` itself copes with any depth, but everything that walks
 * the parsed value recursively afterwards (`JSON.stringify`, schema checks, `util.inspect`) overflows
 * the stack on a body nested some thousands deep. So the receiver refuses a body deeper than
 * {@link MAX_PUSH_DEPTH} before parsing it (422, nothing stored), and every reader of a stored body
 * goes through {@link parseStoredBody}, which never overflows, whatever a store holds.
 */

/** Deepest nesting of objects/arrays the receiver accepts (a Sobot push is 2–4 deep). */
export const MAX_PUSH_DEPTH = 64;

/** Deepest nesting a reader parses from a stored body; deeper bodies are read as raw text only. */
export const MAX_STORED_DEPTH = 512;

/**
 * Nesting depth of a JSON text (`{}` is 1, `[{}]` is 2), scanning brackets outside strings; stops
 * counting and returns `limit + 1` as soon as the depth exceeds `limit`. Linear, no recursion.
 */
export function jsonDepth(text: string, limit = Number.MAX_SAFE_INTEGER): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return limit + 1;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** A stored body parsed for reading, or why it was not. */
export type StoredBody = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Parses a stored body for a reader (results list/export, event JSON, replay, relay): never throws and
 * never overflows the stack. A body that is not JSON, or nests deeper than `maxDepth`, is reported
 * with the reason; its raw text stays available to the caller.
 */
export function parseStoredBody(raw: string, maxDepth = MAX_STORED_DEPTH): StoredBody {
  if (jsonDepth(raw, maxDepth) > maxDepth) return { ok: false, reason: `body nests deeper than ${maxDepth} levels: read it as raw text` };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (err) {
    return { ok: false, reason: `body is not JSON: ${(err as Error).message}` };
  }
}
