// Attacks on the push receiver (issue 13, findings 1, 2, 8, 9), over loopback on the real frameworks:
// body drain after an early refusal, slow and piled-up connections, hostile nesting, a short
// X-Forwarded-For chain.
import { createServer, type RequestListener, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { createPushReceiver, type PushReceiver } from '../src/push/receiver.js';
import { openEventStore, type EventStore, type StoredEvent } from '../src/push/store.js';
import { expressMiddleware } from '../src/push/adapters/express.js';
import { fastifyPlugin } from '../src/push/adapters/fastify.js';
import { koaMiddleware } from '../src/push/adapters/koa.js';
import { fetchHandler } from '../src/push/adapters/fetch.js';
import { nodeHandler } from '../src/push/adapters/node.js';
import { createPushServer } from '../src/push/server.js';
import { eventJson } from '../src/push/event-json.js';
import { toResultEvent } from '../src/push/events.js';
import { SECRET, callPush, post } from './fixtures/push-http.js';
import { collectingLogger } from './helpers.js';
import { run } from '../src/cli/main.js';
import { captureIO, tempDir } from './cli-helpers.js';

const PATH = '/api/zhichi/events';
let store: EventStore;
let receiver: PushReceiver;

beforeAll(async () => {
  store = await openEventStore(':memory:');
  receiver = await createPushReceiver({ secret: SECRET, store, path: PATH });
});
afterAll(async () => {
  await receiver.close();
  await store.close();
});

/** Bytes the server read from each accepted socket. */
function countReads(server: Server): Socket[] {
  const sockets: Socket[] = [];
  server.on('connection', (s: Socket) => void sockets.push(s));
  return sockets;
}

async function listenOn(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

const ATTACK_BYTES = 64 * 1024 * 1024;

/**
 * Sends request headers announcing a 1 GiB body, then streams up to ATTACK_BYTES as fast as the
 * socket takes them. Resolves with the answer's status line and whether the server closed the
 * connection before the client had sent everything.
 */
function drainAttack(port: number, target: string, contentType = 'application/json', method = 'POST'): Promise<{ statusLine: string; closedEarly: boolean; sent: number }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let answer = '';
    let closed = false;
    let sent = 0;
    sock.on('data', (d) => void (answer += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
    });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    sock.on('connect', async () => {
      sock.write(`${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${1024 * 1024 * 1024}\r\n\r\n`);
      while (!closed && !sock.destroyed && sent < ATTACK_BYTES) {
        sent += chunk.length;
        if (!sock.write(chunk)) {
          await new Promise<void>((r) => {
            sock.once('drain', r);
            sock.once('close', r);
          });
        }
      }
      const closedEarly = closed || sock.destroyed || sock.writableEnded || !sock.writable;
      sock.destroy();
      resolve({ statusLine: answer.split('\r\n')[0] ?? '', closedEarly, sent });
    });
  });
}

interface Served { port: number; sockets: Socket[]; close: () => Promise<void> }

async function nodeLike(handler: RequestListener): Promise<Served> {
  const server = createServer(handler);
  const sockets = countReads(server);
  const port = await listenOn(server);
  return { port, sockets, close: () => closeServer(server) };
}

const adapters: Array<[string, () => Promise<Served>]> = [
  ['node', () => nodeLike(nodeHandler(receiver))],
  ['express', () => {
    const app = express();
    app.post(PATH, expressMiddleware(receiver));
    return nodeLike(app);
  }],
  ['koa', () => {
    const app = new Koa();
    app.use(koaMiddleware(receiver, { path: PATH }));
    return nodeLike(app.callback());
  }],
  ['fastify', async () => {
    const app = Fastify();
    await app.register(fastifyPlugin(receiver, { path: PATH }));
    const sockets = countReads(app.server);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (app.server.address() as AddressInfo).port, sockets, close: () => app.close() };
  }],
];

