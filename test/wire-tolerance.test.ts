// Responses from a server that knows more than we do: unknown enum codes (Sobot V6 call results
// use 4, 5, 6, 7, 8, 21, 22), extra fields, missing optional fields. They pass through without an
// error or a warning, named UNKNOWN_<code>; the user's `enums` option changes the names.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnumNames, HANGUP_BY, ZhichiClient, ZhichiFactory, ZhichiValidationError, type ClientOptions } from '../src/index.js';
import { collectingLogger } from './helpers.js';

const CO = 'tol-co';
const TASK = 'a'.repeat(32);

/** A call record as a newer server might send it: unknown codes, extra fields, optionals missing. */
const record = (over: Record<string, unknown> = {}) => ({
  taskId: TASK, outId: 'o-1', telephone: '13900139001', callId: 'c-1', attempt: 1,
  callResult: 21, hangupBy: 7, startTime: 1_764_000_000_000, endTime: 1_764_000_060_000,
  hangupDisposition: 2, aiTags: ['x'], nested: { deep: true },
  ...over,
});

const ROUTES: Record<string, unknown> = {
  [`/api/6.0.0/companies/${CO}/tasks/${TASK}/dialing-results`]: {
    code: 200, message: '成功', requestId: 'req-77', serverTime: 1,
    content: { total: 3, pageNum: 1, pageSize: 20, extra: 'kept', list: [record(), record({ callId: 'c-2', callResult: 22, callResultName: 'SERVER_NAME' }), record({ callId: 'c-3', callResult: 0, hangupBy: null })] },
  },
  [`/api/6.0.0/companies/${CO}/tasks/${TASK}`]: {
    code: 200, message: '成功',
    content: { taskId: TASK, status: 9, taskCronList: [{ begin: '9:00', end: '20:00' }], taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 99 }], timeType: 5, pushType: 7, brandNew: { a: 1 } },
  },
  [`/api/6.0.0/companies/${CO}/tasks/${TASK}/reference-task-contacts/o-1`]: {
    code: 200, message: '成功',
    content: { outId: 'o-1', status: 8, calls: [record({ callResult: 4 })], lastCallResult: 21, unknownCounter: 3 },
  },
  [`/api/6.0.0/companies/${CO}/numbers`]: { code: 200, message: '成功', content: [{ number: '01052226451', lineKind: 'sip' }] },
  [`/api/6.0.0/companies/${CO}/templates`]: { code: 200, message: '成功', content: [{ templateId: 't1' }] },
  [`/api/6.0.0/companies/${CO}/searchtasks`]: {
    code: 200, message: '成功',
    content: { total: 1, pageNum: 1, list: [{ taskId: TASK, status: 6 }] },
  },
};

