import { parseStoredBody } from './json-depth.js';
import type { PushEvent } from '../contract/index.js';
import { decoderFor, parseContentType } from './body.js';
import { parseItem, type ExtractedFields } from './extract.js';
import { AGENTS_KEY_PREFIX, agentsCallbackOf, parseAgentsCallback } from './agents.js';
import type { AgentsCallback } from '../contract/agents/index.js';
import type { EventSource, StoredEvent } from './store.js';

interface ResultEventBase {
  /** Row id in the store. */
  id: number;
  /** Deduplication key. */
  key: string;
  source: EventSource;
  /** Epoch ms when the receiver stored it. */
  receivedAt: number;
  /** Fields found in the body (contract fields or tolerant extraction). */
  fields: ExtractedFields;
  /** The parsed JSON body of this event. */
  body: unknown;
  /** The raw body as text. */
  raw: string;
  /**
   * The Agents callback `{dataType, data}` when the event came from the Agents API (then `known` and
   * `record`, which refer to the V5 push contract, are false and null); null for a V5 push.
   */
  agents: AgentsCallback | null;
}

/**
 * What a consumer registered with `onResult` receives: a stored event. `known` tells whether it matched
 * the contract's `pushEvent` (then `record` is typed); an unknown shape still arrives, with `record: null`
 * and whatever `fields` could be extracted.
 */
export type ResultEvent =
  | (ResultEventBase & { known: true; record: PushEvent })
  | (ResultEventBase & { known: false; record: null });

/** A consumer of stored results; a throw or rejection marks the event `failed` for a later replay. */
export type ResultHandler = (event: ResultEvent) => void | Promise<void>;

/** Decodes a stored raw body with the charset it arrived with (UTF-8 when none). */
export function decodeRaw(raw: Uint8Array, contentType: string | null): string {
  const charset = parseContentType(contentType ?? undefined).charset;
  const d = decoderFor(charset);
  try {
    if (d) return d.decode(raw);
  } catch {
    /* stored bytes were accepted once, so this is unexpected: fall back to lenient UTF-8 */
  }
  return Buffer.from(raw).toString('utf8');
}

/** Rebuilds the consumer view of a stored event (used by replay), re-parsing the raw body. */
export function toResultEvent(e: StoredEvent): ResultEvent {
  const raw = decodeRaw(e.raw, e.contentType);
  // Never throws nor overflows in a replay; a body too deep to walk is delivered as raw (body null).
  const parsed = parseStoredBody(raw);
  const body: unknown = parsed.ok ? parsed.value : null;
  if (e.key.startsWith(AGENTS_KEY_PREFIX)) {
    const a = parseAgentsCallback(body, e.raw);
    return { id: e.id, key: e.key, source: e.source, receivedAt: e.receivedAt, fields: a.fields, body, raw, agents: agentsCallbackOf(e.key, body), known: false, record: null };
  }
  const p = parseItem(body, e.raw);
  const base = { id: e.id, key: e.key, source: e.source, receivedAt: e.receivedAt, fields: p.fields, body, raw, agents: null };
  return p.known && p.record ? { ...base, known: true, record: p.record } : { ...base, known: false, record: null };
}
