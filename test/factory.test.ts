// The seed's examples (shared/seed README), in TypeScript, against the emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_TOKEN_FAILED, ZhichiBusinessError, ZhichiClient, ZhichiFactory, ZhichiHttpError, ZhichiValidationError } from '../src/index.js';
import { startEmulator } from '../src/emulator/index.js';
import { control, requestsTo } from './helpers.js';

let emu: Awaited<ReturnType<typeof startEmulator>>;
// The seed reads configuration from the environment; so do we (ZHICHI_*), here set per factory.
const env = () => ({ ZHICHI_KEY: 'seed-key', ZHICHI_SECRET: 'seed-secret', ZHICHI_COMPANY_ID: 'seed-co', ZHICHI_BASE_URL: emu.url });

beforeAll(async () => {
  emu = await startEmulator({ apiKey: 'seed-key', apiSecret: 'seed-secret', companyId: 'seed-co', robotCount: 3, clock: { mode: 'manual', start: Date.UTC(2026, 10, 25, 2, 0) }, env: {} });
});
afterAll(async () => {
  await emu?.close();
});

/** The seed's token-cache example ("remember, with a refresh flag"), as a TypeScript service. */
class XxxService {
  static readonly CACHE_KEY = 'zhichi:token';
  static readonly CACHE_EXP = 86400 - 60 * 5;
  private cache = new Map<string, { value: string; until: number }>();
  constructor(private readonly factory: () => ZhichiFactory) {}
  async getToken(refresh = false): Promise<string | false> {
    if (refresh) this.cache.delete(XxxService.CACHE_KEY);
    const hit = this.cache.get(XxxService.CACHE_KEY);
    if (hit && hit.until > Date.now()) return hit.value;
    const res = await this.factory().getToken();
    if (!res.isStatus()) return false;
    const token = res.getData()?.token;
    if (!token) return false;
    this.cache.set(XxxService.CACHE_KEY, { value: token, until: Date.now() + XxxService.CACHE_EXP * 1000 });
    return token;
  }
}

