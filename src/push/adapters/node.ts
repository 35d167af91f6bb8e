import type { IncomingMessage, ServerResponse } from 'node:http';
import { readNodeStream, type BodyInput } from '../body.js';
import type { PushReceiver, PushResponse } from '../receiver.js';

// The receiver answers every stored push with the same ack object (responses are not changed after
// they were built): its header set, content-length included, is built once per object, not per request.
const headerCache = new WeakMap<PushResponse, Record<string, string>>();

/** Writes a core response on a Node response, unless the socket is already gone (client aborted). */
export function sendNodeResponse(res: ServerResponse, r: PushResponse): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
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
      .then((r) => sendNodeResponse(res, r));
  };
}
