import { afterEach, describe, expect, it } from 'vitest';
import {
  BUSINESS_CODE, CALL_RESULT, TASK_STATUS, contactDetail, createTaskContent, numbersContent, page, callRecord, taskInfo, templatesContent, tokenContent,
} from '../src/contract/index.js';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { DAY, HOUR, MONDAY_CST, Raw, SEED_ANI, SEED_TEMPLATE, contacts, manualEmulator, taskParams } from './emulator-helpers.js';

let emus: EmulatorHandle[] = [];
afterEach(async () => {
  await Promise.all(emus.map((e) => e.close()));
  emus = [];
});
async function setup(opts: Parameters<typeof manualEmulator>[0] = {}) {
  const r = await manualEmulator(opts);
  emus.push(r.emu);
  return r;
}

describe('emulator: tokens', () => {
  it('mints a token with the documented content and counts it', async () => {
    const { emu, api } = await setup();
    const r = await api.call('GET', 'tokens?apiKey=demo-key&apiSecret=demo-secret');
    expect(r.status).toBe(200);
    expect(r.env.code).toBe(200);
    const t = tokenContent.parse(r.env.content);
    expect(t.tokenType).toBe('Bearer');
    expect(t.expiresIn).toBe(86_400);
    expect(t.createTime).toBe(emu.clock.now());
    expect(t.accessToken).not.toBe(api.token);
    expect(emu.stats().tokensIssued).toBe(2);
  });

  it('answers wrong credentials with a business error, missing ones with a parameter error', async () => {
    const { api } = await setup();
    const wrong = await api.call('GET', 'tokens?apiKey=demo-key&apiSecret=nope');
    expect(wrong.status).toBe(200);
    expect(wrong.env.code).toBe(BUSINESS_CODE.INVALID_CREDENTIALS);
    expect(wrong.env.message).toMatch(/apiKey or apiSecret/);
    const missing = await api.call('GET', 'tokens?apiKey=demo-key');
    expect(missing.env.code).toBe(BUSINESS_CODE.PARAM_INVALID);
    expect(missing.env.message).toMatch(/apiSecret is required/);
  });

  it('gives HTTP 401 for a missing, unknown, expired or revoked token', async () => {
    const { emu, api } = await setup({ expiresIn: 3600 });
    const path = api.c('robots/count');
    expect((await api.call('GET', path)).status).toBe(200);
    const missing = await api.call('GET', path, undefined, { authorization: '' });
    expect([missing.status, missing.env.code]).toEqual([401, 401]);
    const unknown = await api.call('GET', path, undefined, { authorization: 'Bearer abc.def.ghi' });
    expect(unknown.status).toBe(401);
    await emu.advance(3600 * 1000 - 1);
    expect((await api.call('GET', path)).status).toBe(200);
    await emu.advance(1);
    const expired = await api.call('GET', path);
    expect(expired.status).toBe(401);
    expect(expired.env.message).toMatch(/expired/);
    await api.login();
    expect((await api.call('GET', path)).status).toBe(200);
    const rev = await api.control('POST', 'tokens/revoke');
    expect(rev.revoked).toBe(1);
    expect((await api.call('GET', path)).status).toBe(401);
  });

  it('limits mints per minute of emulator time and can revoke on mint', async () => {
    const { emu, api } = await setup({ tokenMintsPerMinute: 2, revokeOnMint: true });
    const first = api.token;
    await api.login(); // second mint in this minute; revokes the first
    const again = await api.call('GET', 'tokens?apiKey=demo-key&apiSecret=demo-secret');
    expect(again.status).toBe(200);
    expect(again.env.code).toBe(BUSINESS_CODE.TOKEN_RATE_LIMITED);
    const old = await api.call('GET', api.c('robots/count'), undefined, { authorization: `Bearer ${first}` });
    expect(old.status).toBe(401);
    await emu.advance(60_000);
    await api.login();
    expect(emu.stats().tokensIssued).toBe(3);
  });

  it('takes its defaults from ZHICHI_* env and validates options', async () => {
    const emu = await startEmulator({ env: { ZHICHI_KEY: 'k-env', ZHICHI_SECRET: 's-env', ZHICHI_COMPANY_ID: 'c-env' }, clock: { mode: 'manual' } });
    emus.push(emu);
    const api = new Raw(emu);
    expect(emu.companyId).toBe('c-env');
    await api.login('k-env', 's-env');
    expect(await api.ok('GET', 'companies/c-env/robots/count')).toBe(10);
    await expect(startEmulator({ robotCount: -1 })).rejects.toThrow(/robotCount must be an integer/);
    await expect(startEmulator({ timeZone: 'Mars/Olympus' })).rejects.toThrow(/timeZone must be an IANA time zone/);
    await expect(startEmulator({ push: { duplicateRate: 2 } })).rejects.toThrow(/push.duplicateRate must be a number between 0 and 1/);
  });
});

