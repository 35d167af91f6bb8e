import { describe, expect, it } from 'vitest';
import { ZhichiClient, ZhichiValidationError, normalizePhone } from '../src/index.js';
import { TEST_NOW, seedTask } from './helpers.js';

const NOW = TEST_NOW;

// A client that must never reach the network: validation runs first.
const client = new ZhichiClient({
  apiKey: 'k',
  apiSecret: 's3cr3t-value',
  companyId: 'c',
  baseUrl: 'http://127.0.0.1:9/api/6.0.0/',
  fetch: () => {
    throw new Error('network must not be reached');
  },
});

async function createError(over: Record<string, unknown>): Promise<ZhichiValidationError> {
  try {
    await client.tasks.create(seedTask(over));
  } catch (e) {
    expect(e).toBeInstanceOf(ZhichiValidationError);
    return e as ZhichiValidationError;
  }
  throw new Error('expected a validation error');
}

describe('create-task rules (each error names the field and the rule)', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['empty taskName', { taskName: '  ' }, 'taskName', /non-empty/],
    ['missing taskName', { taskName: undefined }, 'taskName', /non-empty/],
    ['empty templateId', { templateId: '' }, 'templateId', /non-empty/],
    ['robotNum zero', { robotNum: 0 }, 'robotNum', /positive integer/],
    ['robotNum fraction', { robotNum: 1.5 }, 'robotNum', /positive integer/],
    ['no windows', { taskCronList: [] }, 'taskCronList', /at least one window/],
    ['bad HH:mm', { taskCronList: [{ begin: '9:00', end: '20:00' }] }, 'taskCronList[0].begin', /HH:mm/],
    ['bad end', { taskCronList: [{ begin: '09:00', end: '25:00' }] }, 'taskCronList[0].end', /HH:mm/],
    ['begin == end', { taskCronList: [{ begin: '09:00', end: '09:00' }] }, 'taskCronList[0].end', /must differ from begin/],
    ['cross-midnight overlap', { taskCronList: [{ begin: '22:00', end: '02:00' }, { begin: '01:00', end: '03:00' }] }, 'taskCronList[1]', /overlap window taskCronList\[0\]/],
    ['overlap', { taskCronList: [{ begin: '09:00', end: '12:00' }, { begin: '11:00', end: '13:00' }] }, 'taskCronList[1]', /overlap/],
    ['retryNum', { taskRetryList: [{ retryNum: 0, retryTime: 60, retryCondition: 3 }] }, 'taskRetryList[0].retryNum', /positive integer/],
    ['retryTime', { taskRetryList: [{ retryNum: 1, retryTime: -5, retryCondition: 3 }] }, 'taskRetryList[0].retryTime', /positive integer/],
    ['retryCondition', { taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 99 }] }, 'taskRetryList[0].retryCondition', /known retry condition/],
    ['empty aniList', { aniList: [] }, 'aniList', /at least one caller/],
    ['bad ani', { aniList: ['01052226451', 'abc'] }, 'aniList[1]', /phone-number/],
    ['timeType', { timeType: 3 }, 'timeType', /1 \(long-term\) or 2/],
    ['startTime in seconds', { startTime: Math.floor(NOW / 1000) }, 'startTime', /milliseconds.*seconds/],
    ['endTime in seconds', { endTime: Math.floor(NOW / 1000) + 86400 }, 'endTime', /milliseconds.*seconds/],
    ['missing startTime', { startTime: undefined }, 'startTime', /required when timeType is 2/],
    ['end before start', { endTime: NOW }, 'endTime', /later than startTime/],
    ['pushFlag', { pushFlag: 2 }, 'pushFlag', /0 or 1/],
    ['missing pushType', { pushType: undefined }, 'pushType', /required when pushFlag is 1/],
    ['missing pushUrl', { pushUrl: undefined }, 'pushUrl', /required when pushFlag is 1/],
    ['relative pushUrl', { pushUrl: '/api/zhichi/events' }, 'pushUrl', /absolute http\(s\) URL/],
    ['ftp pushUrl', { pushUrl: 'ftp://x.example/y' }, 'pushUrl', /absolute http\(s\) URL/],
  ];
  for (const [name, over, path, rule] of cases) {
    it(name, async () => {
      const err = await createError(over);
      const issue = err.issues.find((i) => i.path === path);
      expect(issue, `issues: ${JSON.stringify(err.issues)}`).toBeDefined();
      expect(issue!.message).toMatch(rule);
      expect(err.message).toContain(path);
    });
  }

  it('accepts the seed example, windows touching, 24:00 and timeType 1 without times', async () => {
    const ok = [
      seedTask(),
      seedTask({ taskCronList: [{ begin: '00:00', end: '02:00' }, { begin: '09:00', end: '12:00' }, { begin: '12:00', end: '13:00' }, { begin: '22:00', end: '24:00' }] }),
      seedTask({ timeType: 1, startTime: undefined, endTime: undefined, pushFlag: 0, pushType: undefined, pushUrl: undefined }),
    ];
    const { createTaskParams } = await import('../src/contract/task.js');
    for (const t of ok) expect(createTaskParams.safeParse(t).success).toBe(true);
  });

  it('passes unknown fields through', async () => {
    const { createTaskParams } = await import('../src/contract/task.js');
    const out = createTaskParams.parse(seedTask({ futureField: { a: 1 } }));
    expect(out.futureField).toEqual({ a: 1 });
  });

  it('reports every broken field at once', async () => {
    const err = await createError({ taskName: '', robotNum: -1, aniList: [] });
    expect(err.issues.map((i) => i.path).sort()).toEqual(['aniList', 'robotNum', 'taskName']);
  });
});

