// Replays the request shapes of the seed's PHP module (douyuxingchen/php-library-stateless,
// Call/Zhichi.php over Guzzle) and of the Python script against the emulator, byte for byte as
// they go on the wire: numbers as strings, "9:00" windows, companyId/taskId/outId repeated, no
// query on numbers/templates, outId unescaped in the path, Content-Type application/json (PHP) and
// application/json;charset=utf-8 (Python), and json_encode's \uXXXX and \/ escaping.
// Default mode accepts them (coerced as a Jackson backend would); strict mode refuses each one
// with the field named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { request as httpRequest } from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/index.js';
import { TASK_STATUS } from '../src/index.js';
import { control } from './helpers.js';

type Emu = Awaited<ReturnType<typeof startEmulator>>;
// 2026-11-25 02:00 UTC = 10:00 in Asia/Shanghai.
const START = Date.UTC(2026, 10, 25, 2, 0);
const CO = 'php-co';

let loose: Emu;
let strict: Emu;

beforeAll(async () => {
  const common = { apiKey: 'php-key', apiSecret: 'php-secret', companyId: CO, clock: { mode: 'manual' as const, start: START }, env: {} };
  loose = await startEmulator(common);
  strict = await startEmulator({ ...common, strict: true });
});
afterAll(async () => {
  await loose?.close();
  await strict?.close();
});

/** PHP's json_encode without flags: non-ASCII as \uXXXX (UTF-16 units), "/" as "\/". */
function phpJsonEncode(v: unknown): string {
  return JSON.stringify(v)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}

/** One raw request; `path` is relative to the API base (…/api/6.0.0/). */
async function send(emu: Emu, method: 'GET' | 'POST', path: string, opts: { token?: string; body?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.contentType) headers['content-type'] = opts.contentType;
  const res = await request(`${emu.url}${path}`, { method, headers, body: opts.body ?? null });
  const text = await res.body.text();
  return { status: res.statusCode, env: JSON.parse(text) as { code: number; message: string; content: any } };
}

