// A receiver fleet on one PostgreSQL schema: two `webhooks serve` processes behind a round-robin
// balancer, the emulator pushing with duplicates on; one receiver is SIGKILLed mid-campaign and restarted.
// Every acknowledged push is stored once, with the instance that stored it. Reconciliations started on
// two receivers at once run one after the other (fleet lock).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import { ZhichiClient } from '../src/client.js';
import { createPushReceiver } from '../src/push/receiver.js';
import { openEventStore } from '../src/push/store.js';
import type { ReconcileSource } from '../src/push/reconcile.js';
import { HOUR, MONDAY_CST, Raw, contacts, taskParams } from './emulator-helpers.js';
import { freshStore, postgresAvailable, type TestStore } from './fixtures/push-stores.js';
import { SECRET } from './fixtures/push-http.js';

const CLI = fileURLToPath(new URL('./fixtures/zhichi-cli.ts', import.meta.url));
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

let pgUp = false;
beforeAll(async () => {
  pgUp = await postgresAvailable();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Receiver {
  child: ChildProcess;
  exited: Promise<void>;
}

function startReceiver(location: string, port: number, instance: string): Promise<Receiver> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'webhooks', 'serve', '--db', location, '--port', String(port), '--instance-id', instance], {
    env: { ...process.env, ZHICHI_PUSH_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`instance ${instance}`)) resolve({ child, exited });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (c) => reject(new Error(`receiver ${instance} exited (${c}): ${out}`)));
  });
}

/**
 * A round-robin HTTP balancer: each request goes to the next backend; a backend that refuses the
 * connection is skipped (as a load balancer's health check would), one that fails mid-request gives 502.
 */
