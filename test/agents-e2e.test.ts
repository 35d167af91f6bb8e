import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentsClient, type AgentsCallRecord } from '../src/agents/index.js';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { agentsRecordFields } from '../src/push/agents.js';
import { nodeHandler } from '../src/push/adapters/node.js';
import { createPushReceiver, type PushReceiver } from '../src/push/receiver.js';
import type { StoredEvent } from '../src/push/store.js';

// Done-when of issue 14, end to end on the manual clock: MANUAL task, 10,000 customers with 1 % bad,
// redials, a no-call window, callbacks into the receiver with first deliveries refused, duplicates and
// reordering; the store must hold every call record once, equal to getCallRecordInfoList.
const START = Date.UTC(2026, 10, 25, 1, 0, 0); // 09:00 Asia/Shanghai
const HOUR = 3_600_000;
const CREDS = { appKey: 'e2e-app-key', appSecret: 'e2e-app-secret-0123456789', tenantSign: 'e2e-tenant' };
const SECRET = 'agents-e2e-secret-0123456789';
const N = 10_000;

let emu: EmulatorHandle;
let agents: AgentsClient;
let receiver: PushReceiver;
let server: Server;
let dir: string;
const seenPushIds = new Set<string>();
let refused = 0;
let jobId = 0;
const bad = new Set<string>();
const good = new Set<string>();

async function allEvents(): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (let after = 0; ; ) {
    const page = await receiver.store.query({ afterId: after, limit: 5000 });
    if (page.length === 0) return out;
    out.push(...page);
    after = page[page.length - 1]!.id;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'agents-e2e-'));
  emu = await startEmulator({ clock: { mode: 'manual', start: START }, agents: CREDS, robotCount: 10, seed: 7, push: { duplicateRate: 0.05, reorderRate: 0.05, concurrency: 8 } });
  agents = new AgentsClient({ ...CREDS, baseUrl: emu.agentsUrl, clock: emu.clock, env: {} });
  receiver = await createPushReceiver({ secret: SECRET, store: path.join(dir, 'events.db'), storeOptions: { sqliteDurability: 'process' }, agentsPath: '/agents', clock: emu.clock });
  const handle = nodeHandler(receiver);
  server = createServer((req, res) => {
    // The first delivery of every callback is answered 200 with a body that is not `success`: the
    // sender must count it as not acknowledged and retry it.
    const id = String(req.headers['x-push-id']);
    if (!seenPushIds.has(id)) {
      seenPushIds.add(id);
      refused++;
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
      return;
    }
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await agents.account.setCallbackUrl(`http://127.0.0.1:${port}/agents/${SECRET}`);
}, 60_000);

