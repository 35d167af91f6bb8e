import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { readNodeStream } from '../body.js';
import type { PushReceiver } from '../receiver.js';
import { closeAfterAnswer } from './node.js';

/** The parts of a Fastify request the route reads (structural, no fastify types needed). */
export interface FastifyLikeRequest {
  raw: IncomingMessage;
  url: string;
  body: unknown;
}

/** The parts of a Fastify reply the route uses. */
export interface FastifyLikeReply {
  raw: ServerResponse;
  code(status: number): FastifyLikeReply;
  headers(values: Record<string, string>): FastifyLikeReply;
  send(payload?: unknown): FastifyLikeReply;
}

/** A Fastify content-type parser in callback style. */
export interface FastifyLikeParser {
  (request: FastifyLikeRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void): void;
}

/** A Fastify async route handler. */
export interface FastifyLikeRoute {
  (request: FastifyLikeRequest, reply: FastifyLikeReply): Promise<unknown>;
}

/** The parts of a Fastify instance the plugin uses. */
export interface FastifyLikeInstance {
  removeAllContentTypeParsers(): void;
  // Method syntax on purpose: parameters are checked bivariantly, so Fastify's richer overloads fit.
  addContentTypeParser(contentType: string, fn: FastifyLikeParser): unknown;
  post(path: string, handler: FastifyLikeRoute): unknown;
}

/** Options of {@link fastifyPlugin}. */
export interface FastifyPluginOptions {
  /** Route path. @default '/api/zhichi/events' */
  path?: string;
}

/**
 * A Fastify plugin adding `POST <path>`: `app.register(fastifyPlugin(receiver, { path }))`. Inside its
 * (encapsulated) context every content type is left unparsed, so the receiver reads the raw stream and
 * applies its own size limit, content-type rules and JSON parsing.
 */
export function fastifyPlugin(receiver: PushReceiver, options: FastifyPluginOptions = {}): (instance: FastifyLikeInstance, opts?: unknown) => Promise<void> {
  const path = options.path ?? '/api/zhichi/events';
  return async (instance) => {
    instance.removeAllContentTypeParsers();
    // Hand the unread stream to the route as its "body"; the core reads it after authentication.
    instance.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    instance.post(path, async (request, reply) => {
      const stream = request.body as (Readable & { complete?: boolean }) | undefined;
      const r = await receiver.handle({
        method: request.raw.method ?? 'POST',
        url: request.raw.url ?? request.url,
        headers: request.raw.headers,
        // No body at all (no content-type, no length): Fastify skips the parser, so there is no stream.
        body: stream && typeof stream.on === 'function' ? (limit) => readNodeStream(stream, limit) : new Uint8Array(0),
        remoteAddress: request.raw.socket.remoteAddress,
      });
      // A refusal before the body was read closes the connection instead of draining the body.
      closeAfterAnswer(request.raw, reply.raw, r);
      return reply.code(r.status).headers(r.headers).send(r.body);
    });
  };
}
