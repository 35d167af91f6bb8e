// The dashboard's read model on SQLite and on the real PostgreSQL: every aggregate equals the same
// figure counted in JS from the events inserted; keyset pages cover the filtered set exactly once.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReadModel, maskPhone, TALK_EDGES, type ReadModel, type ResultRow } from '../src/push/read-model.js';
import { openEventStore, type NewEvent } from '../src/push/store.js';

/** A second connection (pool) to the same store, to write concurrently. */
const openEventStoreAgain = (location: string) => openEventStore(location);
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { PG_URL, freshStore, postgresAvailable, type StoreKind, type TestStore } from './fixtures/push-stores.js';
import { TEST_NOW } from './helpers.js';
import { mulberry32 as rng } from '../src/emulator/random.js';

const KINDS: StoreKind[] = ['sqlite', 'postgres'];


interface Gen {
  taskId: string;
  outId: string;
  attempt: number;
  callResult: number | null;
  intent: string | null;
  talk: number | null;
  start: number | null;
  received: number;
  phone: string;
}

function generate(count: number, seed: number): Gen[] {
  const r = rng(seed);
  const codes = [0, 0, 0, 1, 2, 3, 5, 7, 42, null];
  const out: Gen[] = [];
  for (let i = 0; i < count; i++) {
    const taskId = r() < 0.7 ? 'task-a' : 'task-b';
    const callResult = codes[Math.floor(r() * codes.length)]!;
    const answered = callResult === 0;
    out.push({
      taskId, outId: `o${Math.floor(r() * (count / 2))}`, attempt: r() < 0.2 ? 2 : 1, callResult,
      intent: answered ? (r() < 0.1 ? null : 'ABCD'[Math.floor(r() * 4)]!) : null,
      talk: answered ? Math.floor(r() * 400) : callResult === null ? null : 0,
      start: r() < 0.05 ? null : TEST_NOW + Math.floor(r() * 2 * 86_400_000),
      received: TEST_NOW + i * 1000, phone: `138${String(Math.floor(r() * 1e8)).padStart(8, '0')}`,
    });
  }
  return out;
}

function toNew(g: Gen, i: number): NewEvent {
  const fields: NewEvent['fields'] = { taskId: g.taskId, outId: g.outId, attempt: g.attempt, telephone: g.phone };
  if (g.callResult !== null) fields.callResult = g.callResult;
  if (g.intent !== null) fields.intent = g.intent;
  if (g.talk !== null) fields.talkDuration = g.talk;
  if (g.start !== null) fields.startTime = g.start;
  return { key: `k${i}`, source: 'push', known: true, receivedAt: g.received, remoteAddress: '127.0.0.1', contentType: 'application/json', fields, raw: new TextEncoder().encode('{}') };
}

const shanghaiHour = (ms: number) => Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: 'numeric', hourCycle: 'h23' }).format(ms)) % 24;

