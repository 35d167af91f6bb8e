// Crash test: the receiver runs as a real child process under concurrent load, is SIGKILLed mid-run
// and restarted on the same store. Every push that got a 2xx must be stored, and nothing twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { openEventStore } from '../src/push/store.js';
import { freshStore, postgresAvailable, type StoreKind, type TestStore } from './fixtures/push-stores.js';
import { SECRET, callPush } from './fixtures/push-http.js';

const CHILD = fileURLToPath(new URL('./fixtures/push-receiver-child.ts', import.meta.url));
const TOTAL = 6000;
const KILL_AFTER_ACKS = 1500;

function startChild(location: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ZHICHI_DB: location, PUSH_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\S+)/.exec(out);
      if (m) resolve({ child, base: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`receiver child exited early (${code}): ${err}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
}

describe.each<StoreKind>(['sqlite', 'postgres'])('crash test on %s', (kind) => {
  let skip = false;
  let ts: TestStore | undefined;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    if (kind === 'postgres') skip = !(await postgresAvailable());
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await killed(c);
      }
    }
    await ts?.cleanup();
  });

  it('keeps every acknowledged push across a SIGKILL, none twice', async (ctx) => {
    if (skip) ctx.skip();
    ts = await freshStore(kind);
    await ts.store.close();
    const path = `/api/zhichi/events?secret=${SECRET}`;
    const body = (i: number) => JSON.stringify(callPush('crash', `o${i}`, 1 + (i % 3)));
    const acked = new Set<number>();

    // Phase 1: 48 concurrent senders until the kill; the kill lands while requests are in flight.
    const first = await startChild(ts.location);
    children.push(first.child);
    const pool1 = new Pool(first.base, { connections: 48 });
    let next = 0;
    let dead = false;
    let lost = 0;
    const sender = async () => {
      while (!dead && next < TOTAL) {
        const i = next++;
        try {
          const res = await pool1.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: body(i) });
          await res.body.text();
          if (res.statusCode === 200) acked.add(i);
          if (acked.size >= KILL_AFTER_ACKS && !dead) {
            dead = true;
            first.child.kill('SIGKILL');
          }
        } catch {
          // The connection died with the process: this push was not acknowledged.
          lost++;
        }
      }
    };
    await Promise.all(Array.from({ length: 48 }, sender));
    await killed(first.child);
    await pool1.destroy();
    expect(first.child.signalCode).toBe('SIGKILL');
    const ackedBeforeKill = new Set(acked);
    expect(ackedBeforeKill.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(next).toBeLessThan(TOTAL);
    // The kill really cut requests in flight.
    expect(lost).toBeGreaterThan(0);

    // Phase 2: restart on the same store; send everything not yet acknowledged, and resend some that were.
    const second = await startChild(ts.location);
    children.push(second.child);
    const pool2 = new Pool(second.base, { connections: 16 });
    const todo = [...Array.from({ length: TOTAL }, (_, i) => i).filter((i) => !acked.has(i)), ...[...ackedBeforeKill].slice(0, 300)];
    let k = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (k < todo.length) {
          const i = todo[k++]!;
          const res = await pool2.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: body(i) });
          await res.body.text();
          expect(res.statusCode).toBe(200);
          acked.add(i);
        }
      }),
    );
    await pool2.close();
    second.child.kill('SIGTERM');
    await killed(second.child);

    const store = await openEventStore(ts.location);
    try {
      const outIds: string[] = [];
      for (let afterId = 0; ; ) {
        const page = await store.query({ taskId: 'crash', afterId, limit: 5000 });
        if (page.length === 0) break;
        outIds.push(...page.map((e) => e.outId!));
        afterId = page[page.length - 1]!.id;
      }
      // Every push acknowledged before the kill survived it...
      const stored = new Set(outIds);
      for (const i of ackedBeforeKill) expect(stored.has(`o${i}`), `o${i}`).toBe(true);
      // ...every push is stored in the end, and none twice.
      expect(outIds).toHaveLength(TOTAL);
      expect(stored.size).toBe(TOTAL);
    } finally {
      await store.close();
    }
  });
});