let server: Server;
let base = '';
/** Every request the server got: method, url (with query) and body text. */
const seen: Array<{ method: string; url: string; body: string }> = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: text });
      const path = (req.url ?? '/').split('?')[0]!;
      const body = ROUTES[path];
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { code: 404, message: 'no route', content: null }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/6.0.0/`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const client = (over: Partial<ClientOptions> = {}) => {
  const logger = collectingLogger();
  return { logger, c: new ZhichiClient({ baseUrl: base, companyId: CO, token: 'fixed-token', env: {}, logger, maxRetries: 0, ...over }) };
};

describe('response tolerance', () => {
  it('dialing results: unknown call-result and hang-up codes, extra fields, missing optionals pass through, no warning', async () => {
    const { c, logger } = client();
    const page = await c.results.list(TASK);
    expect(page).toMatchObject({ total: 3, pageNum: 1, extra: 'kept' });
    const [a, b, z] = page.list;
    expect(a).toMatchObject({ callResult: 21, callResultName: 'UNKNOWN_21', hangupBy: 7, hangupDisposition: 2, aiTags: ['x'], nested: { deep: true } });
    expect(a!.answerTime).toBeUndefined();
    // The server's own name is kept.
    expect(b).toMatchObject({ callResult: 22, callResultName: 'SERVER_NAME' });
    expect(z).toMatchObject({ callResult: 0, callResultName: 'ANSWERED', hangupBy: null });
    expect(c.enums.name('hangupBy', 7)).toBe('UNKNOWN_7');
    expect(logger.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
  });

  it('task detail and search: unknown status, retry condition, timeType, pushType and a 9:00 window are no error', async () => {
    const { c, logger } = client();
    const t = await c.tasks.get(TASK);
    expect(t).toMatchObject({ status: 9, statusName: 'UNKNOWN_9', timeType: 5, pushType: 7, brandNew: { a: 1 } });
    expect(t.taskRetryList).toEqual([{ retryNum: 1, retryTime: 60, retryCondition: 99 }]);
    expect(t.taskCronList).toEqual([{ begin: '9:00', end: '20:00' }]);
    const s = await c.tasks.search();
    expect(s.list[0]).toMatchObject({ status: 6, statusName: 'UNKNOWN_6' });
    expect(logger.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
  });

  it('contact detail: unknown contact status and call results in its calls', async () => {
    const { c, logger } = client();
    const d = await c.contacts.get(TASK, 'o-1');
    expect(d).toMatchObject({ status: 8, statusName: 'UNKNOWN_8', lastCallResult: 21, unknownCounter: 3 });
    expect(d.calls?.[0]).toMatchObject({ callResult: 4, callResultName: 'OUT_OF_SERVICE' });
    expect(logger.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
  });

  it('the enums option renames and extends every table; client.enums answers the same', async () => {
    const { c } = client({
      enums: {
        callResult: { 21: 'BUSY_X', 4: 'SHUTDOWN' },
        hangupBy: { 1: 'OTHER', 2: 'AGENT', 3: 'CUSTOMER', 7: 'CARRIER' },
        taskStatus: { 9: 'PAUSED' },
        contactStatus: { 8: 'BLACKLISTED' },
      },
    });
    const page = await c.results.list(TASK);
    expect(page.list.map((r) => r.callResultName)).toEqual(['BUSY_X', 'SERVER_NAME', 'ANSWERED']);
    expect((await c.tasks.get(TASK)).statusName).toBe('PAUSED');
    const d = await c.contacts.get(TASK, 'o-1');
    expect(d.statusName).toBe('BLACKLISTED');
    expect(d.calls?.[0]?.callResultName).toBe('SHUTDOWN');
    expect(c.enums.name('hangupBy', 7)).toBe('CARRIER');
    expect(c.enums.name('hangupBy', 2)).toBe('AGENT');
    expect(c.enums.code('callResult', 'BUSY_X')).toBe(21);
    expect(c.enums.name('callResult', 8)).toBe('UNKNOWN_8');
  });

  it('our assumed hang-up table follows V6 hangupDisposition: 1 other, 2 agent (the robot), 3 customer', () => {
    expect(HANGUP_BY).toEqual({ OTHER: 1, ROBOT: 2, CUSTOMER: 3 });
    const n = new EnumNames();
    expect([1, 2, 3].map((c) => n.name('hangupBy', c))).toEqual(['OTHER', 'ROBOT', 'CUSTOMER']);
  });

  it('a bad enums option is refused at construction, naming the entry', () => {
    expect(() => client({ enums: { callResult: { x: 'Y' } as never } })).toThrow(ZhichiValidationError);
    expect(() => client({ enums: { callResult: { x: 'Y' } as never } })).toThrow(/enums\.callResult: key "x" must be an integer code/);
    expect(() => client({ enums: { nope: {} } as never })).toThrow(/enums\.nope is not an enum/);
    expect(() => client({ enums: { hangupBy: { 1: '' } } })).toThrow(/enums\.hangupBy\.1 must be a non-empty name/);
  });

  it('seed style: getData() is the envelope as the server sent it (no derived names), getRequestId() its requestId', async () => {
    const api = new ZhichiFactory({ baseUrl: base, companyId: CO, env: {} }).setToken('fixed-token').create();
    const res = await api.getDialingResults(TASK);
    expect(res.isStatus()).toBe(true);
    expect(res.getData()).toEqual(ROUTES[`/api/6.0.0/companies/${CO}/tasks/${TASK}/dialing-results`]);
    expect(res.getRequestId()).toBe('req-77');
  });

  it('the typed client sends what the PHP module sends: no query on numbers/templates, pageNum for paging (pageNo an alias)', async () => {
    const { c } = client();
    const from = seen.length;
    expect((await c.numbers.list())[0]).toMatchObject({ number: '01052226451', lineKind: 'sip' });
    await c.templates.list();
    await c.results.list(TASK, { pageNo: 2, pageSize: 5 });
    await c.tasks.search({ pageNo: 3 });
    const got = seen.slice(from);
    expect(got.map((r) => r.url)).toEqual([
      `/api/6.0.0/companies/${CO}/numbers`,
      `/api/6.0.0/companies/${CO}/templates`,
      `/api/6.0.0/companies/${CO}/tasks/${TASK}/dialing-results`,
      `/api/6.0.0/companies/${CO}/searchtasks?companyId=${CO}&pageNum=3`,
    ]);
    expect(JSON.parse(got[2]!.body)).toEqual({ pageNum: 2, pageSize: 5, taskId: TASK });
    await expect(c.results.list(TASK, { pageNo: 2, pageNum: 3 })).rejects.toThrow(/pageNo is an alias of pageNum/);
  });
});
