// Issue 12: a CLI that tells the truth. Run on the real program (src/cli/main.ts `run`, what bin/zhichi.mjs
// calls) against the emulator on an ephemeral port and real stores.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { envFor, startTestEmulator, tempDir, zhichi } from './cli-helpers.js';

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
    const { openEventStore } = await import('../src/push/store.js');
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
