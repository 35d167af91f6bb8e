// RedisTokenStore against the real Redis, and MemoryTokenStore: expiry from PTTL, compare-and-delete,
// the fenced lock, the mint window, what is (not) stored.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisTokenStore } from '../src/auth/redis-token-store.js';
import { tokenKey } from '../src/auth/token-manager.js';
import { MemoryTokenStore, type StoredToken } from '../src/auth/token-store.js';
import { ZhichiValidationError } from '../src/errors.js';
import { ManualClock } from '../src/internal/clock.js';
import { TEST_REDIS_URL, freePort, redisForTests } from './fixtures/token-fleet.js';

const run = await redisForTests('token-store');
const PREFIX = `zhichi-test:store:${randomBytes(4).toString('hex')}:`;

const token = (accessToken: string, expiresAt = 0): StoredToken => ({ accessToken, tokenType: 'Bearer', expiresIn: 86_400, createTime: 1_700_000_000_000, expiresAt });

describe.skipIf(!run)('RedisTokenStore (real Redis)', () => {
  let raw: Redis;
  let store: RedisTokenStore;
  const clock = new ManualClock(5_000_000);

  beforeAll(() => {
    raw = new Redis(TEST_REDIS_URL);
    store = new RedisTokenStore({ url: TEST_REDIS_URL, now: () => clock.now() });
  });
  afterAll(async () => {
    const keys = await raw.keys(`${PREFIX}*`);
    if (keys.length) await raw.del(...keys);
    raw.disconnect();
    await store.close();
  });

  it('stores with a Redis-side TTL and computes expiresAt from PTTL and the reader\'s clock', async () => {
    const key = `${PREFIX}ttl`;
    // The writer's expiresAt is meaningless to other hosts: only the TTL must travel.
    await store.set(key, token('tok-ttl-1', 123), 60_000);
    const pttl = await raw.pttl(key);
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    const got = await store.get(key);
    expect(got?.accessToken).toBe('tok-ttl-1');
    expect(got!.expiresAt - clock.now()).toBeGreaterThan(55_000);
    expect(got!.expiresAt - clock.now()).toBeLessThanOrEqual(60_000);
    // A reader whose clock is an hour ahead sees the same remaining life, an hour later.
    const skewed = new RedisTokenStore({ url: TEST_REDIS_URL, now: () => clock.now() + 3_600_000 });
    const other = await skewed.get(key);
    await skewed.close();
    expect(other!.expiresAt - (clock.now() + 3_600_000)).toBeGreaterThan(55_000);
    expect(other!.expiresAt - (clock.now() + 3_600_000)).toBeLessThanOrEqual(60_000);
  });

  it('never stores the apiSecret, and the key does not reveal the apiKey', async () => {
    const apiKey = 'visible-api-key-123';
    const apiSecret = 'very-secret-456';
    const key = tokenKey(PREFIX, 'http://x/api/6.0.0/', apiKey, apiSecret, 'co');
    expect(key.startsWith(PREFIX)).toBe(true);
    expect(key).not.toContain(apiKey);
    expect(key).not.toContain(apiSecret);
    await store.set(key, token('tok-secret-check'), 10_000);
    const value = await raw.get(key);
    expect(value).not.toContain(apiSecret);
    expect(value).not.toContain(apiKey);
    expect(JSON.parse(value!)).toEqual({ accessToken: 'tok-secret-check', tokenType: 'Bearer', expiresIn: 86_400, createTime: 1_700_000_000_000 });
    // Different base URL, apiKey, secret or company: different keys (a wrong secret never finds the right one's token).
    expect(tokenKey(PREFIX, 'http://x/api/6.0.0/', apiKey, apiSecret, 'co')).toBe(key);
    expect(tokenKey(PREFIX, 'http://y/api/6.0.0/', apiKey, apiSecret, 'co')).not.toBe(key);
    expect(tokenKey(PREFIX, 'http://x/api/6.0.0/', 'other', apiSecret, 'co')).not.toBe(key);
    expect(tokenKey(PREFIX, 'http://x/api/6.0.0/', apiKey, 'very-secret-457', 'co')).not.toBe(key);
    expect(tokenKey(PREFIX, 'http://x/api/6.0.0/', apiKey, apiSecret, 'co2')).not.toBe(key);
  });

  it('deleteIf deletes only the token that failed (compare-and-delete)', async () => {
    const key = `${PREFIX}cad`;
    await store.set(key, token('tok-new'), 10_000);
    expect(await store.deleteIf(key, 'tok-old')).toBe(false);
    expect((await store.get(key))?.accessToken).toBe('tok-new');
    expect(await store.deleteIf(key, 'tok-new')).toBe(true);
    expect(await store.get(key)).toBeUndefined();
    expect(await store.deleteIf(key, 'tok-new')).toBe(false);
    // A value that is not ours is left alone, not an error.
    await raw.set(key, 'not json', 'PX', 10_000);
    expect(await store.deleteIf(key, 'x')).toBe(false);
    expect(await store.get(key)).toBeUndefined();
  });

  it('lock: SET NX PX with a random fence; only the holder releases or renews it', async () => {
    const key = `${PREFIX}lock`;
    const fence = await store.tryLock(key, 5_000);
    expect(fence).toMatch(/^[0-9a-f]{32}$/);
    expect(await store.tryLock(key, 5_000)).toBeUndefined();
    expect(await raw.pttl(key)).toBeLessThanOrEqual(5_000);
    expect(await store.unlock(key, 'not-the-fence')).toBe(false);
    expect(await store.renewLock(key, 'not-the-fence', 60_000)).toBe(false);
    expect(await raw.get(key)).toBe(fence);
    expect(await store.renewLock(key, fence!, 60_000)).toBe(true);
    expect(await raw.pttl(key)).toBeGreaterThan(5_000);
    expect(await store.unlock(key, fence!)).toBe(true);
    expect(await raw.exists(key)).toBe(0);
    const again = await store.tryLock(key, 5_000);
    expect(again).toBeDefined();
    expect(again).not.toBe(fence);
    await store.unlock(key, again!);
  });

  it('a lock expires on its own after its TTL (a dead holder blocks at most that long)', async () => {
    const key = `${PREFIX}lock-expiry`;
    expect(await store.tryLock(key, 50)).toBeDefined();
    expect(await store.tryLock(key, 50)).toBeUndefined();
    // Real Redis time: wait for the key to expire rather than for a fixed time.
    for (let i = 0; i < 200 && (await raw.exists(key)); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await store.tryLock(key, 50)).toBeDefined();
  });

  it('mint window: counts mints, the first one opens the window', async () => {
    const key = `${PREFIX}mints`;
    expect(await store.mintWindow(key)).toEqual({ count: 0, resetInMs: 0 });
    await store.recordMint(key, 30_000);
    await store.recordMint(key, 30_000);
    const w = await store.mintWindow(key);
    expect(w.count).toBe(2);
    expect(w.resetInMs).toBeGreaterThan(25_000);
    expect(w.resetInMs).toBeLessThanOrEqual(30_000);
  });

  it('fails fast with a clear error when Redis is unreachable, and never hangs', async () => {
    const dead = new RedisTokenStore({ url: `redis://:pw-in-url-77@127.0.0.1:${await freePort()}` });
    const err = await dead.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('TokenStoreUnavailableError');
    expect((err as Error).message).toMatch(/token store 127\.0\.0\.1:\d+ unavailable/);
    expect((err as Error).message).not.toContain('pw-in-url-77');
    // Within reconnectAfterMs it does not even try to connect again.
    const again = await dead.get('k').catch((e: unknown) => e);
    expect((again as Error).name).toBe('TokenStoreUnavailableError');
    await dead.close();
  });

  it('works with a caller-owned ioredis client that is still connecting, and leaves it open', async () => {
    const own = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const s = new RedisTokenStore({ client: own });
    const key = `${PREFIX}external`;
    await s.set(key, token('tok-external'), 10_000);
    expect((await s.get(key))?.accessToken).toBe('tok-external');
    await s.close();
    expect(own.status).toBe('ready');
    own.disconnect();
  });

  it('rejects bad options naming the field', () => {
    expect(() => new RedisTokenStore({})).toThrow(ZhichiValidationError);
    expect(() => new RedisTokenStore({ url: 'http://x' })).toThrow(/url must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => new RedisTokenStore({ url: TEST_REDIS_URL, commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs must be a positive integer/);
  });
});

describe('MemoryTokenStore', () => {
  it('expires tokens on its clock, compare-and-deletes, locks with fences, counts mints', async () => {
    const clock = new ManualClock(1_000);
    const s = new MemoryTokenStore(() => clock.now());
    await s.set('k', token('a'), 100);
    expect((await s.get('k'))?.accessToken).toBe('a');
    expect(await s.deleteIf('k', 'b')).toBe(false);
    clock.advance(100);
    expect(await s.get('k')).toBeUndefined();

    const f = await s.tryLock('l', 10_000);
    expect(f).toBeDefined();
    expect(await s.tryLock('l', 10_000)).toBeUndefined();
    expect(await s.unlock('l', 'nope')).toBe(false);
    expect(await s.unlock('l', f!)).toBe(true);
    expect(await s.tryLock('l', 10_000)).toBeDefined();

    await s.recordMint('m', 1_000);
    await s.recordMint('m', 1_000);
    expect((await s.mintWindow('m')).count).toBe(2);
    clock.advance(1_000);
    expect((await s.mintWindow('m')).count).toBe(0);
  });
});
