// Every framework adapter, on the real framework: Node http, Express (with and without a JSON parser
// in front), Fastify, Koa and the Fetch handler under Hono. Each must work on the raw body.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { Hono } from 'hono';
import { createPushReceiver, type PushReceiver } from '../src/push/receiver.js';
import { openEventStore, type EventStore } from '../src/push/store.js';
import { expressMiddleware } from '../src/push/adapters/express.js';
import { fastifyPlugin } from '../src/push/adapters/fastify.js';
import { koaMiddleware } from '../src/push/adapters/koa.js';
import { fetchHandler } from '../src/push/adapters/fetch.js';
import { nodeHandler } from '../src/push/adapters/node.js';
import { SECRET, callPush, post } from './fixtures/push-http.js';

const PATH = '/api/zhichi/events';
let store: EventStore;
let receiver: PushReceiver;

beforeAll(async () => {
  store = await openEventStore(':memory:');
  receiver = await createPushReceiver({ secret: SECRET, store, maxBodyBytes: 4096 });
});
afterAll(async () => {
  await receiver.close();
  await store.close();
});

type Send = (body: string | Buffer, opts?: { secret?: string | null; contentType?: string | null }) => Promise<{ status: number; body: string }>;

async function listen(handler: RequestListener): Promise<{ send: Send; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    send: (body, o = {}) => {
      const secret = o.secret === undefined ? SECRET : o.secret;
      return post(`${base}${PATH}${secret === null ? '' : `?secret=${secret}`}`, body, o.contentType === undefined ? 'application/json' : o.contentType);
    },
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** The behaviour every adapter must show; `tag` makes each adapter's events distinct. */
async function contract(tag: string, send: Send, exactBytes = true): Promise<void> {
  // Odd spacing on purpose: exact bytes must survive, not a re-serialisation.
  const json = JSON.stringify(callPush(`task-${tag}`, 'o1')).replace('{', '{  ');
  const ok = await send(json);
  expect(ok.status, `${tag}: stored`).toBe(200);
  expect(JSON.parse(ok.body)).toEqual({ code: 200, message: 'success' });
  expect((await send(json)).status, `${tag}: duplicate`).toBe(200);
  expect((await send(JSON.stringify(callPush(`task-${tag}`, 'o2')), { contentType: null })).status, `${tag}: no content type`).toBe(200);
  expect((await send(json, { secret: null })).status, `${tag}: no secret`).toBe(401);
  expect((await send(JSON.stringify(callPush(`task-${tag}`, 'o3')), { secret: 'x'.repeat(20) })).status, `${tag}: wrong secret`).toBe(401);
  expect((await send(JSON.stringify({ ...callPush(`task-${tag}`, 'o4'), pad: 'x'.repeat(5000) }))).status, `${tag}: too large`).toBe(413);
  expect((await send('{"broken":')).status, `${tag}: malformed`).toBe(400);
  expect((await send('a=1', { contentType: 'application/x-www-form-urlencoded' })).status, `${tag}: form`).toBe(415);
  const events = await store.query({ taskId: `task-${tag}` });
  expect(events.map((e) => e.outId), tag).toEqual(['o1', 'o2']);
  if (exactBytes) expect(events[0]!.raw.toString(), tag).toBe(json);
  else expect(JSON.parse(events[0]!.raw.toString()), tag).toEqual(JSON.parse(json));
}

describe('adapters', () => {
  it('node:http handler', async () => {
    const s = await listen(nodeHandler(receiver));
    try {
      await contract('node', s.send);
    } finally {
      await s.close();
    }
  });

  it('Express middleware on the raw stream', async () => {
    const app = express();
    app.post(PATH, expressMiddleware(receiver));
    const s = await listen(app);
    try {
      await contract('express', s.send);
    } finally {
      await s.close();
    }
  });

  it('Express behind express.json() with a verify hook keeping req.rawBody', async () => {
    const app = express();
    app.use(express.json({ verify: (req, _res, buf) => void ((req as { rawBody?: Buffer }).rawBody = Buffer.from(buf)) }));
    app.post(PATH, expressMiddleware(receiver));
    const s = await listen(app);
    try {
      const json = JSON.stringify(callPush('task-express-verify', 'o1')).replace('{', '{   ');
      expect((await s.send(json)).status).toBe(200);
      const [e] = await store.query({ taskId: 'task-express-verify' });
      expect(e!.raw.toString()).toBe(json);
    } finally {
      await s.close();
    }
  });

  it('Express behind a plain express.json(): stores the re-serialised body rather than lose it', async () => {
    const app = express();
    app.use(express.json());
    app.post(PATH, expressMiddleware(receiver));
    const s = await listen(app);
    const warnings: string[] = [];
    const onWarn = (w: Error) => void warnings.push(w.message);
    process.on('warning', onWarn);
    try {
      expect((await s.send(JSON.stringify(callPush('task-express-json', 'o1')))).status).toBe(200);
      const [e] = await store.query({ taskId: 'task-express-json' });
      expect(JSON.parse(e!.raw.toString())).toEqual(callPush('task-express-json', 'o1'));
      // A content type express.json() ignores leaves the stream unread: the raw bytes are read as usual.
      expect((await s.send(JSON.stringify(callPush('task-express-json', 'o2')), { contentType: 'text/plain' })).status).toBe(200);
      await new Promise((r) => setImmediate(r));
      expect(warnings.some((w) => w.includes('re-serialised'))).toBe(true);
    } finally {
      process.off('warning', onWarn);
      await s.close();
    }
  });

  it('Fastify plugin', async () => {
    const app = Fastify();
    await app.register(fastifyPlugin(receiver, { path: PATH }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const send: Send = (body, o = {}) => {
      const secret = o.secret === undefined ? SECRET : o.secret;
      return post(`${base}${PATH}${secret === null ? '' : `?secret=${secret}`}`, body, o.contentType === undefined ? 'application/json' : o.contentType);
    };
    try {
      await contract('fastify', send);
    } finally {
      await app.close();
    }
  });

  it('Koa middleware', async () => {
    const app = new Koa();
    app.use(koaMiddleware(receiver, { path: PATH }));
    app.use((ctx) => {
      ctx.status = 418;
    });
    const s = await listen(app.callback());
    try {
      await contract('koa', s.send);
    } finally {
      await s.close();
    }
  });

  it('Fetch handler under Hono', async () => {
    const handler = fetchHandler(receiver);
    const app = new Hono();
    app.post(PATH, (c) => handler(c.req.raw, { remoteAddress: '127.0.0.1' }));
    const send: Send = async (body, o = {}) => {
      const secret = o.secret === undefined ? SECRET : o.secret;
      const headers: Record<string, string> = {};
      const ct = o.contentType === undefined ? 'application/json' : o.contentType;
      if (ct !== null) headers['content-type'] = ct;
      const res = await app.request(`http://x${PATH}${secret === null ? '' : `?secret=${secret}`}`, { method: 'POST', headers, body });
      return { status: res.status, body: await res.text() };
    };
    await contract('hono', send);
  });
});
