import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentsClient, ZhichiAgentsAuthError, ZhichiAgentsNotFoundError, ZhichiAgentsParameterError, ZhichiValidationError, agentsAuthHeaders, type CreateJobBody,
} from '../src/agents/index.js';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { collectingLogger } from './helpers.js';

// 2026-11-25 09:00 Asia/Shanghai (01:00 UTC): inside the default 09:00–20:00 window.
const START = Date.UTC(2026, 10, 25, 1, 0, 0);
const CREDS = { appKey: 'test-app-key', appSecret: 'test-app-secret-0123456789', tenantSign: 'test-tenant' };

let emu: EmulatorHandle;
let agents: AgentsClient;
const log = collectingLogger();

function job(name: string, over: Record<string, unknown> = {}): CreateJobBody {
  return {
    robotCallJob: { name, dialogFlowId: 12, mode: 'MANUAL', dailyStartTime: '09:00', dailyEndTime: '20:00', robotCount: 2, phoneType: 'LANDLINE', redialCondition: ['NO_ANSWER', 'BUSY'], redialInterval: 30, redialTimes: 2, ...over },
    concurrencyQuota: 2,
    jobPhoneNumberIdList: [501],
  };
}
const vars = { 欠款金额: '10.13', 最后还款日期: '2026-12-01' };

beforeAll(async () => {
  emu = await startEmulator({ clock: { mode: 'manual', start: START }, agents: CREDS, robotCount: 10 });
  agents = new AgentsClient({ ...CREDS, baseUrl: emu.agentsUrl, clock: emu.clock, logger: log, env: {} });
});
afterAll(async () => {
  await emu.close();
});

