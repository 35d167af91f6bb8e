// Issue 12 (points 8–11, 15): a CLI that tells the truth. Run through the real binary
// (bin/zhichi.mjs; build dist/ first with `npx tsup`) against the emulator on an ephemeral port.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { zhichiBin } from './bin-helpers.js';
import { envFor, startTestEmulator, tempDir } from './cli-helpers.js';

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