describe('emulator: company resources', () => {
  it('lists robots, templates and numbers with the seed values', async () => {
    const { api } = await setup({ robotCount: 7 });
    expect(await api.ok('GET', api.c('robots/count'))).toBe(7);
    const templates = templatesContent.parse(await api.ok('GET', api.c('templates')));
    expect(templates.map((t) => t.templateId)).toContain(SEED_TEMPLATE);
    const numbers = numbersContent.parse(await api.ok('GET', api.c('numbers')));
    expect(numbers.map((n) => n.number)).toEqual(expect.arrayContaining(SEED_ANI));
  });

  it('refuses another company with FORBIDDEN and unknown paths with 404/405', async () => {
    const { api } = await setup();
    const r = await api.call('GET', 'companies/other/robots/count');
    expect([r.status, r.env.code]).toEqual([200, BUSINESS_CODE.FORBIDDEN]);
    expect((await api.call('GET', api.c('nothing/here'))).status).toBe(404);
    expect((await api.call('POST', api.c('robots/count'), {})).status).toBe(405);
  });
});

describe('emulator: tasks', () => {
  it('creates a task from the seed example (companyId repeated in the body) and echoes unknown fields', async () => {
    const { api, emu } = await setup();
    const created = createTaskContent.parse(await api.createTask(taskParams({ customField: { a: 1 } })));
    expect(created.taskId).toMatch(/^[0-9a-f]{32}$/);
    const info = taskInfo.parse(await api.task(created.taskId));
    expect(info).toMatchObject({
      taskId: created.taskId, taskName: 'seed task', templateId: SEED_TEMPLATE, robotNum: 2, aniList: SEED_ANI, timeType: 2,
      startTime: MONDAY_CST, customField: { a: 1 }, contactCount: 0, callCount: 0, activeCalls: 0, createTime: emu.clock.now(),
      status: TASK_STATUS.WAITING, statusName: 'WAITING',
    });
    const future = await api.createTask(taskParams({ startTime: MONDAY_CST + DAY }));
    expect((await api.task(future.taskId)).status).toBe(TASK_STATUS.NOT_STARTED);
  });

  it.each([
    [{ taskName: '  ' }, /taskName must be a non-empty string/],
    [{ templateId: '' }, /templateId must be a non-empty string/],
    [{ templateId: 'f'.repeat(32) }, /templateId must be one of the company's templates/],
    [{ robotNum: 1.5 }, /robotNum must be a positive integer/],
    [{ taskCronList: [] }, /taskCronList must have at least one window/],
    [{ taskCronList: [{ begin: '9:0', end: '20:00' }] }, /taskCronList\[0\]\.begin must be HH:mm/],
    [{ taskCronList: [{ begin: '20:00', end: '20:00' }] }, /taskCronList\[0\]\.end must differ from begin/],
    [{ taskCronList: [{ begin: '09:00', end: '12:00' }, { begin: '11:00', end: '13:00' }] }, /taskCronList\[1\] must not overlap/],
    [{ taskRetryList: [{ retryNum: 0, retryTime: 60, retryCondition: 3 }] }, /taskRetryList\[0\]\.retryNum must be a positive integer/],
    [{ taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 99 }] }, /taskRetryList\[0\]\.retryCondition must be a known retry condition/],
    [{ aniList: [] }, /aniList must have at least one caller number/],
    [{ aniList: ['abc'] }, /aniList\[0\] must be a phone-number string/],
    [{ aniList: ['01000000000'] }, /aniList\[0\] must be one of the company's caller numbers/],
    [{ timeType: 3 }, /timeType must be 1 \(long-term\) or 2/],
    [{ startTime: Math.floor(MONDAY_CST / 1000) }, /startTime must be epoch milliseconds \(this looks like seconds\)/],
    [{ endTime: MONDAY_CST - 1 }, /endTime must be later than startTime/],
    [{ pushFlag: 1 }, /pushType is required when pushFlag is 1; pushUrl is required/],
    [{ pushFlag: 1, pushType: 2, pushUrl: 'ftp://x' }, /pushUrl must be an absolute http\(s\) URL/],
  ])('rejects create-task %j naming the field and the rule', async (over, rule) => {
    const { api } = await setup();
    const r = await api.call('POST', api.c('tasks'), taskParams(over));
    expect(r.status).toBe(200);
    expect(r.env.code).toBe(BUSINESS_CODE.PARAM_INVALID);
    expect(r.env.message).toMatch(rule);
    expect(r.env.message).toMatch(/^invalid create-task params: /);
    expect(emusStats(api).tasks).toBe(0);
  });

  it('refuses robotNum above the company robots, a mismatched companyId and a non-JSON body', async () => {
    const { api } = await setup({ robotCount: 3 });
    const r = await api.call('POST', api.c('tasks'), taskParams({ robotNum: 4 }));
    expect(r.env.code).toBe(BUSINESS_CODE.ROBOTS_EXCEEDED);
    expect(r.env.message).toMatch(/robotNum must be at most .* \(3\)/);
    const m = await api.call('POST', api.c('tasks'), taskParams({ companyId: 'someone-else' }));
    expect(m.env.code).toBe(BUSINESS_CODE.PARAM_INVALID);
    expect(m.env.message).toMatch(/companyId in the body must equal/);
    const j = await api.call('POST', api.c('tasks'), '{oops');
    expect(j.env.code).toBe(BUSINESS_CODE.PARAM_INVALID);
    expect(j.env.message).toMatch(/JSON/);
  });

  it('answers NOT_FOUND for an unknown task on every task endpoint', async () => {
    const { api } = await setup();
    const id = 'f'.repeat(32);
    for (const [m, p, b] of [
      ['GET', `tasks/${id}`, undefined],
      ['POST', `tasks/${id}/task-contacts`, { contactList: contacts(1) }],
      ['GET', `tasks/${id}/reference-task-contacts/x`, undefined],
      ['POST', `tasks/${id}/dialing-results`, {}],
    ] as const) {
      const r = await api.call(m, api.c(p), b);
      expect(r.env.code, p).toBe(BUSINESS_CODE.NOT_FOUND);
    }
  });

  it('searches tasks by name substring and status, paged, newest first', async () => {
    const { api } = await setup();
    const ids: string[] = [];
    for (const name of ['alpha one', 'beta', 'alpha two', 'alpha three']) ids.push((await api.createTask(taskParams({ taskName: name }))).taskId);
    // One task that has not started yet, to filter by status.
    await api.createTask(taskParams({ taskName: 'alpha later', startTime: MONDAY_CST + DAY }));
    const pg = page(taskInfo).parse(await api.ok('GET', `${api.c('searchtasks')}?companyId=demo-company&taskName=alpha&pageNo=1&pageSize=2`));
    expect(pg.total).toBe(4);
    expect(pg.list.map((t) => t.taskName)).toEqual(['alpha later', 'alpha three']);
    const p2 = await api.ok('GET', `${api.c('searchtasks')}?taskName=alpha&pageNo=2&pageSize=2`);
    expect(p2.list.map((t: any) => t.taskName)).toEqual(['alpha two', 'alpha one']);
    const ns = await api.ok('GET', `${api.c('searchtasks')}?status=${TASK_STATUS.NOT_STARTED}`);
    expect(ns.list.map((t: any) => t.taskName)).toEqual(['alpha later']);
    const all = await api.ok('GET', api.c('searchtasks'));
    expect([all.total, all.pageNo, all.pageSize]).toEqual([5, 1, 20]);
    const bad = await api.call('GET', `${api.c('searchtasks')}?pageSize=abc`);
    expect(bad.env.code).toBe(BUSINESS_CODE.PARAM_INVALID);
    expect(bad.env.message).toMatch(/pageSize/);
  });
});