function balancer(ports: number[], onForward: (port: number) => void): Promise<{ url: string; server: Server }> {
  let next = 0;
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    for (let tries = 0; tries < ports.length; tries++) {
      const port = ports[next++ % ports.length]!;
      try {
        onForward(port);
        const r = await request(`http://127.0.0.1:${port}${req.url}`, {
          method: 'POST', body, headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
        });
        const text = await r.body.text();
        res.writeHead(r.statusCode, { 'content-type': 'application/json' }).end(text);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') continue;
        break;
      }
    }
    res.writeHead(502).end('{"code":502}');
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

describe('receiver fleet on one PostgreSQL schema', () => {
  let ts: TestStore | undefined;
  afterEach(async () => {
    await ts?.cleanup();
    ts = undefined;
  });

  it('two receivers, one SIGKILLed and restarted mid-campaign with duplicates on: every acknowledged push stored once, with its instance', async (ctx) => {
    if (!pgUp) ctx.skip();
    ts = await freshStore('postgres');
    const [p1, p2] = [await freePort(), await freePort()];
    let r1 = await startReceiver(ts.location, p1, 'r1');
    const r2 = await startReceiver(ts.location, p2, 'r2');
    closers.push(async () => {
      for (const r of [r1, r2]) {
        if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
        await r.exited;
      }
    });
    let toR1 = 0;
    let killed = false;
    const lb = await balancer([p1, p2], (port) => {
      if (port !== p1) return;
      // SIGKILL while pushes are in flight: the 100th request to r1 is on its way when the kill lands.
      if (++toR1 === 100 && !killed) {
        killed = true;
        r1.child.kill('SIGKILL');
      }
    });
    closers.push(() => new Promise((r) => lb.server.close(() => r())));
    const emu = await startEmulator({
      clock: { mode: 'manual', start: MONDAY_CST }, env: {}, robotCount: 12,
      push: { duplicateRate: 0.3, reorderRate: 0.2, concurrency: 8, retryBaseMs: 60_000, maxAttempts: 20 },
    });
    closers.push(() => emu.close());
    const api = new Raw(emu);
    await api.login();
    const { taskId } = await api.createTask(taskParams({ robotNum: 12, pushFlag: 1, pushType: 2, pushUrl: `${lb.url}/api/zhichi/events?secret=${SECRET}` }));
    await api.addContacts(taskId, contacts(1000, 'f'));
    for (let m = 0; m < 30 * 6 && !killed; m++) {
      await emu.advance(HOUR / 6);
      await emu.drainPushes();
    }
    expect(killed).toBe(true);
    const callsAtKill = (await api.results(taskId)).length;
    await r1.exited;
    r1 = await startReceiver(ts.location, p1, 'r1');
    for (let h = 0; h < 20; h++) {
      await emu.advance(HOUR);
      await emu.drainPushes();
    }
    await api.login();
    const calls = await api.results(taskId);
    // The campaign went on after the kill: the restart was mid-campaign.
    expect(calls.length).toBeGreaterThan(callsAtKill);
    const attempts = emu.pushAttempts();
    const acked = new Set(attempts.filter((a) => a.status === 200).map((a) => a.callId));
    const failed = attempts.filter((a) => a.status !== 200);
    const dupes = (emu.stats() as { pushes: { duplicates: number } }).pushes.duplicates;
    // The run had duplicates and lost requests (the kill), and every call was acknowledged in the end.
    expect(dupes).toBeGreaterThan(20);
    expect(failed.length).toBeGreaterThan(0);
    expect(acked).toEqual(new Set(calls.map((c) => c.callId as string)));

    const stored = await ts.store.query({ taskId, limit: 100_000 });
    expect(stored).toHaveLength(calls.length);
    expect(new Set(stored.map((e) => e.callId)).size).toBe(calls.length);
    const by = new Map<string, number>();
    for (const e of stored) by.set(e.instanceId ?? 'none', (by.get(e.instanceId ?? 'none') ?? 0) + 1);
    expect([...by.keys()].sort()).toEqual(['r1', 'r2']);
  }, 240_000);

  it('reconciliations started on two receivers at once run one at a time and backfill each record once', async (ctx) => {
    if (!pgUp) ctx.skip();
    ts = await freshStore('postgres');
    const emu = await startEmulator({ clock: { mode: 'manual', start: MONDAY_CST }, env: {}, robotCount: 4 });
    closers.push(() => emu.close());
    const api = new Raw(emu);
    await api.login();
    const { taskId } = await api.createTask(taskParams({ robotNum: 4, pushFlag: 0 }));
    await api.addContacts(taskId, contacts(80, 'q'));
    await emu.advance(20 * HOUR);
    const calls = (await api.results(taskId)).length;
    expect(calls).toBeGreaterThan(80);
    const client = new ZhichiClient({ apiKey: 'demo-key', apiSecret: 'demo-secret', companyId: emu.companyId, baseUrl: emu.url, clock: emu.clock, env: {} });
    // Each receiver has its own store connection pool, as two processes would.
    const a = await createPushReceiver({ secret: SECRET, store: await openEventStore(ts.location), instanceId: 'a' });
    const b = await createPushReceiver({ secret: SECRET, store: await openEventStore(ts.location), instanceId: 'b' });
    closers.push(async () => {
      await a.close();
      await b.close();
      await a.store.close();
      await b.store.close();
    });
    const spans: Array<{ who: string; start: number; end: number }> = [];
    const traced = (who: string): ReconcileSource => ({
      results: {
        list: async (id, params) => {
          const start = performance.now();
          const page = await client.results.list(id, params);
          spans.push({ who, start, end: performance.now() });
          return page;
        },
      },
      contacts: { get: (id, outId) => client.contacts.get(id, outId) },
    });
    const [ra, rb] = await Promise.all([
      a.reconcile({ client: traced('a'), taskId, pageSize: 10, contacts: 'none' }),
      b.reconcile({ client: traced('b'), taskId, pageSize: 10, contacts: 'none' }),
    ]);
    // One ran entirely before the other: the spans of a and b do not interleave.
    const order = spans.sort((x, y) => x.start - y.start).map((s) => s.who);
    const first = order[0]!;
    const switched = order.findIndex((w) => w !== first);
    expect(switched).toBeGreaterThan(0);
    expect(order.slice(switched).every((w) => w !== first)).toBe(true);
    expect(ra.backfilled + rb.backfilled).toBe(calls);
    expect(Math.min(ra.backfilled, rb.backfilled)).toBe(0);
    expect(await ts.store.count({ taskId })).toBe(calls);
    const owners = new Set((await ts.store.query({ taskId, limit: 10_000 })).map((e) => e.instanceId));
    expect(owners).toEqual(new Set([first]));
  }, 120_000);
});
