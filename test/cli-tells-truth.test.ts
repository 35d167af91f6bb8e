// Issue 12 (points 8–11, 15): a CLI that tells the truth. Run through the real binary
// (bin/zhichi.mjs on dist/, built before the suite by test/global-setup.ts) against the emulator on an ephemeral port.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { startBin, zhichiBin } from './bin-helpers.js';
import { envFor, quietTask, startTestEmulator, tempDir, zhichi } from './cli-helpers.js';
import { SECRET, callPush, post } from './fixtures/push-http.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulator(over: Parameters<typeof startTestEmulator>[0] = {}): Promise<EmulatorHandle> {
  const emu = await startTestEmulator(over);
  cleanups.push(() => emu.close());
  return emu;
}

function dir(): string {
  const t = tempDir('zhichi-truth-');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('base URL without its API path (point 9)', () => {
  it('a 404 on GET tokens says what a base URL looks like', async () => {
    const emu = await emulator();
    const cwd = dir();
    const r = await zhichiBin(['robots'], { cwd, env: envFor(emu, { ZHICHI_BASE_URL: emu.url.replace('/api/6.0.0/', '/'), ZHICHI_TOKEN_CACHE: 'off' }) });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/HTTP 404/);
    expect(r.err).toContain('must include the API path, like https://gw.soboten.com/api/6.0.0/');
    expect(r.err).not.toContain('cli-secret-value-0123');
  });
});

