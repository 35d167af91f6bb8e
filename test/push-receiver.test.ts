// The push receiver over real HTTP, on SQLite and on the real PostgreSQL (same suite).
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPushReceiver, type PushReceiver } from '../src/push/receiver.js';
import { openEventStore, type EventStore, type InsertResult, type NewEvent } from '../src/push/store.js';
import { LATEST_SCHEMA_VERSION } from '../src/push/migrations.js';
import type { ResultEvent } from '../src/push/events.js';
import { ManualClock } from '../src/internal/clock.js';
import { collectingLogger } from './helpers.js';
import { freshStore, postgresAvailable, type StoreKind, type TestStore } from './fixtures/push-stores.js';
import { SECRET, callPush, post, rawExchange, serve, type Running } from './fixtures/push-http.js';

const KINDS: StoreKind[] = ['sqlite', 'postgres'];

describe.each(KINDS)('push receiver on %s', (kind) => {
  let ts: TestStore;
  let receiver: PushReceiver;
  let srv: Running;
  let clock: ManualClock;
  let skip = false;

  beforeAll(async () => {
    if (kind === 'postgres') skip = !(await postgresAvailable());
  });

  beforeEach(async (ctx) => {
    if (skip) ctx.skip();
    ts = await freshStore(kind);
    clock = new ManualClock(Date.UTC(2026, 0, 5, 3, 0, 0));
    receiver = await createPushReceiver({ secret: SECRET, store: ts.store, clock, maxBodyBytes: 64 * 1024 });
    srv = await serve(receiver);
  });

  afterEach(async () => {
    if (skip) return;
    await srv.close();
    await receiver.close();
    await ts.cleanup();
  });

  it('stores a contract push once committed and answers the default ack', async () => {
    const r = await post(srv.url(), callPush('t1', 'o1'));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ code: 200, message: 'success' });
    const [e, ...rest] = await ts.store.query();
    expect(rest).toHaveLength(0);
    expect(e).toMatchObject({
      source: 'push', known: true, taskId: 't1', outId: 'o1', callId: 't1-o1-1', attempt: 1, callResult: 0,
      callResultName: 'ANSWERED', talkDuration: 60, intent: 'A', receivedAt: clock.now(), remoteAddress: '127.0.0.1',
      deliveryStatus: 'pending',
    });
    expect(JSON.parse(e!.raw.toString('utf8'))).toEqual(callPush('t1', 'o1'));
    expect(e!.key).toBe(JSON.stringify(['t1', 'o1', 't1-o1-1', 1]));
  });

  it('answers duplicates 2xx and stores them once, also when they race in one batch', async () => {
    const body = callPush('t1', 'o2', 2);
    const replies = await Promise.all(Array.from({ length: 20 }, () => post(srv.url(), body)));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect((await post(srv.url(), body)).status).toBe(200);
    // Same call, different bytes (pushTime changed on a resend): the key, not the bytes, decides.
    expect((await post(srv.url(), { ...body, pushTime: 1 })).status).toBe(200);
    expect(await ts.store.count()).toBe(1);
    expect(receiver.stats()).toMatchObject({ stored: 1, duplicates: 21 });
  });

  it('rejects a missing or wrong secret with 401 and stores nothing', async () => {
    for (const url of [srv.url(null), srv.url('wrong-secret-0123456789'), srv.url(''), srv.url(SECRET.slice(0, -1)), srv.url(`${SECRET}x`)]) {
      const r = await post(url, callPush('t1', 'o3'));
      expect(r.status).toBe(401);
      expect(r.body).toContain('secret');
      expect(r.body).not.toContain(SECRET);
    }
    expect(await ts.store.count()).toBe(0);
  });

  it('rejects oversize bodies with 413 (declared and chunked) and keeps serving', async () => {
    const big = JSON.stringify({ ...callPush('t1', 'o4'), pad: 'x'.repeat(70 * 1024) });
    expect((await post(srv.url(), big)).status).toBe(413);
    // Chunked: no Content-Length, the limit is enforced while reading.
    const chunked = await rawExchange(
      srv.base,
      `POST /api/zhichi/events?secret=${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      `${(70 * 1024).toString(16)}\r\n${'x'.repeat(70 * 1024)}\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    expect(await ts.store.count()).toBe(0);
    expect((await post(srv.url(), callPush('t1', 'o4'))).status).toBe(200);
  });

  it('rejects malformed, empty and non-UTF-8 bodies with 400 and a reason', async () => {
    const bad = await post(srv.url(), '{"taskId": "t1", ');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toMatch(/not valid JSON/);
    expect((await post(srv.url(), '')).status).toBe(400);
    expect(JSON.parse((await post(srv.url(), '   ')).body).message).toMatch(/empty body/);
    const latin = await post(srv.url(), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]));
    expect(latin.status).toBe(400);
    expect(JSON.parse(latin.body).message).toMatch(/utf-8/);
    expect(await ts.store.count()).toBe(0);
  });

  it('takes JSON with charset or without a content type, refuses other types with 415', async () => {
    expect((await post(srv.url(), callPush('t2', 'a'), 'application/json; charset=UTF-8')).status).toBe(200);
    expect((await post(srv.url(), callPush('t2', 'b'), null)).status).toBe(200);
    expect((await post(srv.url(), callPush('t2', 'c'), 'text/plain')).status).toBe(200);
    for (const ct of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html']) {
      const r = await post(srv.url(), callPush('t2', 'd'), ct);
      expect(r.status, ct).toBe(415);
      expect(JSON.parse(r.body).message).toMatch(/content type/);
    }
    expect((await post(srv.url(), callPush('t2', 'e'), 'application/json; charset=x-klingon')).status).toBe(415);
    // GBK is common in mainland systems: decoded with the declared charset, stored byte for byte.
    const gbk = Buffer.from([0x7b, 0x22, 0x74, 0x61, 0x73, 0x6b, 0x49, 0x64, 0x22, 0x3a, 0x22, 0x74, 0x32, 0x22, 0x2c, 0x22, 0x6e, 0x6f, 0x74, 0x65, 0x22, 0x3a, 0x22, 0xd6, 0xd0, 0x22, 0x7d]);
    expect((await post(srv.url(), gbk, 'application/json; charset=gbk')).status).toBe(200);
    const events = await ts.store.query({ taskId: 't2' });
    expect(events.map((e) => e.outId)).toEqual(['a', 'b', 'c', null]);
    expect(events[3]!.raw.equals(gbk)).toBe(true);
  });

  it('answers 400 to a truncated body and stores nothing', async () => {
    const json = JSON.stringify(callPush('t3', 'o1'));
    // Content-Length promises more than is sent, then the client closes.
    await rawExchange(
      srv.base,
      `POST /api/zhichi/events?secret=${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length + 50}\r\n\r\n`,
      json,
      { endAfterWrite: true },
    );
    // Complete bytes, but the JSON itself is cut off.
    const cut = await post(srv.url(), json.slice(0, json.length - 10));
    expect(cut.status).toBe(400);
    await receiver.drain();
    expect(await ts.store.count()).toBe(0);
    expect(receiver.stats().rejected[400]).toBe(2);
    expect((await post(srv.url(), json)).status).toBe(200);
  });

  it('answers 405 to other methods', async () => {
    const { request } = await import('undici');
    const r = await request(srv.url(), { method: 'GET' });
    expect(r.statusCode).toBe(405);
    expect(r.headers['allow']).toBe('POST');
    await r.body.text();
  });

  it('stores an unknown shape flagged known=false, extracting what it can (aliases, wrappers, string times)', async () => {
    const agents = {
      dataType: 'ROBOT_CALL_RECORD',
      data: {
        robotCallJobId: 9001, callRecordId: 'cr-77', calledPhoneNumber: '13900001111', resultStatus: 'ANSWERED',
        startTime: '2026-01-05 10:00:00', endTime: '2026-01-05 10:01:30', chatDuration: '90', intentLevelCode: 'B',
        hangupBy: 'REMOTE_HANGUP',
      },
    };
    expect((await post(srv.url(), agents)).status).toBe(200);
    expect((await post(srv.url(), [1, 2, 3])).status).toBe(200);
    expect((await post(srv.url(), '"just a string"')).status).toBe(200);
    const [a, b, c] = await ts.store.query();
    expect(a).toMatchObject({
      known: false, taskId: '9001', callId: 'cr-77', telephone: '13900001111', callResult: 0, callResultName: 'ANSWERED',
      startTime: Date.UTC(2026, 0, 5, 2, 0, 0), endTime: Date.UTC(2026, 0, 5, 2, 1, 30), talkDuration: 90, intent: 'B',
      hangupBy: 3, eventType: 'ROBOT_CALL_RECORD', key: JSON.stringify(['9001', null, 'cr-77', null]),
    });
    expect(b).toMatchObject({ known: false, taskId: null });
    expect(b!.key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(c!.raw.toString()).toBe('"just a string"');
    expect(receiver.stats().unknown).toBe(3);
  });

  it('splits a JSON array of records into one event per record', async () => {
    const batch = [callPush('t4', 'o1'), callPush('t4', 'o2'), callPush('t4', 'o1')];
    expect((await post(srv.url(), batch)).status).toBe(200);
    const events = await ts.store.query({ taskId: 't4' });
    expect(events.map((e) => e.outId)).toEqual(['o1', 'o2']);
    expect(JSON.parse(events[1]!.raw.toString())).toEqual(batch[1]);
  });

  it('stores concurrent distinct pushes, each exactly once', async () => {
    const n = 200;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => post(srv.url(), callPush('t5', `o${i}`, 1 + (i % 3)))));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(await ts.store.count({ taskId: 't5' })).toBe(n);
    expect(receiver.stats().stored).toBe(n);
  });

  it('delivers stored events to onResult; a throwing consumer leaves the event for replay', async () => {
    const seen: ResultEvent[] = [];
    let fail = true;
    receiver.onResult((e) => {
      if (e.known) expect(e.record.callId).toBe(e.fields.callId);
      seen.push(e);
      if (fail && e.fields.outId === 'bad') throw new Error(`downstream down (secret=${SECRET})`);
    });
    expect((await post(srv.url(), callPush('t6', 'good'))).status).toBe(200);
    expect((await post(srv.url(), callPush('t6', 'bad'))).status).toBe(200);
    expect((await post(srv.url(), { anything: true })).status).toBe(200);
    await receiver.drain();
    expect(seen.map((e) => e.fields.outId ?? null).sort()).toEqual(['bad', 'good', null].sort());
    const failed = await ts.store.query({ delivery: ['failed'] });
    expect(failed.map((e) => e.outId)).toEqual(['bad']);
    expect(failed[0]!.deliveryError).toContain('downstream down');
    expect(failed[0]!.deliveryError).not.toContain(SECRET);
    expect(await ts.store.count({ delivery: ['delivered'] })).toBe(2);

    fail = false;
    seen.length = 0;
    expect(await receiver.replay()).toEqual({ delivered: 1, failed: 0 });
    expect(seen.map((e) => e.fields.outId)).toEqual(['bad']);
    expect(seen[0]!.known).toBe(true);
    expect(await receiver.replay()).toEqual({ delivered: 0, failed: 0 });
    const [bad] = await ts.store.query({ taskId: 't6', afterId: 0 }).then((es) => es.filter((e) => e.outId === 'bad'));
    expect(bad).toMatchObject({ deliveryStatus: 'delivered', deliveryAttempts: 2, deliveredAt: clock.now() });
  });

  it('replays events stored while no consumer was registered', async () => {
    await post(srv.url(), callPush('t7', 'o1'));
    await post(srv.url(), callPush('t7', 'o2'));
    await expect(receiver.replay()).rejects.toThrow(/onResult/);
    const seen: string[] = [];
    receiver.onResult((e) => void seen.push(e.fields.outId!));
    expect(await receiver.replay({ taskId: 't7' })).toEqual({ delivered: 2, failed: 0 });
    expect(seen).toEqual(['o1', 'o2']);
  });

  it('keeps the secret out of logs and JSON', async () => {
    const logger = collectingLogger();
    const failing: EventStore = Object.assign(Object.create(ts.store) as EventStore, {
      insert: async (): Promise<InsertResult[]> => {
        throw new Error(`disk full while writing for secret=${SECRET}`);
      },
    });
    const r2 = await createPushReceiver({ secret: SECRET, store: failing, logger });
    const s2 = await serve(r2);
    try {
      const res = await post(s2.url(), callPush('t8', 'o1'));
      expect(res.status).toBe(503);
      expect(res.body).not.toContain(SECRET);
      expect(logger.lines.length).toBeGreaterThan(0);
      expect(logger.lines.join('\n')).not.toContain(SECRET);
      expect(JSON.stringify(r2)).not.toContain(SECRET);
    } finally {
      await s2.close();
      await r2.close();
    }
    expect(await ts.store.count()).toBe(0);
  });

  it('answers only after the commit finished', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inserting = new Promise<void>((r) => (entered = r));
    const slow: EventStore = Object.assign(Object.create(ts.store) as EventStore, {
      insert: async (events: readonly NewEvent[]): Promise<InsertResult[]> => {
        entered();
        await gate;
        return ts.store.insert(events);
      },
    });
    const r2 = await createPushReceiver({ secret: SECRET, store: slow });
    const s2 = await serve(r2);
    try {
      let answered = false;
      const pending = post(s2.url(), callPush('t9', 'o1')).then((r) => {
        answered = true;
        return r;
      });
      await inserting;
      // The insert is running but not finished: no answer may have left yet.
      await new Promise((r) => setImmediate(r));
      expect(answered).toBe(false);
      expect(await ts.store.count()).toBe(0);
      release();
      expect((await pending).status).toBe(200);
      expect(await ts.store.count()).toBe(1);
    } finally {
      await s2.close();
      await r2.close();
    }
  });

  it('uses a configured ack, path and IP allow-list', async () => {
    const r2 = await createPushReceiver({
      secret: [SECRET, 'next-secret-abcdefghijkl'], store: ts.store, path: '/hook', allowIps: ['10.0.0.0/8', '127.0.0.1'],
      ack: { body: 'success' },
    });
    const s2 = await serve(r2);
    const r3 = await createPushReceiver({ secret: SECRET, store: ts.store, allowIps: ['10.0.0.0/8', '::2'] });
    const s3 = await serve(r3);
    try {
      const ok = await post(s2.url(SECRET, '/hook'), callPush('t10', 'o1'));
      expect(ok).toMatchObject({ status: 200, body: 'success' });
      expect(ok.headers['content-type']).toMatch(/^text\/plain/);
      expect((await post(s2.url('next-secret-abcdefghijkl', '/hook'), callPush('t10', 'o2'))).status).toBe(200);
      expect((await post(s2.url(SECRET, '/other'), callPush('t10', 'o3'))).status).toBe(404);
      const denied = await post(s3.url(), callPush('t10', 'o4'));
      expect(denied.status).toBe(403);
      expect(await ts.store.count({ taskId: 't10' })).toBe(2);
    } finally {
      await s2.close();
      await s3.close();
      await r2.close();
      await r3.close();
    }
  });

  it('migrates once and keeps data across reopen', async () => {
    await post(srv.url(), callPush('t11', 'o1'));
    const again = await openEventStore(ts.location);
    try {
      expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await again.count({ taskId: 't11' })).toBe(1);
    } finally {
      await again.close();
    }
  });

  it('refuses new pushes once closing and drains in-flight ones', async () => {
    const inflight = post(srv.url(), callPush('t12', 'o1'));
    await new Promise((r) => setTimeout(r, 0));
    const closing = receiver.close();
    await closing;
    const r = await inflight;
    // Either it was accepted before close (then it is stored) or refused with 503 (then it is not).
    expect([200, 503]).toContain(r.status);
    expect(await ts.store.count({ taskId: 't12' })).toBe(r.status === 200 ? 1 : 0);
    expect((await post(srv.url(), callPush('t12', 'o2'))).status).toBe(503);
  });
});

