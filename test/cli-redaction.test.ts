// Every CLI output path goes through one redaction (issue 13, finding 3): secrets planted in a task's
// pushUrl, the apiSecret and the access token never appear in any command's --json or text output;
// only `zhichi token --show` prints the token, on purpose.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { ZhichiClient, MemoryTokenStore } from '../src/index.js';
import { createPushReceiver } from '../src/push/receiver.js';
import { envFor, quietTask, startTestEmulator, tempDir, zhichi } from './cli-helpers.js';
import { callPush } from './fixtures/push-http.js';

const PUSH_SECRET = 'PLANTED-push-secret-9f8e7d6c';
const PUSH_URL = `https://hooks.example.com/api/zhichi/events?secret=${PUSH_SECRET}`;

let emu: EmulatorHandle;
let env: Record<string, string>;
let tmp: ReturnType<typeof tempDir>;
let taskId: string;
let token: string;
let db: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  tmp = tempDir('zhichi-redact-');
  env = envFor(emu, { ZHICHI_TOKEN_CACHE: 'off' });
  const client = new ZhichiClient({ apiKey: env['ZHICHI_KEY']!, apiSecret: env['ZHICHI_SECRET']!, companyId: emu.companyId, baseUrl: emu.url, tokenStore: new MemoryTokenStore(), env: {} });
  taskId = (await client.tasks.create({ ...quietTask('redaction'), pushFlag: 1, pushType: 1, pushUrl: PUSH_URL } as never)).taskId;
  // A stored push whose body carries the planted secret in a URL and a secret-named field.
  db = join(tmp.dir, 'events.db');
  const receiver = await createPushReceiver({ secret: 'receiver-secret-0123456789', store: db });
  const r = await receiver.handle({
    method: 'POST', url: '/?secret=receiver-secret-0123456789', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(callPush(taskId, 'o1', 1, { pushUrl: PUSH_URL, token: PUSH_SECRET })),
  });
  expect(r.status).toBe(200);
  await receiver.close();
});

afterAll(async () => {
  await emu.close();
  tmp.cleanup();
});

describe('one redaction for every output (finding 3)', () => {
  it('zhichi token --show prints the token on purpose (and it is learnt here to be looked for elsewhere)', async () => {
    const r = await zhichi(['token', '--show', '--json'], { env });
    expect(r.code).toBe(0);
    token = (JSON.parse(r.out) as { accessToken: string }).accessToken;
    expect(token.length).toBeGreaterThan(8);
    expect((await zhichi(['token', '--show'], { env })).out).toContain(token);
  });

  it('no command prints a planted secret in --json or text output', async () => {
    expect((await zhichi(['contacts', 'add', '--task', taskId, '--out-id', 'c1', '--phone', '13800138000', '--var', `link=${PUSH_URL}`], { env })).code).toBe(0);
    const commands: string[][] = [
      ['tasks', 'get', '--task', taskId],
      ['contacts', 'get', '--task', taskId, '--out-id', 'c1'],
      ['contacts', 'add', '--task', taskId, '--out-id', 'c2', '--phone', '13800138001', '--var', `link=${PUSH_URL}`],
      ['relay', '--status', '--db', db],
      ['tasks', 'list'],
      ['token'],
      ['templates'],
      ['robots'],
      ['numbers'],
      ['results', 'list', '--db', db],
    ];
    const secrets = [PUSH_SECRET, env['ZHICHI_SECRET']!, token];
    let checked = 0;
    for (const argv of commands) {
      for (const json of [true, false]) {
        const r = await zhichi(json ? [...argv, '--json'] : argv, { env, cwd: tmp.dir });
        const what = `zhichi ${argv.join(' ')}${json ? ' --json' : ''}`;
        expect(r.code, `${what}: ${r.err}`).toBe(0);
        if (json) expect(() => JSON.parse(r.out), `${what} is still JSON`).not.toThrow();
        for (const s of secrets) {
          expect(r.out, what).not.toContain(s);
          expect(r.err, what).not.toContain(s);
        }
        checked++;
      }
    }
    expect(checked).toBe(commands.length * 2);
    // The redacted pushUrl is still there, only its secret is gone.
    const got = JSON.parse((await zhichi(['tasks', 'get', '--task', taskId, '--json'], { env })).out) as { pushUrl: string };
    expect(got.pushUrl).toBe('https://hooks.example.com/api/zhichi/events?secret=[REDACTED]');
  });

  it('status lines printed directly (not through a table or JSON printer) are redacted too: doctor with a token in the base URL', async () => {
    const planted = 'PLANTED-base-url-token-4a5b6c';
    const r = await zhichi(['doctor'], { env: { ...env, ZHICHI_BASE_URL: `${emu.url}nope/?token=${planted}` }, cwd: tmp.dir });
    expect(r.out).toContain('HTTP 404 on GET tokens');
    expect(r.out).toContain('?token=[REDACTED]');
    expect(r.out + r.err).not.toContain(planted);
  });

  it('a <placeholder> in help text is not a value: webhooks serve still prints ?secret=<your push secret>', async () => {
    const ac = new AbortController();
    let out = '';
    const done = zhichi(['webhooks', 'serve', '--port', '0', '--db', join(tmp.dir, 'ph.db'), '--push-secret', 'receiver-secret-0123456789'], {
      env: {}, cwd: tmp.dir, signal: ac.signal, stdout: (s) => void (out += s), stderr: () => undefined,
    });
    while (!out.includes('pushUrl for tasks')) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await done;
    expect(out).toContain('?secret=<your push secret>');
    expect(out).not.toContain('receiver-secret-0123456789');
  });
});
