// Issue 12: a CLI that tells the truth. Run on the real program (src/cli/main.ts `run`, what bin/zhichi.mjs
// calls) against the emulator on an ephemeral port and real stores.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { ZhichiClient } from '../src/client.js';
import { openEventStore, type NewEvent } from '../src/push/store.js';
import { envFor, quietTask, startTestEmulator, tempDir, zhichi } from './cli-helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let emu: EmulatorHandle;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
});

function tmp(prefix = 'zhichi-truth-') {
  const t = tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('Redis down (issue 12 #3)', () => {
  // Nothing listens on 6390: the client falls back to a per-process token cache.
  const down = 'redis://127.0.0.1:6390';

  it('a command warns on stderr that Redis is unreachable and still answers', async () => {
    const r = await zhichi(['--redis-url', down, 'robots'], { env: envFor(emu), cwd: tmp() });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*token store unreachable.*127\.0\.0\.1:6390.*caching tokens in this process/);
    expect(r.err).not.toContain('cli-secret-value-0123');
  });

  it('zhichi token reports the cache really used, in text and JSON', async () => {
    const text = await zhichi(['--redis-url', down, 'token'], { env: envFor(emu), cwd: tmp() });
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/cache\s+memory \(Redis at 127\.0\.0\.1:6390 unreachable\)/);
    const json = await zhichi(['--redis-url', down, '--json', 'token'], { env: envFor(emu), cwd: tmp() });
    expect((JSON.parse(json.out) as { tokenCache: string }).tokenCache).toBe('memory (Redis at 127.0.0.1:6390 unreachable)');
  });
});

describe('results list --since (issue 12 #4)', () => {
  it('30m and -30m mean the past; +30m and a future time are refused naming --since and the rule', async () => {
    const dir = tmp();
    const db = join(dir, 'events.db');
    // `webhooks serve` creates the store; an empty one is enough here.
    await (await openEventStore(db)).close();
    for (const since of ['30m', '-30m', '2026-01-05T09:00']) {
      const r = await zhichi(['results', 'list', '--json', '--since', since, '--db', db], { cwd: dir });
      expect(r.code, `${since}: ${r.err}`).toBe(0);
    }
    const future = await zhichi(['results', 'list', '--since', '+30m', '--db', db], { cwd: dir });
    expect(future.code).toBe(2);
    expect(future.err).toMatch(/--since must be a time in the past: 30m, 2h or 7d ago.*"\+30m" is in the future \(did you mean 30m\?\)/);
    const later = await zhichi(['results', 'list', '--since', '2999-01-01T00:00', '--db', db], { cwd: dir });
    expect(later.code).toBe(2);
    expect(later.err).toMatch(/--since must be a time in the past.*"2999-01-01T00:00" is in the future/);
    const bad = await zhichi(['results', 'list', '--since', 'yesterday', '--db', db], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--since must be a time in the past/);
    // The example in the error is one --since accepts (it used to suggest +30m).
    expect(bad.err).not.toMatch(/\+30m/);
  });
});

/** A stored push event as the receiver would insert it. */
function pushEvent(i: number, body: Record<string, unknown> = {}): NewEvent {
  const fields = { taskId: 't1', outId: `o${i}`, callId: `c${i}`, attempt: 1, callResult: 0 };
  return {
    key: JSON.stringify(['t1', `o${i}`, `c${i}`, 1]), source: 'push', known: false, receivedAt: Date.now() - 60_000 + i, remoteAddress: '127.0.0.1',
    contentType: 'application/json', fields, raw: Buffer.from(JSON.stringify({ ...fields, ...body })), instanceId: null,
  };
}

