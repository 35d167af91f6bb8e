// End to end: the emulator runs campaigns on a manual clock and pushes real HTTP to the receiver,
// duplicating and reordering pushes; reconciliation goes through the real ZhichiClient. Same suite on
// SQLite and on the real PostgreSQL.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../src/emulator/index.js';
import { ZhichiClient } from '../src/client.js';
import { createPushReceiver, type PushReceiver } from '../src/push/receiver.js';
import type { ResultEvent } from '../src/push/events.js';
import { HOUR, MONDAY_CST, Raw, contacts, taskParams } from './emulator-helpers.js';
import { freshStore, postgresAvailable, type StoreKind, type TestStore } from './fixtures/push-stores.js';
import { SECRET, serve, type Running } from './fixtures/push-http.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Rig {
  emu: EmulatorHandle;
  api: Raw;
  receiver: PushReceiver;
  srv: Running;
  ts: TestStore;
  client: ZhichiClient;
}

async function rig(kind: StoreKind, emuOpts: EmulatorOptions): Promise<Rig> {
  const ts = await freshStore(kind);
  closers.push(() => ts.cleanup());
  const emu = await startEmulator({ clock: { mode: 'manual', start: MONDAY_CST }, env: {}, ...emuOpts });
  closers.push(() => emu.close());
  // The receiver stamps events with emulator time, so `since` filters line up with the campaign.
  const receiver = await createPushReceiver({ secret: SECRET, store: ts.store, clock: emu.clock });
  closers.push(() => receiver.close());
  const srv = await serve(receiver);
  closers.push(() => srv.close());
  const api = new Raw(emu);
  await api.login();
  const client = new ZhichiClient({ apiKey: 'demo-key', apiSecret: 'demo-secret', companyId: emu.companyId, baseUrl: emu.url, clock: emu.clock, env: {} });
  closers.push(async () => {
    await (client as { close?: () => Promise<void> }).close?.();
  });
  return { emu, api, receiver, srv, ts, client };
}

