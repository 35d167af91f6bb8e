// TokenManager over the real Redis (several managers = several processes' worth of state, each
// with its own connection), its outage fallback and recovery, and the client wiring.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisTokenStore } from '../src/auth/redis-token-store.js';
import { TokenManager, tokenKey, type TokenPolicy } from '../src/auth/token-manager.js';
import { MemoryTokenStore, type TokenStore } from '../src/auth/token-store.js';
import type { TokenContent } from '../src/contract/token.js';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { ZhichiBusinessError, ZhichiCredentialsError, ZhichiClient, ZhichiFactory, ZhichiTimeoutError, ZhichiTokenRateError, ZhichiValidationError } from '../src/index.js';
import { ManualClock } from '../src/internal/clock.js';
import { collectingLogger } from './helpers.js';
import { PrivateRedis, TEST_REDIS_URL, freePort, haveRedisServer, redisForTests, redisAnswers } from './fixtures/token-fleet.js';

const run = await redisForTests('token-manager');
const canStartRedis = await haveRedisServer();
const RUN = randomBytes(4).toString('hex');
let seq = 0;
const freshKey = () => `zhichi-test:mgr:${RUN}:${++seq}`;

/** A token endpoint stand-in: counts mints, each answer after `delayMs` of real time. */
function fakeMint(delayMs = 0) {
  const f = async (): Promise<TokenContent> => {
    f.calls++;
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return { accessToken: `tok-${randomBytes(8).toString('hex')}`, tokenType: 'Bearer', expiresIn: 86_400, createTime: Date.now() };
  };
  f.calls = 0;
  return f;
}

function manager(store: TokenStore, key: string, mint: () => Promise<TokenContent>, extra: { policy?: TokenPolicy; logger?: ReturnType<typeof collectingLogger>; now?: () => number } = {}) {
  return new TokenManager({
    store,
    key,
    mint,
    now: extra.now ?? Date.now,
    refreshMarginMs: 300_000,
    logger: extra.logger ?? collectingLogger(),
    policy: extra.policy,
  });
}

const stores: RedisTokenStore[] = [];
const redisStore = (o: { url?: string; reconnectAfterMs?: number } = {}) => {
  const s = new RedisTokenStore({ url: o.url ?? TEST_REDIS_URL, reconnectAfterMs: o.reconnectAfterMs });
  stores.push(s);
  return s;
};

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  if (run) {
    const raw = new Redis(TEST_REDIS_URL);
    const keys = await raw.keys(`zhichi-test:mgr:${RUN}:*`);
    if (keys.length) await raw.del(...keys);
    raw.disconnect();
  }
});

