// FileTokenStore: what it writes (where, with which permissions, never the secret), expiry, the
// compare-and-delete, the mint window, the lock file and its stale break, a corrupt file; then the
// CLI on top of it: `zhichi robots` in 4 processes at once against one emulator mints exactly once.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultTokenCachePath, FileTokenStore } from '../src/auth/file-token-store.js';
import { TokenManager, tokenKey } from '../src/auth/token-manager.js';
import type { StoredToken } from '../src/auth/token-store.js';
import { tokenCachePath } from '../src/cli/config.js';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { ZhichiValidationError } from '../src/errors.js';
import { ManualClock } from '../src/internal/clock.js';
import type { Logger } from '../src/internal/logger.js';
import { envFor, startTestEmulator, tempDir, zhichi } from './cli-helpers.js';
import { control } from './helpers.js';

const POSIX = process.platform !== 'win32';
const token = (accessToken: string): StoredToken => ({ accessToken, tokenType: 'Bearer', expiresIn: 86_400, createTime: 1_700_000_000_000, expiresAt: 0 });

/** A logger that keeps its warnings. */
function warnings(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (m) => void lines.push(m), error: (m) => void lines.push(m) };
}

/** The mint lock file FileTokenStore uses for `key` (the lock key, as the token manager builds it). */
/** The newest generation file of a lock (`<base>.<n>`), or `<base>.0` when there is none yet. */
const lockGen = (base: string): string => {
  const dir = dirname(base);
  const gens = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.startsWith(`${basename(base)}.`) && /^\d+$/.test(f.slice(basename(base).length + 1))).map((f) => Number(f.slice(basename(base).length + 1)))
    : [];
  return `${base}.${gens.length ? Math.max(...gens) : 0}`;
};
const lockFile = (cache: string, key: string) => lockGen(`${cache}.${createHash('sha256').update(key).digest('hex').slice(0, 16)}.lock`);
const FENCE = /^\d+\.[0-9a-f]{32}$/;
/** A lock file released by its holder: kept, with its mtime at the epoch. */
const released = (p: string) => statSync(p).mtimeMs === 0;

let tmp: ReturnType<typeof tempDir>;
let file: string;
let clock: ManualClock;
beforeEach(() => {
  tmp = tempDir('zhichi-filestore-');
  file = join(tmp.dir, 'cache', 'zhichi', 'tokens.json');
  clock = new ManualClock(1_800_000_000_000);
});
afterEach(() => tmp.cleanup());