describe('emulator: contacts and results', () => {
  it('adds contacts deduplicated by outId within a task, normalising phones', async () => {
    const { api } = await setup();
    const { taskId } = await api.createTask(taskParams());
    const first = await api.addContacts(taskId, [
      { outId: 'a', telephone: '+86 139-1234-5678', name: '张三' },
      { outId: 'b', telephone: '010-8888 1234' },
    ]);
    expect(first).toEqual({ successCount: 2, duplicateCount: 0, failCount: 0, failList: [] });
    const second = await api.addContacts(taskId, [{ outId: 'a', telephone: '13900000000' }, { outId: 'c', telephone: '13900000001' }]);
    expect(second).toMatchObject({ successCount: 1, duplicateCount: 1, failCount: 0 });
    expect((await api.task(taskId)).contactCount).toBe(3);
    const a = contactDetail.parse(await api.contact(taskId, 'a'));
    expect(a).toMatchObject({ outId: 'a', telephone: '13912345678', variables: { name: '张三' }, attempts: 0, calls: [], statusName: 'WAITING' });
    expect((await api.contact(taskId, 'b')).telephone).toBe('01088881234');
    // Another task may reuse the outIds.
    const other = await api.createTask(taskParams({ taskName: 'other' }));
    expect((await api.addContacts(other.taskId, [{ outId: 'a', telephone: '13900000000' }])).successCount).toBe(1);
  });

  it('rejects a bad contact list as a whole, naming the item and the rule', async () => {
    const { api } = await setup();
    const { taskId } = await api.createTask(taskParams());
    const r = await api.call('POST', api.c(`tasks/${taskId}/task-contacts`), { taskId, contactList: [{ outId: 'ok', telephone: '13900000000' }, { outId: 'bad', telephone: '12345' }] });
    expect(r.env.code).toBe(BUSINESS_CODE.PARAM_INVALID);
    expect(r.env.message).toMatch(/contactList\[1\]\.telephone must be a mainland mobile/);
    const dupInRequest = await api.call('POST', api.c(`tasks/${taskId}/task-contacts`), { contactList: [{ outId: 'x', telephone: '13900000000' }, { outId: 'x', telephone: '13900000001' }] });
    expect(dupInRequest.env.message).toMatch(/contactList\[1\]\.outId must be unique within a request/);
    const wrongTask = await api.call('POST', api.c(`tasks/${taskId}/task-contacts`), { taskId: 'f'.repeat(32), contactList: contacts(1) });
    expect(wrongTask.env.message).toMatch(/taskId in the body must equal/);
    expect((await api.task(taskId)).contactCount).toBe(0);
  });

  it("accepts the PHP module's GET style (ids repeated in the query) and rejects a mismatch", async () => {
    const { api } = await setup();
    const { taskId } = await api.createTask(taskParams());
    await api.addContacts(taskId, contacts(1, 'o'));
    const q = `companyId=demo-company&taskId=${taskId}&outId=o0`;
    expect((await api.ok('GET', `${api.c(`tasks/${taskId}/reference-task-contacts/o0`)}?${q}`)).outId).toBe('o0');
    expect((await api.ok('GET', `${api.c(`tasks/${taskId}`)}?companyId=demo-company&taskId=${taskId}`)).taskId).toBe(taskId);
    const mismatch = await api.call('GET', `${api.c(`tasks/${taskId}`)}?taskId=nope`);
    expect(mismatch.env.code).toBe(BUSINESS_CODE.PARAM_INVALID);
    expect(mismatch.env.message).toMatch(/taskId in the query must equal/);
    const missing = await api.call('GET', api.c(`tasks/${taskId}/reference-task-contacts/zzz`));
    expect(missing.env.code).toBe(BUSINESS_CODE.NOT_FOUND);
  });

  it('lists dialing results ordered by endTime then callId, paged and filtered', async () => {
    const { emu, api } = await setup({ robotCount: 5 });
    const { taskId } = await api.createTask(taskParams({ robotNum: 5 }));
    await api.addContacts(taskId, contacts(60));
    await emu.advance(20 * HOUR);
    const all = await api.results(taskId);
    expect(all.length).toBeGreaterThanOrEqual(60);
    for (const r of all) callRecord.parse(r);
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1];
      const b = all[i];
      expect(a.endTime < b.endTime || (a.endTime === b.endTime && a.callId < b.callId)).toBe(true);
    }
    const info = await api.task(taskId);
    expect(info.callCount).toBe(all.length);
    const p2 = await api.ok('POST', api.c(`tasks/${taskId}/dialing-results`), { pageNo: 2, pageSize: 7 });
    expect(p2.total).toBe(all.length);
    expect(p2.list.map((r: any) => r.callId)).toEqual(all.slice(7, 14).map((r) => r.callId));
    const mid = all[Math.floor(all.length / 2)].endTime;
    const late = await api.results(taskId, { startTime: mid });
    expect(late).toEqual(all.filter((r) => r.endTime >= mid));
    const early = await api.results(taskId, { endTime: mid });
    expect(early).toEqual(all.filter((r) => r.endTime < mid));
    const answered = await api.results(taskId, { callResult: CALL_RESULT.ANSWERED });
    expect(answered).toEqual(all.filter((r) => r.callResult === CALL_RESULT.ANSWERED));
    const some = await api.results(taskId, { outIds: ['c3', 'c5', 'nope'] });
    expect(some).toEqual(all.filter((r) => r.outId === 'c3' || r.outId === 'c5'));
    const bad = await api.call('POST', api.c(`tasks/${taskId}/dialing-results`), { pageSize: 0 });
    expect(bad.env.code).toBe(BUSINESS_CODE.PARAM_INVALID);
    expect(bad.env.message).toMatch(/pageSize/);
    // The Python client posts no body at all.
    expect((await api.call('POST', api.c(`tasks/${taskId}/dialing-results`))).env.content.total).toBe(all.length);
    // Contact detail lists the same attempts.
    const c3 = await api.contact(taskId, 'c3');
    expect(c3.calls).toEqual(all.filter((r) => r.outId === 'c3'));
    expect(c3.attempts).toBe(c3.calls.length);
  });
});