describe.skipIf(!run)('TokenManager over Redis', () => {
  it('two "processes" (own manager, own connection) x 200 concurrent getToken: one mint', async () => {
    const key = freshKey();
    const mint = fakeMint(100);
    const a = manager(redisStore(), key, mint);
    const b = manager(redisStore(), key, mint);
    const tokens = await Promise.all([...Array.from({ length: 200 }, () => a.getToken()), ...Array.from({ length: 200 }, () => b.getToken())]);
    expect(mint.calls).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(a.mints + b.mints).toBe(1);
  });

  it('on 401, a token another process already replaced is used without minting', async () => {
    const key = freshKey();
    const mint = fakeMint();
    const a = manager(redisStore(), key, mint);
    const b = manager(redisStore(), key, mint);
    const x = await a.getToken();
    expect(await b.getToken()).toBe(x);
    // B sees the 401 first: compare-and-delete X, mint Y.
    await b.invalidate(x);
    const y = await b.getToken();
    expect(y).not.toBe(x);
    // A's 401 on X comes later: the store holds Y, so nothing is deleted and A takes Y.
    await a.invalidate(x);
    expect(await a.getToken()).toBe(y);
    expect(mint.calls).toBe(2);
    expect(a.mints).toBe(1);
    expect(b.mints).toBe(1);
  });

  it('getToken({ refresh: true }) in every process after the same 401: one mint', async () => {
    const key = freshKey();
    const mint = fakeMint(30);
    const ms = [manager(redisStore(), key, mint), manager(redisStore(), key, mint), manager(redisStore(), key, mint)];
    const x = await ms[0]!.getToken();
    await Promise.all(ms.map((m) => m.getToken()));
    const after = await Promise.all(ms.map((m) => m.getToken({ refresh: true })));
    expect(new Set(after).size).toBe(1);
    expect(after[0]).not.toBe(x);
    expect(mint.calls).toBe(2);
  });

  it('a waiter takes the token the lock holder stores, without minting', async () => {
    const key = freshKey();
    const raw = new Redis(TEST_REDIS_URL);
    try {
      await raw.set(`${key}:lock`, 'another-process', 'PX', 5_000);
      const mint = fakeMint();
      const m = manager(redisStore(), key, mint);
      const p = m.getToken();
      // The "other process" finishes its mint and stores the token.
      await new Promise((r) => setTimeout(r, 50));
      await raw.set(key, JSON.stringify({ accessToken: 'tok-from-winner', tokenType: 'Bearer', expiresIn: 86_400, createTime: Date.now() }), 'PX', 86_400_000);
      await raw.del(`${key}:lock`);
      expect(await p).toBe('tok-from-winner');
      expect(mint.calls).toBe(0);
    } finally {
      raw.disconnect();
    }
  });

  it('a lock whose holder died is taken over after its TTL; a live lock past lockWaitMs is a timeout error', async () => {
    const key = freshKey();
    const raw = new Redis(TEST_REDIS_URL);
    try {
      await raw.set(`${key}:lock`, 'dead-process', 'PX', 300);
      const mint = fakeMint();
      const m = manager(redisStore(), key, mint, { policy: { lockTtlMs: 1_000, lockWaitMs: 5_000 } });
      expect(await m.getToken()).toMatch(/^tok-/);
      expect(mint.calls).toBe(1);
      expect(await raw.exists(`${key}:lock`)).toBe(0); // released after the mint

      const key2 = freshKey();
      await raw.set(`${key2}:lock`, 'stuck-process', 'PX', 60_000);
      const m2 = manager(redisStore(), key2, mint, { policy: { lockWaitMs: 200 } });
      const err = await m2.getToken().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ZhichiTimeoutError);
      expect((err as Error).message).toMatch(/waiting for another process to mint the access token \(tokenPolicy\.lockWaitMs = 200\)/);
      expect(mint.calls).toBe(1);
    } finally {
      raw.disconnect();
    }
  });

  it('the holder renews its lock while a slow mint runs, so nobody else mints meanwhile', async () => {
    const key = freshKey();
    const mint = fakeMint(700);
    const policy = { lockTtlMs: 200, lockWaitMs: 5_000 };
    const a = manager(redisStore(), key, mint, { policy });
    const b = manager(redisStore(), key, mint, { policy });
    const pa = a.getToken();
    await new Promise((r) => setTimeout(r, 20));
    const [ta, tb] = await Promise.all([pa, b.getToken()]);
    expect(ta).toBe(tb);
    expect(mint.calls).toBe(1);
  });

  it('mint window: a third mint within minMintIntervalMs waits for the next slot, and every caller gets a token', async () => {
    const key = freshKey();
    const mint = fakeMint();
    const policy = { minMintIntervalMs: 400, mintBurst: 2 };
    const a = manager(redisStore(), key, mint, { policy });
    const b = manager(redisStore(), key, mint, { policy });
    const first = await a.getToken();
    const second = await a.getToken({ refresh: true }); // a single revoke recovers at once
    // The window is full: b waits for its next slot instead of failing, and the callers waiting
    // on b share its one mint.
    const third = await Promise.all([b.getToken({ refresh: true }), ...Array.from({ length: 20 }, () => b.getToken())]);
    expect(new Set([first, second, third[0]]).size).toBe(3);
    expect(new Set(third).size).toBe(1);
    expect(mint.calls).toBe(3);
  });

  it('mint window: past the wait budget the error says how long it waited and why', async () => {
    const key = freshKey();
    const mint = fakeMint();
    const policy = { minMintIntervalMs: 60_000, mintBurst: 2, mintWaitMs: 0 };
    const a = manager(redisStore(), key, mint, { policy });
    const b = manager(redisStore(), key, mint, { policy });
    await a.getToken();
    await a.getToken({ refresh: true }); // a single revoke recovers at once
    const err = await b.getToken({ refresh: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZhichiTokenRateError);
    expect((err as Error).message).toMatch(/token mint refused after waiting 0 ms for the mint window \(tokenPolicy\.mintWaitMs = 0\): 2 token requests were made .* tokenPolicy\.minMintIntervalMs = 60000/);
    expect((err as Error).message).toMatch(/Next mint allowed in \d+ ms/);
    await expect(a.getToken({ refresh: true })).rejects.toBeInstanceOf(ZhichiTokenRateError);
    expect(mint.calls).toBe(2);
  });

  it('refused token requests count too, and fail fast: bad credentials cannot hammer the token endpoint', async () => {
    const key = freshKey();
    let calls = 0;
    const refuse = async (): Promise<TokenContent> => {
      calls++;
      throw new ZhichiBusinessError(10001, 'invalid apiKey or apiSecret', {}, { method: 'GET', path: 'tokens' });
    };
    const policy = { mintWaitMs: 0 };
    const ms = [manager(redisStore(), key, refuse, { policy }), manager(redisStore(), key, refuse, { policy })];
    const errors = [];
    for (let i = 0; i < 3; i++) for (const m of ms) errors.push(await m.getToken().catch((e: unknown) => e));
    // Each process asks once; its later calls fail at once with the same credentials error.
    expect(calls).toBe(2);
    expect(errors.every((e) => e instanceof ZhichiCredentialsError && e instanceof ZhichiBusinessError)).toBe(true);
    expect((errors[5] as Error).message).toMatch(/token request refused: business error 10001: invalid apiKey or apiSecret \(GET tokens\): the server refused this apiKey \/ apiSecret/);
    // A third process with the same bad credentials finds their window full: the rate error, no request.
    const third = await manager(redisStore(), key, refuse, { policy }).getToken().catch((e: unknown) => e);
    expect(third).toBeInstanceOf(ZhichiTokenRateError);
    expect(calls).toBe(2);
  });

  it('Redis unreachable: tokens cached in the process, ONE warning, one mint', async () => {
    const logger = collectingLogger();
    const mint = fakeMint(20);
    const m = manager(redisStore({ url: `redis://127.0.0.1:${await freePort()}` }), freshKey(), mint, { logger, policy: { minMintIntervalMs: 0 } });
    const tokens = await Promise.all(Array.from({ length: 50 }, () => m.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(mint.calls).toBe(1);
    expect(m.isDegraded).toBe(true);
    // More store traffic during the same outage: still one warning.
    await m.invalidate(tokens[0]!);
    await m.getToken();
    await m.getToken({ refresh: true });
    const warns = logger.lines.filter((l) => l.startsWith('warn'));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatch(/token store unreachable .*caching tokens in this process until it answers again/);
    expect(mint.calls).toBe(3);
  });

  it.skipIf(!canStartRedis)('Redis goes away and comes back: local caching meanwhile, then shared again', async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    try {
      const key = freshKey();
      const mint = fakeMint();
      const logA = collectingLogger();
      const logB = collectingLogger();
      const a = manager(redisStore({ url: redis.url, reconnectAfterMs: 20 }), key, mint, { logger: logA });
      const b = manager(redisStore({ url: redis.url, reconnectAfterMs: 20 }), key, mint, { logger: logB });
      const x = await a.getToken();
      expect(await b.getToken()).toBe(x);
      expect(mint.calls).toBe(1);

      await redis.kill();
      // The token is revoked while Redis is down: each process gets its own.
      await Promise.all([a.invalidate(x), b.invalidate(x)]);
      const [ta, tb] = await Promise.all([a.getToken(), b.getToken()]);
      expect(ta).not.toBe(tb);
      expect(mint.calls).toBe(3);
      expect(a.isDegraded && b.isDegraded).toBe(true);

      await redis.start();
      await new Promise((r) => setTimeout(r, 30)); // past reconnectAfterMs
      await Promise.all([a.invalidate(ta), b.invalidate(tb)]);
      const [ra, rb] = await Promise.all([a.getToken(), b.getToken()]);
      expect(ra).toBe(rb);
      expect(mint.calls).toBe(4);
      expect(a.isDegraded || b.isDegraded).toBe(false);
      for (const log of [logA, logB]) {
        expect(log.lines.filter((l) => l.startsWith('warn'))).toHaveLength(1);
        expect(log.lines.filter((l) => l.startsWith('info') && /token store reachable again/.test(l))).toHaveLength(1);
      }
    } finally {
      await redis.kill();
    }
  });
});

describe('TokenManager without Redis', () => {
  it('default refresh margin: half the token lifetime (Sobot V6 advice), refreshMarginMs overrides it', async () => {
    let now = Date.UTC(2026, 10, 25);
    const mint = async (): Promise<TokenContent> => ({ accessToken: `tok-${randomBytes(4).toString('hex')}`, tokenType: 'Bearer', expiresIn: 86_400, createTime: now });
    const make = (refreshMarginMs?: number) =>
      new TokenManager({ store: new MemoryTokenStore(() => now), key: 'half', mint, now: () => now, refreshMarginMs, logger: collectingLogger(), policy: { minMintIntervalMs: 0 } });
    const half = make();
    const t0 = await half.getToken();
    now += 12 * 3_600_000 - 1;
    expect(await half.getToken()).toBe(t0);
    now += 2;
    const t1 = await half.getToken();
    expect(t1).not.toBe(t0);
    expect(half.mints).toBe(2);
    // An explicit margin (the old 5-minute default) keeps the token until 5 minutes before expiry.
    const late = make(300_000);
    const u0 = await late.getToken();
    now += 23 * 3_600_000;
    expect(await late.getToken()).toBe(u0);
  });

  it('token fight: two server refusals of the current token, with no mint of ours in between, log one warning; forced refreshes never count', async () => {
    const logger = collectingLogger();
    const mint = fakeMint();
    const store = new MemoryTokenStore();
    const m = manager(store, 'fight', mint, { logger, policy: { minMintIntervalMs: 0 } });
    const fights = () => logger.lines.filter((l) => l.includes('token fight'));
    // Our own forced refreshes replace the token twice: not a fight.
    await m.getToken();
    await m.getToken({ refresh: true });
    await m.getToken({ refresh: true });
    expect(fights()).toEqual([]);
    // The server refuses the current token (someone else's mint revoked it): once is a revocation...
    await m.invalidate(await m.getToken());
    expect(fights()).toEqual([]);
    // ...and a 401 on a token another process of ours had already replaced is not one either.
    const replaced = await m.getToken();
    await store.set('fight', { accessToken: 'tok-from-a-sibling', tokenType: 'Bearer', expiresIn: 86_400, createTime: Date.now(), expiresAt: Date.now() + 86_400_000 }, 86_400_000);
    await m.invalidate(replaced);
    expect(fights()).toEqual([]);
    // A second refusal of the current token: the warning, once.
    await m.invalidate(await m.getToken());
    await m.invalidate(await m.getToken());
    expect(fights()).toHaveLength(1);
    expect(fights()[0]).toMatch(/zhichi: token fight: the shared access token was refused \(HTTP 401\) 2 times within 10 min .*another deployment/);
    expect(m.fightWarnings).toBe(1);
  });

  it('memory store: the mint window follows the injected clock', async () => {
    const clock = new ManualClock();
    const mint = fakeMint();
    const m = manager(new MemoryTokenStore(() => clock.now()), 'k', mint, { now: () => clock.now(), policy: { minMintIntervalMs: 10_000, mintBurst: 1, mintWaitMs: 0 } });
    await m.getToken();
    await expect(m.getToken({ refresh: true })).rejects.toThrow(/Next mint allowed in 10000 ms/);
    clock.advance(10_000);
    await m.getToken({ refresh: true });
    expect(mint.calls).toBe(2);
  });

  it('serves the cached token until the refresh margin before expiry, then mints once', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let n = 0;
    const mint = async (): Promise<TokenContent> => ({ accessToken: `tok-${++n}`, tokenType: 'Bearer', expiresIn: 3_600, createTime: clock.now() });
    const m = manager(new MemoryTokenStore(() => clock.now()), 'k', mint, { now: () => clock.now() });
    expect(await m.getToken()).toBe('tok-1');
    clock.advance(3_600_000 - 300_000 - 1);
    expect(await m.getToken()).toBe('tok-1');
    clock.advance(1);
    const again = await Promise.all([m.getToken(), m.getToken(), m.getToken()]);
    expect(again).toEqual(['tok-2', 'tok-2', 'tok-2']);
  });

  it('rejects a bad tokenPolicy naming the field and the rule', () => {
    const make = (tokenPolicy: TokenPolicy) => new ZhichiClient({ apiKey: 'k', apiSecret: 's', companyId: 'c', env: {}, tokenPolicy });
    expect(() => make({ lockTtlMs: 0 })).toThrow(ZhichiValidationError);
    expect(() => make({ lockTtlMs: 0 })).toThrow(/tokenPolicy\.lockTtlMs must be a positive integer number of ms/);
    expect(() => make({ mintBurst: 1.5 })).toThrow(/tokenPolicy\.mintBurst must be a positive integer/);
    expect(() => make({ minMintIntervalMs: -1 })).toThrow(/tokenPolicy\.minMintIntervalMs must be 0 \(off\)/);
  });

  it('importing the client does not load ioredis; using a Redis store does', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const req = createRequire(import.meta.url);
      const loaded = () => Object.keys(req.cache).some((k) => k.includes('/node_modules/ioredis/'));
      const { ZhichiClient } = await import('./src/index.ts');
      new ZhichiClient({ apiKey: 'k', apiSecret: 's', companyId: 'c', env: {}, redisUrl: 'redis://127.0.0.1:1' });
      const before = loaded();
      const { RedisTokenStore } = await import('./src/auth/redis-token-store.ts');
      await new RedisTokenStore({ url: 'redis://127.0.0.1:1' }).get('k').catch(() => {});
      console.log(JSON.stringify({ before, after: loaded() }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url).pathname });
    expect(JSON.parse(stdout.trim())).toEqual({ before: false, after: true });
  });
});