describe.each(KINDS)('dashboard read model on %s', (kind) => {
  let ts: TestStore;
  let rm: ReadModel;
  /** The same store read from the events, not the rollups: every figure must agree. */
  let scan: ReadModel;
  let skip = false;
  const events = generate(3000, 7);

  beforeAll(async () => {
    if (kind === 'postgres') skip = !(await postgresAvailable());
    if (skip) return;
    ts = await freshStore(kind);
    for (let i = 0; i < events.length; i += 500) await ts.store.insert(events.slice(i, i + 500).map((g, j) => toNew(g, i + j)));
    rm = await openReadModel(ts.location);
    scan = await openReadModel(ts.location, { useRollups: false });
  });

  afterAll(async () => {
    if (skip) return;
    await rm.close();
    await scan.close();
    await ts.cleanup();
  });

  it('overview: results, answered share and last result of every task', async (ctx) => {
    if (skip) ctx.skip();
    expect(rm.rollups).toBe(true);
    const o = await rm.overview();
    expect(o.maxId).toBe(events.length);
    const expected = ['task-a', 'task-b'].map((taskId) => {
      const mine = events.filter((e) => e.taskId === taskId);
      const answered = mine.filter((e) => e.callResult === 0).length;
      return { taskId, results: mine.length, answered, answeredShare: answered / mine.length, lastReceivedAt: Math.max(...mine.map((e) => e.received)) };
    });
    expect([...o.tasks].sort((a, b) => a.taskId.localeCompare(b.taskId))).toEqual(expected);
    expect(scan.rollups).toBe(false);
    expect(await scan.overview()).toEqual(o);
  });

  it('task stats: progress, outcomes, intents, hours in the task zone, talk histogram', async (ctx) => {
    if (skip) ctx.skip();
    const mine = events.filter((e) => e.taskId === 'task-a');
    const s = await rm.taskStats('task-a', { api: { contacts: 5000, redialsPending: 12 } });
    expect(s.timeZone).toBe('Asia/Shanghai');
    const answered = mine.filter((e) => e.callResult === 0);
    expect(s.progress).toEqual({
      results: mine.length, answeredResults: answered.length, contactsCalled: new Set(mine.map((e) => e.outId)).size,
      contactsAnswered: new Set(answered.map((e) => e.outId)).size, redials: mine.filter((e) => e.attempt > 1).length,
      lastReceivedAt: Math.max(...mine.map((e) => e.received)), contacts: 5000, redialsPending: 12,
    });
    const byCode = new Map<number | null, number>();
    for (const e of mine) byCode.set(e.callResult, (byCode.get(e.callResult) ?? 0) + 1);
    expect(Object.fromEntries(s.outcomes.map((o) => [o.name, o.count]))).toEqual(
      Object.fromEntries([...byCode].map(([c, k]) => [c === null ? 'NONE' : c === 42 ? 'UNKNOWN_42' : ['ANSWERED', 'NO_ANSWER', 'BUSY', 'POWER_OFF', 'OUT_OF_SERVICE', 'REFUSED', 'VACANT_NUMBER', 'CAN_NOT_CONNECT'][c]!, k])),
    );
    expect(s.outcomes.map((o) => o.count)).toEqual([...s.outcomes.map((o) => o.count)].sort((a, b) => b - a));
    const intents = new Map<string | null, number>();
    for (const e of answered) intents.set(e.intent, (intents.get(e.intent) ?? 0) + 1);
    expect(s.intents).toEqual(['A', 'B', 'C', 'D', null].filter((k) => intents.has(k)).map((k) => ({ intent: k, count: intents.get(k) })));
    const hours = Array.from({ length: 24 }, () => ({ calls: 0, answered: 0 }));
    for (const e of mine) {
      if (e.start === null) continue;
      const h = hours[shanghaiHour(e.start)]!;
      h.calls++;
      if (e.callResult === 0) h.answered++;
    }
    expect(s.hours.map((h) => ({ calls: h.calls, answered: h.answered }))).toEqual(hours);
    expect(s.hours.every((h) => h.rate === (h.calls ? h.answered / h.calls : 0))).toBe(true);
    // A zone 5:45 ahead of UTC: hours shift by quarter-hours, counted per event by Intl here.
    const kathmandu = (await rm.taskStats('task-a', { timeZone: 'Asia/Kathmandu' })).hours.map((h) => h.calls);
    const ktm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Kathmandu', hour: 'numeric', hourCycle: 'h23' });
    const want = Array.from({ length: 24 }, () => 0);
    for (const e of mine) if (e.start !== null) want[Number(ktm.format(e.start)) % 24]!++;
    expect(kathmandu).toEqual(want);
    const edges = [0, ...TALK_EDGES, Infinity];
    expect(s.talk.map((b) => b.count)).toEqual(
      edges.slice(0, -1).map((from, i) => answered.filter((e) => e.talk !== null && e.talk >= from && e.talk < edges[i + 1]!).length),
    );
    expect(s.talk.at(-1)).toMatchObject({ from: 300, to: null });
    expect(await scan.taskStats('task-a', { api: { contacts: 5000, redialsPending: 12 } })).toEqual(s);
    expect(await scan.taskStats('task-b')).toEqual(await rm.taskStats('task-b'));
  });

  it('rollups stay exact under concurrent batches that share contacts, and ignore duplicates', async (ctx) => {
    if (skip) ctx.skip();
    const extra = await freshStore(kind);
    const other = await openEventStoreAgain(extra.location);
    try {
      const mk = (i: number, outId: string, callResult: number): NewEvent =>
        toNew({ taskId: 'cc', outId, attempt: 1, callResult, intent: callResult === 0 ? 'B' : null, talk: 12, start: TEST_NOW + i * 60_000, received: TEST_NOW + i, phone: '13800000000' }, i);
      // Two connections insert batches with the same contacts at once; then the same keys again (duplicates).
      const a = Array.from({ length: 200 }, (_, i) => mk(i, `c${i % 50}`, i % 4 === 0 ? 0 : 1));
      const b = Array.from({ length: 200 }, (_, i) => mk(1000 + i, `c${(i + 25) % 80}`, i % 5 === 0 ? 0 : 2));
      await Promise.all([extra.store.insert(a.slice(0, 100)), other.insert(b.slice(0, 100)), extra.store.insert(a.slice(100)), other.insert(b.slice(100))]);
      await Promise.all([extra.store.insert(a.slice(0, 50)), other.insert(b.slice(150))]);
      const r1 = await openReadModel(extra.location);
      const r2 = await openReadModel(extra.location, { useRollups: false });
      const [fast, slow] = await Promise.all([r1.taskStats('cc'), r2.taskStats('cc')]);
      await Promise.all([r1.close(), r2.close()]);
      expect(fast).toEqual(slow);
      expect(fast.progress.results).toBe(400);
      expect(fast.progress.contactsCalled).toBe(new Set([...a, ...b].map((e) => e.fields.outId)).size);
      expect(fast.progress.contactsAnswered).toBe(new Set([...a, ...b].filter((e) => e.fields.callResult === 0).map((e) => e.fields.outId)).size);
    } finally {
      await other.close();
      await extra.cleanup();
    }
  });

  it('hours follow the task zone across a DST change', async (ctx) => {
    if (skip) ctx.skip();
    const extra = await freshStore(kind);
    try {
      // 2026-03-08 in New York: 01:30 EST (06:30 UTC), then clocks jump; 07:30 UTC is 03:30 EDT.
      const g = (start: number, i: number): NewEvent => toNew({ taskId: 'dst', outId: `d${i}`, attempt: 1, callResult: 0, intent: 'A', talk: 5, start, received: start, phone: '13800000000' }, i);
      await extra.store.insert([g(Date.UTC(2026, 2, 8, 6, 30), 1), g(Date.UTC(2026, 2, 8, 7, 30), 2)]);
      const r = await openReadModel(extra.location);
      const s = await r.taskStats('dst', { timeZone: 'America/New_York' });
      await r.close();
      expect(s.hours.filter((h) => h.calls > 0).map((h) => h.hour)).toEqual([1, 3]);
      await expect(rm.taskStats('dst', { timeZone: 'Mars/Base' })).rejects.toThrow(/timeZone must be an IANA time zone/);
    } finally {
      await extra.cleanup();
    }
  });

  it('results: filters, masked phones, keyset pages that cover the set once', async (ctx) => {
    if (skip) ctx.skip();
    const filter = { taskId: 'task-a', callResults: [0, 1], intents: [] as string[] };
    const want = events
      .map((e, i) => ({ ...e, id: i + 1 }))
      .filter((e) => e.taskId === 'task-a' && (e.callResult === 0 || e.callResult === 1))
      .reverse();
    const got: ResultRow[] = [];
    let before: number | undefined;
    let pages = 0;
    for (;;) {
      const p = await rm.results(filter, before === undefined ? { limit: 97 } : { limit: 97, before });
      pages++;
      got.push(...p.rows);
      if (p.next === null) break;
      before = p.next;
    }
    expect(pages).toBe(Math.ceil(want.length / 97));
    expect(got.map((r) => r.id)).toEqual(want.map((e) => e.id));
    expect(got[0]).toMatchObject({ outId: want[0]!.outId, phone: maskPhone(want[0]!.phone), attempt: want[0]!.attempt, receivedAt: want[0]!.received });
    expect(got[0]!.phone).toMatch(/^138\*{4}\d{4}$/);
    expect(await rm.countResults(filter)).toBe(want.length);

    const one = want[5]!;
    const byOut = await rm.results({ taskId: 'task-a', outId: one.outId, intents: one.intent ? [one.intent] : [] }, { revealPhones: true });
    expect(byOut.rows.map((r) => r.id)).toContain(one.id);
    expect(byOut.rows.every((r) => r.outId === one.outId)).toBe(true);
    expect(byOut.rows.find((r) => r.id === one.id)!.phone).toBe(one.phone);

    const redials = [];
    for await (const r of rm.iterateResults({ taskId: 'task-b', minAttempt: 2 }, { pageSize: 50 })) redials.push(r.id);
    expect(redials).toEqual(events.map((e, i) => ({ ...e, id: i + 1 })).filter((e) => e.taskId === 'task-b' && e.attempt >= 2).map((e) => e.id).reverse());
    await expect(rm.results({ taskId: '' })).rejects.toThrow(/taskId: required/);
  });
});

