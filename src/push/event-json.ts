import { decodeRaw } from './events.js';
import { parseStoredBody } from './json-depth.js';
import type { StoredEvent } from './store.js';

/**
 * The JSON form of a stored event, as `results export --format json` writes each element and the relay
 * publishes each message body: the stored columns (times epoch ms), the raw body as text and, when it is
 * JSON, parsed as `body`. A body that is not JSON or nests too deep has `body: null` and `bodyError` saying why.
 */
export function eventJson(e: StoredEvent): Record<string, unknown> {
  const raw = decodeRaw(e.raw, e.contentType);
  // Never throws, whatever a store holds (a body nested 100,000 deep stored by an older receiver).
  const parsed = parseStoredBody(raw);
  const { raw: _bytes, ...columns } = e;
  return parsed.ok ? { ...columns, raw, body: parsed.value } : { ...columns, raw, body: null, bodyError: parsed.reason };
}
