// The seed's examples (shared/seed README), in TypeScript, against the emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZhichiFactory, ZhichiValidationError } from '../src/index.js';
import { startEmulator } from '../src/emulator/index.js';
import { control } from './helpers.js';

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

  it('getToken with wrong credentials: isStatus() false with the server message', async () => {
    const res = await new ZhichiFactory({ env: env() }).getToken('seed-key', 'nope-secret');
    expect(res.isStatus()).toBe(false);
    expect(res.getData()).toBeNull();
    expect(res.getMessage()).toMatch(/10001/);
    expect(JSON.stringify(res)).not.toContain('nope-secret');
  });

  it('example 1: setToken(t).create().getRobotsCount()', async () => {
    const res = await new ZhichiFactory({ env: env() }).setToken(token).create().getRobotsCount();
    expect(res.isStatus()).toBe(true);
    expect(res.getData()).toMatchObject({ code: 200, content: 3 });
  });

  it('example 2: create().setToken(t).getNumbers()', async () => {
    const res = await new ZhichiFactory({ env: env() }).create().setToken(token).getNumbers();
    expect(res.isStatus()).toBe(true);
    expect(res.getData()?.content?.map((n) => n.number)).toContain('01052226451');
  });

  it('example 3: createTask($params), then every other seed method', async () => {
    const now = (await control<{ now: number }>(emu.url, 'GET', '/__emulator/clock')).now;
    const params = {
      taskName: '测试任务添加情况2',
      templateId: '0c565ba214064f82a7071b25030f78a7',
      robotNum: 2,
      taskCronList: [{ begin: '09:00', end: '20:00' }],
      taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 3 }],
      aniList: ['01052226451', '16512999105'],
      timeType: 2 as const,
      startTime: now + 300 * 1000,
      endTime: now + 86400 * 1000,
      pushFlag: 0 as const,
    };
    const api = new ZhichiFactory({ env: env() }).setToken(token).create();
    const res = await api.createTask(params);
    expect(res.isStatus()).toBe(true);
    const taskId = res.getData()!.content!.taskId;
    expect(taskId).toMatch(/^[0-9a-f]{32}$/);

    const add = await api.taskAddContact(taskId, [{ outId: 'order-1', telephone: '13800138000' }]);
    expect(add.getData()?.content?.successCount).toBe(1);
    const ref = await api.getReferenceTaskContacts(taskId, 'order-1');
    expect(ref.getData()?.content?.telephone).toBe('13800138000');
    const info = await api.getTasksInfo(taskId);
    expect(info.getData()?.content?.taskName).toBe('测试任务添加情况2');
    const list = await api.getTasksList({ taskName: '测试任务' });
    expect(list.getData()?.content?.list.some((t) => t.taskId === taskId)).toBe(true);
    const results = await api.getDialingResults(taskId, { pageNo: 1, pageSize: 10 });
    expect(results.isStatus()).toBe(true);
    expect(results.getData()?.content?.total).toBe(0);
    expect((await api.getTemplates()).getData()?.content?.length).toBeGreaterThan(0);

    // Business failure: isStatus() false, getData() is the whole envelope with its code.
    const missing = await api.getTasksInfo('0'.repeat(32));
    expect(missing.isStatus()).toBe(false);
    expect(missing.getData()).toMatchObject({ code: 404 });
    expect(missing.toJSON()).toMatchObject({ status: false, data: { code: 404 } });
  });

  it('create() without setToken uses the managed token (the seed threw instead)', async () => {
    const res = await new ZhichiFactory({ env: env() }).create().getRobotsCount();
    expect(res.isStatus()).toBe(true);
  });

  it('bad params throw, as the seed threw ValidateException', async () => {
    const api = new ZhichiFactory({ env: env() }).setToken(token).create();
    await expect(api.createTask({ taskName: '' } as never)).rejects.toBeInstanceOf(ZhichiValidationError);
  });

  it('accepts the PHP module requests exactly: query params, duplicated companyId/taskId', async () => {
    const root = emu.url;
    const { request } = await import('undici');
    const auth = { authorization: `Bearer ${token}` };
    const r = await request(`${root}companies/seed-co/robots/count?companyId=seed-co`, { headers: auth });
    expect(JSON.parse(await r.body.text())).toMatchObject({ code: 200, content: 3 });
  });
});
