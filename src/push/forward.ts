import { request } from 'undici';
import { redactText } from '../internal/redact.js';
import type { ResultHandler } from './events.js';

/** Options of {@link forwardTo}. */
export interface ForwardOptions {
  /** Per-delivery timeout in ms. @default 10000 */
  timeoutMs?: number;
  /** Extra headers (e.g. your own auth). */
  headers?: Record<string, string>;
}

/**
 * A consumer that POSTs each stored event to another URL (your own system) as JSON: the raw push body,
 * with `X-Zhichi-Event-Id`, `X-Zhichi-Event-Key` and `X-Zhichi-Source` headers. A non-2xx answer or a
 * timeout throws, which marks the event `failed` for a later replay.
 */
export function forwardTo(url: string, options: ForwardOptions = {}): ResultHandler {
  let target: URL;
  try {
    target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new TypeError(`forward URL must be an absolute http(s) URL (got "${redactText(url)}")`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (e) => {
    const res = await request(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-zhichi-event-id': String(e.id),
        'x-zhichi-event-key': encodeURIComponent(e.key),
        'x-zhichi-source': e.source,
        ...options.headers,
      },
      body: e.raw,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`forward to ${redactText(target.origin + target.pathname)} answered HTTP ${res.statusCode}`);
  };
}