describe('receiver options', () => {
  it('fails fast on a missing or short secret and bad limits, naming the option', async () => {
    const mem = await openEventStore(':memory:');
    try {
      await expect(createPushReceiver({ secret: '', store: mem })).rejects.toThrow(/secret must be a string of at least 16/);
      await expect(createPushReceiver({ secret: 'short', store: mem })).rejects.toThrow(/at least 16/);
      await expect(createPushReceiver({ secret: [], store: mem })).rejects.toThrow(/secret is required/);
      await expect(createPushReceiver({ secret: SECRET, store: mem, maxBodyBytes: 0 })).rejects.toThrow(/maxBodyBytes/);
      await expect(createPushReceiver({ secret: SECRET, store: mem, allowIps: ['10.0.0.0/33'] })).rejects.toThrow(/allowIps\[0\] prefix/);
      await expect(createPushReceiver({ secret: SECRET, store: mem, allowIps: ['nope'] })).rejects.toThrow(/allowIps\[0\] must be an IP/);
      await expect(createPushReceiver({ secret: SECRET, store: mem, ack: { status: 500 } })).rejects.toThrow(/ack.status/);
      await expect(createPushReceiver({ secret: SECRET, store: mem, path: 'hook' })).rejects.toThrow(/path must start/);
    } finally {
      await mem.close();
    }
  });

  it('opens the SQLite file named by ZHICHI_DB when no store is given', async () => {
    const { mkdtempSync, rmSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'zhichi-env-'));
    const file = join(dir, 'env.db');
    const r = await createPushReceiver({ secret: SECRET, env: { ZHICHI_DB: file } });
    expect(r.store.kind).toBe('sqlite');
    expect(r.store.location).toBe(file);
    await r.close();
    expect(existsSync(file)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
