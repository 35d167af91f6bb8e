// `zhichi agents ...` and `zhichi demo --api agents`, in process against the emulator.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoSummary } from '../src/cli/commands/demo.js';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { startTestEmulator, tempDir, zhichi } from './cli-helpers.js';

const tmp = tempDir('zhichi-agents-cli-');
let emu: EmulatorHandle;
let env: Record<string, string>;
const DAY = 86_400_000;

beforeAll(async () => {
  // The CLI signs with the system clock while the emulator's manual clock sits at T0: allow that skew.
  emu = await startTestEmulator({ agents: { appKey: 'cli-app-key', appSecret: 'cli-app-secret-0123', tenantSign: 'cli-tenant', maxSkewMs: 3650 * DAY } });
  env = { ZHICHI_AGENTS_APP_KEY: 'cli-app-key', ZHICHI_AGENTS_APP_SECRET: 'cli-app-secret-0123', ZHICHI_AGENTS_TENANT_SIGN: 'cli-tenant', ZHICHI_AGENTS_BASE_URL: emu.agentsUrl };
});
afterAll(async () => {
  await emu.close();
  tmp.cleanup();
});

describe('zhichi agents', () => {
  it('scripts and lines', async () => {
    const s = await zhichi(['agents', 'scripts'], { env });
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/续费提醒 Agent/);
    const l = await zhichi(['--json', 'agents', 'lines'], { env });
    expect((JSON.parse(l.out) as Array<{ tenantPhoneNumberId: number }>).map((x) => x.tenantPhoneNumberId)).toEqual([501, 502, 503]);
  });
  it('tasks create / list / get, import, start, records, stats, stop', async () => {
    const c = await zhichi(['--json', 'agents', 'tasks', 'create', '--name', 'cli-task', '--script', '11', '--line', '501', '--robots', '3', '--inactive', '12:00-13:00', '--redial', 'NO_ANSWER,BUSY', '--redial-interval', '30', '--redial-times', '1'], { env });
    expect(c.err + c.out).not.toMatch(/error/);
    const id = (JSON.parse(c.out) as { robotCallJobId: number }).robotCallJobId;
    const file = join(tmp.dir, 'customers.csv');
    writeFileSync(file, 'outId,phone,name,product\n' + Array.from({ length: 50 }, (_, i) => `c${i},${i === 7 ? '12345' : 13500000000 + i},客户${i},宽带`).join('\n') + '\n');
    const imp = await zhichi(['agents', 'import', '--task', String(id), '--file', file, '--no-progress', '--no-checkpoint'], { env, cwd: tmp.dir });
    expect(imp.code).toBe(5); // one bad row, in the reject file
    expect(imp.out).toMatch(/rejected\s+1/);
    const list = await zhichi(['agents', 'tasks', 'list', '--name', 'cli'], { env });
    expect(list.out).toMatch(/cli-task\s+NOT_STARTED/);
    expect((await zhichi(['agents', 'start', String(id)], { env })).out).toBe(`start: ${id} ok\n`);
    await emu.advance(8 * 3_600_000);
    const recs = await zhichi(['--json', 'agents', 'records', '--task', String(id)], { env });
    const rows = JSON.parse(recs.out) as Array<{ calledPhoneNumber: string; customerPersonName: string }>;
    expect(new Set(rows.map((r) => r.calledPhoneNumber)).size).toBe(49);
    expect(rows.find((r) => r.calledPhoneNumber === '13500000003')?.customerPersonName).toBe('客户3');
    const st = await zhichi(['--json', 'agents', 'stats', '--task', String(id)], { env });
    expect(JSON.parse(st.out)).toMatchObject({ customerNumber: 49, taskCallTotal: rows.length });
    const get = await zhichi(['agents', 'tasks', 'get', String(id)], { env });
    expect(get.out).toMatch(/customers\s+49/);
    // All 49 called within the day: the task is COMPLETED and can no longer be terminated.
    expect(get.out).toMatch(/status\s+COMPLETED/);
    const stop = await zhichi(['agents', 'stop', String(id)], { env });
    expect(stop.code).toBe(3);
    expect(stop.err).toMatch(/已完成/);
  });
  it('a bad flag or a refused call gives one line and the right exit code', async () => {
    const bad = await zhichi(['agents', 'tasks', 'create', '--name', 'x'], { env });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/needs --name, --script and --line/);
    const refused = await zhichi(['agents', 'lines'], { env: { ...env, ZHICHI_AGENTS_APP_SECRET: 'wrong-secret' } });
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(/business error 401/);
    expect(refused.err).not.toContain('wrong-secret');
  });
});

