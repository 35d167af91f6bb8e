// Issue 12 #1: the emulator's ids are unique across runs (a restarted emulator must not hand out the
// task ids and callIds of the last run), while a seeded run stays reproducible apart from the namespace.
import { describe, expect, it } from 'vitest';
import { captureIO } from './cli-helpers.js';
import { run } from '../src/cli/main.js';
import { DAY, HOUR, MONDAY_CST, contacts, manualEmulator, taskParams } from './emulator-helpers.js';

/** One seeded run: a task, 5 contacts, a day of dialing (20 h); its task id and call records. */
async function oneRun(opts: { idNamespace?: string } = {}) {
  const { emu, api } = await manualEmulator({ seed: 7, ...opts });
  try {
    const { taskId } = await api.createTask(taskParams({ startTime: MONDAY_CST + 9 * HOUR, endTime: MONDAY_CST + 2 * DAY }));
    await api.addContacts(taskId, contacts(5));
    await emu.advance(20 * HOUR);
    const records = (await api.results(taskId)) as Array<{ callId: string; outId: string; callResult: number; talkDuration: number }>;
    return { ns: emu.idNamespace, taskId, records };
  } finally {
    await emu.close();
  }
}

describe('emulator id namespace', () => {
  it('two runs with the same seed get different task ids and callIds, and the same outcomes', async () => {
    const a = await oneRun();
    const b = await oneRun();
    expect(a.ns).toMatch(/^[0-9a-f]{8}$/);
    expect(a.ns).not.toBe(b.ns);
    expect(a.taskId.startsWith(a.ns)).toBe(true);
    expect(a.taskId).not.toBe(b.taskId);
    expect(a.records.length).toBeGreaterThan(0);
    const callIdsA = new Set(a.records.map((r) => r.callId));
    expect(b.records.some((r) => callIdsA.has(r.callId))).toBe(false);
    // Everything but the namespace is the seed's.
    expect(a.taskId.slice(8)).toBe(b.taskId.slice(8));
    const outcome = (r: { outId: string; callResult: number; talkDuration: number }) => [r.outId, r.callResult, r.talkDuration];
    expect(b.records.map(outcome)).toEqual(a.records.map(outcome));
  });

  it('a pinned namespace gives the same ids again; a bad one is refused naming the option', async () => {
    const a = await oneRun({ idNamespace: '0a1b2c3d' });
    const b = await oneRun({ idNamespace: '0a1b2c3d' });
    expect(a.taskId.startsWith('0a1b2c3d')).toBe(true);
    expect(b.taskId).toBe(a.taskId);
    expect(b.records.map((r) => r.callId)).toEqual(a.records.map((r) => r.callId));
    await expect(manualEmulator({ idNamespace: 'XYZ' })).rejects.toThrow(/idNamespace must be 8 lowercase hex characters/);
  });

  it('zhichi emulator --id-namespace pins it and says so; without it the namespace is printed', async () => {
    const ac = new AbortController();
    const io = captureIO({ signal: ac.signal, env: {} });
    const done = run(['emulator', '--manual', '--id-namespace', 'feedf00d'], io);
    while (!io.err().includes('clock')) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect(await done).toBe(0);
    expect(io.err()).toContain('task ids start with feedf00d in this run (pin with --id-namespace feedf00d');
    const bad = captureIO({ env: {} });
    expect(await run(['emulator', '--id-namespace', 'nope'], bad)).toBe(2);
    expect(bad.err()).toMatch(/--id-namespace must be 8 lowercase hex characters/);
  });
});
