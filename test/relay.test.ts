// The relay against the real brokers (NATS JetStream, BullMQ on Redis, RabbitMQ) and both stores, with
// real child processes: SIGKILL inside the publish-confirm-advance window and at a random point, restart,
// and two relays sharing one PostgreSQL store.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventJson } from '../src/push/event-json.js';
import type { PostgresEventStore } from '../src/push/postgres-store.js';
import { openEventStore, type EventStore } from '../src/push/store.js';
import { brokerOf, createRelay, jobIdOf, messageIdOf, readRelayStatus, taskToken, type OutMessage, type Publisher } from '../src/relay/index.js';
import { zhichi } from './cli-helpers.js';
import { BROKER_URLS, brokerMessages, dropBroker, makeEvents, prepareBroker, uniqueNames, type BrokerKind, type BrokerNames } from './fixtures/brokers.js';
import { PG_URL, freshStore, postgresAvailable, type StoreKind, type TestStore } from './fixtures/push-stores.js';

const CLI = fileURLToPath(new URL('./fixtures/zhichi-cli.ts', import.meta.url));
const CRASH_CHILD = fileURLToPath(new URL('./fixtures/relay-child.ts', import.meta.url));

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function spawnNode(script: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

function relayArgs(kind: BrokerKind, location: string, n: BrokerNames, extra: string[] = []): string[] {
  return [
    'relay', '--db', location, '--to', BROKER_URLS[kind], '--name', 'crash', '--stream', n.stream, '--subject-prefix', n.prefix,
    '--queue', n.queue, '--exchange', n.exchange, '--batch', '100', ...extra,
  ];
}

/** Polls until `cond` holds; real processes need real waiting, the condition is what is asserted. */
async function until(what: string, cond: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function storedKeys(store: EventStore): Promise<Map<string, ReturnType<typeof eventJson>>> {
  const m = new Map<string, ReturnType<typeof eventJson>>();
  for (let after = 0; ;) {
    const page = await store.query({ afterId: after, limit: 1000 });
    if (page.length === 0) return m;
    for (const e of page) m.set(e.key, JSON.parse(JSON.stringify(eventJson(e))) as ReturnType<typeof eventJson>);
    after = page[page.length - 1]!.id;
  }
}

const procs: Proc[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }
});

let pgUp = false;
beforeAll(async () => {
  pgUp = await postgresAvailable();
});

const BROKERS: BrokerKind[] = ['nats', 'bullmq', 'amqp'];
const STORES: StoreKind[] = ['sqlite', 'postgres'];