it('zhichi demo --api agents runs the campaign to COMPLETED and stores every call record once', async () => {
  const dir = join(tmp.dir, 'demo');
  const r = await zhichi(['demo', '--api', 'agents', '--contacts', '400', '--bad', '8', '--duplicate-rate', '0.2', '--reorder-rate', '0.2', '--dir', dir, '--json'], { env: {} });
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const s = JSON.parse(r.out) as DemoSummary;
  expect(s.taskStatus).toBe('COMPLETED');
  expect(s.import).toMatchObject({ rows: 400, rejected: 8 });
  expect(s.dialed).toBe(s.contacts);
  expect(s.calls).toBe(s.contacts + s.redials);
  expect(s.redials).toBeGreaterThan(0);
  expect(s.pushes.stored).toBe(s.calls);
  expect(s.pushes.duplicatesDropped).toBeGreaterThan(0);
  expect(s.consistent).toBe(true);
  // The stored call records are results like V5 pushes: `results list/export` read them from the same store.
  const list = await zhichi(['--json', 'results', 'list', '--db', s.database, '--task', s.taskId, '--limit', '100000'], { env: {} });
  expect(list.code).toBe(0);
  const rows = JSON.parse(list.out) as Array<{ eventType: string; callResultName: string | null; attempt: number | null }>;
  const calls = rows.filter((r) => r.eventType === 'ROBOT_CALL_RECORD');
  expect(calls).toHaveLength(s.calls);
  expect(calls.filter((r) => r.attempt === 2)).toHaveLength(s.redials);
  expect(calls.filter((r) => r.callResultName === 'ANSWERED')).toHaveLength(s.outcomes.ANSWERED ?? 0);
  const csv = await zhichi(['results', 'export', '--format', 'csv', '--db', s.database, '--task', s.taskId], { env: {} });
  expect(csv.code).toBe(0);
  expect(csv.out.split('\n').filter((l) => l.includes('ROBOT_CALL_RECORD')).length).toBe(s.calls);
}, 120_000);

describe('zhichi webhooks serve takes Agents callbacks on /agents', () => {
  it('stores a callback posted to /agents/<secret> and answers success', async () => {
    const { captureIO } = await import('./cli-helpers.js');
    const { run } = await import('../src/cli/main.js');
    const secret = 'agents-cli-secret-0123456789';
    const ac = new AbortController();
    const io = captureIO({ cwd: tmp.dir, signal: ac.signal });
    const done = run(['webhooks', 'serve', '--port', '0', '--secret', secret, '--db', 'agents-hook.db'], io);
    while (!io.out().includes('Agents callback URL')) await new Promise((r) => setTimeout(r, 5));
    const url = /Agents callback URL: (\S+)\/<your push secret>/.exec(io.out())![1]!;
    const { request } = await import('undici');
    const body = JSON.stringify({ dataType: 'ROBOT_CALL_RECORD', data: { callRecordId: 7, robotCallJobId: 1001, calledPhoneNumber: '13800000000', resultStatus: 'ANSWERED', chatDuration: 30, redialTimes: 0 } });
    const res = await request(`${url}/${secret}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await res.body.text()).toBe('success');
    const wrong = await request(`${url}/not-the-secret-at-all`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(wrong.statusCode).toBe(401);
    await wrong.body.dump();
    ac.abort();
    expect(await done).toBe(0);
    expect(io.out()).not.toContain(secret);
    const list = await zhichi(['--json', 'results', 'list', '--db', join(tmp.dir, 'agents-hook.db'), '--task', '1001'], { env: {} });
    expect(JSON.parse(list.out)).toMatchObject([{ taskId: '1001', callId: '7', outId: '13800000000', attempt: 1, callResultName: 'ANSWERED', talkDuration: 30 }]);
    // Task 1001 is the emulator's cli-task above: reconciling this store against it backfills every one
    // of its records and finds the hand-posted record 7, which the API does not list.
    const recs = JSON.parse((await zhichi(['--json', 'agents', 'records', '--task', '1001'], { env })).out) as unknown[];
    const rec = await zhichi(['--json', 'agents', 'reconcile', '--task', '1001', '--db', join(tmp.dir, 'agents-hook.db')], { env });
    expect(rec.code).toBe(0);
    expect(JSON.parse(rec.out)).toMatchObject({ robotCallJobId: 1001, apiRecords: recs.length, alreadyStored: 0, backfilled: recs.length, storedNotInApi: 1 });
    const again = await zhichi(['--json', 'agents', 'reconcile', '--task', '1001', '--db', join(tmp.dir, 'agents-hook.db')], { env });
    expect(JSON.parse(again.out)).toMatchObject({ alreadyStored: recs.length, backfilled: 0 });
  });
});