describe('FileTokenStore: tokens', () => {
  it('round-trips a token, keyed by the token key, with an absolute expiry; never the apiKey or the secret', async () => {
    const store = new FileTokenStore({ path: file, now: () => clock.now() });
    const key = tokenKey('zhichi:token:', 'https://gw.example/api/6.0.0/', 'the-api-key-123', 'the-secret-456', 'company-1');
    expect(await store.get(key)).toBeUndefined();
    await store.set(key, token('tok-aaaa-1'), 60_000);
    expect(await store.get(key)).toEqual({ ...token('tok-aaaa-1'), expiresAt: clock.now() + 60_000 });

    const raw = readFileSync(file, 'utf8');
    const json = JSON.parse(raw) as { version: number; tokens: Record<string, { accessToken: string; expiresAt: number }> };
    expect(json.version).toBe(1);
    expect(Object.keys(json.tokens)).toEqual([key]);
    expect(json.tokens[key]).toMatchObject({ accessToken: 'tok-aaaa-1', expiresAt: clock.now() + 60_000 });
    expect(raw).not.toContain('the-api-key-123');
    expect(raw).not.toContain('the-secret-456');

    // A second store on the same file (another process) sees it.
    expect((await new FileTokenStore({ path: file, now: () => clock.now() }).get(key))?.accessToken).toBe('tok-aaaa-1');
  });

  it('expires entries at their absolute time and prunes expired ones on the next write', async () => {
    const store = new FileTokenStore({ path: file, now: () => clock.now() });
    await store.set('k-short', token('tok-short'), 1_000);
    await store.set('k-long', token('tok-long'), 60_000);
    clock.advance(999);
    expect((await store.get('k-short'))?.accessToken).toBe('tok-short');
    clock.advance(1);
    expect(await store.get('k-short')).toBeUndefined();
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { tokens: object }).tokens)).toEqual(['k-short', 'k-long']);
    await store.set('k-other', token('tok-other'), 60_000);
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { tokens: object }).tokens).sort()).toEqual(['k-long', 'k-other']);
  });

  it('deletes only the token that failed (compare-and-delete)', async () => {
    const store = new FileTokenStore({ path: file, now: () => clock.now() });
    await store.set('k', token('tok-new'), 60_000);
    expect(await store.deleteIf('k', 'tok-old')).toBe(false);
    expect((await store.get('k'))?.accessToken).toBe('tok-new');
    expect(await store.deleteIf('k', 'tok-new')).toBe(true);
    expect(await store.get('k')).toBeUndefined();
    expect(await store.deleteIf('k', 'tok-new')).toBe(false);
  });

  it('loses no entry when many writes race (write lock around read-modify-write)', async () => {
    const a = new FileTokenStore({ path: file, now: () => clock.now() });
    const b = new FileTokenStore({ path: file, now: () => clock.now() });
    await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).set(`k${i}`, token(`tok-${i}`), 60_000)));
    for (let i = 0; i < 24; i++) expect((await a.get(`k${i}`))?.accessToken).toBe(`tok-${i}`);
    // No temp file is left behind; of the write lock's 24 generations only the newest 3 are kept, all released.
    const left = readdirSync(join(tmp.dir, 'cache', 'zhichi')).sort();
    expect(left).toEqual(['tokens.json', 'tokens.json.lock.21', 'tokens.json.lock.22', 'tokens.json.lock.23']);
    for (const f of left.slice(1)) expect(released(join(tmp.dir, 'cache', 'zhichi', f))).toBe(true);
  });

  it('counts mints per window and forgets a window that ended', async () => {
    const store = new FileTokenStore({ path: file, now: () => clock.now() });
    expect(await store.mintWindow('k:mints')).toEqual({ count: 0, resetInMs: 0 });
    await store.recordMint('k:mints', 30_000);
    clock.advance(10_000);
    await store.recordMint('k:mints', 30_000);
    expect(await store.mintWindow('k:mints')).toEqual({ count: 2, resetInMs: 20_000 });
    clock.advance(20_000);
    expect(await store.mintWindow('k:mints')).toEqual({ count: 0, resetInMs: 0 });
    await store.recordMint('k:mints', 30_000);
    expect(await store.mintWindow('k:mints')).toEqual({ count: 1, resetInMs: 30_000 });
  });

  it('rejects an empty path, naming the option', () => {
    expect(() => new FileTokenStore({ path: ' ' })).toThrow(ZhichiValidationError);
    expect(() => new FileTokenStore({ path: '' })).toThrow(/path must be a non-empty file path/);
  });
});