describe('exit codes as documented (point 10)', () => {
  it('a rate-limited token --refresh exits 6 (rate limited) and does not blame the credentials', async () => {
    const emu = await emulator({ tokenMintsPerMinute: 1 });
    const cwd = dir();
    const env = envFor(emu, { ZHICHI_TOKEN_CACHE: join(cwd, 'tokens.json') });
    expect((await zhichiBin(['token', '--refresh'], { cwd, env })).code).toBe(0);
    const r = await zhichiBin(['token', '--refresh'], { cwd, env });
    expect(r.code).toBe(6);
    expect(r.err).toMatch(/rate-limits token requests/);
    expect(r.err).not.toMatch(/refused this apiKey|check ZHICHI_KEY/);
  });

  it('--env-file nope.env is ours: one clear line and exit 2 (not node exiting 9)', async () => {
    const cwd = dir();
    const r = await zhichiBin(['--env-file', 'nope.env', 'robots'], { cwd });
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: --env-file nope.env: no such file (looked for ${join(cwd, 'nope.env')})\n`);
    const r2 = await zhichiBin(['robots', '--env-file=nope.env'], { cwd });
    expect(r2.code).toBe(2);
  });

  it('--env-file that exists is read (settings from it reach the command)', async () => {
    const emu = await emulator();
    const cwd = dir();
    const env = envFor(emu);
    writeFileSync(join(cwd, 'my.env'), Object.entries({ ...env, ZHICHI_TOKEN_CACHE: 'off' }).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const r = await zhichiBin(['--env-file', 'my.env', 'robots'], { cwd });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('webhooks serve tells what it refuses (point 8)', () => {
  it('logs one line per refused push (status, reason, address, path without the secret)', async () => {
    const cwd = dir();
    const child = startBin(['webhooks', 'serve', '--port', '0', '--db', 'events.db', '--max-body', '2000'], { cwd, env: { ZHICHI_PUSH_SECRET: SECRET } });
    cleanups.push(() => void child.stop());
    const [, url] = await child.waitFor(/listening on (\S+)\n/);
    const wrong = 'wrong-secret-abcdefghijkl';
    expect((await post(`${url}?secret=${wrong}`, callPush('T1', 'A1'))).status).toBe(401);
    expect((await post(`${url}?secret=${SECRET}`, { ...callPush('T1', 'A2'), pad: 'x'.repeat(3000) })).status).toBe(413);
    expect((await post(`${url}?secret=${SECRET}`, callPush('T1', 'A3'))).status).toBe(200);
    await child.waitFor(/refused 413/);
    expect(child.err()).toContain('refused 401 POST /api/zhichi/events?secret=[REDACTED] from 127.0.0.1: missing or wrong secret\n');
    expect(child.err()).toMatch(/refused 413 POST \/api\/zhichi\/events\?secret=\[REDACTED\] from 127\.0\.0\.1: .*2000/);
    expect(child.err().match(/^refused /gm)).toHaveLength(2);
    expect(await child.stop()).toBe(0);
    expect(child.out() + child.err()).not.toContain(SECRET);
    expect(child.out() + child.err()).not.toContain(wrong);
  });

  it('prints a summary per interval (accepted, duplicates, refused), --summary-every sets it, quiet intervals print nothing', async () => {
    const cwd = dir();
    const ac = new AbortController();
    const ticks: Array<{ ms: number; fn: () => void }> = [];
    const io = { cwd, env: { ZHICHI_PUSH_SECRET: SECRET }, signal: ac.signal, every: (ms: number, fn: () => void) => (ticks.push({ ms, fn }), () => undefined) };
    let out = '';
    let err = '';
    const done = zhichi(['webhooks', 'serve', '--port', '0', '--db', 'events.db', '--summary-every', '5'], {
      ...io, stdout: (s) => void (out += s), stderr: (s) => void (err += s),
    });
    while (!/listening on (\S+)\n/.test(out) || ticks.length === 0) await new Promise((r) => setTimeout(r, 5));
    const url = /listening on (\S+)\n/.exec(out)![1]!;
    expect(ticks.map((t) => t.ms)).toEqual([5000]);
    await post(`${url}?secret=${SECRET}`, callPush('T1', 'A1'));
    await post(`${url}?secret=${SECRET}`, callPush('T1', 'A1'));
    await post(`${url}?secret=${SECRET}`, callPush('T1', 'A2'));
    await post(`${url}?secret=nope-nope-nope-nope-nope`, callPush('T1', 'A3'));
    ticks[0]!.fn();
    expect(err).toContain('summary (last 5s): 2 accepted, 1 duplicates, 1 refused (401×1); total 2 stored\n');
    const before = err;
    ticks[0]!.fn();
    expect(err).toBe(before);
    ac.abort();
    await done;
  });

  it('--json: the start and stop are JSON lines on stdout, refused pushes JSON lines on stderr', async () => {
    const cwd = dir();
    const child = startBin(['webhooks', 'serve', '--json', '--port', '0', '--db', 'events.db', '--no-agents-path'], { cwd, env: { ZHICHI_PUSH_SECRET: SECRET } });
    cleanups.push(() => void child.stop());
    await child.waitFor(/"listening":"[^"]+"[^\n]*\n/);
    const start = JSON.parse(child.out().split('\n')[0]!) as { listening: string; pushUrl: string; storeKind: string; agentsCallbackUrl: null };
    expect(start).toMatchObject({ pushUrl: `${start.listening}?secret=<your push secret>`, storeKind: 'sqlite', agentsCallbackUrl: null });
    expect((await post(`${start.listening}?secret=wrong-wrong-wrong-wrong`, callPush('T1', 'A1'))).status).toBe(401);
    expect((await post(`${start.listening}?secret=${SECRET}`, callPush('T1', 'A2'))).status).toBe(200);
    await child.waitFor(/"refused"/);
    expect(JSON.parse(child.err().trim())).toEqual({ refused: { status: 401, reason: 'missing or wrong secret', method: 'POST', path: '/api/zhichi/events?secret=[REDACTED]', remoteAddress: '127.0.0.1' } });
    expect(await child.stop()).toBe(0);
    const lines = child.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({ stopped: { stored: 1, duplicates: 0, conflicts: 0, unknown: 0, rejected: { 401: 1 } } });
  });

  it('tasks create --push-url without ?secret= warns on stderr', async () => {
    const emu = await emulator();
    const cwd = dir();
    writeFileSync(join(cwd, 'task.json'), JSON.stringify(quietTask()));
    const env = envFor(emu, { ZHICHI_TOKEN_CACHE: 'off' });
    const bare = await zhichiBin(['tasks', 'create', '--file', 'task.json', '--name', 'no secret', '--push-url', 'https://example.com/api/zhichi/events'], { cwd, env });
    expect(bare.code).toBe(0);
    expect(bare.err).toMatch(/^warning: the push URL has no \?secret=/);
    const ok = await zhichiBin(['tasks', 'create', '--file', 'task.json', '--name', 'with secret', '--push-url', `https://example.com/api/zhichi/events?secret=${SECRET}`], { cwd, env });
    expect(ok.code).toBe(0);
    expect(ok.err).toBe('');
  });
});