describe('an early refusal closes the connection instead of reading the body (finding 1)', () => {
  for (const [name, start] of adapters) {
    it(`${name}: 401 and 415 read at most a small bound of a 1 GiB body, then close`, async () => {
      const s = await start();
      try {
        for (const [target, ct, status] of [
          [`${PATH}?secret=${'w'.repeat(20)}`, 'application/json', '401'],
          [`${PATH}?secret=${SECRET}`, 'application/x-www-form-urlencoded', '415'],
        ] as const) {
          const before = s.sockets.length;
          const r = await drainAttack(s.port, target, ct);
          expect(r.statusLine, `${name} ${status}`).toContain(` ${status} `);
          expect(r.closedEarly, `${name} ${status}: connection closed before the body was sent`).toBe(true);
          const read = s.sockets.slice(before).reduce((n, k) => n + k.bytesRead, 0);
          expect(read, `${name} ${status}: bytes read by the server`).toBeLessThan(8 * 1024 * 1024);
        }
      } finally {
        await s.close();
      }
    }, 60_000);
  }

  it('node: 403, 404 and 405 too read at most a small bound, then close', async () => {
    const guarded = await createPushReceiver({ secret: SECRET, store, path: PATH, allowIps: ['203.0.113.7'] });
    const s = await nodeLike(nodeHandler(guarded));
    try {
      for (const [method, target, status] of [
        ['POST', `${PATH}?secret=${SECRET}`, '403'],
        ['POST', `/elsewhere?secret=${SECRET}`, '404'],
        ['PUT', `${PATH}?secret=${SECRET}`, '405'],
      ] as const) {
        const before = s.sockets.length;
        const r = await drainAttack(s.port, target, 'application/json', method);
        expect(r.statusLine, status).toContain(` ${status} `);
        expect(r.closedEarly, `${status}: closed before the body was sent`).toBe(true);
        expect(s.sockets.slice(before).reduce((n, k) => n + k.bytesRead, 0), `${status}: bytes read`).toBeLessThan(8 * 1024 * 1024);
      }
    } finally {
      await s.close();
      await guarded.close();
    }
  }, 60_000);

  it('fetch handler: the body stream of a refused request is cancelled after a few chunks at most', async () => {
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled += 65_536;
        c.enqueue(new Uint8Array(65_536));
      },
      cancel() {
        cancelled = true;
      },
    });
    const req = new Request(`http://x${PATH}?secret=${'w'.repeat(20)}`, { method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit);
    const res = await fetchHandler(receiver)(req);
    expect(res.status).toBe(401);
    expect(res.headers.get('connection')).toBe('close');
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(1024 * 1024);
  });
});

