import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodyInput } from '../body.js';
import type { PushReceiver } from '../receiver.js';
import { closeAfterAnswer, nodeBody } from './node.js';

/** The parts of a Koa context the middleware uses (structural, no koa types needed). */
export interface KoaLikeContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  originalUrl: string;
  request: { rawBody?: string; body?: unknown };
  status: number;
  body: unknown;
  set(field: string, value: string): void;
}

/** Options of {@link koaMiddleware}. */
export interface KoaMiddlewareOptions {
  /** Only this path is handled; other requests go to `next()`. @default every request */
  path?: string;
}

/**
 * Koa middleware. Reads the raw request stream; when a body parser ran first, its `ctx.request.rawBody`
 * (koa-bodyparser keeps it) is used instead.
 */
export function koaMiddleware(receiver: PushReceiver, options: KoaMiddlewareOptions = {}): (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void> {
  return async (ctx, next) => {
    if (options.path !== undefined && ctx.path !== options.path) {
      await next();
      return;
    }
    const body: BodyInput = typeof ctx.request.rawBody === 'string' ? ctx.request.rawBody : nodeBody(ctx.req);
    const r = await receiver.handle({
      method: ctx.req.method ?? 'GET',
      url: ctx.originalUrl,
      headers: ctx.req.headers,
      body,
      remoteAddress: ctx.req.socket.remoteAddress,
    });
    // A refusal before the body was read closes the connection instead of draining the body.
    closeAfterAnswer(ctx.req, ctx.res, r);
    ctx.status = r.status;
    // Headers before the body: Koa would otherwise pick its own content type when the body is assigned.
    for (const [k, v] of Object.entries(r.headers)) ctx.set(k, v);
    ctx.body = r.body;
  };
}