describe('contacts rules', () => {
  it('names the contact, the field and the rule; nothing is sent', async () => {
    const err: ZhichiValidationError = await client.contacts
      .add('t1', [
        { outId: 'a', telephone: '13800138000' },
        { outId: 'b', telephone: '12345' },
        { outId: 'a', telephone: '13900139000' },
        { outId: '', telephone: '13900139000' },
      ])
      .then(
        () => {
          throw new Error('expected a validation error');
        },
        (e: unknown) => e as ZhichiValidationError,
      );
    expect(err).toBeInstanceOf(ZhichiValidationError);
    const paths = err.issues.map((i) => i.path);
    expect(paths).toContain('contactList[1].telephone');
    expect(paths).toContain('contactList[2].outId');
    expect(paths).toContain('contactList[3].outId');
    expect(err.issues.find((i) => i.path === 'contactList[2].outId')!.message).toMatch(/unique within a request/);
  });

  it('normalises phones', () => {
    expect(normalizePhone('+86 138-0013-8000')).toEqual({ ok: true, phone: '13800138000', kind: 'mobile' });
    expect(normalizePhone('8613800138000')).toMatchObject({ ok: true, phone: '13800138000' });
    expect(normalizePhone('008613800138000')).toMatchObject({ ok: true, phone: '13800138000' });
    expect(normalizePhone('010-52226451')).toEqual({ ok: true, phone: '01052226451', kind: 'landline' });
    expect(normalizePhone('0571 8888 7777')).toMatchObject({ ok: true, phone: '057188887777' });
    expect(normalizePhone('+86 10 5222 6451').ok).toBe(false); // landline without trunk 0 after +86 is not accepted
    expect(normalizePhone('1380013800').ok).toBe(false);
    expect(normalizePhone('12800138000').ok).toBe(false);
    expect(normalizePhone('abc').ok).toBe(false);
    expect(normalizePhone('').ok).toBe(false);
    expect(normalizePhone(null).ok).toBe(false);
  });
});

describe('client options', () => {
  it('fail at construction, naming the option', () => {
    expect(() => new ZhichiClient({ env: {} })).toThrow(/apiKey is required.*apiSecret is required.*companyId is required/);
    expect(() => new ZhichiClient({ apiKey: 'k', apiSecret: 's', companyId: 'c', baseUrl: 'gw.soboten.com', env: {} })).toThrow(/baseUrl must be an absolute http\(s\) URL/);
    expect(() => new ZhichiClient({ apiKey: 'k', apiSecret: 's', companyId: 'c', timeoutMs: 0, env: {} })).toThrow(/timeoutMs must be a positive/);
    expect(() => new ZhichiClient({ apiKey: 'k', apiSecret: 's', companyId: 'c', maxRetries: -1, env: {} })).toThrow(/maxRetries must be 0 or more/);
    expect(() => new ZhichiClient({ apiKey: 'k', apiSecret: 's', companyId: 'c', redisUrl: 'localhost:6379', env: {} })).toThrow(/redisUrl must be a redis:\/\//);
  });
  it('fall back to env variables', () => {
    const c = new ZhichiClient({ env: { ZHICHI_KEY: 'k', ZHICHI_SECRET: 's', ZHICHI_COMPANY_ID: 'envco', ZHICHI_BASE_URL: 'http://127.0.0.1:1/api/6.0.0' } });
    expect(c.companyId).toBe('envco');
    expect(c.baseUrl).toBe('http://127.0.0.1:1/api/6.0.0/');
  });
});