describe('slow and piled-up connections are bounded (finding 2)', () => {
  it('connections trickling headers are closed after headersTimeoutMs; limits are validated', async () => {
    const server = createPushServer(receiver, { headersTimeoutMs: 150, requestTimeoutMs: 300, checkIntervalMs: 25 });
    expect(server.headersTimeout).toBe(150);
    expect(server.requestTimeout).toBe(300);
    const port = await listenOn(server);
    try {
      const closed = await Promise.all(
        Array.from({ length: 10 }, () => new Promise<string>((resolve) => {
          const sock = connect(port, '127.0.0.1');
          sock.on('error', () => {});
          let answer = '';
          sock.on('data', (d) => void (answer += d.toString()));
          // One header byte now, never the rest: only the server's header timeout ends this.
          sock.on('connect', () => void sock.write('POST /api/zhichi/events HTTP/1.1\r\nHo'));
          sock.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
        })),
      );
      expect(closed).toHaveLength(10);
      for (const line of closed) expect(line === '' || line.includes(' 408 ')).toBe(true);
    } finally {
      await closeServer(server);
    }
    expect(() => createPushServer(receiver, { maxConnectionsPerIp: 0 })).toThrow(/maxConnectionsPerIp must be a positive integer/);
    expect(() => createPushServer(receiver, { headersTimeoutMs: 5000, requestTimeoutMs: 1000 })).toThrow(/requestTimeoutMs/);
  }, 30_000);

  it('a body trickled after complete headers is cut off by requestTimeoutMs', async () => {
    const server = createPushServer(receiver, { headersTimeoutMs: 100, requestTimeoutMs: 200, checkIntervalMs: 25 });
    const port = await listenOn(server);
    try {
      const line = await new Promise<string>((resolve) => {
        const sock = connect(port, '127.0.0.1');
        let answer = '';
        sock.on('error', () => {});
        sock.on('data', (d) => void (answer += d.toString()));
        // Valid headers and secret, then one byte of a 1000-byte body, and nothing more.
        sock.on('connect', () => void sock.write(`POST ${PATH}?secret=${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`));
        sock.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
      });
      // Node answers 408 (or the receiver a 400 "body truncated" when the socket is torn down first).
      expect(line === '' || / (408|400) /.test(line), line).toBe(true);
    } finally {
      await closeServer(server);
    }
  }, 30_000);

  it('connections beyond maxConnectionsPerIp are closed on arrival; the others are served', async () => {
    const server = createPushServer(receiver, { maxConnectionsPerIp: 3 });
    const port = await listenOn(server);
    try {
      const socks: Socket[] = [];
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => new Promise<'open' | 'closed'>((resolve) => {
          const sock = connect(port, '127.0.0.1');
          socks[i] = sock;
          sock.on('error', () => {});
          sock.on('close', () => resolve('closed'));
          // A valid push on a kept-alive connection: an admitted connection gets its 200 and stays open.
          const push = JSON.stringify(callPush('task-conn', 'o1'));
          sock.on('connect', () => sock.write(`POST ${PATH}?secret=${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${push.length}\r\n\r\n${push}`));
          sock.on('data', () => resolve('open'));
        })),
      );
      expect(outcomes.filter((o) => o === 'open')).toHaveLength(3);
      expect(server.refusedPerIp()).toBe(5);
      for (const s of socks) s.destroy();
    } finally {
      await closeServer(server);
    }
  });
});

describe('zhichi webhooks serve applies the connection limits (finding 2)', () => {
  it('--max-connections-per-ip and --headers-timeout bound connections; a bad limit is a usage error', async () => {
    const t = tempDir('zhichi-limits-');
    const ac = new AbortController();
    const io = captureIO({ cwd: t.dir, signal: ac.signal });
    const done = run(['webhooks', 'serve', '--port', '0', '--secret', SECRET, '--db', 'events.db', '--max-connections-per-ip', '2', '--headers-timeout', '100', '--request-timeout', '200'], io);
    try {
      let exited: number | undefined;
      void done.then((c) => (exited = c));
      while (!io.out().includes('\n') && exited === undefined) await new Promise((r) => setTimeout(r, 5));
      expect(exited, io.err()).toBeUndefined();
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(io.out())![1]);
      const push = JSON.stringify(callPush('task-cli-conn', 'o1'));
      const socks: Socket[] = [];
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => new Promise<'open' | 'closed'>((resolve) => {
          const sock = connect(port, '127.0.0.1');
          socks.push(sock);
          sock.on('error', () => {});
          sock.on('close', () => resolve('closed'));
          sock.on('connect', () => sock.write(`POST ${PATH}?secret=${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${push.length}\r\n\r\n${push}`));
          sock.on('data', () => resolve('open'));
        })),
      );
      expect(outcomes.filter((o) => o === 'open')).toHaveLength(2);
      for (const s of socks) s.destroy();
      // A client trickling its headers is cut off by the header timeout (Node's own default is 60 s).
      const line = await new Promise<string>((resolve) => {
        const sock = connect(port, '127.0.0.1');
        let answer = '';
        sock.on('error', () => {});
        sock.on('data', (d) => void (answer += d.toString()));
        sock.on('connect', () => void sock.write('POST /api/zhichi/events HTTP/1.1\r\nHo'));
        sock.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
      });
      expect(line === '' || line.includes(' 408 ')).toBe(true);
    } finally {
      ac.abort();
      expect(await done).toBe(0);
      t.cleanup();
    }
    const bad = captureIO({ cwd: t.dir });
    expect(await run(['webhooks', 'serve', '--port', '0', '--secret', SECRET, '--db', ':memory:', '--max-connections', '0'], bad)).toBe(2);
    expect(bad.err()).toContain('--max-connections');
  }, 30_000);
});