describe('a CLI that fits habits (point 11)', () => {
  it('--api-secret is the apiSecret; the old --secret still works with a deprecation notice', async () => {
    const emu = await emulator();
    const cwd = dir();
    const { ZHICHI_SECRET: apiSecret, ...env } = envFor(emu, { ZHICHI_TOKEN_CACHE: 'off' });
    const good = await zhichiBin(['robots', '--api-secret', apiSecret!], { cwd, env });
    expect(good).toMatchObject({ code: 0, err: '' });
    const old = await zhichiBin(['robots', '--secret', apiSecret!], { cwd, env });
    expect(old.code).toBe(0);
    expect(old.err).toBe('warning: --secret is deprecated: use --api-secret for the apiSecret (webhooks serve: --push-secret for the push secret)\n');
    const missing = await zhichiBin(['robots'], { cwd, env });
    expect(missing.err).toContain('ZHICHI_SECRET (or --api-secret)');
  });

  it('webhooks serve takes --push-secret; --secret there is the deprecated alias', async () => {
    const cwd = dir();
    const child = startBin(['webhooks', 'serve', '--port', '0', '--db', 'e.db', '--push-secret', SECRET], { cwd });
    cleanups.push(() => void child.stop());
    const [, url] = await child.waitFor(/listening on (\S+)\n/);
    expect((await post(`${url}?secret=${SECRET}`, callPush('T1', 'A1'))).status).toBe(200);
    expect(await child.stop()).toBe(0);
    expect(child.err()).not.toContain('deprecated');
    const old = startBin(['webhooks', 'serve', '--port', '0', '--db', 'e.db', '--secret', SECRET], { cwd });
    cleanups.push(() => void old.stop());
    await old.waitFor(/listening on (\S+)\n/);
    expect(await old.stop()).toBe(0);
    expect(old.err()).toContain('warning: webhooks serve --secret is deprecated: use --push-secret\n');
    expect(old.out() + old.err()).not.toContain(SECRET);
  });

  it('tables show enum names (redials if NOT_CONNECTED); --status RUNNING is accepted beside codes', async () => {
    const emu = await emulator();
    const cwd = dir();
    const env = envFor(emu, { ZHICHI_TOKEN_CACHE: join(cwd, 't.json') });
    writeFileSync(join(cwd, 'task.json'), JSON.stringify({ ...quietTask(), taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 3 }] }));
    const created = await zhichiBin(['tasks', 'create', '--file', 'task.json'], { cwd, env });
    expect(created.code).toBe(0);
    const got = await zhichiBin(['tasks', 'get', created.out.trim()], { cwd, env });
    expect(got.out).toMatch(/redials\s+1× after 60 min if NOT_CONNECTED \(3\)/);
    const byName = await zhichiBin(['tasks', 'list', '--status', 'NOT_STARTED', '--json'], { cwd, env });
    const byCode = await zhichiBin(['tasks', 'list', '--status', '0', '--json'], { cwd, env });
    expect(byName.code).toBe(0);
    expect(byName.out).toBe(byCode.out);
    const bad = await zhichiBin(['tasks', 'list', '--status', 'RUNNIN'], { cwd, env });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--status must be one of NOT_STARTED, RUNNING, WAITING, FINISHED, EXPIRED or its code (got "RUNNIN")');
  });

  it('contacts add blames --phone and --out-id, not contactList[0].telephone', async () => {
    const emu = await emulator();
    const cwd = dir();
    const r = await zhichiBin(['contacts', 'add', '--task', 'T', '--out-id', 'A1', '--phone', '123'], { cwd, env: envFor(emu, { ZHICHI_TOKEN_CACHE: 'off' }) });
    expect(r.code).toBe(2);
    expect(r.err).toBe('error: invalid contact: --phone must be a mainland mobile number (11 digits, 13x–19x)\n');
  });

  it('did you mean: typos of commands, subcommands and flags get a suggestion', async () => {
    const cwd = dir();
    expect((await zhichiBin(['tokne'], { cwd })).err).toBe("error: unknown command 'tokne' (Did you mean token?)\n");
    expect((await zhichiBin(['tasks', 'lsit'], { cwd })).err).toContain("unknown command 'zhichi tasks lsit' (Did you mean zhichi tasks list?)");
    const flag = await zhichiBin(['tasks', 'list', '--stauts', '1'], { cwd });
    expect(flag).toMatchObject({ code: 2, err: "error: unknown option '--stauts' (Did you mean --status?)\n" });
  });

  it('subcommand --help lists the global flags', async () => {
    const r = await zhichiBin(['tasks', 'list', '--help'], { cwd: dir() });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Global Options:[\s\S]*--json[\s\S]*--api-secret[\s\S]*--base-url/);
    expect(r.out).not.toMatch(/^\s+--secret /m);
  });

  it('under --json an error is one JSON line on stderr, stdout stays empty', async () => {
    const cwd = dir();
    const r = await zhichiBin(['robots', '--json'], { cwd, env: { ZHICHI_TOKEN_CACHE: 'off' } });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const e = JSON.parse(r.err) as { error: { message: string; exitCode: number } };
    expect(e.error.exitCode).toBe(2);
    expect(e.error.message).toMatch(/^missing configuration: ZHICHI_KEY/);
    const usage = await zhichiBin(['--json', 'tasks', 'list', '--stauts', '1'], { cwd });
    expect(JSON.parse(usage.err)).toEqual({ error: { message: "unknown option '--stauts' (Did you mean --status?)", exitCode: 2 } });
  });
});