describe.skipIf(!POSIX)('FileTokenStore: permissions', () => {
  it('creates the directory 0700 and the file 0600', async () => {
    await new FileTokenStore({ path: file }).set('k', token('tok-perm'), 60_000);
    expect(statSync(join(tmp.dir, 'cache', 'zhichi')).mode & 0o777).toBe(0o700);
    expect(statSync(join(tmp.dir, 'cache')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('closes a file other users can read, with a warning', async () => {
    mkdirSync(join(tmp.dir, 'cache', 'zhichi'), { recursive: true });
    writeFileSync(file, JSON.stringify({ version: 1, tokens: { k: { ...token('tok-open'), expiresAt: clock.now() + 60_000 } }, mints: {} }), { mode: 0o644 });
    const log = warnings();
    const store = new FileTokenStore({ path: file, now: () => clock.now(), logger: log });
    expect((await store.get('k'))?.accessToken).toBe('tok-open');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(/accessible to other users \(mode 644\); it holds live bearer tokens, mode set to 600/);
    expect(log.lines[0]).not.toContain('tok-open');
  });
});

describe('FileTokenStore: a damaged file', () => {
  it('treats a corrupt file as empty with one warning, then replaces it', async () => {
    mkdirSync(join(tmp.dir, 'cache', 'zhichi'), { recursive: true });
    writeFileSync(file, '{"version":1,"tokens":{"k":', { mode: 0o600 });
    const log = warnings();
    const store = new FileTokenStore({ path: file, now: () => clock.now(), logger: log });
    expect(await store.get('k')).toBeUndefined();
    expect(await store.mintWindow('k:mints')).toEqual({ count: 0, resetInMs: 0 });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(/token cache .*tokens\.json is corrupt .*treating it as empty/);
    await store.set('k', token('tok-fixed'), 60_000);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { tokens: Record<string, { accessToken: string }> }).tokens.k?.accessToken).toBe('tok-fixed');
  });

  it('drops a damaged entry and keeps the others', async () => {
    mkdirSync(join(tmp.dir, 'cache', 'zhichi'), { recursive: true });
    const until = clock.now() + 60_000;
    writeFileSync(file, JSON.stringify({ version: 1, tokens: { good: { ...token('tok-good'), expiresAt: until }, bad: { accessToken: 42 } }, mints: { m: { count: 'x' } } }));
    const store = new FileTokenStore({ path: file, now: () => clock.now() });
    expect((await store.get('good'))?.accessToken).toBe('tok-good');
    expect(await store.get('bad')).toBeUndefined();
    expect(await store.mintWindow('m')).toEqual({ count: 0, resetInMs: 0 });
  });

  it('treats an unreadable path as empty with a warning, and a failed write rejects (the manager then caches in memory)', async () => {
    // A directory where the file should be: unreadable as a file, and cannot be replaced by rename.
    mkdirSync(file, { recursive: true });
    const log = warnings();
    const store = new FileTokenStore({ path: file, now: () => clock.now(), logger: log });
    expect(await store.get('k')).toBeUndefined();
    await expect(store.set('k', token('tok-x'), 60_000)).rejects.toThrow();
    expect(log.lines.some((l) => /is unreadable \(EISDIR\); treating it as empty/.test(l))).toBe(true);
    expect(log.lines.some((l) => /cannot write token cache .*tokens stay in this process only/.test(l))).toBe(true);

    const mgrLog = warnings();
    let mints = 0;
    const manager = new TokenManager({
      store,
      key: 'k',
      mint: async () => ({ accessToken: `tok-mem-${++mints}`, tokenType: 'Bearer', expiresIn: 86_400, createTime: clock.now() }),
      now: () => clock.now(),
      refreshMarginMs: 300_000,
      logger: mgrLog,
    });
    expect(await manager.getToken()).toBe('tok-mem-1');
    expect(await manager.getToken()).toBe('tok-mem-1');
    expect(mints).toBe(1);
  });
});

describe('FileTokenStore: the mint lock', () => {
  it('is exclusive, fenced, and released only by its holder', async () => {
    const a = new FileTokenStore({ path: file });
    const b = new FileTokenStore({ path: file });
    const fence = await a.tryLock('k:lock', 5_000);
    expect(fence).toMatch(FENCE);
    expect(JSON.parse(readFileSync(lockFile(file, 'k:lock'), 'utf8'))).toMatchObject({ fence, ttlMs: 5_000 });
    expect(await b.tryLock('k:lock', 5_000)).toBeUndefined();
    expect(await b.unlock('k:lock', 'not-the-fence')).toBe(false);
    expect(await b.renewLock('k:lock', 'not-the-fence', 5_000)).toBe(false);
    expect(await a.renewLock('k:lock', fence!, 5_000)).toBe(true);
    expect(await a.unlock('k:lock', fence!)).toBe(true);
    expect(released(lockFile(file, 'k:lock'))).toBe(true);
    expect(await a.unlock('k:lock', fence!)).toBe(false);
    expect(await a.renewLock('k:lock', fence!, 5_000)).toBe(false);
    expect(await b.tryLock('k:lock', 5_000)).toMatch(FENCE);
    // Another key has its own lock.
    expect(await a.tryLock('other:lock', 5_000)).toMatch(FENCE);
  });

  it('breaks a lock whose holder died (older than its TTL); the dead holder can neither renew nor release it', async () => {
    const dead = new FileTokenStore({ path: file });
    const live = new FileTokenStore({ path: file });
    const oldFence = (await dead.tryLock('k:lock', 5_000))!;
    const lf = lockFile(file, 'k:lock');
    // Within its TTL the lock holds.
    const past = new Date(Date.now() - 4_000);
    utimesSync(lf, past, past);
    expect(await live.tryLock('k:lock', 5_000)).toBeUndefined();
    // Its holder stopped renewing long ago: stale.
    const older = new Date(Date.now() - 6_000);
    utimesSync(lf, older, older);
    const fence = await live.tryLock('k:lock', 5_000);
    expect(fence).toMatch(FENCE);
    expect(fence).not.toBe(oldFence);
    expect(await dead.renewLock('k:lock', oldFence, 5_000)).toBe(false);
    expect(await dead.unlock('k:lock', oldFence)).toBe(false);
    expect(JSON.parse(readFileSync(lockFile(file, 'k:lock'), 'utf8'))).toMatchObject({ fence });
    // The takeover created the next generation; the dead holder's file is not the lock any more.
    expect(lockFile(file, 'k:lock')).not.toBe(lf);
  });

  it('keeps a renewed lock: renewal moves the mtime that staleness is judged by', async () => {
    const holder = new FileTokenStore({ path: file });
    const fence = (await holder.tryLock('k:lock', 5_000))!;
    const lf = lockFile(file, 'k:lock');
    const older = new Date(Date.now() - 6_000);
    utimesSync(lf, older, older);
    expect(await holder.renewLock('k:lock', fence, 5_000)).toBe(true);
    expect(await new FileTokenStore({ path: file }).tryLock('k:lock', 5_000)).toBeUndefined();
  });

  it('a stale write lock (a writer died mid-write) does not block writes', async () => {
    mkdirSync(join(tmp.dir, 'cache', 'zhichi'), { recursive: true });
    writeFileSync(`${file}.lock.0`, JSON.stringify({ fence: '0.dead', ttlMs: 3_000 }));
    const older = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock.0`, older, older);
    const store = new FileTokenStore({ path: file, now: () => clock.now() });
    await store.set('k', token('tok-after-dead-writer'), 60_000);
    expect((await store.get('k'))?.accessToken).toBe('tok-after-dead-writer');
    // The writer took generation 1 and released it when done.
    expect(lockGen(`${file}.lock`)).toBe(`${file}.lock.1`);
    expect(released(`${file}.lock.1`)).toBe(true);
  });

  it('two managers on two stores of one file mint once, even with a dead holder\'s lock in the way', async () => {
    const key = 'zhichi:token:abc';
    // A process died holding the mint lock.
    const dead = await new FileTokenStore({ path: file }).tryLock(`${key}:lock`, 200);
    expect(dead).toBeDefined();
    const older = new Date(Date.now() - 1_000);
    utimesSync(lockFile(file, `${key}:lock`), older, older);
    let mints = 0;
    const manager = () =>
      new TokenManager({
        store: new FileTokenStore({ path: file, now: () => clock.now() }),
        key,
        mint: async () => ({ accessToken: `tok-shared-${++mints}`, tokenType: 'Bearer', expiresIn: 86_400, createTime: clock.now() }),
        now: () => clock.now(),
        refreshMarginMs: 300_000,
        logger: warnings(),
      });
    const [m1, m2, m3] = [manager(), manager(), manager()];
    const got = await Promise.all([m1.getToken(), m2.getToken(), m3.getToken()]);
    expect(got).toEqual(['tok-shared-1', 'tok-shared-1', 'tok-shared-1']);
    expect(mints).toBe(1);
  });
});

describe('the CLI token cache setting', () => {
  const io = (env: Record<string, string>, cwd = '/work/here') => ({ env, cwd, stdout() {}, stderr() {}, isTTY: false });

  it('resolves --token-cache, then ZHICHI_TOKEN_CACHE, then XDG_CACHE_HOME, then HOME; off and no home mean memory', () => {
    expect(defaultTokenCachePath({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe(join('/x/cache', 'zhichi', 'tokens.json'));
    expect(defaultTokenCachePath({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).toBe(join('/home/u', '.cache', 'zhichi', 'tokens.json'));
    expect(defaultTokenCachePath({})).toBeUndefined();
    expect(tokenCachePath({}, io({ HOME: '/home/u' }))).toBe(join('/home/u', '.cache', 'zhichi', 'tokens.json'));
    expect(tokenCachePath({}, io({ HOME: '/home/u', ZHICHI_TOKEN_CACHE: 'tok.json' }))).toBe(join('/work/here', 'tok.json'));
    expect(tokenCachePath({ tokenCache: '/abs/t.json' }, io({ ZHICHI_TOKEN_CACHE: 'tok.json' }))).toBe('/abs/t.json');
    expect(tokenCachePath({ tokenCache: 'off' }, io({ HOME: '/home/u' }))).toBeUndefined();
    expect(tokenCachePath({}, io({ HOME: '/home/u', ZHICHI_TOKEN_CACHE: 'OFF' }))).toBeUndefined();
    expect(tokenCachePath({}, io({}))).toBeUndefined();
  });
});

describe('zhichi with the file token cache (against the emulator)', () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });
  const issued = async () => (await control<{ tokensIssued: number }>(emu.url, 'GET', '/__emulator/stats')).tokensIssued;

  it('4 processes running `zhichi robots --json` at once mint exactly one token; 4 more mint none', async () => {
    const root = fileURLToPath(new URL('../', import.meta.url));
    const entry = fileURLToPath(new URL('./fixtures/zhichi-cli.ts', import.meta.url));
    // Only PATH from this process's env: the children's cache is under the temp dir, never ~/.cache.
    const env = { PATH: process.env.PATH ?? '', XDG_CACHE_HOME: join(tmp.dir, 'xdg'), ...envFor(emu) };
    const runChild = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
        const c = spawn(process.execPath, ['--import', 'tsx', entry, 'robots', '--json'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        c.stdout.on('data', (d: Buffer) => (out += d));
        c.stderr.on('data', (d: Buffer) => (err += d));
        c.on('error', reject);
        c.on('close', (code) => resolve({ code, out, err }));
      });
    const before = await issued();
    const round1 = await Promise.all([runChild(), runChild(), runChild(), runChild()]);
    for (const r of round1) expect(r).toMatchObject({ code: 0, err: '' });
    for (const r of round1) expect(JSON.parse(r.out)).toEqual({ robots: 10 });
    expect((await issued()) - before).toBe(1);
    const cache = join(tmp.dir, 'xdg', 'zhichi', 'tokens.json');
    expect(existsSync(cache)).toBe(true);
    expect(readFileSync(cache, 'utf8')).not.toContain(envFor(emu).ZHICHI_SECRET!);

    const round2 = await Promise.all([runChild(), runChild(), runChild(), runChild()]);
    for (const r of round2) expect(r).toMatchObject({ code: 0, err: '' });
    expect((await issued()) - before).toBe(1);
  }, 60_000);

  it('zhichi token shows the cache; --refresh mints a new token and stores it; off leaves no file', async () => {
    // Its own cache directory, so this test starts cold.
    const env = { ...envFor(emu), XDG_CACHE_HOME: join(tmp.dir, 'xdg2') };
    const cache = join(tmp.dir, 'xdg2', 'zhichi', 'tokens.json');
    const before = await issued();
    const first = await zhichi(['token', '--json', '--show'], { env });
    expect(first.code).toBe(0);
    const j1 = JSON.parse(first.out) as { accessToken: string; tokenCache: string };
    expect(j1.tokenCache).toBe(cache);
    expect((await issued()) - before).toBe(1);
    // Each in-process run builds a new client (its own token manager): the file serves the second.
    const again = JSON.parse((await zhichi(['token', '--json', '--show'], { env })).out) as { accessToken: string };
    expect(again.accessToken).toBe(j1.accessToken);
    expect((await issued()) - before).toBe(1);

    const refreshed = await zhichi(['token', '--refresh', '--json', '--show'], { env });
    expect(refreshed.code).toBe(0);
    const j2 = JSON.parse(refreshed.out) as { accessToken: string };
    expect(j2.accessToken).not.toBe(j1.accessToken);
    expect((await issued()) - before).toBe(2);
    const stored = JSON.parse(readFileSync(cache, 'utf8')) as { tokens: Record<string, { accessToken: string }> };
    expect(Object.values(stored.tokens).map((t) => t.accessToken)).toEqual([j2.accessToken]);
    const after = JSON.parse((await zhichi(['token', '--json', '--show'], { env })).out) as { accessToken: string };
    expect(after.accessToken).toBe(j2.accessToken);
    expect((await issued()) - before).toBe(2);

    const offEnv = { ...envFor(emu), XDG_CACHE_HOME: join(tmp.dir, 'xdg3') };
    const off = await zhichi(['robots', '--token-cache', 'off'], { env: offEnv });
    expect(off.code).toBe(0);
    expect(existsSync(join(tmp.dir, 'xdg3'))).toBe(false);
    const offToken = JSON.parse((await zhichi(['token', '--json'], { env: { ...offEnv, ZHICHI_TOKEN_CACHE: 'off' } })).out) as { tokenCache: string };
    expect(offToken.tokenCache).toBe('memory');
  });
});