/** A GET with the path exactly as given (node:http does not normalise dot segments). */
function rawGet(emu: Emu, path: string, token: string): Promise<{ status: number; env: { code: number; message: string } }> {
  const u = new URL(emu.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, env: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function tokenOf(emu: Emu): Promise<string> {
  const r = await send(emu, 'GET', 'tokens?apiKey=php-key&apiSecret=php-secret');
  expect(r.env.code).toBe(200);
  return r.env.content.accessToken as string;
}

/** The README's $params as PHP sends them from form input: every number a string, a 9:00 window. */
function phpTaskParams(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    companyId: CO,
    taskName: '测试任务添加情况2/夜间',
    templateId: '0c565ba214064f82a7071b25030f78a7',
    robotNum: '2',
    taskCronList: [{ begin: '9:00', end: '20:00' }],
    taskRetryList: [{ retryNum: '1', retryTime: '60', retryCondition: '3' }],
    aniList: ['01052226451', '16512999105'],
    timeType: '2',
    startTime: String(START + 300_000),
    endTime: String(START + 86_400_000),
    pushFlag: '1',
    pushType: '2',
    pushUrl: 'https://platform.douyuxingchen.com/api/zhichi/events',
    ...over,
  };
}

describe('the PHP module request shapes, default mode: accepted, coerced as Jackson would', () => {
  it('create task with string numbers, a 9:00 window, \\uXXXX escaping, Content-Type application/json', async () => {
    const token = await tokenOf(loose);
    const body = phpJsonEncode(phpTaskParams());
    expect(body).toContain('\\u6d4b'); // 测, escaped as PHP does
    expect(body).toContain('https:\\/\\/');
    const r = await send(loose, 'POST', `companies/${CO}/tasks`, { token, body, contentType: 'application/json' });
    expect(r.status).toBe(200);
    expect(r.env.code).toBe(200);
    const taskId = r.env.content.taskId as string;
    const info = await send(loose, 'GET', `companies/${CO}/tasks/${taskId}?companyId=${CO}&taskId=${taskId}`, { token });
    expect(info.env.content).toMatchObject({
      taskName: '测试任务添加情况2/夜间', robotNum: 2, timeType: 2, startTime: START + 300_000, pushFlag: 1, pushType: 2,
      taskCronList: [{ begin: '09:00', end: '20:00' }], taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 3 }],
    });
  });

  it('add contacts (taskId in the body, +86 phone with dashes, numeric outId), look them up with the outId unescaped in the path', async () => {
    const token = await tokenOf(loose);
    const taskId = (await send(loose, 'POST', `companies/${CO}/tasks`, { token, body: phpJsonEncode(phpTaskParams()), contentType: 'application/json' })).env.content.taskId as string;
    const contacts = { contactList: [{ outId: 1001, telephone: '+86 139-0013-9001', name: '张三' }, { outId: 'A/B', telephone: '13900139002' }], taskId };
    // The Python script's content type.
    const add = await send(loose, 'POST', `companies/${CO}/tasks/${taskId}/task-contacts`, { token, body: phpJsonEncode(contacts), contentType: 'application/json;charset=utf-8' });
    expect(add.env).toMatchObject({ code: 200, content: { successCount: 2 } });
    const q = (outId: string) => `?companyId=${CO}&taskId=${taskId}&outId=${encodeURIComponent(outId)}`;
    const one = await send(loose, 'GET', `companies/${CO}/tasks/${taskId}/reference-task-contacts/1001${q('1001')}`, { token });
    expect(one.env).toMatchObject({ code: 200, content: { outId: '1001', telephone: '13900139001', variables: { name: '张三' } } });
    // PHP puts "A/B" into the path as it is: two segments, no such endpoint.
    const slash = await send(loose, 'GET', `companies/${CO}/tasks/${taskId}/reference-task-contacts/A/B${q('A/B')}`, { token });
    expect(slash.status).toBe(404);
    // Escaped, a Java gateway refuses the encoded slash: so does the emulator.
    const encoded = await send(loose, 'GET', `companies/${CO}/tasks/${taskId}/reference-task-contacts/A%2FB${q('A/B')}`, { token });
    expect(encoded.status).toBe(400);
    expect(encoded.env.message).toContain('an encoded "/" or "\\" (%2F, %5C) in a path segment is refused');
    expect((await send(loose, 'GET', `companies/${CO}/tasks/${taskId}/reference-task-contacts/A%5cB`, { token })).status).toBe(400);
  });

  it('GET numbers and templates without a query string (as PHP) and with ?companyId=', async () => {
    const token = await tokenOf(loose);
    for (const what of ['numbers', 'templates']) {
      const bare = await send(loose, 'GET', `companies/${CO}/${what}`, { token });
      const withQ = await send(loose, 'GET', `companies/${CO}/${what}?companyId=${CO}`, { token });
      expect(bare.env.code).toBe(200);
      expect(withQ.env).toEqual(bare.env);
    }
  });

  it('a POST whose Content-Type is not JSON is still read as JSON (lenient)', async () => {
    const token = await tokenOf(loose);
    const r = await send(loose, 'POST', `companies/${CO}/tasks`, { token, body: phpJsonEncode(phpTaskParams()), contentType: 'text/plain' });
    expect(r.env.code).toBe(200);
  });

  it('dialing results and search with pageNum (Sobot sibling APIs) or pageNo, numbers as strings', async () => {
    const token = await tokenOf(loose);
    const taskId = (await send(loose, 'POST', `companies/${CO}/tasks`, { token, body: phpJsonEncode(phpTaskParams()), contentType: 'application/json' })).env.content.taskId as string;
    for (const page of [{ pageNum: '1' }, { pageNo: '1' }, { pageNum: 1 }]) {
      const r = await send(loose, 'POST', `companies/${CO}/tasks/${taskId}/dialing-results`, { token, body: JSON.stringify({ ...page, pageSize: '10' }), contentType: 'application/json' });
      expect(r.env).toMatchObject({ code: 200, content: { total: 0, pageNum: 1, pageSize: 10 } });
    }
    const s1 = await send(loose, 'GET', `companies/${CO}/searchtasks?companyId=${CO}&pageNum=2&pageSize=1`, { token });
    const s2 = await send(loose, 'GET', `companies/${CO}/searchtasks?companyId=${CO}&pageNo=2&pageSize=1`, { token });
    expect(s1.env.content.pageNum).toBe(2);
    expect(s1.env.content.list).toEqual(s2.env.content.list);
    const clash = await send(loose, 'GET', `companies/${CO}/searchtasks?pageNum=1&pageNo=2`, { token });
    expect(clash.env.code).toBe(400);
    expect(clash.env.message).toMatch(/pageNo is an alias of pageNum/);
  });

  it('business errors are HTTP 200 with a non-200 code; a bad token is HTTP 401 (what makes the PHP module throw)', async () => {
    const token = await tokenOf(loose);
    const r = await send(loose, 'POST', `companies/${CO}/tasks`, { token, body: phpJsonEncode(phpTaskParams({ robotNum: '999' })), contentType: 'application/json' });
    expect([r.status, r.env.code]).toEqual([200, 10002]);
    const missing = await send(loose, 'GET', `companies/${CO}/tasks/${'0'.repeat(32)}`, { token });
    expect([missing.status, missing.env.code]).toEqual([200, 404]);
    const unauth = await send(loose, 'GET', `companies/${CO}/robots/count`, { token: 'not-a-token' });
    expect([unauth.status, unauth.env.code]).toEqual([401, 401]);
  });

  it('dot segments in a path are refused (400), encoded or not', async () => {
    const token = await tokenOf(loose);
    // Raw, as a client that does not normalise the path sends it (fetch/undici would resolve it first).
    for (const seg of ['..', '.', '%2e%2e', '%2E']) {
      const r = await rawGet(loose, `/api/6.0.0/companies/${CO}/tasks/${seg}`, token);
      expect(r.status, seg).toBe(400);
      expect(r.env.message).toMatch(/dot segment/);
    }
  });

  it('a cross-midnight window 22:00–02:00 calls at night and not in the day (assumed: night-shift campaigns)', async () => {
    const token = await tokenOf(loose);
    const body = phpJsonEncode(phpTaskParams({ taskCronList: [{ begin: '22:00', end: '02:00' }], pushFlag: '0', startTime: String(START) }));
    const r = await send(loose, 'POST', `companies/${CO}/tasks`, { token, body, contentType: 'application/json' });
    expect(r.env.code).toBe(200);
    const taskId = r.env.content.taskId as string;
    // More contacts than two robots can call in one night, so the task is still running at 01:30.
    for (let b = 0; b < 3; b++) {
      const contactList = Array.from({ length: 1000 }, (_, i) => ({ outId: `n${b}-${i}`, telephone: `1390${b}${String(i).padStart(6, '0')}` }));
      const add = await send(loose, 'POST', `companies/${CO}/tasks/${taskId}/task-contacts`, { token, contentType: 'application/json', body: JSON.stringify({ contactList }) });
      expect(add.env.code).toBe(200);
    }
    const status = async () => (await send(loose, 'GET', `companies/${CO}/tasks/${taskId}`, { token })).env.content.status as number;
    const now = (await control<{ now: number }>(loose.url, 'GET', '/__emulator/clock')).now;
    const at = async (hourCst: number, dayOffset: number) => {
      // The emulator's START day, at hourCst Asia/Shanghai (UTC+8).
      const target = Date.UTC(2026, 10, 25 + dayOffset, hourCst - 8, 30);
      await control(loose.url, 'POST', '/__emulator/clock/advance', { to: Math.max(target, now) });
    };
    expect(await status()).toBe(TASK_STATUS.WAITING); // 10:00: outside the window
    await at(23, 0);
    expect(await status()).toBe(TASK_STATUS.RUNNING);
    await at(25, 0); // 01:30 the next day
    expect(await status()).toBe(TASK_STATUS.RUNNING);
    await at(27, 0); // 03:30
    expect(await status()).toBe(TASK_STATUS.WAITING);
    const calls = await send(loose, 'POST', `companies/${CO}/tasks/${taskId}/dialing-results`, { token, contentType: 'application/json', body: JSON.stringify({ pageSize: 1000 }) });
    const hours = (calls.env.content.list as Array<{ startTime: number }>).map((c) => new Date(c.startTime + 8 * 3_600_000).getUTCHours());
    expect(hours.length).toBeGreaterThan(0);
    for (const h of hours) expect(h >= 22 || h < 2, `call at ${h}h`).toBe(true);
  });
});