describe('emulator: control endpoints', () => {
  it('counts requests per endpoint and keeps a redacted request log', async () => {
    const { emu, api } = await setup({ apiSecret: 'very-secret-value' });
    await api.ok('GET', api.c('numbers'));
    await api.call('GET', 'tokens?apiKey=demo-key&apiSecret=wrong-secret-guess');
    const stats = await api.control('GET', 'stats');
    expect(stats.requests).toBe(3);
    expect(stats.requestsByEndpoint).toEqual({ token: 2, numbers: 1 });
    expect(stats.tokensIssued).toBe(1);
    const log = await api.control('GET', 'requests');
    expect(log.entries.map((e: any) => [e.method, e.endpoint, e.status, e.code])).toEqual([
      ['GET', 'token', 200, 200], ['GET', 'numbers', 200, 200], ['GET', 'token', 200, BUSINESS_CODE.INVALID_CREDENTIALS],
    ]);
    const text = JSON.stringify(log);
    expect(text).not.toContain('very-secret-value');
    expect(text).not.toContain('wrong-secret-guess');
    expect(text).not.toContain(api.token);
    expect(text).toContain('apiSecret=[REDACTED]');
    expect(typeof log.entries[0].ms).toBe('number');
    expect(log.entries[0].time).toBe(emu.clock.now());
    const tail = await api.control('GET', 'requests?since=2');
    expect(tail.entries).toHaveLength(1);
  });

  it('reports and advances the clock', async () => {
    const { emu, api } = await setup();
    expect((await api.control('GET', 'clock')).now).toBe(MONDAY_CST);
    const r = await api.control('POST', 'clock/advance', { ms: HOUR });
    expect(r.now).toBe(MONDAY_CST + HOUR);
    expect(emu.clock.now()).toBe(MONDAY_CST + HOUR);
    await expect(api.control('POST', 'clock/advance', { ms: -1 })).rejects.toThrow(/ms must be a non-negative/);
  });
});

function emusStats(api: Raw): Record<string, any> {
  return api.emu.stats() as Record<string, any>;
}