describe.each<StoreKind>(['sqlite', 'postgres'])('receiver with the emulator on %s', (kind) => {
  let skip = false;
  beforeAll(async () => {
    if (kind === 'postgres') skip = !(await postgresAvailable());
  });

  it('stores every finished call exactly once despite duplicated and reordered pushes', async (ctx) => {
    if (skip) ctx.skip();
    const { emu, api, receiver, srv, ts } = await rig(kind, { robotCount: 10, push: { duplicateRate: 0.3, reorderRate: 0.3, concurrency: 8 } });
    const delivered: ResultEvent[] = [];
    receiver.onResult((e) => void delivered.push(e));
    const { taskId } = await api.createTask(taskParams({ robotNum: 10, pushFlag: 1, pushType: 2, pushUrl: srv.url() }));
    await api.addContacts(taskId, contacts(400, 'e'));
    await emu.advance(20 * HOUR);
    await emu.drainPushes();
    await api.login();
    await receiver.drain();

    const calls = await api.results(taskId);
    const attempts = emu.pushAttempts();
    const pushStats = (emu.stats() as { pushes: { duplicates: number; reordered: number } }).pushes;
    // The run really had duplicates and reordering, and redials (several attempts per contact).
    expect(pushStats.duplicates).toBeGreaterThan(20);
    expect(pushStats.reordered).toBeGreaterThan(20);
    expect(calls.some((c) => c.attempt > 1)).toBe(true);
    expect(attempts.every((a) => a.status === 200)).toBe(true);
    expect(attempts.length).toBe(calls.length + pushStats.duplicates);

    const stored = await ts.store.query({ taskId, limit: 10_000 });
    expect(stored).toHaveLength(calls.length);
    expect(new Set(stored.map((e) => e.callId))).toEqual(new Set(calls.map((c) => c.callId)));
    expect(stored.every((e) => e.known && e.source === 'push')).toBe(true);
    const byCall = new Map(calls.map((c) => [c.callId, c]));
    for (const e of stored) {
      const c = byCall.get(e.callId!)!;
      expect({ outId: e.outId, attempt: e.attempt, callResult: e.callResult, endTime: e.endTime }).toEqual({
        outId: c.outId, attempt: c.attempt, callResult: c.callResult, endTime: c.endTime,
      });
    }
    // Consumers saw each call once too.
    expect(delivered).toHaveLength(calls.length);
    expect(await ts.store.count({ delivery: ['delivered'] })).toBe(calls.length);
    expect(receiver.stats().duplicates).toBe(pushStats.duplicates);
  });

  it('refuses a pushUrl with the wrong secret (401 on every delivery) and stores nothing', async (ctx) => {
    if (skip) ctx.skip();
    const { emu, api, srv, ts } = await rig(kind, { robotCount: 2, push: { maxAttempts: 2, retryBaseMs: 60_000 } });
    const { taskId } = await api.createTask(taskParams({ robotNum: 2, pushFlag: 1, pushType: 2, pushUrl: srv.url('not-the-secret-at-all') }));
    const noSecret = await api.createTask(taskParams({ robotNum: 2, pushFlag: 1, pushType: 2, pushUrl: srv.url(null) }));
    await api.addContacts(taskId, contacts(5, 'w'));
    await api.addContacts(noSecret.taskId, contacts(5, 'n'));
    await emu.advance(10 * HOUR);
    await emu.drainPushes();
    await emu.advance(HOUR);
    await emu.drainPushes();
    const attempts = emu.pushAttempts();
    expect(attempts.length).toBeGreaterThan(10);
    expect(attempts.every((a) => a.status === 401)).toBe(true);
    expect(await ts.store.count()).toBe(0);
  });

  it('reconciles what the pushes missed from dialing-results and contact detail', async (ctx) => {
    if (skip) ctx.skip();
    const { emu, api, receiver, srv, ts, client } = await rig(kind, { robotCount: 6 });
    // pushType 1 pushes only each contact's final attempt: the earlier attempts exist only in the API.
    const finalOnly = await api.createTask(taskParams({ robotNum: 3, pushFlag: 1, pushType: 1, pushUrl: srv.url() }));
    const silent = await api.createTask(taskParams({ robotNum: 3, pushFlag: 0 }));
    await api.addContacts(finalOnly.taskId, contacts(60, 'f'));
    await api.addContacts(silent.taskId, contacts(60, 's'));
    await emu.advance(20 * HOUR);
    await emu.drainPushes();
    await api.login();
    await receiver.drain();
    const backfilled: ResultEvent[] = [];
    receiver.onResult((e) => void backfilled.push(e));

    const callsF = await api.results(finalOnly.taskId);
    const pushed = await ts.store.count({ taskId: finalOnly.taskId });
    expect(pushed).toBeLessThan(callsF.length);
    const r1 = await receiver.reconcile({ client, taskId: finalOnly.taskId, pageSize: 25 });
    expect(r1).toMatchObject({ apiRecords: callsF.length, alreadyStored: pushed, backfilled: callsF.length - pushed, mismatches: [], storedNotInApi: 0 });
    const storedF = await ts.store.query({ taskId: finalOnly.taskId, limit: 10_000 });
    expect(new Set(storedF.map((e) => e.callId))).toEqual(new Set(callsF.map((c) => c.callId)));
    expect(storedF.filter((e) => e.source === 'reconcile')).toHaveLength(callsF.length - pushed);
    // Idempotent: a second run finds nothing to do.
    expect(await receiver.reconcile({ client, taskId: finalOnly.taskId })).toMatchObject({ backfilled: 0, alreadyStored: callsF.length });

    // No pushes at all; dialing-results limited to the first two hours of calling, contact detail fills the rest.
    const callsS = await api.results(silent.taskId);
    // Redials come 60 minutes after a failed call (taskParams' retry rule): a 30-minute window cuts them off.
    const windowEnd = Math.min(...callsS.map((c) => c.endTime)) + 30 * 60_000;
    const inWindow = callsS.filter((c) => c.endTime < windowEnd);
    const outIdsInWindow = new Set(inWindow.map((c) => c.outId));
    const r2 = await receiver.reconcile({ client, taskId: silent.taskId, startTime: 0, endTime: windowEnd, contacts: 'all' });
    expect(r2.apiRecords).toBe(inWindow.length);
    expect(r2.contactsChecked).toBe(outIdsInWindow.size);
    const expectedCalls = callsS.filter((c) => outIdsInWindow.has(c.outId));
    expect(r2.backfilled).toBe(expectedCalls.length);
    expect(expectedCalls.length).toBeGreaterThan(inWindow.length);
    const storedS = await ts.store.query({ taskId: silent.taskId, limit: 10_000 });
    expect(new Set(storedS.map((e) => e.callId))).toEqual(new Set(expectedCalls.map((c) => c.callId)));
    await receiver.drain();
    expect(backfilled).toHaveLength(r1.backfilled + r2.backfilled);
    expect(backfilled.every((e) => e.source === 'reconcile' && e.known)).toBe(true);
  });
});