describe.each(BROKERS)('relay to %s', (broker) => {
  describe.each(STORES)('from %s', (kind) => {
    let ts: TestStore | undefined;
    let names: BrokerNames;
    afterEach(async () => {
      await dropBroker(broker, names);
      await ts?.cleanup();
      ts = undefined;
    });

    it('SIGKILLed after a confirm before the cursor moved, and again mid-run, then restarted: every stored event once per key, none missing', async (ctx) => {
      if (kind === 'postgres' && !pgUp) ctx.skip();
      names = uniqueNames();
      await prepareBroker(broker, names);
      ts = await freshStore(kind);
      await ts.store.insert(makeEvents(2000));

      // 1. Dies right after the broker confirmed its 3rd batch: batches 1-2 are recorded, batch 3 is not.
      const a = spawnNode(CRASH_CHILD, [], {
        STORE: ts.location, TO: BROKER_URLS[broker], NAME: 'crash', STREAM: names.stream, PREFIX: names.prefix, QUEUE: names.queue,
        EXCHANGE: names.exchange, BATCH: '100', CRASH_AFTER_BATCH: '3',
      });
      procs.push(a);
      await a.exited;
      expect(a.out()).toContain('CONFIRMED 3');
      expect(a.child.signalCode).toBe('SIGKILL');
      expect((await readRelayStatus(ts.location, { name: 'crash' })).published).toBe(200);

      // 2. The CLI follows; more events arrive while it runs; it is SIGKILLed in the middle.
      const b = spawnNode(CLI, relayArgs(broker, ts.location, names));
      procs.push(b);
      await ts.store.insert(makeEvents(1000, 2000));
      await until('the relay to get going', async () => (await readRelayStatus(ts!.location, { name: 'crash' })).published >= 1000);
      b.child.kill('SIGKILL');
      await b.exited;
      const mid = await readRelayStatus(ts.location, { name: 'crash' });
      await ts.store.insert(makeEvents(500, 3000));

      // 3. Restarted with --once: publishes the rest and exits 0.
      const c = spawnNode(CLI, relayArgs(broker, ts.location, names, ['--once']));
      procs.push(c);
      expect(await c.exited, c.out()).toBe(0);
      const end = await readRelayStatus(ts.location, { name: 'crash' });
      expect(end.backlog).toBe(0);
      expect(end.published).toBeGreaterThanOrEqual(3500);
      expect(mid.published).toBeLessThan(3500);

      const stored = await storedKeys(ts.store);
      expect(stored.size).toBe(3500);
      const got = await brokerMessages(broker, names);
      const ids = got.map((m) => m.id);
      const distinct = new Set(ids);
      expect([...distinct].sort()).toEqual([...stored.keys()].sort());
      if (broker === 'amqp') {
        // RabbitMQ does not dedupe: batch 3 (and whatever was unconfirmed at the second kill) came twice;
        // a consumer deduping on message-id sees each event once.
        expect(ids.length).toBeGreaterThanOrEqual(3600);
      } else {
        // JetStream (Nats-Msg-Id window) and BullMQ (jobId) dropped the republished copies.
        expect(ids.length).toBe(3500);
      }
      // The body is the event as `results export --format json` writes it.
      for (const m of got.slice(0, 50)) expect(m.body).toEqual(stored.get(m.id));
      if (broker === 'nats') expect(got[0]!.route).toMatch(new RegExp(`^${names.prefix.replace(/\./g, '\\.')}\\.relay-task_[012]$`));
      if (broker === 'bullmq') expect(got.every((m) => m.route === `result:${jobIdOf(m.id)}`)).toBe(true);
    }, 180_000);
  });
});

describe('two relays on one PostgreSQL store', () => {
  let ts: TestStore | undefined;
  const names = uniqueNames();
  afterEach(async () => {
    await dropBroker('amqp', names);
    await ts?.cleanup();
  });

  it('share the work (one leads, the other takes over) and no event is published by both', async (ctx) => {
    if (!pgUp) ctx.skip();
    await prepareBroker('amqp', names);
    ts = await freshStore('postgres');
    const args = relayArgs('amqp', ts.location, names, ['--stats-every', '100', '--batch', '50']);
    const r1 = spawnNode(CLI, args);
    const r2 = spawnNode(CLI, args);
    procs.push(r1, r2);
    for (let i = 0; i < 20; i++) await ts.store.insert(makeEvents(100, i * 100));
    await until('the first half to be published', async () => (await readRelayStatus(ts!.location, { name: 'crash' })).published === 2000);
    const owner = (await readRelayStatus(ts.location, { name: 'crash' })).owner;
    const [leader, standby] = r1.out().includes(`(${owner})`) ? [r1, r2] : [r2, r1];
    expect(leader.out()).toContain(`(${owner})`);
    expect(standby.out()).toMatch(/\(standby\)/);
    // A clean stop of the leader: its last batch is confirmed and recorded, then the lock is free.
    leader.child.kill('SIGTERM');
    expect(await leader.exited).toBe(0);
    for (let i = 20; i < 40; i++) await ts.store.insert(makeEvents(100, i * 100));
    await until('the standby to take over and finish', async () => (await readRelayStatus(ts!.location, { name: 'crash' })).published === 4000);
    standby.child.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
    const byLeader = Number(/stopped: published (\d+)/.exec(leader.out())?.[1]);
    const byStandby = Number(/stopped: published (\d+)/.exec(standby.out())?.[1]);
    expect(byLeader).toBeGreaterThan(0);
    expect(byStandby).toBeGreaterThan(0);
    expect(byLeader + byStandby).toBe(4000);
    const got = await brokerMessages('amqp', names);
    const ids = got.map((m) => m.id);
    // RabbitMQ keeps every copy, so a double publish would show here: there is none.
    expect(ids.length).toBe(4000);
    expect(new Set(ids).size).toBe(4000);
  }, 180_000);
});

