import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';

/** Default body limit: 1 MiB; a push is one call record, far smaller. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Outcome of reading a request body under a size limit. */
export type BodyReadResult =
  | { ok: true; body: Uint8Array }
  | { ok: false; reason: 'too_large' | 'truncated'; detail: string };

/** Something that yields the body under a limit; adapters wrap their framework's stream in one. */
export type BodyReader = (limit: number) => Promise<BodyReadResult>;

/** A request body: bytes already in memory, or a reader the core calls after authentication. */
export type BodyInput = Uint8Array | string | BodyReader;

/**
 * Reads a Node readable (an `IncomingMessage`) up to `limit` bytes. On overflow it stops listening and
 * pauses the stream instead of destroying it, so the caller can still send a 413 on the same socket
 * (then close it). A stream that ends early or errors is reported as truncated.
 */
export function readNodeStream(stream: Readable & { complete?: boolean }, limit: number): Promise<BodyReadResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (r: BodyReadResult) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('aborted', onAborted);
      // Swallow late errors (client reset after we answered): an unhandled 'error' would crash the process.
      stream.on('error', () => {});
      resolve(r);
    };
    const onData = (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += b.length;
      if (size > limit) {
        stream.pause();
        finish({ ok: false, reason: 'too_large', detail: `body exceeds the limit of ${limit} bytes` });
        return;
      }
      chunks.push(b);
    };
    const onEnd = () => {
      // IncomingMessage.complete is false when the peer closed before sending Content-Length bytes.
      if (stream.complete === false) finish({ ok: false, reason: 'truncated', detail: 'body truncated: connection closed before the declared length' });
      else finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    };
    const onError = (err: Error) => finish({ ok: false, reason: 'truncated', detail: `body truncated: ${err.message}` });
    const onAborted = () => finish({ ok: false, reason: 'truncated', detail: 'body truncated: request aborted by the client' });
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('aborted', onAborted);
    if (stream.readableEnded) onEnd();
  });
}

/** Reads a WHATWG `ReadableStream` (Fetch `Request.body`) up to `limit` bytes, cancelling it on overflow. */
export async function readWebStream(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<BodyReadResult> {
  if (!stream) return { ok: true, body: new Uint8Array(0) };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        void reader.cancel().catch(() => {});
        return { ok: false, reason: 'too_large', detail: `body exceeds the limit of ${limit} bytes` };
      }
      chunks.push(value);
    }
  } catch (err) {
    return { ok: false, reason: 'truncated', detail: `body truncated: ${(err as Error).message}` };
  }
  return { ok: true, body: Buffer.concat(chunks, size) };
}

/** A parsed `Content-Type` header. */
export interface MediaType {
  /** Lower-cased `type/subtype`, or '' when the header is missing. */
  type: string;
  /** Lower-cased charset parameter, if any. */
  charset?: string;
}

const parsedTypes = new Map<string, MediaType>();

/** Parses a `Content-Type` header value (senders repeat the same few values: results are cached, bounded). */
export function parseContentType(header: string | undefined): MediaType {
  if (!header) return { type: '' };
  const hit = parsedTypes.get(header);
  if (hit) return hit;
  const parsed = parseMediaType(header);
  if (parsedTypes.size < 256) parsedTypes.set(header, parsed);
  return parsed;
}

function parseMediaType(header: string): MediaType {
  const [type = '', ...params] = header.split(';');
  const out: MediaType = { type: type.trim().toLowerCase() };
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() === 'charset') {
      out.charset = p.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase();
    }
  }
  return out;
}

/**
 * Whether a media type may carry a push. Accepted: `application/json`, `application/*+json`,
 * `text/json`, `text/plain` (senders that forget the header value still send JSON) and a missing
 * header; the body must parse as JSON in every case. Everything else (forms, multipart, XML) is 415.
 */
export function isAcceptedType(type: string): boolean {
  return (
    type === '' ||
    type === 'application/json' ||
    type === 'text/json' ||
    type === 'text/plain' ||
    (type.startsWith('application/') && type.endsWith('+json'))
  );
}

const decoders = new Map<string, TextDecoder | null>();

/** A fatal decoder for a charset, or null when the runtime does not know it. */
export function decoderFor(charset: string | undefined): TextDecoder | null {
  const key = charset && charset !== 'utf8' ? charset : 'utf-8';
  let d = decoders.get(key);
  if (d === undefined) {
    try {
      // fatal: an invalid byte sequence is an error (400), not a silent U+FFFD in a stored result.
      d = new TextDecoder(key, { fatal: true });
    } catch {
      d = null;
    }
    // Bounded: the charset comes from the sender and must not grow this map without limit.
    if (decoders.size < 64) decoders.set(key, d);
  }
  return d;
}