describe('seed examples', () => {
  let token = '';

  it('token-cache example: mints once, again only on refresh', async () => {
    const svc = new XxxService(() => new ZhichiFactory({ env: env() }));
    const before = (await control<{ tokensIssued: number }>(emu.url, 'GET', '/__emulator/stats')).tokensIssued;
    const t1 = await svc.getToken();
    const t2 = await svc.getToken();
    expect(t1).toBeTruthy();
    expect(t2).toBe(t1);
    const t3 = await svc.getToken(true);
    expect(t3).not.toBe(t1);
    const after = (await control<{ tokensIssued: number }>(emu.url, 'GET', '/__emulator/stats')).tokensIssued;
    expect(after - before).toBe(2);
    token = t3 as string;
  });

  it('getToken with wrong credentials: as the PHP factory, isStatus() false, "api调用失败", the server envelope as data', async () => {
    const res = await new ZhichiFactory({ env: env() }).getToken('seed-key', 'nope-secret');
    expect(res.isStatus()).toBe(false);
    expect(res.getMessage()).toBe(SEED_TOKEN_FAILED);
    expect(res.getData()).toMatchObject({ code: 10001 });
    expect(res.getData()?.token).toBeUndefined();
    expect(res.getError()).toBeInstanceOf(ZhichiBusinessError);
    expect(JSON.stringify(res)).not.toContain('nope-secret');
  });

  it('getToken: success, data { token }', async () => {
    const res = await new ZhichiFactory({ env: env() }).getToken();
    expect(res.isStatus()).toBe(true);
    expect(res.getMessage()).toBe('success');
    expect(res.getData()?.token).toMatch(/\S/);
    expect(res.getError()).toBeNull();
  });

  // The README's examples line by line, with what the PHP module answers for each (its
  // Call/Zhichi::quest: isStatus from the envelope code, getMessage 'success' / 'API call failed',
  // getData the decoded envelope). The one row where PHP differs is marked and tested as ours.
  it('README example 1: (new ZhichiFactory())->setToken(t)->create()->getRobotsCount() — same as PHP', async () => {
    const res = await new ZhichiFactory({ env: env() }).setToken(token).create().getRobotsCount();
    expect(res.isStatus()).toBe(true);
    expect(res.getMessage()).toBe('success');
    // The server's envelope unchanged, its message included (PHP: json_decode of the body).
    expect(res.getData()).toEqual({ code: 200, message: '成功', content: 3 });
    expect(res.getError()).toBeNull();
    expect(res.getRequestId()).toMatch(/\S/);
  });

  it('README example 2: (new ZhichiFactory())->create()->setToken(t)->getNumbers() — PHP crashes (null token), ours works', async () => {
    const before = (await requestsTo(emu.url, '/numbers')).length;
    const res = await new ZhichiFactory({ env: env() }).create().setToken(token).getNumbers();
    expect(res.isStatus()).toBe(true);
    expect(res.getMessage()).toBe('success');
    expect(res.getData()).toMatchObject({ code: 200, message: '成功' });
    expect(res.getData()?.content?.map((n) => n.number)).toContain('01052226451');
    // As the PHP module: GET numbers without a query string.
    const sent = (await requestsTo(emu.url, '/numbers')).slice(before);
    expect(sent.map((e) => e.path)).toEqual(['/api/6.0.0/companies/seed-co/numbers']);
  });

  it('README example 3: createTask($params) with the README params — same as PHP, then every other seed method', async () => {
    const now = (await control<{ now: number }>(emu.url, 'GET', '/__emulator/clock')).now;
    const time = Math.floor(now / 1000); // PHP time()
    const params = {
      taskName: '测试任务添加情况2',
      templateId: '0c565ba214064f82a7071b25030f78a7',
      robotNum: 2,
      taskCronList: [{ begin: '09:00', end: '20:00' }],
      taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 3 }],
      aniList: ['01052226451', '16512999105'],
      timeType: 2 as const,
      startTime: (time + 300) * 1000,
      endTime: (time + 86400) * 1000,
      pushFlag: 1 as const,
      pushType: 2 as const,
      pushUrl: 'https://platform.douyuxingchen.com/api/zhichi/events',
    };
    const api = new ZhichiFactory({ env: env() }).setToken(token).create();
    const res = await api.createTask(params);
    expect(res.isStatus()).toBe(true);
    expect(res.getMessage()).toBe('success');
    expect(res.getData()).toMatchObject({ code: 200, message: '成功' });
    const taskId = res.getData()!.content!.taskId;
    expect(taskId).toMatch(/^[0-9a-f]{32}$/);

    const add = await api.taskAddContact(taskId, [{ outId: 'order-1', telephone: '13800138000' }]);
    expect([add.isStatus(), add.getMessage()]).toEqual([true, 'success']);
    expect(add.getData()).toMatchObject({ code: 200, message: '成功', content: { successCount: 1 } });
    const ref = await api.getReferenceTaskContacts(taskId, 'order-1');
    expect(ref.getData()?.content?.telephone).toBe('13800138000');
    const info = await api.getTasksInfo(taskId);
    expect(info.getData()?.content?.taskName).toBe('测试任务添加情况2');
    const list = await api.getTasksList({ taskName: '测试任务' });
    expect(list.getData()).toMatchObject({ code: 200, message: '成功' });
    expect(list.getData()?.content?.list.some((t) => t.taskId === taskId)).toBe(true);
    const results = await api.getDialingResults(taskId, { pageNum: 1, pageSize: 10 });
    expect(results.isStatus()).toBe(true);
    expect(results.getData()?.content?.total).toBe(0);
    const templates = await api.getTemplates();
    expect(templates.getData()?.content?.length).toBeGreaterThan(0);

    // Business failure: as PHP, isStatus() false, 'API call failed', getData() the server envelope unchanged.
    const missing = await api.getTasksInfo('0'.repeat(32));
    expect(missing.isStatus()).toBe(false);
    expect(missing.getMessage()).toBe('API call failed');
    expect(missing.getData()).toEqual({ code: 404, message: `task ${'0'.repeat(32)} not found`, content: null });
    expect(missing.getError()).toBeNull();
    expect(missing.toJSON()).toMatchObject({ status: false, message: 'API call failed', data: { code: 404 } });
  });

  it('create() without setToken uses the managed token (the seed threw instead)', async () => {
    const res = await new ZhichiFactory({ env: env() }).create().getRobotsCount();
    expect(res.isStatus()).toBe(true);
  });

  it('bad params never throw in seed style: a failed result whose data names every field and rule, nothing sent', async () => {
    const api = new ZhichiFactory({ env: env() }).setToken(token).create();
    const before = (await requestsTo(emu.url, '/tasks')).length;
    const res = await api.createTask({ taskName: '', robotNum: '2', taskCronList: [{ begin: '9:00', end: '20:00' }] } as never);
    expect(res.isStatus()).toBe(false);
    expect(res.getMessage()).toBe('API call failed');
    const data = res.getData() as unknown as { code: number; message: string; local: boolean; content: { issues: Array<{ path: string; message: string }> } };
    expect(data).toMatchObject({ code: 400, local: true });
    const paths = data.content.issues.map((i) => i.path);
    for (const p of ['taskName', 'templateId', 'robotNum', 'taskCronList[0].begin', 'aniList', 'timeType']) expect(paths).toContain(p);
    expect(data.message).toMatch(/robotNum must be a positive integer/);
    expect(res.getError()).toBeInstanceOf(ZhichiValidationError);
    // Contacts and path ids too: a failed result, no request.
    const bad = await api.taskAddContact('t1', [{ outId: 'a/b', telephone: '12' }]);
    expect(bad.isStatus()).toBe(false);
    expect((bad.getData() as { content: { issues: Array<{ path: string }> } }).content.issues.map((i) => i.path)).toEqual(['contactList[0].outId', 'contactList[0].telephone']);
    const dots = await api.getTasksInfo('..');
    expect(dots.isStatus()).toBe(false);
    expect(dots.getData()).toMatchObject({ code: 400, content: { issues: [{ path: 'taskId' }] } });
    expect((await requestsTo(emu.url, '/tasks')).length).toBe(before);
    // The typed client keeps throwing.
    const client = new ZhichiClient({ env: env(), token });
    await expect(client.tasks.create({ taskName: '' } as never)).rejects.toBeInstanceOf(ZhichiValidationError);
  });

  it('an HTTP error (PHP throws "API request failed"): a failed result, data null, the error in getError()', async () => {
    await control(emu.url, 'POST', '/__emulator/faults', { errorRate: 1, errorStatus: 503, endpoints: ['robotsCount'] });
    try {
      const res = await new ZhichiFactory({ env: env(), maxRetries: 0 }).setToken(token).create().getRobotsCount();
      expect(res.isStatus()).toBe(false);
      expect(res.getMessage()).toBe('API call failed');
      expect(res.getData()).toBeNull();
      expect(res.getError()).toBeInstanceOf(ZhichiHttpError);
    } finally {
      await control(emu.url, 'POST', '/__emulator/faults', {});
    }
  });

  it('accepts the PHP module requests exactly: query params, duplicated companyId/taskId', async () => {
    const root = emu.url;
    const { request } = await import('undici');
    const auth = { authorization: `Bearer ${token}` };
    const r = await request(`${root}companies/seed-co/robots/count?companyId=seed-co`, { headers: auth });
    expect(JSON.parse(await r.body.text())).toMatchObject({ code: 200, content: 3 });
  });
});