async function raw(path: string, headers: Record<string, string>, body?: unknown) {
  const res = await request(`${emu.agentsUrl}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? null : JSON.stringify(body) });
  return { status: res.statusCode, json: (await res.body.json()) as { code: number; resultMsg: string; data: unknown } };
}

describe('signature check of the emulator (envelope 401)', () => {
  it('accepts a fresh, correct signature', async () => {
    const r = await raw('apiOpen/v1/tenant/getTenant', agentsAuthHeaders(CREDS, emu.clock.now()));
    expect(r.json.code).toBe(200);
  });
  it('refuses a wrong signature', async () => {
    const r = await raw('apiOpen/v1/tenant/getTenant', agentsAuthHeaders({ ...CREDS, appSecret: 'wrong' }, emu.clock.now()));
    expect(r.json).toMatchObject({ code: 401 });
    expect(r.json.resultMsg).toMatch(/wrong signature/);
  });
  it('refuses a stale timestamp', async () => {
    const r = await raw('apiOpen/v1/tenant/getTenant', agentsAuthHeaders(CREDS, emu.clock.now() - 10 * 60_000));
    expect(r.json.code).toBe(401);
    expect(r.json.resultMsg).toMatch(/stale/);
  });
  it('refuses a missing header, naming it', async () => {
    const { signature: _s, ...rest } = agentsAuthHeaders(CREDS, emu.clock.now());
    void _s;
    const r = await raw('apiOpen/v1/tenant/getTenant', rest);
    expect(r.json.code).toBe(401);
    expect(r.json.resultMsg).toMatch(/missing header signature/);
  });
  it('the client maps envelope 401 to ZhichiAgentsAuthError and never shows the secret', async () => {
    const bad = new AgentsClient({ ...CREDS, appSecret: 'another-secret-value', baseUrl: emu.agentsUrl, clock: emu.clock, env: {} });
    const e = await bad.account.tenant().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ZhichiAgentsAuthError);
    expect(JSON.stringify((e as ZhichiAgentsAuthError).toJSON())).not.toContain('another-secret-value');
    expect(String((e as Error).message)).not.toContain('another-secret-value');
  });
});

describe('client options', () => {
  it('names missing credentials with their env variables', () => {
    expect(() => new AgentsClient({ env: {} })).toThrow(/appKey is required \(option appKey or env ZHICHI_AGENTS_APP_KEY\).*appSecret.*ZHICHI_AGENTS_APP_SECRET.*tenantSign.*ZHICHI_AGENTS_TENANT_SIGN/);
  });
  it('reads the env', () => {
    const c = new AgentsClient({ env: { ZHICHI_AGENTS_APP_KEY: 'k', ZHICHI_AGENTS_APP_SECRET: 's', ZHICHI_AGENTS_TENANT_SIGN: 't', ZHICHI_AGENTS_BASE_URL: 'http://127.0.0.1:9' } });
    expect(c.baseUrl).toBe('http://127.0.0.1:9/');
  });
});

describe('every endpoint round-trips client → emulator', () => {
  let id = 0;
  it('scripts, lines, groups, strategies, tags, tenant, callback URL', async () => {
    const scripts = await agents.scripts.list();
    expect(scripts.map((s) => s.dialogFlowId)).toEqual([11, 12, 13]);
    expect((await agents.scripts.get(12)).name).toBe(scripts[1]!.name);
    await expect(agents.scripts.get(99)).rejects.toBeInstanceOf(ZhichiAgentsNotFoundError);
    expect((await agents.account.lines()).map((l) => l.tenantPhoneNumberId)).toEqual([501, 502, 503]);
    expect((await agents.account.policyGroups())[0]!.callPolicyGroupId).toBe(601);
    expect((await agents.account.riskStrategies({ pageSize: 10 })).totalElements).toBe(1);
    expect((await agents.account.blacklistGroups()).content[0]).toMatchObject({ customerWhiteGroupId: 801 });
    expect((await agents.account.intentTagGroups())[0]!.intentLevelTagId).toBe(1);
    expect((await agents.account.intentTags(1)).details).toHaveLength(6);
    expect((await agents.account.tenant()).tenantId).toBe(96537);
    await agents.account.setCallbackUrl('http://127.0.0.1:9/agents');
    expect(emu.agentsStats().callbackUrl).toBe('http://127.0.0.1:9/agents');
    expect((emu.stats().agents as { callbackUrl: string; refusedSignatures: number }).refusedSignatures).toBeGreaterThanOrEqual(4);
    emu.setAgentsCallbackUrl(null);
  });
  it('task create, list, detail, properties, modify, updateAiCount', async () => {
    ({ robotCallJobId: id } = await agents.jobs.create(job('round-trip')));
    expect(id).toBeGreaterThan(1000);
    expect((await agents.jobs.findByName('round-trip'))?.status).toBe('NOT_STARTED');
    expect((await agents.jobs.list({ name: 'round' })).totalElements).toBe(1);
    expect(await agents.jobs.properties(id)).toEqual(['欠款金额', '最后还款日期']);
    const d = await agents.jobs.detail(id);
    expect(d.robotCallJob).toMatchObject({ robotCallJobId: id, name: 'round-trip', mode: 'MANUAL', dailyStartTime: '09:00' });
    const m = job('round-trip-2');
    m.robotCallJob.robotCallJobId = id;
    await agents.jobs.modify(m);
    expect((await agents.jobs.detail(id)).robotCallJob.name).toBe('round-trip-2');
    await agents.jobs.updateAiCount(id, 1);
    expect((await agents.jobs.detail(id)).robotCallJob.robotCount).toBe(1);
  });
  it('a second task of the same name is refused (names are unique per account)', async () => {
    await expect(agents.jobs.create(job('round-trip-2'))).rejects.toBeInstanceOf(ZhichiAgentsParameterError);
  });
  it('import (async and sync), checkAll, executeJobs, start, pause, records, counts, stats', async () => {
    const r = await agents.customers.importAsync(id, [
      { phoneNumber: '13800000001', name: '张三', properties: vars },
      { phoneNumber: '13800000002', properties: vars },
      { phoneNumber: '12345', properties: vars },
      { phoneNumber: '13900000000', properties: vars },
    ], { batchId: 'b0000000000000000000000000000001' });
    expect(r.batchIds).toEqual(['b0000000000000000000000000000001']);
    await agents.customers.importSync(id, [{ phoneNumber: '13800000003', properties: vars }]);
    await expect(agents.customers.importSync(id, [{ phoneNumber: '13800000003', properties: vars }])).rejects.toThrow(/号码重复/);
    const check = await agents.jobs.checkAll({ operation: 'START', robotCallJobIdSet: [id] });
    expect(check.executable.map((j) => j.robotCallJobId)).toEqual([id]);
    const ex = await agents.jobs.executeJobs({ operation: 'START', executable: check.executable.map((j) => ({ robotCallJobId: j.robotCallJobId })) });
    expect(ex[0]).toMatchObject({ robotCallJobId: id, msg: '执行成功' });
    await emu.advance(6 * 3_600_000);
    const records = [];
    for await (const rec of agents.records.iterate({ robotCallJobId: id })) records.push(rec);
    const stats = await agents.jobs.stats(id);
    expect(stats.customerNumber).toBe(3);
    expect(stats.taskCallTotal).toBe(records.length);
    expect(records.length).toBeGreaterThanOrEqual(3);
    expect(await agents.records.count({ robotCallJobId: id })).toBe(records.length);
    const first = records[0]!;
    const detail = await agents.records.detail(first.callRecordId);
    expect(detail.callRecordId).toBe(first.callRecordId);
    expect((await agents.records.filtered({ robotCallJobId: id, calledPhoneNumber: '13900000000' }))[0]).toMatchObject({ filterType: 'SHARE_WHITE_LIST' });
    const info = await agents.jobs.statsInfoList([id]);
    expect(info[String(id)]).toEqual({ taskTotal: 3, taskCompleted: stats.taskTotalCompleted });
    const day = await agents.records.dailyStats({ startDate: '2026-11-25', endDate: '2026-11-25' });
    expect(day[0]!.callTaskCompleted).toBe(records.length);
    const cost = await agents.records.costStats({ startDate: '2026-11-25', endDate: '2026-11-25' });
    expect(Array.isArray(cost.callCostStatsPhoneNumberList)).toBe(true);
    // Re-adding a finished customer calls it again; an unknown id is refused naming it.
    const done = records.find((r) => r.resultStatus === 'ANSWERED' || r.resultStatus === 'POWER_OFF' || r.resultStatus === 'REFUSED' || r.redialTimes === 2)!;
    const before = records.filter((r) => r.calledPhoneNumber === done.calledPhoneNumber).length;
    await agents.jobs.reAddCustomers(id, [done.customerPersonId!]);
    await expect(agents.jobs.reAddCustomers(id, [1])).rejects.toThrow(/customerPersonIds 1 are unknown or not finished/);
    await emu.advance(3_600_000);
    const again = [];
    for await (const rec of agents.records.iterate({ robotCallJobId: id, calledPhoneNumber: done.calledPhoneNumber })) again.push(rec);
    expect(again.length).toBe(before + 1);
  });
  it('pause, start, stop, delete', async () => {
    const { robotCallJobId: j2 } = await agents.jobs.create(job('lifecycle'));
    await agents.customers.importAsync(j2, [{ phoneNumber: '13800000009', properties: vars }]);
    await agents.jobs.start(j2);
    await agents.jobs.pause(j2);
    expect((await agents.jobs.findByName('lifecycle'))?.status).toBe('USER_PAUSE');
    await agents.jobs.start(j2);
    await agents.jobs.stop(j2);
    expect((await agents.jobs.findByName('lifecycle'))?.status).toBe('TERMINATE');
    await expect(agents.jobs.start(j2)).rejects.toThrow(/已终止/);
    // A terminated task still finishes its call in flight; it can be deleted once that ended.
    await expect(agents.jobs.delete(j2)).rejects.toThrow(/不可删除/);
    await emu.advance(10 * 60_000);
    await agents.jobs.delete(j2);
    await expect(agents.jobs.detail(j2)).rejects.toBeInstanceOf(ZhichiAgentsNotFoundError);
  });
});

describe('validation errors name fields (client side, before any request; and server side)', () => {
  it('client refuses a bad create body', async () => {
    const e = await agents.jobs.create(job('x', { dailyStartTime: '21:00' })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ZhichiValidationError);
    expect((e as ZhichiValidationError).issues.map((i) => i.path)).toContain('robotCallJob.dailyEndTime');
  });
  it('client names the bad customer of an import', async () => {
    const e = await agents.customers.importAsync(1001, [{ phoneNumber: '13800000001' }, { phoneNumber: '' }]).catch((x: unknown) => x);
    expect((e as ZhichiValidationError).issues[0]!.path).toBe('customerPersons[1].phoneNumber');
  });
  it('the emulator answers 412 naming the field', async () => {
    const r = await raw('apiOpen/v1/job/create', agentsAuthHeaders(CREDS, emu.clock.now()), { robotCallJob: { name: 'y' } });
    expect(r.json.code).toBe(412);
    expect(r.json.resultMsg).toMatch(/robotCallJob.dialogFlowId/);
  });
  it('the emulator enforces the default calling hours', async () => {
    await expect(agents.jobs.create(job('late', { dailyEndTime: '21:00' }))).rejects.toThrow(/dailyEndTime must not be later than 20:00/);
  });
});

describe('writes never duplicate', () => {
  it('a create whose answer was lost is found by name, not sent twice', async () => {
    const slow = new AgentsClient({ ...CREDS, baseUrl: emu.agentsUrl, clock: emu.clock, env: {}, timeoutMs: 150, writeSettleMs: 1200, retry: { baseDelayMs: 10, maxDelayMs: 20 } });
    const createsBefore = emu.requests().filter((q) => q.endpoint === 'createJob').length;
    emu.setFaults({ endpoints: { createJob: { latencyMs: 400 } } });
    try {
      const r = await slow.jobs.create(job('lost-answer'));
      expect(r.recovered).toBe(true);
    } finally {
      emu.setFaults({});
    }
    // One create reached the server (its answer was lost); the client looked it up instead of resending.
    const creates = emu.requests().filter((q) => q.endpoint === 'createJob').length - createsBefore;
    const mine = [];
    for await (const j of agents.jobs.iterate({ name: 'lost-answer' })) mine.push(j);
    expect(mine).toHaveLength(1);
    expect(creates).toBe(1);
    expect(emu.requests().some((q) => q.endpoint === 'getJobs' && q.path.includes('lost-answer'))).toBe(true);
  });
  it('an import resent with the same batch id adds nobody twice', async () => {
    const { robotCallJobId } = await agents.jobs.create(job('batch-twice'));
    const people = [{ phoneNumber: '13800000011', properties: vars }];
    await agents.customers.importAsync(robotCallJobId, people, { batchId: 'dup0000000000000000000000000000a' });
    await agents.customers.importAsync(robotCallJobId, people, { batchId: 'dup0000000000000000000000000000a' });
    expect((await agents.jobs.stats(robotCallJobId)).customerNumber).toBe(1);
  });
  it('more than 10,000 customers are split into calls of 10,000 with their own batch ids', async () => {
    const { robotCallJobId } = await agents.jobs.create(job('split'));
    const people = Array.from({ length: 20_500 }, (_, i) => ({ phoneNumber: String(15000000000 + i), properties: vars }));
    const before = emu.requests().filter((q) => q.endpoint === 'importCustomerAsync').length;
    const r = await agents.customers.importAsync(robotCallJobId, people);
    expect(r.batchIds).toHaveLength(3);
    expect(new Set(r.batchIds).size).toBe(3);
    expect(emu.requests().filter((q) => q.endpoint === 'importCustomerAsync').length - before).toBe(3);
    expect((await agents.jobs.stats(robotCallJobId)).customerNumber).toBe(20_500);
  });
  it('no secret in any log line', () => {
    expect(log.lines.join('\n')).not.toContain(CREDS.appSecret);
  });
});