describe('lists say when they are cut (issue 12 #2)', () => {
  it('results list: newest first, a footer / a stderr note when cut, --after-id, --order, --all; conflicts counted and listed', async () => {
    const dir = tmp();
    const db = join(dir, 'events.db');
    const store = await openEventStore(db);
    await store.insert(Array.from({ length: 475 }, (_, i) => pushEvent(i + 1)));
    // Same key as event 7, another outcome: a conflict.
    const [r] = await store.insert([pushEvent(7, { callResult: 3 })]);
    expect(r!.conflict).toBe(true);
    await store.close();

    const text = await zhichi(['results', 'list', '--db', db], { cwd: dir });
    expect(text.code).toBe(0);
    const ids = (out: string) => out.split('\n').slice(1).filter((l) => !/showing|conflicting/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0])).filter((n) => Number.isInteger(n) && n > 0);
    expect(ids(text.out)).toHaveLength(100);
    expect(ids(text.out)[0]).toBe(475);
    expect(text.out).toContain('showing 100 of 475 results, newest first; more: --after-id 376 for the next 100, or --all');
    expect(text.out).toContain('1 conflicting push (same key as a stored result, different body) kept apart: zhichi results conflicts');

    const json = await zhichi(['results', 'list', '--json', '--db', db], { cwd: dir });
    const events = JSON.parse(json.out) as Array<{ id: number }>;
    expect(events).toHaveLength(100);
    expect(events[0]!.id).toBe(475);
    expect(json.err).toContain('note: showing 100 of 475 results, newest first; more: --after-id 376 for the next 100, or --all');
    expect(json.err).toContain('note: 1 conflicting push');

    const next = JSON.parse((await zhichi(['results', 'list', '--json', '--after-id', '376', '--limit', '2', '--db', db], { cwd: dir })).out) as Array<{ id: number }>;
    expect(next.map((e) => e.id)).toEqual([375, 374]);
    const oldest = JSON.parse((await zhichi(['results', 'list', '--json', '--order', 'oldest', '--limit', '3', '--db', db], { cwd: dir })).out) as Array<{ id: number }>;
    expect(oldest.map((e) => e.id)).toEqual([1, 2, 3]);
    const all = await zhichi(['results', 'list', '--json', '--all', '--db', db], { cwd: dir });
    expect(JSON.parse(all.out)).toHaveLength(475);
    expect(all.err).not.toContain('showing');
    const bad = await zhichi(['results', 'list', '--order', 'sideways', '--db', db], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--order must be newest or oldest');

    const conflicts = await zhichi(['results', 'conflicts', '--db', db], { cwd: dir });
    expect(conflicts.code).toBe(0);
    expect(conflicts.out).toMatch(/\bo7\b.*\bc7\b/);
    const cj = JSON.parse((await zhichi(['results', 'conflicts', '--json', '--db', db], { cwd: dir })).out) as Array<{ eventId: number; raw: string }>;
    expect(cj).toHaveLength(1);
    expect(cj[0]!.eventId).toBe(7);
    expect(JSON.parse(cj[0]!.raw)).toMatchObject({ outId: 'o7', callResult: 3 });
  });

  it('tasks list: newest first, cut at --limit with a footer / stderr note, --page, --order oldest, --all', async () => {
    const emu2 = await startTestEmulator();
    cleanups.push(() => emu2.close());
    const client = new ZhichiClient({ apiKey: 'cli-key', apiSecret: 'cli-secret-value-0123', companyId: emu2.companyId, baseUrl: emu2.url, env: {} });
    for (let i = 1; i <= 103; i++) await client.tasks.create({ ...quietTask(`task ${i}`) } as never);
    const env = envFor(emu2);

    const text = await zhichi(['tasks', 'list'], { env, cwd: tmp() });
    expect(text.code).toBe(0);
    expect(text.out.match(/task \d+/g)).toHaveLength(100);
    expect(text.out.indexOf('task 103')).toBeLessThan(text.out.indexOf('task 102'));
    expect(text.out).toContain('showing 100 of 103 tasks, newest first; more: --page 2 for the next 100, or --all');

    const json = await zhichi(['tasks', 'list', '--json'], { env, cwd: tmp() });
    expect(JSON.parse(json.out)).toHaveLength(100);
    expect(json.err).toContain('note: showing 100 of 103 tasks, newest first; more: --page 2 for the next 100, or --all');

    const page2 = JSON.parse((await zhichi(['tasks', 'list', '--json', '--page', '2'], { env, cwd: tmp() })).out) as Array<{ taskName: string }>;
    expect(page2.map((t) => t.taskName)).toEqual(['task 3', 'task 2', 'task 1']);
    const oldest = JSON.parse((await zhichi(['tasks', 'list', '--json', '--order', 'oldest', '--limit', '2'], { env, cwd: tmp() })).out) as Array<{ taskName: string }>;
    expect(oldest.map((t) => t.taskName)).toEqual(['task 1', 'task 2']);
    const all = await zhichi(['tasks', 'list', '--json', '--all'], { env, cwd: tmp() });
    expect(JSON.parse(all.out)).toHaveLength(103);
    expect(all.err).toBe('');
  });
});

describe('through the real bin (bin/zhichi.mjs on dist/)', () => {
  const root = resolve(import.meta.dirname, '..');
  // dist/ is built from the current sources before the suite (test/global-setup.ts).

  async function bin(argv: string[], env: Record<string, string>, cwd: string): Promise<{ code: number; out: string; err: string }> {
    return new Promise((done) => {
      execFile(process.execPath, [join(root, 'bin/zhichi.mjs'), ...argv], { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: cwd, ...env }, timeout: 60_000 }, (err, out, errOut) => {
        done({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out, err: errOut });
      });
    });
  }

  it('Redis down warns on stderr; --since +30m is refused; a cut results list says so on stderr with --json', async () => {
    const dir = tmp();
    const env = { ...envFor(emu), ZHICHI_TOKEN_CACHE: 'off' };
    const robots = await bin(['--redis-url', 'redis://127.0.0.1:6390', 'robots'], env, dir);
    expect(robots.code).toBe(0);
    expect(robots.err).toMatch(/warning: .*token store unreachable/);
    const token = await bin(['--redis-url', 'redis://127.0.0.1:6390', 'token'], env, dir);
    expect(token.out).toMatch(/cache\s+memory \(Redis at 127\.0\.0\.1:6390 unreachable\)/);

    const db = join(dir, 'events.db');
    const store = await openEventStore(db);
    await store.insert(Array.from({ length: 120 }, (_, i) => pushEvent(i + 1)));
    await store.close();
    const future = await bin(['results', 'list', '--since', '+30m', '--db', db], {}, dir);
    expect(future.code).toBe(2);
    expect(future.err).toMatch(/--since must be a time in the past/);
    const list = await bin(['results', 'list', '--json', '--db', db], {}, dir);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toHaveLength(100);
    expect(list.err).toContain('note: showing 100 of 120 results, newest first; more: --after-id 21 for the next 100, or --all');
  });
});