describe('the same shapes in strict mode: refused, every field named', () => {
  it('create task: string numbers and the 9:00 window each named with the rule', async () => {
    const token = await tokenOf(strict);
    const r = await send(strict, 'POST', `companies/${CO}/tasks`, { token, body: phpJsonEncode(phpTaskParams()), contentType: 'application/json' });
    expect([r.status, r.env.code]).toEqual([200, 400]);
    for (const field of ['robotNum', 'timeType', 'startTime', 'endTime', 'pushFlag', 'pushType', 'taskRetryList[0].retryNum', 'taskRetryList[0].retryTime', 'taskRetryList[0].retryCondition']) {
      expect(r.env.message).toContain(`${field} must be a JSON number, not the string`);
    }
    expect(r.env.message).toContain('taskCronList[0].begin must be HH:mm with a two-digit hour ("09:00"), not "9:00" (strict mode)');
    expect(r.env.content.issues.map((i: { path: string }) => i.path)).toContain('robotNum');
  });

  it('the same task with proper types is accepted: PHP escaping and both content types are fine', async () => {
    const token = await tokenOf(strict);
    const proper = { ...phpTaskParams(), robotNum: 2, taskCronList: [{ begin: '09:00', end: '20:00' }], taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 3 }], timeType: 2, startTime: START + 300_000, endTime: START + 86_400_000, pushFlag: 1, pushType: 2 };
    for (const contentType of ['application/json', 'application/json;charset=utf-8', 'Application/JSON; charset=UTF-8']) {
      const r = await send(strict, 'POST', `companies/${CO}/tasks`, { token, body: phpJsonEncode(proper), contentType });
      expect(r.env.code, contentType).toBe(200);
    }
    const plain = await send(strict, 'POST', `companies/${CO}/tasks`, { token, body: phpJsonEncode(proper), contentType: 'text/plain' });
    expect(plain.status).toBe(415);
    expect(plain.env.message).toMatch(/Content-Type must be application\/json/);
    const none = await send(strict, 'POST', `companies/${CO}/tasks`, { token, body: phpJsonEncode(proper) });
    expect(none.status).toBe(415);
  });

  it('contacts: an unnormalised phone, a numeric outId and an unsafe outId each named', async () => {
    const token = await tokenOf(strict);
    const proper = { ...phpTaskParams(), robotNum: 2, taskCronList: [{ begin: '09:00', end: '20:00' }], taskRetryList: [], timeType: 2, startTime: START + 300_000, endTime: START + 86_400_000, pushFlag: 0, pushType: 2 };
    const taskId = (await send(strict, 'POST', `companies/${CO}/tasks`, { token, body: JSON.stringify(proper), contentType: 'application/json' })).env.content.taskId as string;
    expect(taskId).toBeTruthy();
    const contacts = { contactList: [{ outId: 1001, telephone: '+86 139-0013-9001' }, { outId: 'A/B', telephone: '13900139002' }], taskId };
    const r = await send(strict, 'POST', `companies/${CO}/tasks/${taskId}/task-contacts`, { token, body: phpJsonEncode(contacts), contentType: 'application/json' });
    expect(r.env.code).toBe(400);
    expect(r.env.message).toContain('contactList[0].outId must be a JSON string, not the number 1001 (strict mode)');
    expect(r.env.message).toContain('contactList[0].telephone must be the normalised number "13900139001"');
    expect(r.env.message).toContain('contactList[1].outId must be 1–64 characters of A–Z a–z 0–9 - . _ ~');
    const ok = await send(strict, 'POST', `companies/${CO}/tasks/${taskId}/task-contacts`, {
      token, contentType: 'application/json', body: JSON.stringify({ contactList: [{ outId: '1001', telephone: '13900139001' }], taskId }),
    });
    expect(ok.env).toMatchObject({ code: 200, content: { successCount: 1 } });
  });

  it('dialing results: a page number as a string is named', async () => {
    const token = await tokenOf(strict);
    const list = await send(strict, 'GET', `companies/${CO}/searchtasks`, { token });
    const taskId = list.env.content.list[0].taskId as string;
    const r = await send(strict, 'POST', `companies/${CO}/tasks/${taskId}/dialing-results`, { token, body: JSON.stringify({ pageNum: '1' }), contentType: 'application/json' });
    expect(r.env.code).toBe(400);
    expect(r.env.message).toContain('pageNum must be a JSON number, not the string "1" (strict mode)');
  });

  it('numbers and templates without a query string are accepted in strict mode too', async () => {
    const token = await tokenOf(strict);
    expect((await send(strict, 'GET', `companies/${CO}/numbers`, { token })).env.code).toBe(200);
    expect((await send(strict, 'GET', `companies/${CO}/templates`, { token })).env.code).toBe(200);
  });
});

describe('zhichi emulator --strict (the real bin, a child process)', () => {
  it('starts strict: the PHP shape is refused naming the field', async () => {
    const bin = fileURLToPath(new URL('../bin/zhichi.mjs', import.meta.url));
    const child = spawn(process.execPath, [bin, 'emulator', '--strict', '--manual', '--port', '0', '--key', 'php-key', '--secret', 'php-secret', '--company-id', CO], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (c: string) => {
          out += c;
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.on('exit', (code) => reject(new Error(`emulator exited ${code}`)));
      });
      const emu = { url } as Emu;
      const token = await tokenOf(emu);
      const refused = await send(emu, 'POST', `companies/${CO}/tasks`, { token, body: phpJsonEncode(phpTaskParams()), contentType: 'application/json' });
      expect(refused.env.code).toBe(400);
      expect(refused.env.message).toContain('robotNum must be a JSON number, not the string "2" (strict mode)');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