afterAll(async () => {
  await emu?.close();
  await new Promise<void>((r) => server?.close(() => r()));
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Agents campaign end to end (manual clock)', () => {
  it('create (MANUAL) → import 10,000 with 1 % bad → start → COMPLETED', async () => {
    ({ robotCallJobId: jobId } = await agents.jobs.create({
      robotCallJob: {
        name: 'e2e-renewals', dialogFlowId: 11, mode: 'MANUAL', dailyStartTime: '09:00', dailyEndTime: '20:00', robotCount: 10, phoneType: 'LANDLINE',
        inactiveTimeList: [{ startTime: '12:00', endTime: '13:00' }], redialCondition: ['NO_ANSWER', 'BUSY'], redialInterval: 30, redialTimes: 2,
      },
      concurrencyQuota: 10,
      jobPhoneNumberIdList: [501],
    }));
    const people = Array.from({ length: N }, (_, i) => {
      const phone = i % 100 === 99 ? `1${String(i).padStart(5, '0')}` : String(13_100_000_000 + i);
      (i % 100 === 99 ? bad : good).add(phone);
      return { phoneNumber: phone, name: `客户${i}` };
    });
    const imp = await agents.customers.importAsync(jobId, people);
    expect(imp.batchIds).toHaveLength(1);
    expect((await agents.jobs.findByName('e2e-renewals'))?.status).toBe('NOT_STARTED');
    await agents.jobs.start(jobId);
    let status = '';
    for (let step = 0; step < 400; step++) {
      await emu.advance(HOUR / 2);
      await emu.drainPushes();
      status = String((await agents.jobs.findByName('e2e-renewals'))?.status);
      const pushes = emu.stats().pushes as { scheduledRetries: number; pending: number };
      if (status === 'COMPLETED' && pushes.scheduledRetries === 0 && pushes.pending === 0) break;
    }
    expect(status).toBe('COMPLETED');
    await receiver.drain();
  }, 600_000);

  let records: AgentsCallRecord[] = [];
  it('every imported customer has a record; redials follow the rule; no call outside the daily window', async () => {
    for await (const r of agents.records.iterate({ robotCallJobId: jobId })) records.push(r);
    const byPhone = new Map<string, AgentsCallRecord[]>();
    for (const r of records) byPhone.set(r.calledPhoneNumber, [...(byPhone.get(r.calledPhoneNumber) ?? []), r]);
    expect(new Set(byPhone.keys())).toEqual(good);
    const t = (s: string) => Date.parse(s.replace(' ', 'T') + '+08:00');
    let redials = 0;
    for (const list of byPhone.values()) {
      list.sort((a, b) => a.redialTimes! - b.redialTimes!);
      expect(list.map((r) => r.redialTimes)).toEqual(list.map((_, i) => i));
      expect(list.length).toBeLessThanOrEqual(3);
      for (let i = 1; i < list.length; i++) {
        redials++;
        expect(['NO_ANSWER', 'BUSY']).toContain(list[i - 1]!.resultStatus);
        expect(t(list[i]!.startTime!) - t(list[i - 1]!.endTime!)).toBeGreaterThanOrEqual(30 * 60_000);
      }
      const last = list[list.length - 1]!;
      if (list.length < 3) expect(['NO_ANSWER', 'BUSY']).not.toContain(last.resultStatus);
    }
    expect(redials).toBeGreaterThan(1000);
    for (const r of records) {
      const hhmm = r.startTime!.slice(11, 16);
      expect(hhmm >= '09:00' && hhmm < '20:00' && !(hhmm >= '12:00' && hhmm < '13:00'), `${r.callRecordId} at ${r.startTime}`).toBe(true);
    }
  });

  it('import-result callbacks account for every customer (50 per callback, batch id echoed, errMsg on failures)', async () => {
    const events = (await allEvents()).filter((e) => e.eventType === 'API_ROBOT_CALL_JOB_IMPORT_RESULT');
    const ok = new Set<string>();
    const failed = new Map<string, string>();
    let n = 0;
    for (const e of events) {
      const d = (JSON.parse(e.raw.toString('utf8')) as { data: { batchId: string; successCustomerPersons: Array<{ phoneNumber: string }>; failCustomerPersons: Array<{ phoneNumber: string; errMsg: string }> } }).data;
      expect(d.successCustomerPersons.length + d.failCustomerPersons.length).toBeLessThanOrEqual(50);
      n += d.successCustomerPersons.length + d.failCustomerPersons.length;
      for (const p of d.successCustomerPersons) ok.add(p.phoneNumber);
      for (const p of d.failCustomerPersons) failed.set(p.phoneNumber, p.errMsg);
    }
    expect(events).toHaveLength(N / 50);
    expect(n).toBe(N);
    expect(ok).toEqual(good);
    expect(new Set(failed.keys())).toEqual(bad);
    expect([...failed.values()].every((m) => m === '号码格式错误')).toBe(true);
  });

  it('the receiver stored every call record exactly once, equal to getCallRecordInfoList, despite refusals, duplicates and reordering', async () => {
    const events = (await allEvents()).filter((e) => e.eventType === 'ROBOT_CALL_RECORD');
    expect(events).toHaveLength(records.length);
    const byId = new Map(events.map((e) => [e.callId, e]));
    expect(byId.size).toBe(records.length);
    for (const r of records) {
      const e = byId.get(String(r.callRecordId))!;
      expect(JSON.parse(e.raw.toString('utf8')).data).toEqual(r);
      const f = agentsRecordFields(r);
      expect({ taskId: e.taskId, outId: e.outId, attempt: e.attempt, callResult: e.callResult, callResultName: e.callResultName, startTime: e.startTime, endTime: e.endTime, talkDuration: e.talkDuration, intent: e.intent })
        .toEqual({ taskId: f.taskId, outId: f.outId, attempt: f.attempt, callResult: f.callResult, callResultName: f.callResultName, startTime: f.startTime, endTime: f.endTime, talkDuration: f.talkDuration, intent: f.intent ?? null });
    }
    const st = receiver.stats();
    expect(refused).toBeGreaterThan(records.length);
    expect(st.duplicates).toBeGreaterThan(0);
    const log = emu.pushAttempts();
    // The secret rides in the callback URL's path: never in the emulator's logs.
    expect(JSON.stringify(log.slice(0, 50))).not.toContain(SECRET);
    expect(JSON.stringify(emu.agentsStats())).not.toContain(SECRET);
    expect(log.some((a) => a.outcome === 'retry')).toBe(true);
    expect(log.some((a) => a.duplicate)).toBe(true);
    // Every status change was announced and stored once; the last is COMPLETED.
    const jobs = (await allEvents()).filter((e) => e.eventType === 'ROBOT_CALL_JOB');
    const statuses = jobs.map((e) => JSON.parse(e.raw.toString('utf8')).data as { status: string; updateTime: string }).sort((a, b) => a.updateTime.localeCompare(b.updateTime));
    expect(statuses[statuses.length - 1]!.status).toBe('COMPLETED');
    expect(new Set(jobs.map((e) => e.key)).size).toBe(jobs.length);
  });

  it('getJobStats agrees with the stored records, and reconciliation finds nothing missing', async () => {
    const stats = await agents.jobs.stats(jobId);
    const events = (await allEvents()).filter((e) => e.eventType === 'ROBOT_CALL_RECORD');
    const dial: Record<string, number> = {};
    for (const e of events) dial[e.callResultName!] = (dial[e.callResultName!] ?? 0) + 1;
    expect(stats.customerNumber).toBe(good.size);
    expect(stats.taskTotalCompleted).toBe(good.size);
    expect(stats.taskCallTotal).toBe(events.length);
    expect(stats.totalAnsweredCall).toBe(dial.ANSWERED);
    expect(stats.dialResult).toEqual(dial);
    const rep = await receiver.reconcileAgents({ client: agents, robotCallJobId: jobId });
    expect(rep).toMatchObject({ apiRecords: events.length, alreadyStored: events.length, backfilled: 0, storedNotInApi: 0 });
  });

  it('reconciliation backfills a record the receiver never got, keyed like its callback', async () => {
    const victim = records[5]!;
    const key = `agents:record:${victim.callRecordId}`;
    // A fresh store that missed one record: everything but the victim.
    const other = await createPushReceiver({ secret: SECRET, store: ':memory:', agentsPath: '/agents' });
    try {
      const body = (r: AgentsCallRecord) => JSON.stringify({ dataType: 'ROBOT_CALL_RECORD', data: r });
      for (const r of records.slice(0, 50)) {
        if (r === victim) continue;
        const res = await other.handle({ method: 'POST', url: `/agents?secret=${SECRET}`, headers: { 'content-type': 'application/json' }, body: body(r) });
        expect(res.body).toBe('success');
      }
      const limited = { records: { iterate: async function* () { yield* records.slice(0, 50); } } };
      const rep = await other.reconcileAgents({ client: limited, robotCallJobId: jobId });
      expect(rep).toMatchObject({ apiRecords: 50, alreadyStored: 49, backfilled: 1, backfilledIds: [victim.callRecordId] });
      const again = await other.handle({ method: 'POST', url: `/agents/${SECRET}`, headers: { 'content-type': 'application/json' }, body: body(victim) });
      expect(again.body).toBe('success');
      expect(other.stats().duplicates).toBe(1);
      expect((await other.store.query({ taskId: String(jobId) })).filter((e) => e.key === key)).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
