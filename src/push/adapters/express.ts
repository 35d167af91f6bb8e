import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodyInput } from '../body.js';
import type { PushReceiver } from '../receiver.js';
import { nodeBody, sendNodeResponse } from './node.js';

/** The parts of an Express/Connect request the middleware reads (structural, no express types needed). */
export interface ExpressLikeRequest extends IncomingMessage {
  originalUrl?: string;
  /** Raw body kept by a body parser's `verify` hook, if any. */
  rawBody?: Buffer | string;
  /** Body set by a body parser (`express.json()`, `express.raw()`, `express.text()`). */
  body?: unknown;
  /** Set to true by body-parser once it consumed the stream. */
  _body?: boolean;
}

let warnedReserialize = false;

/**
 * The raw body of an Express request. Order: `req.rawBody` (a parser `verify` hook kept it), then the
 * stream if nobody read it, then a Buffer or string left by `express.raw()`/`express.text()`. If
 * `express.json()` already consumed the stream and kept no raw body, the parsed body is re-serialised
 * (the exact bytes are lost, the data is not) and a warning is printed once: mount the receiver before
 * `express.json()`, or keep the raw body with `express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })`.
 */
export function expressBody(req: ExpressLikeRequest): BodyInput {
  if (req.rawBody !== undefined) return typeof req.rawBody === 'string' ? req.rawBody : new Uint8Array(req.rawBody);
  const consumed = req._body === true || req.readableEnded;
  if (!consumed) return nodeBody(req);
  if (Buffer.isBuffer(req.body)) return new Uint8Array(req.body);
  if (typeof req.body === 'string') return req.body;
  if (!warnedReserialize) {
    warnedReserialize = true;
    process.emitWarning('zhichi push receiver: a JSON body parser consumed the request before the receiver; storing the re-serialised body. Mount the receiver before express.json() or keep req.rawBody.');
  }
  return req.body === undefined ? '' : JSON.stringify(req.body);
}

/**
 * Express/Connect middleware: `app.post('/api/zhichi/events', expressMiddleware(receiver))`. It always
 * answers (it never calls `next` except to pass an unexpected error).
 */
export function expressMiddleware(receiver: PushReceiver): (req: ExpressLikeRequest, res: ServerResponse, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    receiver
      .handle({
        method: req.method ?? 'GET',
        url: req.originalUrl ?? req.url ?? '/',
        headers: req.headers,
        body: expressBody(req),
        remoteAddress: req.socket.remoteAddress,
      })
      .then((r) => sendNodeResponse(res, r, req), next);
  };
}
