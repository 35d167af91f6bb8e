// 10,000 fuzzed pushes (fast-check) per store over real HTTP: each gets a clear 4xx or is stored (as
// unknown when its shape is not the contract's), the stored set is exactly the distinct keys accepted,
// and the process keeps serving.
import { TextDecoder } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Pool } from 'undici';
import { createPushReceiver, type PushReceiver } from '../src/push/receiver.js';
import { parseBody } from '../src/push/extract.js';
import { freshStore, postgresAvailable, type StoreKind, type TestStore } from './fixtures/push-stores.js';
import { SECRET, callPush, post, serve, type Running } from './fixtures/push-http.js';

const RUNS = 10_000;
const LIMIT = 2048;
const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;charset=UTF-8', null, 'text/plain',
  'application/vnd.x+json', 'application/x-www-form-urlencoded', 'text/xml', 'multipart/form-data; boundary=z',
  'application/json; charset=bogus-9', 'application/octet-stream',
] as const;

const contractish = fc
  .record({
    base: fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), fc.integer({ min: -2, max: 5 })),
    patch: fc.dictionary(
      fc.constantFrom('taskId', 'outId', 'callId', 'attempt', 'callResult', 'startTime', 'endTime', 'intent', 'talkDuration', 'data', 'task_id', 'resultStatus'),
      fc.oneof(fc.anything({ maxDepth: 2 }), fc.constantFrom('ANSWERED', '2026-01-05 10:00:00', '3', 1767578400)),
      { maxKeys: 4 },
    ),
  })
  .map(({ base: [t, o, a], patch }) => JSON.stringify({ ...callPush(t, o, a), ...patch }));

const body = fc.oneof(
  { arbitrary: fc.json({ maxDepth: 4 }), weight: 3 },
  { arbitrary: contractish, weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 2 },
  { arbitrary: fc.tuple(contractish, fc.nat()).map(([s, n]) => s.slice(0, n % (s.length + 1))), weight: 2 },
  { arbitrary: fc.array(contractish, { maxLength: 3 }).map((a) => `[${a.join(',')}]`), weight: 1 },
  { arbitrary: fc.nat({ max: 4000 }).map((n) => JSON.stringify({ pad: 'y'.repeat(LIMIT - 10 + n) })), weight: 1 },
);

interface Case {
  bytes: Buffer;
  contentType: (typeof CONTENT_TYPES)[number];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What the receiver must answer, by its documented contract (docs/receiver.md). */
function expected(c: Case): { status: number; keys: string[] } {
  const ct = (c.contentType ?? '').toLowerCase();
  const type = ct.split(';')[0]!.trim();
  const ok = type === '' || type === 'application/json' || type === 'text/plain' || type === 'text/json' || (type.startsWith('application/') && type.endsWith('+json'));
  if (!ok || ct.includes('bogus')) return { status: 415, keys: [] };
  if (c.bytes.length > LIMIT) return { status: 413, keys: [] };
  let text: string;
  try {
    text = utf8.decode(c.bytes);
  } catch {
    return { status: 400, keys: [] };
  }
  if (text.trim() === '') return { status: 400, keys: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { status: 400, keys: [] };
  }
  return { status: 200, keys: parseBody(value, c.bytes).map((e) => e.key) };
}

describe.each<StoreKind>(['sqlite', 'postgres'])('fuzzed pushes on %s', (kind) => {
  let ts: TestStore | undefined;
  let receiver: PushReceiver | undefined;
  let srv: Running | undefined;
  let skip = false;

  beforeAll(async () => {
    if (kind === 'postgres') skip = !(await postgresAvailable());
  });

  afterEach(async () => {
    await srv?.close();
    await receiver?.close();
    await ts?.cleanup();
  });

  it(`${RUNS} random bodies: a clear 4xx or stored, never a crash`, async (ctx) => {
    if (skip) ctx.skip();
    ts = await freshStore(kind);
    receiver = await createPushReceiver({ secret: SECRET, store: ts.store, maxBodyBytes: LIMIT });
    srv = await serve(receiver);
    const cases: Case[] = fc
      .sample(fc.record({ body, contentType: fc.constantFrom(...CONTENT_TYPES) }), { numRuns: RUNS, seed: 20260105 })
      .map((c) => ({ bytes: Buffer.from(c.body), contentType: c.contentType }));
    const pool = new Pool(srv.base, { connections: 16, pipelining: 1 });
    const path = `/api/zhichi/events?secret=${SECRET}`;
    const wantKeys = new Set<string>();
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const want = expected(c);
        const headers: Record<string, string> = {};
        if (c.contentType !== null) headers['content-type'] = c.contentType;
        const res = await pool.request({ method: 'POST', path, headers, body: c.bytes });
        const text = await res.body.text();
        const label = `body=${JSON.stringify(c.bytes.toString('latin1').slice(0, 120))} ct=${c.contentType}`;
        expect(res.statusCode, label).toBe(want.status);
        if (res.statusCode >= 400) expect((JSON.parse(text) as { message: string }).message.length, label).toBeGreaterThan(3);
        for (const k of want.keys) wantKeys.add(k);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }
    };
    try {
      await Promise.all(Array.from({ length: 16 }, worker));
    } finally {
      await pool.close();
    }
    // Every class of answer actually occurred, so the run exercised each path.
    expect([...statuses.keys()].sort()).toEqual([200, 400, 413, 415]);
    expect(await ts.store.count()).toBe(wantKeys.size);
    const stored = new Set<string>();
    for (let afterId = 0; ; ) {
      const page = await ts.store.query({ afterId, limit: 5000 });
      if (page.length === 0) break;
      for (const e of page) stored.add(e.key);
      afterId = page[page.length - 1]!.id;
    }
    expect(stored).toEqual(wantKeys);
    expect(await ts.store.count({ known: false })).toBeGreaterThan(0);
    expect(await ts.store.count({ known: true })).toBeGreaterThan(0);
    // Still serving after the storm.
    expect((await post(srv.url(), callPush('after-fuzz', 'o1'))).status).toBe(200);
    expect(receiver.stats().rejected[500]).toBeUndefined();
  });
});