/** A publisher that keeps what it got, for the ordering test (the store side is what is tested). */
function recording(): Publisher & { got: OutMessage[] } {
  const got: OutMessage[] = [];
  return { kind: 'nats', target: 'memory', got, publish: async (b) => void got.push(...b), close: async () => {} };
}

describe('relay order on PostgreSQL', () => {
  let ts: TestStore | undefined;
  afterEach(async () => ts?.cleanup());

  it('does not skip a row whose lower id commits after a higher one', async (ctx) => {
    if (!pgUp) ctx.skip();
    ts = await freshStore('postgres');
    const schema = (ts.store as PostgresEventStore).schema;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const pub = recording();
    const relay = await createRelay({ store: ts.location, to: 'nats://unused:4222', name: 'order', publisher: pub });
    try {
      // T1 takes id 1 and stays open; T2 takes id 2 and commits first.
      await c.query('BEGIN');
      await c.query(`INSERT INTO "${schema}".zhichi_events (event_key, source, known, received_at, raw) VALUES ('early', 'push', 1, 1, '\\x7b7d')`);
      await ts.store.insert(makeEvents(1));
      expect((await relay.runOnce()).published).toBe(0);
      await c.query('COMMIT');
      expect((await relay.runOnce()).published).toBe(2);
      expect(pub.got.map((m) => m.key)).toEqual(['early', makeEvents(1)[0]!.key]);
    } finally {
      await c.end();
      await relay.close();
    }
  });
});

describe('zhichi relay (CLI)', () => {
  it('names the flag that is missing or wrong, and --status reads the store without a broker', async () => {
    const ts = await freshStore('sqlite');
    try {
      const none = await zhichi(['relay', '--db', ts.location]);
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/--to <nats:\/\/\|redis:\/\/\|amqp:\/\/>/);
      const bad = await zhichi(['relay', '--db', ts.location, '--to', 'http://x:1@host']);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/--to must be a nats:\/\/, redis:\/\/ or amqp:\/\/ URL/);
      expect(bad.err).not.toContain(':1@');
      await ts.store.insert(makeEvents(3));
      const st = await zhichi(['relay', '--db', ts.location, '--status', '--json']);
      expect(st.code).toBe(0);
      expect(JSON.parse(st.out)).toMatchObject({ relay: 'default', published: 0, backlog: 3, errors: 0 });
    } finally {
      await ts.cleanup();
    }
  });
});

describe('relay errors', () => {
  it('an unreachable broker is counted, logged redacted and retried; the cursor does not move', async () => {
    const ts = await freshStore('sqlite');
    const logged: string[] = [];
    try {
      await ts.store.insert(makeEvents(10));
      const relay = await createRelay({
        store: ts.location, to: 'amqp://guest:hunter2-secret@127.0.0.1:1', name: 'down', maxRetryMs: 200,
        logger: { warn: (m) => logged.push(m), error: (m) => logged.push(m) },
      });
      const ac = new AbortController();
      const running = relay.run(ac.signal);
      await until('three failed attempts', async () => relay.metrics().errors >= 3);
      ac.abort();
      await running;
      const st = await relay.status();
      await relay.close();
      expect(relay.metrics().published).toBe(0);
      expect(st.position.id).toBe(0);
      expect(st.backlog).toBe(10);
      expect(st.errors).toBeGreaterThanOrEqual(3);
      expect(st.lastError).toMatch(/cannot connect to RabbitMQ/);
      for (const text of [...logged, st.lastError!]) expect(text).not.toContain('hunter2-secret');
    } finally {
      await ts.cleanup();
    }
  });

  it('broker ids derive from the key: BullMQ jobIds are digests, AMQP message-ids the key up to 255 bytes, subjects safe tokens', () => {
    const key = JSON.stringify(['task:1', 'o1', null, 1]);
    expect(jobIdOf(key)).toMatch(/^zr-[0-9a-f]{64}$/);
    expect(jobIdOf(key)).toBe(jobIdOf(key));
    expect(messageIdOf(key)).toBe(key);
    expect(messageIdOf('k'.repeat(300))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(taskToken('a.b *>c')).toBe('a_b___c');
    expect(taskToken(null)).toBe('_none');
    expect(() => brokerOf('kafka://x')).toThrow(/--to must be a nats:\/\/, redis:\/\/ or amqp:\/\/ URL/);
  });
});
