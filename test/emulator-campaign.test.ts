import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_RESULT, CONTACT_STATUS, INTENT_LABELS, RETRY_CONDITION, TASK_STATUS, pushEvent } from '../src/contract/index.js';
import { OUTCOME_TABLE, type EmulatorHandle } from '../src/emulator/index.js';
import { DAY, HOUR, MIN, MONDAY_CST, contacts, manualEmulator, taskParams } from './emulator-helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});
async function setup(opts: Parameters<typeof manualEmulator>[0] = {}) {
  const r = await manualEmulator(opts);
  closers.push(() => r.emu.close());
  return r;
}

/** Local minutes of the day in Asia/Shanghai (UTC+8, no DST) of an instant. */
const cstMinute = (t: number) => Math.floor(((t + 8 * HOUR) % DAY) / MIN);

/** Highest number of calls in progress at once, from [start, end) intervals. */
function maxConcurrent(calls: Array<{ startTime: number; endTime: number }>): number {
  const ev: Array<[number, number]> = [];
  for (const c of calls) ev.push([c.startTime, 1], [c.endTime, -1]);
  // Ends before starts at the same instant: a robot freed at t may start the next call at t.
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of ev) max = Math.max(max, (cur += d));
  return max;
}

/** A push receiver on loopback; `fail(body)` decides to answer 500. */
async function receiver(fail: (body: any, n: number) => boolean = () => false) {
  const got: any[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const bad = fail(body, n++);
      if (!bad) got.push(body);
      res.writeHead(bad ? 500 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(bad ? { code: 500 } : { code: 200, message: 'success' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`, got };
}

describe('emulator campaign: windows and robots', () => {
  it('never starts a call outside the windows: several windows a day and one across midnight', async () => {
    const { emu, api } = await setup({ robotCount: 2 });
    const windows = [{ begin: '00:00', end: '02:00' }, { begin: '09:00', end: '11:30' }, { begin: '13:00', end: '14:00' }, { begin: '22:00', end: '24:00' }];
    const { taskId } = await api.createTask(taskParams({ robotNum: 2, taskCronList: windows, taskRetryList: [{ retryNum: 2, retryTime: 45, retryCondition: 3 }] }));
    for (let k = 0; k < 3000; k += 1000) await api.addContacts(taskId, contacts(1000, 'c', k));
    for (let h = 0; h < 24 * 3; h += 6) {
      await emu.advance(6 * HOUR);
      await api.login();
    }
    const calls = await api.results(taskId);
    expect(calls.length).toBeGreaterThan(3000);
    const spans = windows.map((w) => [Number(w.begin.slice(0, 2)) * 60 + Number(w.begin.slice(3)), Number(w.end.slice(0, 2)) * 60 + Number(w.end.slice(3))]);
    const starts = new Set<number>();
    for (const c of calls) {
      const m = cstMinute(c.startTime);
      expect(spans.some(([b, e]) => m >= b! && m < e!), `call at ${new Date(c.startTime).toISOString()}`).toBe(true);
      starts.add(spans.findIndex(([b, e]) => m >= b! && m < e!));
    }
    // Every window was used, including both halves of the one across midnight.
    expect([...starts].sort()).toEqual([0, 1, 2, 3]);
    // Calls run straight through midnight: some call starts in the last minutes of 23:xx and the next in 00:0x.
    expect(calls.some((c) => cstMinute(c.startTime) >= 23 * 60 + 58)).toBe(true);
    expect(calls.some((c) => cstMinute(c.startTime) < 2)).toBe(true);
    expect(maxConcurrent(calls)).toBe(2);
  });

  it('keeps calls at once within robotNum per task and the company robots across tasks', async () => {
    const { emu, api } = await setup({ robotCount: 5 });
    const a = await api.createTask(taskParams({ taskName: 'a', robotNum: 3 }));
    const b = await api.createTask(taskParams({ taskName: 'b', robotNum: 4 }));
    await api.addContacts(a.taskId, contacts(300, 'a'));
    await api.addContacts(b.taskId, contacts(300, 'b'));
    await emu.advance(10 * HOUR); // 09:00–10:00 of the first day
    const stats = emu.stats() as any;
    expect(stats.activeCalls).toBe(5);
    const ta = await api.task(a.taskId);
    const tb = await api.task(b.taskId);
    expect(ta.activeCalls).toBeLessThanOrEqual(3);
    expect(tb.activeCalls).toBeLessThanOrEqual(4);
    expect(ta.activeCalls + tb.activeCalls).toBe(5);
    await emu.advance(12 * HOUR);
    const ca = await api.results(a.taskId);
    const cb = await api.results(b.taskId);
    expect(maxConcurrent(ca)).toBe(3);
    expect(maxConcurrent(cb)).toBeLessThanOrEqual(4);
    expect(maxConcurrent(cb)).toBeGreaterThanOrEqual(2);
    expect(maxConcurrent([...ca, ...cb])).toBe(5);
  });

  it('dials contacts in the order added, including those added while the task runs', async () => {
    const { emu, api } = await setup();
    const { taskId } = await api.createTask(taskParams({ robotNum: 1, taskRetryList: [] }));
    await api.addContacts(taskId, contacts(5, 'x'));
    await emu.advance(9 * HOUR + 2 * MIN); // a little after 09:00: calls running
    expect((await api.task(taskId)).status).toBe(TASK_STATUS.RUNNING);
    await api.addContacts(taskId, contacts(5, 'y'));
    await emu.advance(5 * HOUR);
    const calls = await api.results(taskId);
    expect(calls.map((c) => c.outId)).toEqual([...contacts(5, 'x'), ...contacts(5, 'y')].map((c) => c.outId));
    // One robot: each call starts when the previous one ends, the first at 09:00 sharp.
    expect(calls[0].startTime).toBe(MONDAY_CST + 9 * HOUR);
    for (let i = 1; i < calls.length; i++) expect(calls[i].startTime).toBe(calls[i - 1].endTime);
    // A contact added when the task is idle in its window is dialed at once.
    await api.addContacts(taskId, contacts(1, 'z'));
    const z = await api.contact(taskId, 'z0');
    expect(z.status).toBe(CONTACT_STATUS.CALLING);
  });

  it('uses the configured time zone', async () => {
    for (const [timeZone, first] of [['UTC', Date.UTC(2026, 0, 5, 9, 0)], ['Asia/Shanghai', Date.UTC(2026, 0, 5, 1, 0)]] as const) {
      const { emu, api } = await setup({ timeZone });
      // Valid from 21:00 UTC (05:00 in Shanghai): the first 09:00 is the next morning in either zone.
      const { taskId } = await api.createTask(taskParams({ robotNum: 1, taskRetryList: [], startTime: MONDAY_CST + 5 * HOUR }));
      await api.addContacts(taskId, contacts(1));
      await emu.advance(20 * HOUR);
      const [call] = await api.results(taskId);
      expect(call.startTime, timeZone).toBe(first);
    }
  });
});

describe('emulator campaign: outcomes, redials, statuses', () => {
  it('draws outcomes in the documented proportions with ring/talk times and intents', async () => {
    const { emu, api } = await setup({ robotCount: 50 });
    const { taskId } = await api.createTask(taskParams({ robotNum: 50, taskRetryList: [], taskCronList: [{ begin: '00:00', end: '24:00' }] }));
    const n = 20_000;
    for (let k = 0; k < n; k += 1000) await api.addContacts(taskId, contacts(1000, 'p', k));
    await emu.advance(20 * HOUR);
    const calls = await api.results(taskId);
    expect(calls).toHaveLength(n);
    for (const o of OUTCOME_TABLE) {
      const share = calls.filter((c) => c.callResult === o.result).length / n;
      // 4 standard deviations of a binomial share: fails only if the table is not what is drawn.
      const sd = Math.sqrt((o.weight / 100) * (1 - o.weight / 100) / n);
      expect(Math.abs(share - o.weight / 100), o.name).toBeLessThan(4 * sd + 1e-9);
    }
    for (const c of calls) {
      const o = OUTCOME_TABLE.find((x) => x.result === c.callResult)!;
      expect(c.ringDuration).toBeGreaterThanOrEqual(o.ring[0]);
      expect(c.ringDuration).toBeLessThanOrEqual(o.ring[1]);
      expect(c.endTime - c.startTime).toBe((c.ringDuration + c.talkDuration) * 1000);
      if (c.callResult === CALL_RESULT.ANSWERED) {
        expect(c.talkDuration).toBeGreaterThan(0);
        expect(INTENT_LABELS).toContain(c.intent);
        expect(c.answerTime).toBe(c.startTime + c.ringDuration * 1000);
      } else {
        expect([c.talkDuration, c.intent, c.answerTime]).toEqual([0, null, null]);
      }
    }
    const info = await api.task(taskId);
    expect(info.answeredCount).toBe(calls.filter((c) => c.callResult === CALL_RESULT.ANSWERED).length);
    expect([info.finishedCount, info.status]).toEqual([n, TASK_STATUS.FINISHED]);
  });

  it('redials per taskRetryList: retryNum more attempts, retryTime minutes later, only for matching results', async () => {
    const { emu, api } = await setup({ robotCount: 10 });
    const rule = { retryNum: 2, retryTime: 30, retryCondition: 1 }; // NO_ANSWER only
    const { taskId } = await api.createTask(taskParams({ robotNum: 10, taskRetryList: [rule], taskCronList: [{ begin: '08:00', end: '22:00' }] }));
    await api.addContacts(taskId, contacts(400));
    await emu.advance(DAY - MIN);
    const calls = await api.results(taskId);
    const byContact = new Map<string, any[]>();
    for (const c of calls) byContact.set(c.outId, [...(byContact.get(c.outId) ?? []), c]);
    expect(byContact.size).toBe(400);
    let redials = 0;
    for (const [outId, list] of byContact) {
      list.sort((a, b) => a.attempt - b.attempt);
      expect(list.map((c) => c.attempt)).toEqual(list.map((_, i) => i + 1));
      // Attempts go on exactly while the result is NO_ANSWER and redials are left.
      const expected = 1 + list.slice(0, rule.retryNum).findIndex((c) => c.callResult !== CALL_RESULT.NO_ANSWER);
      expect(list.length, outId).toBe(expected === 0 ? rule.retryNum + 1 : expected);
      for (let i = 1; i < list.length; i++) {
        redials++;
        // No redial before retryTime minutes after the failed call; inside the window it is exactly on time unless robots were busy.
        expect(list[i].startTime - list[i - 1].endTime).toBeGreaterThanOrEqual(rule.retryTime * MIN);
      }
      const detail = await api.contact(taskId, outId);
      expect(detail.status).toBe(CONTACT_STATUS.FINISHED);
      expect(detail.attempts).toBe(list.length);
    }
    expect(redials).toBeGreaterThan(50);
  });

  it('retries only outcomes of the retry condition code table', () => {
    expect(RETRY_CONDITION[3]!.results).not.toContain(CALL_RESULT.ANSWERED);
    expect(RETRY_CONDITION[3]!.results).not.toContain(CALL_RESULT.VACANT_NUMBER);
  });

  it('moves a task through NOT_STARTED, WAITING, RUNNING, FINISHED; and EXPIRED with contacts left', async () => {
    const { emu, api } = await setup({ robotCount: 2 });
    const { taskId } = await api.createTask(taskParams({ robotNum: 1, startTime: MONDAY_CST + 2 * HOUR, endTime: MONDAY_CST + DAY, taskRetryList: [] }));
    // A second task whose validity ends two minutes into its first window.
    const late = await api.createTask(taskParams({ taskName: 'late', robotNum: 1, startTime: MONDAY_CST, endTime: MONDAY_CST + 9 * HOUR + 2 * MIN, taskRetryList: [] }));
    const st = async () => (await api.task(taskId)).statusName;
    expect(await st()).toBe('NOT_STARTED');
    expect((await api.task(late.taskId)).statusName).toBe('WAITING');
    await api.addContacts(taskId, contacts(3));
    await api.addContacts(late.taskId, contacts(500));
    await emu.advance(3 * HOUR);
    expect(await st()).toBe('WAITING'); // 03:00, window opens at 09:00
    await emu.advance(6 * HOUR);
    expect(await st()).toBe('RUNNING');
    await emu.advance(HOUR);
    expect(await st()).toBe('FINISHED');
    // More contacts bring a finished task back to work.
    await api.addContacts(taskId, contacts(1, 'again'));
    expect(await st()).toBe('RUNNING');
    const info = await api.task(late.taskId);
    expect(info.statusName).toBe('EXPIRED');
    expect(info.finishedCount).toBeLessThan(500);
    expect(info.callCount).toBeGreaterThan(0);
    const calls = await api.results(late.taskId);
    expect(Math.max(...calls.map((c) => c.startTime))).toBeLessThan(MONDAY_CST + 9 * HOUR + 2 * MIN);
    expect((await api.contact(late.taskId, 'c499')).statusName).toBe('NOT_DIALED');
    const add = await api.addContacts(late.taskId, contacts(1, 'more'));
    expect(add).toMatchObject({ successCount: 0, failCount: 1, failList: [{ outId: 'more0', reason: 'task has expired' }] });
    // A task created after its end is expired at once, and the clock still moves forward.
    const past = await api.createTask(taskParams({ taskName: 'past', startTime: MONDAY_CST, endTime: MONDAY_CST + HOUR }));
    expect((await api.task(past.taskId)).statusName).toBe('EXPIRED');
    expect((await api.addContacts(past.taskId, contacts(2))).failCount).toBe(2);
    const search = await api.ok('GET', `${api.c('searchtasks')}?status=${TASK_STATUS.EXPIRED}`);
    expect(search.list.map((t: any) => t.taskId)).toEqual([past.taskId, late.taskId]);
    expect((emu.stats() as any).clock.simulatedUntil).toBe(emu.clock.now());
  });
});

describe('emulator campaign: pushes', () => {
  it('pushes every finished call (pushType 2) and only the final attempt (pushType 1); never with pushFlag 0', async () => {
    const rx = await receiver();
    const { emu, api } = await setup({ robotCount: 6 });
    const every = await api.createTask(taskParams({ taskName: 'every', robotNum: 2, pushFlag: 1, pushType: 2, pushUrl: `${rx.url}?t=every` }));
    const final = await api.createTask(taskParams({ taskName: 'final', robotNum: 2, pushFlag: 1, pushType: 1, pushUrl: `${rx.url}?t=final` }));
    const none = await api.createTask(taskParams({ taskName: 'none', robotNum: 2, pushFlag: 0, pushUrl: rx.url }));
    for (const t of [every, final, none]) await api.addContacts(t.taskId, contacts(40));
    await emu.advance(20 * HOUR);
    await api.login();
    await emu.drainPushes();
    const callsEvery = await api.results(every.taskId);
    const callsFinal = await api.results(final.taskId);
    expect(await api.results(none.taskId)).not.toHaveLength(0);
    const pushedIds = (taskId: string) => rx.got.filter((b) => b.taskId === taskId).map((b) => b.callId);
    expect(new Set(pushedIds(every.taskId))).toEqual(new Set(callsEvery.map((c) => c.callId)));
    const lastPerContact = new Map<string, string>();
    for (const c of callsFinal) lastPerContact.set(c.outId, c.callId);
    expect(new Set(pushedIds(final.taskId))).toEqual(new Set(lastPerContact.values()));
    expect(callsFinal.length).toBeGreaterThan(lastPerContact.size); // there were redials that were not pushed
    expect(pushedIds(none.taskId)).toEqual([]);
    for (const b of rx.got) {
      const e = pushEvent.parse(b);
      expect(e.eventType).toBe('CALL_RESULT');
      expect(e.pushTime).toBe(emu.clock.now());
    }
    const log = await api.control('GET', 'pushes');
    expect(log.attempts.length).toBe(rx.got.length);
    expect(log.attempts.every((a: any) => a.outcome === 'delivered' && a.status === 200)).toBe(true);
    expect(log.pending).toBe(0);
  });

  it('retries a failed push with backoff in emulator time until it is delivered', async () => {
    // The receiver fails the first two deliveries of every push.
    const seen = new Map<string, number>();
    const rx = await receiver((b) => {
      const k = b.callId as string;
      seen.set(k, (seen.get(k) ?? 0) + 1);
      return seen.get(k)! <= 2;
    });
    const { emu, api } = await setup({ push: { retryBaseMs: 60_000, maxAttempts: 4 } });
    const { taskId } = await api.createTask(taskParams({ robotNum: 1, taskRetryList: [], pushFlag: 1, pushType: 2, pushUrl: `${rx.url}?secret=push-secret-123` }));
    await api.addContacts(taskId, contacts(1));
    await emu.advance(10 * HOUR);
    await emu.drainPushes();
    expect(rx.got).toHaveLength(0);
    expect(JSON.stringify(await api.control('GET', 'pushes'))).not.toContain('push-secret-123');
    let attempts = emu.pushAttempts();
    expect(attempts.map((a) => [a.delivery, a.outcome, a.status])).toEqual([[1, 'retry', 500]]);
    expect(attempts[0]!.retryAt).toBe(attempts[0]!.time + 60_000);
    await emu.advance(60_000 - 1);
    await emu.drainPushes();
    expect(emu.pushAttempts()).toHaveLength(1); // not due yet
    await emu.advance(1);
    await emu.drainPushes();
    attempts = emu.pushAttempts();
    expect(attempts[1]).toMatchObject({ delivery: 2, outcome: 'retry', retryAt: attempts[1]!.time + 120_000 });
    await emu.advance(120_000);
    await emu.drainPushes();
    attempts = emu.pushAttempts();
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'delivered']);
    expect(rx.got).toHaveLength(1);
  });

  it('gives up after maxAttempts and retries on a timeout too', async () => {
    const hang = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => { hang.closeAllConnections(); hang.close(() => r()); }));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/`;
    const { emu, api } = await setup({ push: { timeoutMs: 100, maxAttempts: 2, retryBaseMs: 1000 } });
    const { taskId } = await api.createTask(taskParams({ robotNum: 1, taskRetryList: [], pushFlag: 1, pushType: 2, pushUrl: url }));
    await api.addContacts(taskId, contacts(1));
    await emu.advance(10 * HOUR);
    await emu.drainPushes();
    await emu.advance(1000);
    await emu.drainPushes();
    const attempts = emu.pushAttempts();
    expect(attempts.map((a) => [a.delivery, a.outcome, a.status])).toEqual([[1, 'retry', null], [2, 'failed', null]]);
    expect(attempts[0]!.error).toMatch(/timeout/);
    expect((emu.stats() as any).pushes.gaveUp).toBe(1);
  });

  it('duplicates and reorders pushes at the configured rates', async () => {
    const rx = await receiver();
    const { emu, api } = await setup({ robotCount: 20, push: { duplicateRate: 0.2, reorderRate: 0.2, concurrency: 1 } });
    const { taskId } = await api.createTask(taskParams({ robotNum: 20, taskRetryList: [], pushFlag: 1, pushType: 2, pushUrl: rx.url }));
    for (let k = 0; k < 2000; k += 1000) await api.addContacts(taskId, contacts(1000, 'd', k));
    await emu.advance(20 * HOUR);
    await emu.drainPushes();
    const calls = await api.results(taskId);
    const ids = rx.got.map((b) => b.callId as string);
    expect(new Set(ids)).toEqual(new Set(calls.map((c) => c.callId)));
    const dups = ids.length - calls.length;
    expect(dups / calls.length).toBeGreaterThan(0.15);
    expect(dups / calls.length).toBeLessThan(0.25);
    // With one delivery at a time, arrival order is the send order: count pushes that overtook an earlier call.
    const order = new Map(calls.map((c, i) => [c.callId, i]));
    const firstArrivals = ids.filter((id, i) => ids.indexOf(id) === i).map((id) => order.get(id)!);
    let inversions = 0;
    for (let i = 1; i < firstArrivals.length; i++) if (firstArrivals[i]! < firstArrivals[i - 1]!) inversions++;
    expect(inversions / calls.length).toBeGreaterThan(0.1);
    expect(inversions / calls.length).toBeLessThan(0.25);
    const stats = (emu.stats() as any).pushes;
    expect(stats.duplicates).toBe(dups);
    expect(stats.delivered).toBe(ids.length);
  });
});

describe('emulator campaign: determinism', () => {
  async function run(seed: number) {
    const rx = await receiver();
    // Ids carry a per-run namespace (unique across runs); pinned, a seeded run is reproducible down to the ids.
    const { emu, api } = await setup({ seed, idNamespace: '5eed0042', robotCount: 8, push: { duplicateRate: 0.1, reorderRate: 0.1, concurrency: 1 } });
    const a = await api.createTask(taskParams({ taskName: 'a', robotNum: 5, pushFlag: 1, pushType: 2, pushUrl: rx.url }));
    const b = await api.createTask(taskParams({ taskName: 'b', robotNum: 5, pushFlag: 1, pushType: 1, pushUrl: rx.url, taskRetryList: [{ retryNum: 2, retryTime: 10, retryCondition: 3 }] }));
    await api.addContacts(a.taskId, contacts(150, 'a'));
    await emu.advance(9 * HOUR + 30 * MIN);
    await api.addContacts(b.taskId, contacts(150, 'b'));
    await emu.advance(14 * HOUR);
    await emu.drainPushes();
    const results = [...(await api.results(a.taskId)), ...(await api.results(b.taskId))];
    return { ids: [a.taskId, b.taskId], results, pushes: rx.got, log: emu.pushAttempts().map(({ ms: _ms, ...rest }) => rest) };
  }

  it('gives identical calls and the identical push sequence for the same seed, different ones for another seed', async () => {
    const r1 = await run(42);
    const r2 = await run(42);
    const r3 = await run(43);
    expect(r1.results.length).toBeGreaterThan(300);
    expect(r2.ids).toEqual(r1.ids);
    expect(r2.results).toEqual(r1.results);
    expect(r2.pushes).toEqual(r1.pushes);
    expect(r2.log.map(({ url: _u, ...x }) => x)).toEqual(r1.log.map(({ url: _u, ...x }) => x));
    expect(r3.ids).not.toEqual(r1.ids);
    expect(r3.results.map((r) => r.callResult)).not.toEqual(r1.results.map((r) => r.callResult));
  });
});

describe('emulator campaign: faults', () => {
  it('answers 5xx and resets connections at the configured rates; {} clears', async () => {
    const { emu, api } = await setup();
    await api.control('POST', 'faults', { errorRate: 0.2, resetRate: 0.1, seed: 7 });
    const n = 600;
    let errors = 0;
    let resets = 0;
    for (let i = 0; i < n; i++) {
      try {
        const r = await api.call('GET', api.c('robots/count'));
        if (r.status === 500) errors++;
        else expect(r.status).toBe(200);
      } catch (e) {
        expect(String((e as { code?: string }).code ?? e)).toMatch(/UND_ERR_SOCKET|ECONNRESET|other side closed/i);
        resets++;
      }
    }
    const sd = (p: number) => Math.sqrt((p * (1 - p)) / n);
    expect(Math.abs(errors / n - 0.2)).toBeLessThan(4 * sd(0.2));
    expect(Math.abs(resets / n - 0.1)).toBeLessThan(4 * sd(0.1));
    const stats = emu.stats() as any;
    expect(stats.faults).toMatchObject({ errors, resets });
    expect(stats.requestsByEndpoint.robotsCount).toBe(n);
    await api.control('POST', 'faults', {});
    for (let i = 0; i < 50; i++) expect((await api.call('GET', api.c('robots/count'))).status).toBe(200);
  });

  it('faults only the listed endpoints, fails the next N exactly, sets Retry-After, and rejects bad configs', async () => {
    const { emu, api } = await setup();
    await api.control('POST', 'faults', { errorRate: 1, endpoints: ['templates'] });
    expect((await api.call('GET', api.c('templates'))).status).toBe(500);
    expect((await api.call('GET', api.c('numbers'))).status).toBe(200);
    await api.control('POST', 'faults', { failNext: 2, errorStatus: 503, retryAfter: 2 });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await api.call('GET', api.c('numbers'))).status);
    expect(codes).toEqual([503, 503, 200]);
    await api.control('POST', 'faults', { endpoints: { createTask: { errorRate: 1 } } });
    expect((await api.call('POST', api.c('tasks'), taskParams())).status).toBe(500);
    expect((await api.call('GET', api.c('numbers'))).status).toBe(200);
    await expect(api.control('POST', 'faults', { errorRate: 1.5 })).rejects.toThrow(/errorRate must be a number between 0 and 1/);
    await expect(api.control('POST', 'faults', { endpoints: ['nope'] })).rejects.toThrow(/endpoints\[0\] must be an endpoint name/);
    expect(() => emu.setFaults({ latencyMs: -1 })).toThrow(/latencyMs/);
    const log = emu.requests();
    expect(log.filter((e) => e.fault === 'error')).toHaveLength(4);
  });

  it('adds latency: a client with a shorter timeout times out', async () => {
    const { emu, api } = await setup();
    emu.setFaults({ latencyMs: 1500, endpoints: ['numbers'] });
    const { request } = await import('undici');
    await expect(
      request(`${emu.url}${api.c('numbers')}`, { headers: { authorization: `Bearer ${api.token}` }, headersTimeout: 200 }),
    ).rejects.toThrow(/timeout/i);
    expect((emu.stats() as any).faults.delayed).toBe(1);
    emu.setFaults({});
  });
});

describe('emulator campaign: real clock', () => {
  it('runs a campaign on its own with a speed factor', async () => {
    const { startEmulator } = await import('../src/emulator/index.js');
    // One virtual hour per real millisecond: the day passes in well under a second of wall time.
    const emu: EmulatorHandle = await startEmulator({ env: {}, clock: { speed: 3_600_000, start: MONDAY_CST }, tickMs: 5, expiresIn: 10 * 365 * 86_400 });
    closers.push(() => emu.close());
    const { Raw } = await import('./emulator-helpers.js');
    const api = new Raw(emu);
    await api.login();
    const { taskId } = await api.createTask(taskParams({ endTime: MONDAY_CST + 3650 * DAY, taskRetryList: [] }));
    await api.addContacts(taskId, contacts(20));
    for (let i = 0; i < 200 && (await api.task(taskId)).statusName !== 'FINISHED'; i++) await new Promise((r) => setTimeout(r, 10));
    const info = await api.task(taskId);
    expect(info.statusName).toBe('FINISHED');
    expect(info.finishedCount).toBe(20);
    expect(emu.clock.now()).toBeGreaterThan(MONDAY_CST + 9 * HOUR);
  });
});
