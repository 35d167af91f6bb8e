import type { IncomingMessage, ServerResponse } from 'node:http';
import { readNodeStream, type BodyInput } from '../body.js';
import type { PushReceiver, PushResponse } from '../receiver.js';

// The receiver answers every stored push with the same ack object (responses are not changed after
// they were built): its header set, content-length included, is built once per object, not per request.
const headerCache = new WeakMap<PushResponse, Record<string, string>>();

/**
 * How long a connection refused with `Connection: close` may stay open after the answer was sent
 * before its socket is destroyed: enough for the answer to reach the client, too short to read much.
 */
export const EARLY_CLOSE_GRACE_MS = 200;

/**
 * For an answer with `Connection: close` (a refusal before the body was read, a 413): stops reading
 * the request and destroys the socket once the answer is out, after {@link EARLY_CLOSE_GRACE_MS} at
 * most. Node itself would otherwise read and discard the rest of the body ("dump") before it closes.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse, r: PushResponse): void {
  if (r.headers['connection'] !== 'close') return;
  const socket = req.socket;
  const destroy = () => {
    if (!socket.destroyed) socket.destroy();
  };
  res.once('finish', () => {
    if (req.complete) return; // the whole body was read: Node closes the connection after the answer
    // Read nothing more: unhook the request stream and pause the socket, then close it shortly.
    req.pause();
    socket.pause();
    socket.end();
    setTimeout(destroy, EARLY_CLOSE_GRACE_MS).unref();
  });
  res.once('close', () => {
    if (!req.complete) setTimeout(destroy, EARLY_CLOSE_GRACE_MS).unref();
  });
}

/**
 * Writes a core response on a Node response, unless the socket is already gone (client aborted).
 * With `req`, a `Connection: close` answer also stops reading and closes the socket ({@link closeAfterAnswer}).
 */
export function sendNodeResponse(res: ServerResponse, r: PushResponse, req?: IncomingMessage): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  if (req) closeAfterAnswer(req, res, r);
  let headers = headerCache.get(r);
  if (headers === undefined) {
    headers = { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) };
    headerCache.set(r, headers);
  }
  res.writeHead(r.status, headers);
  res.end(r.body);
}

/** The body reader for a Node request: reads the stream only when the core asks, under its limit. */
export function nodeBody(req: IncomingMessage): BodyInput {
  return (limit) => readNodeStream(req, limit);
}

/**
 * A `node:http` request handler: `http.createServer(nodeHandler(receiver))`. Pass `path` to the receiver
 * options to answer 404 on other paths.
 */
export function nodeHandler(receiver: PushReceiver): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void receiver
      .handle({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: nodeBody(req),
        remoteAddress: req.socket.remoteAddress,
      })
      .then((r) => sendNodeResponse(res, r, req));
  };
}
