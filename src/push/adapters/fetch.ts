import { readWebStream } from '../body.js';
import type { PushReceiver } from '../receiver.js';

/** Extra request facts a Fetch runtime does not put on `Request`. */
export interface FetchRequestInfo {
  /** Peer address (Hono: `getConnInfo(c).remote.address`), needed only with an IP allow-list. */
  remoteAddress?: string | undefined;
}

/**
 * A Fetch handler `Request -> Response` for Hono, Next.js route handlers, Bun or Deno:
 * `app.post('/api/zhichi/events', (c) => handler(c.req.raw))`.
 */
export function fetchHandler(receiver: PushReceiver): (request: Request, info?: FetchRequestInfo) => Promise<Response> {
  return async (request, info = {}) => {
    const r = await receiver.handle({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: (limit) => readWebStream(request.body, limit),
      remoteAddress: info.remoteAddress,
    });
    // Refused before the body was read: cancel the body stream, so the runtime reads no more of it.
    if (r.headers['connection'] === 'close' && request.body && !request.bodyUsed) void request.body.cancel().catch(() => {});
    return new Response(r.body, { status: r.status, headers: r.headers });
  };
}