describe.skipIf(!run)('ZhichiClient and ZhichiFactory with Redis', () => {
  let emu: EmulatorHandle;
  const prefix = `zhichi-test:mgr:${RUN}:client:`;
  const env = () => ({ ZHICHI_KEY: 'ck', ZHICHI_SECRET: 'cs-secret-31', ZHICHI_COMPANY_ID: 'cc', ZHICHI_BASE_URL: emu.url, ZHICHI_REDIS_URL: TEST_REDIS_URL });
  beforeAll(async () => {
    // A new mint revokes the previous token, as Sobot's other APIs do.
    emu = await startEmulator({ apiKey: 'ck', apiSecret: 'cs-secret-31', companyId: 'cc', env: {}, revokeOnMint: true });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('ZHICHI_REDIS_URL puts the token in Redis under the prefix; clients and the factory share it', async () => {
    const logger = collectingLogger();
    const c1 = new ZhichiClient({ env: env(), tokenKeyPrefix: prefix, logger });
    const c2 = new ZhichiClient({ env: env(), tokenKeyPrefix: prefix, logger });
    expect(await c1.robots.count()).toBe(10);
    expect(await c2.robots.count()).toBe(10);
    const token = await c1.getToken();
    const raw = new Redis(TEST_REDIS_URL);
    try {
      const key = tokenKey(prefix, emu.url, 'ck', 'cs-secret-31', 'cc');
      expect(JSON.parse((await raw.get(key))!).accessToken).toBe(token);
      expect(await raw.pttl(key)).toBeGreaterThan(86_000_000);
      // The seed-style factory builds a ZhichiClient inside: same env, same shared token.
      const res = await new ZhichiFactory({ env: env(), tokenKeyPrefix: prefix }).create().getRobotsCount();
      expect(res.isStatus()).toBe(true);
      expect(emu.stats().tokensIssued).toBe(1);
      // The seed's refresh flag: a new token, stored for the others.
      const fresh = await c2.getToken({ refresh: true });
      expect(fresh).not.toBe(token);
      expect(JSON.parse((await raw.get(key))!).accessToken).toBe(fresh);
      expect(await c1.getToken()).toBe(token); // c1 keeps its process-local copy until a 401
      // c1's token was revoked by that mint: 401, the shared token is already newer, no mint.
      expect(await c1.robots.count()).toBe(10);
      expect(await c1.getToken()).toBe(fresh);
      expect(emu.stats().tokensIssued).toBe(2);
    } finally {
      raw.disconnect();
      await c1.close();
      await c2.close();
    }
    expect(logger.lines.join('\n')).not.toContain('cs-secret-31');
    expect(await redisAnswers(TEST_REDIS_URL)).toBe(true);
  });
});