/** `{"a":{"a":…}}` nested `depth` deep around a push's fields. */
function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

describe('hostile nesting (finding 8)', () => {
  let base: string;
  let server: Server;
  beforeAll(async () => {
    server = createServer(nodeHandler(receiver));
    base = `http://127.0.0.1:${await listenOn(server)}${PATH}?secret=${SECRET}`;
  });
  afterAll(() => closeServer(server));

  it('a body nested 100,000 deep gets 422, nothing stored', async () => {
    const before = (await store.query({})).length;
    const push = JSON.stringify({ ...callPush('task-deep', 'o1'), extra: '__X__' }).replace('"__X__"', nested(100_000));
    const r = await post(base, push);
    expect(r.status).toBe(422);
    expect(JSON.parse(r.body).message).toMatch(/nests deeper than 64 levels/);
    expect((await store.query({})).length).toBe(before);
  });

  it('a batch item nested 20,000 deep gets 422 (a 4xx, not a 500 retried forever), nothing stored', async () => {
    const before = (await store.query({})).length;
    const batch = `[${JSON.stringify(callPush('task-deep', 'o2'))},${nested(20_000)}]`;
    const r = await post(base, batch);
    expect(r.status).toBe(422);
    expect((await store.query({})).length).toBe(before);
  });

  it('a body 64 deep is still accepted', async () => {
    const push = JSON.stringify({ ...callPush('task-deep', 'o3'), extra: '__X__' }).replace('"__X__"', nested(62));
    expect((await post(base, push)).status).toBe(200);
  });

  it('readers of a body already in a store never overflow: event JSON and replay fall back to raw', () => {
    const raw = nested(100_000);
    const e = { id: 1, key: 'k', source: 'push', raw: Buffer.from(raw), contentType: 'application/json' } as unknown as StoredEvent;
    const j = eventJson(e);
    expect(j['body']).toBeNull();
    expect(String(j['bodyError'])).toMatch(/deeper than 512 levels/);
    expect(j['raw']).toBe(raw);
    expect(() => JSON.stringify(j)).not.toThrow();
    const v = toResultEvent({ ...e, receivedAt: 0 } as StoredEvent);
    expect(v.body).toBeNull();
    expect(v.raw).toBe(raw);
  });
});

describe('X-Forwarded-For shorter than trustProxyHops (finding 9)', () => {
  it('trusts the socket address, not the client-supplied entry, and warns once', async () => {
    const logger = collectingLogger();
    const r2 = await createPushReceiver({ secret: SECRET, store, allowIps: ['203.0.113.7'], trustProxyHops: 2, logger });
    try {
      const ask = (xff: string) => r2.handle({
        method: 'POST', url: `${PATH}?secret=${SECRET}`, headers: { 'x-forwarded-for': xff, 'content-type': 'application/json' },
        body: JSON.stringify(callPush('task-xff', 'o1')), remoteAddress: '127.0.0.1',
      });
      // One entry, two trusted hops: the entry is the client's own claim.
      expect((await ask('203.0.113.7')).status).toBe(403);
      expect((await ask('203.0.113.7')).status).toBe(403);
      // Through both proxies: the entry two from the right is the one the first proxy saw.
      expect((await ask('203.0.113.7, 10.0.0.2')).status).toBe(200);
      const warnings = logger.lines.filter((l) => l.includes('X-Forwarded-For'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('fewer than trustProxyHops (2)');
    } finally {
      await r2.close();
    }
  });
});