describe('zhichi doctor (point 15)', () => {
  async function receiver() {
    const { createPushReceiver } = await import('../src/push/receiver.js');
    const { serve } = await import('./fixtures/push-http.js');
    const r = await createPushReceiver({ secret: SECRET, store: ':memory:', path: '/api/zhichi/events', env: {} });
    const running = await serve(r);
    cleanups.push(async () => {
      await running.close();
      await r.close();
    });
    return running;
  }

  it('all checks pass on a good setup: ✓ per check, exit 0, no secret printed', async () => {
    const emu = await emulator();
    const cwd = dir();
    const rec = await receiver();
    const r = await zhichiBin(['doctor', '--db', 'events.db', '--push-url', rec.url()], { cwd, env: envFor(emu, { ZHICHI_TOKEN_CACHE: join(cwd, 'tokens.json'), ZHICHI_REDIS_URL: 'redis://127.0.0.1:6379' }) });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const name of ['configuration', 'base URL', 'credentials', 'company', 'clock', 'token cache', 'receiver', 'store']) expect(r.out).toMatch(new RegExp(`^✓ ${name} `, 'm'));
    expect(r.out).not.toMatch(/^✗/m);
    expect(r.out).not.toContain(SECRET);
    expect(r.out).not.toContain('cli-secret-value-0123');
  });

  it('bad setups: each failing check says ✗ and what to fix; --json lists them; exit 1', async () => {
    const emu = await emulator();
    const cwd = dir();
    const rec = await receiver();
    const env = envFor(emu, { ZHICHI_TOKEN_CACHE: 'off', ZHICHI_SECRET: 'not-the-secret-0123' });
    const r = await zhichiBin(['doctor', '--json', '--redis-url', 'redis://127.0.0.1:6390', '--push-url', rec.url('wrong-push-secret-0123456')], { cwd, env });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { ok: boolean; checks: Array<{ name: string; ok: boolean; fix?: string }> };
    expect(j.ok).toBe(false);
    const failed = Object.fromEntries(j.checks.filter((c) => !c.ok).map((c) => [c.name, c.fix]));
    expect(Object.keys(failed).sort()).toEqual(['credentials', 'receiver', 'token cache']);
    expect(failed['credentials']).toMatch(/ZHICHI_KEY and ZHICHI_SECRET/);
    expect(failed['receiver']).toMatch(/push secret/);
    expect(failed['token cache']).toMatch(/start Redis/);
    expect(r.out + r.err).not.toContain('not-the-secret-0123');
    expect(r.out + r.err).not.toContain('wrong-push-secret-0123456');

    const base = await zhichiBin(['doctor'], { cwd, env: envFor(emu, { ZHICHI_TOKEN_CACHE: 'off', ZHICHI_BASE_URL: emu.url.replace('/api/6.0.0/', '/') }) });
    expect(base.code).toBe(1);
    expect(base.out).toMatch(/^✗ base URL .*HTTP 404 on GET tokens\n\s+fix: no token endpoint under this base URL: it must include the API path/m);

    const cfg = await zhichiBin(['doctor'], { cwd, env: { ZHICHI_TOKEN_CACHE: 'off' } });
    expect(cfg.code).toBe(1);
    expect(cfg.out).toMatch(/^✗ configuration +missing ZHICHI_KEY/m);
    expect(cfg.err).toBe('error: 1 check(s) failed\n');
  });
});
