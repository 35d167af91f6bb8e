import { decodeRaw } from './events.js';
import type { StoredEvent } from './store.js';

/**
 * The JSON form of a stored event, as `results export --format json` writes each element and the relay
 * publishes each message body: the stored columns (times epoch ms), the raw body as text and, when it is
 * JSON, parsed as `body`.
 */
export function eventJson(e: StoredEvent): Record<string, unknown> {
  const raw = decodeRaw(e.raw, e.contentType);
  let body: unknown = null;
  try {
    body = JSON.parse(raw);
  } catch {
    /* stored bodies are JSON; keep null if not */
  }
  const { raw: _bytes, ...columns } = e;
  return { ...columns, raw, body };
}
