import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { nodeHandler } from './adapters/node.js';
import type { PushReceiver } from './receiver.js';

/**
 * Connection limits of a push endpoint. Sobot sends small pushes on short requests, so the defaults
 * are far tighter than Node's (60 s to send headers, 300 s per request, no cap on connections): a
 * client trickling headers or a body, or opening connections by the hundred, is cut off early.
 */
export interface PushServerLimits {
  /** Time to receive the complete request headers. @default 10000 ms (Node: 60000) */
  headersTimeoutMs?: number;
  /** Time to receive the whole request, body included. @default 30000 ms (Node: 300000) */
  requestTimeoutMs?: number;
  /** Idle time a kept-alive connection waits for its next request. @default 5000 ms */
  keepAliveTimeoutMs?: number;
  /** Open connections at once; beyond, new connections are closed at once. @default 512 (Node: unlimited) */
  maxConnections?: number;
  /** Open connections from one client address at once; beyond, its new connections are closed. @default 64 */
  maxConnectionsPerIp?: number;
  /**
   * How often Node checks the header and request timeouts (`connectionsCheckingInterval`); a timeout
   * fires at most this late. @default 1000 ms (Node: 30000)
   */
  checkIntervalMs?: number;
}

/** The defaults of {@link PushServerLimits}. */
export const PUSH_SERVER_DEFAULTS: Readonly<Required<PushServerLimits>> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
  maxConnectionsPerIp: 64,
  checkIntervalMs: 1_000,
});

/** A server from {@link createPushServer}: counters of refused connections next to the `http.Server`. */
export interface PushServer extends Server {
  /** Connections closed on arrival because of `maxConnectionsPerIp`. */
  readonly refusedPerIp: () => number;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new TypeError(`${name} must be a positive integer (got ${String(v)})`);
  return v;
}

/** The limits with defaults filled in, each checked (a positive integer), naming the bad one. */
export function resolvePushServerLimits(limits: PushServerLimits = {}): Required<PushServerLimits> {
  const out = { ...PUSH_SERVER_DEFAULTS } as Required<PushServerLimits>;
  for (const k of Object.keys(PUSH_SERVER_DEFAULTS) as Array<keyof PushServerLimits>) {
    const v = limits[k];
    if (v !== undefined) out[k] = positiveInt(k, v);
  }
  if (out.requestTimeoutMs < out.headersTimeoutMs) throw new TypeError('requestTimeoutMs must be at least headersTimeoutMs');
  return out;
}

/**
 * An `http.Server` for a push receiver with tight connection limits ({@link PushServerLimits}):
 * `createPushServer(receiver).listen(8080)`. `handler` replaces the receiver's node handler (the CLI
 * serves the dashboard on the same server). Not listening yet.
 */
export function createPushServer(receiver: PushReceiver, limits: PushServerLimits = {}, handler?: RequestListener): PushServer {
  const l = resolvePushServerLimits(limits);
  const server = createServer(
    { headersTimeout: l.headersTimeoutMs, requestTimeout: l.requestTimeoutMs, keepAliveTimeout: l.keepAliveTimeoutMs, connectionsCheckingInterval: l.checkIntervalMs },
    handler ?? nodeHandler(receiver),
  ) as PushServer;
  // Node closes connections beyond maxConnections on arrival.
  server.maxConnections = l.maxConnections;
  const perIp = new Map<string, number>();
  let refused = 0;
  server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? '';
    const n = (perIp.get(ip) ?? 0) + 1;
    if (n > l.maxConnectionsPerIp) {
      refused++;
      socket.destroy();
      return;
    }
    perIp.set(ip, n);
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
  });
  Object.defineProperty(server, 'refusedPerIp', { value: () => refused });
  return server;
}