describe.each(KINDS)('migration 3 on a store with events already (%s)', (kind) => {
  it('backfills the rollups from the stored events', async (ctx) => {
    if (kind === 'postgres' && !(await postgresAvailable())) ctx.skip();
    const ts = await freshStore(kind);
    try {
      const evs = generate(600, 11);
      await ts.store.insert(evs.map(toNew));
      // Take the store back to schema 1: no rollups, no trigger, version 3 not recorded.
      const undo = [...(kind === 'postgres' ? ['DROP TRIGGER zhichi_dash_rollup ON {s}.zhichi_events'] : []),
        ...['task', 'outcome', 'quarter', 'contact'].map((t) => `DROP TABLE {s}.zhichi_dash_${t}`), 'DELETE FROM {s}.zhichi_schema_version WHERE version = 3'];
      if (kind === 'sqlite') {
        const db = new BetterSqlite3(ts.location);
        for (const u of undo) db.exec(u.replaceAll('{s}.', ''));
        db.close();
      } else {
        const schema = new URL(ts.location).searchParams.get('schema')!;
        const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
        for (const u of undo) await pool.query(u.replaceAll('{s}', `"${schema}"`));
        await pool.query(`DROP FUNCTION "${schema}".zhichi_dash_rollup()`);
        await pool.end();
      }
      const before = await openReadModel(ts.location);
      expect(before.rollups).toBe(false);
      const expected = await before.taskStats('task-a');
      await before.close();
      const again = await openEventStore(ts.location); // runs migration 3: backfill, then the trigger
      await again.insert([toNew({ ...evs[0]!, outId: 'late' }, 9999)]);
      await again.close();
      const after = await openReadModel(ts.location);
      const scan = await openReadModel(ts.location, { useRollups: false });
      expect(after.rollups).toBe(true);
      const got = await after.taskStats('task-a');
      expect(got).toEqual(await scan.taskStats('task-a'));
      expect(got.progress.results).toBe(expected.progress.results + (evs[0]!.taskId === 'task-a' ? 1 : 0));
      await Promise.all([after.close(), scan.close()]);
    } finally {
      await ts.cleanup();
    }
  });
});

describe('read-only open', () => {
  it('does not create a missing SQLite file', async () => {
    const file = join(tmpdir(), `zhichi-missing-${process.pid}.db`);
    await expect(openReadModel(file)).rejects.toThrow(/cannot open SQLite file .* for reading/);
    expect(existsSync(file)).toBe(false);
  });

  it('masks phone numbers', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('+86 138 1234 5678')).toBe('+86**********5678');
    expect(maskPhone('12345')).toBe('***45');
    expect(maskPhone(null)).toBeNull();
  });
});
