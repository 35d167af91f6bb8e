// Issue 3, "Done when": real child processes sharing tokens through the real Redis, against the
// emulator. Each worker is a separate Node process (test/fixtures/token-worker.ts).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { tokenKey } from '../src/auth/token-manager.js';
import type { ClientOptions } from '../src/index.js';
import {
  PrivateRedis, TEST_REDIS_URL, Worker, freePort, goAll, haveRedisServer, redisForTests, startWorkers, type WorkerResult,
} from './fixtures/token-fleet.js';

const KEY = 'fleet-key';
const SECRET = 'fleet-secret-9Zq';
const COMPANY = 'fleet-co';
const PROCESSES = 8;
const CALLS = 200;

const run = await redisForTests('token-fleet');
const canStartRedis = await haveRedisServer();
const RUN_ID = randomBytes(4).toString('hex');
let seq = 0;
/** A key prefix no other test run uses, so every scenario starts on a cold cache. */
const prefix = () => `zhichi-test:${RUN_ID}:${++seq}:`;

let workers: Worker[] = [];
const emulators: EmulatorHandle[] = [];

async function emulator(extra: { revokeOnMint?: boolean } = {}): Promise<EmulatorHandle> {
  const emu = await startEmulator({ apiKey: KEY, apiSecret: SECRET, companyId: COMPANY, env: {}, ...extra });
  emulators.push(emu);
  return emu;
}

function options(emu: EmulatorHandle, over: Partial<ClientOptions> = {}): ClientOptions {
  return {
    apiKey: KEY,
    apiSecret: SECRET,
    companyId: COMPANY,
    baseUrl: emu.url,
    redisUrl: TEST_REDIS_URL,
    tokenKeyPrefix: prefix(),
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
    ...over,
  };
}

const issued = (emu: EmulatorHandle) => emu.stats().tokensIssued as number;

function expectAllOk(results: WorkerResult[], calls: number): void {
  const failures = results.flatMap((r) => r.errors);
  expect(failures).toEqual([]);
  expect(results.map((r) => r.ok)).toEqual(results.map(() => calls));
}

async function setupAll(o: ClientOptions | ((i: number) => ClientOptions)): Promise<void> {
  await Promise.all(workers.map((w, i) => w.setup(typeof o === 'function' ? o(i) : o)));
}

async function teardownAll(): Promise<Array<{ mints: number; warnings: string[]; outages: number }>> {
  return Promise.all(workers.map((w) => w.teardown()));
}

/** Runs `calls` per worker, pausing all of them at `pauseAt`, doing `between()`, then finishing. */
async function runWithPause(calls: number, pauseAt: number, between: () => Promise<void>): Promise<WorkerResult[]> {
  // Messages come in order: "paused" first, then the result.
  const paused = workers.map((w) => w.next(120_000));
  const results = workers.map((w) => w.next<WorkerResult>(120_000));
  for (const w of workers) w.send({ cmd: 'go', calls, pauseAt });
  const p = await Promise.all(paused);
  expect(p.map((m) => m.ev)).toEqual(workers.map(() => 'paused'));
  await between();
  for (const w of workers) w.send({ cmd: 'resume' });
  return Promise.all(results);
}

describe.skipIf(!run)('tokens across processes (8 workers, real Redis, emulator)', () => {
  beforeAll(async () => {
    workers = await startWorkers(PROCESSES);
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) w.kill();
    await Promise.all(emulators.map((e) => e.close()));
  });

  it('8 processes x 200 concurrent calls on a cold cache: exactly 1 token minted', async () => {
    const emu = await emulator();
    // A slow token endpoint keeps the mint in flight while every process misses the cache.
    emu.setFaults({ endpoints: { token: { latencyMs: 200 } } });
    await setupAll(options(emu));
    const results = await goAll(workers, CALLS);
    expectAllOk(results, CALLS);
    expect(issued(emu)).toBe(1);
    expect(results.reduce((n, r) => n + r.mints, 0)).toBe(1);
    await teardownAll();
  });

  it('control: the same run without the cross-process lock mints more than once', async () => {
    const emu = await emulator();
    emu.setFaults({ endpoints: { token: { latencyMs: 200 } } });
    const o = options(emu);
    await Promise.all(workers.map((w) => w.setup(o, 'single-flight')));
    const results = await goAll(workers, CALLS);
    expectAllOk(results, CALLS);
    // Each process still mints at most once (one mint in flight per process).
    expect(issued(emu)).toBeGreaterThan(1);
    expect(issued(emu)).toBeLessThanOrEqual(PROCESSES);
    await teardownAll();
  });

  it('revoke during the run: exactly 1 more mint and no failed call', async () => {
    const emu = await emulator();
    await setupAll(options(emu));
    const results = await runWithPause(CALLS, CALLS / 2, async () => {
      expect(issued(emu)).toBe(1);
      expect(emu.revokeTokens()).toBeGreaterThan(0);
    });
    expectAllOk(results, CALLS);
    expect(issued(emu)).toBe(2);
    await teardownAll();
  });

  it('two revokes inside the mint window: the third mint is paced, no failed call, mints = 1 + revokes', async () => {
    const emu = await emulator();
    // A 3 s window (default 30 s) keeps the test short; the cold-start mint opens it.
    await setupAll(options(emu, { tokenPolicy: { minMintIntervalMs: 3000, mintBurst: 2 } }));
    const first = await runWithPause(CALLS, CALLS / 2, async () => {
      expect(issued(emu)).toBe(1);
      expect(emu.revokeTokens()).toBeGreaterThan(0);
    });
    expectAllOk(first, CALLS);
    expect(issued(emu)).toBe(2);
    const second = await runWithPause(CALLS, CALLS / 2, async () => {
      expect(emu.revokeTokens()).toBeGreaterThan(0);
    });
    expectAllOk(second, CALLS);
    expect(issued(emu)).toBe(3);
    await teardownAll();
  });

  it('two revokes inside the mint window with a wait budget too short: the clear rate error, no extra mint', async () => {
    const emu = await emulator();
    await setupAll(options(emu, { maxRetries: 0, tokenPolicy: { minMintIntervalMs: 60_000, mintBurst: 2, mintWaitMs: 100 } }));
    const first = await runWithPause(CALLS, CALLS / 2, async () => {
      emu.revokeTokens();
    });
    expectAllOk(first, CALLS);
    const second = await runWithPause(CALLS, CALLS / 2, async () => {
      emu.revokeTokens();
    });
    const errors = second.flatMap((r) => r.errors);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatch(/token mint refused after waiting \d+ ms for the mint window \(tokenPolicy\.mintWaitMs = 100\)/);
    expect(issued(emu)).toBe(2);
    await teardownAll();
  });

  it('a bad-secret process on the same Redis: the good ones lose no call (even across a revoke), the bad one gets the credentials error at once', async () => {
    const emu = await emulator();
    const o = options(emu);
    // Worker 0 is an old pod with a rotated-away secret; the others have the right one.
    await setupAll((i) => (i === 0 ? { ...o, apiSecret: 'rotated-away-secret' } : o));
    const results = await runWithPause(CALLS, CALLS / 2, async () => {
      expect(emu.revokeTokens()).toBeGreaterThan(0);
    });
    const [bad, ...good] = results;
    expectAllOk(good, CALLS);
    expect(bad!.ok).toBe(0);
    expect(bad!.failed).toBe(CALLS);
    for (const e of bad!.errors) expect(e).toMatch(/^ZhichiCredentialsError: token request refused: business error 10001/);
    // The good ones minted twice (cold start + the revoke), unhindered by the bad one's refusals;
    // the bad one asked once and then failed at once from its own memory of the refusal.
    expect(issued(emu)).toBe(2);
    expect((emu.stats().requestsByEndpoint as Record<string, number>).token).toBe(3);
    await teardownAll();
  });

  it('with "a new mint revokes the previous token": cold start and a revoke, still no failed call', async () => {
    const emu = await emulator({ revokeOnMint: true });
    await setupAll(options(emu));
    const results = await runWithPause(CALLS, CALLS / 2, async () => {
      expect(issued(emu)).toBe(1);
      emu.revokeTokens();
    });
    expectAllOk(results, CALLS);
    expect(issued(emu)).toBe(2);
    await teardownAll();
  });

  it('Redis URL pointing at a dead port: calls succeed, one warning per process, one mint per process', async () => {
    const emu = await emulator();
    const dead = `redis://127.0.0.1:${await freePort()}`;
    await setupAll(options(emu, { redisUrl: dead }));
    const results = await goAll(workers, CALLS);
    expectAllOk(results, CALLS);
    const closed = await teardownAll();
    for (const c of closed) {
      expect(c.warnings).toHaveLength(1);
      expect(c.warnings[0]).toMatch(/token store unreachable .*caching tokens in this process/);
    }
    // Without the shared store each process still mints only once (one mint in flight per process).
    expect(issued(emu)).toBe(PROCESSES);
  });

  it.skipIf(!canStartRedis)('Redis stopped during the run: calls still succeed and a warning is logged', async () => {
    const emu = await emulator();
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    try {
      await setupAll(options(emu, { redisUrl: redis.url }));
      const results = await runWithPause(CALLS, CALLS / 2, async () => {
        expect(issued(emu)).toBe(1);
        await redis.kill();
        // Make every process need the store again while it is down.
        emu.revokeTokens();
      });
      expectAllOk(results, CALLS);
      const closed = await teardownAll();
      for (const c of closed) {
        expect(c.warnings).toHaveLength(1);
        expect(c.outages).toBe(1);
      }
      // One mint per process while Redis is down (each caches its own), plus the first one.
      expect(issued(emu)).toBe(1 + PROCESSES);
    } finally {
      await redis.kill();
    }
  });

  it('the lock holder SIGKILLed mid-mint: the others get a token within the lock TTL', async () => {
    const emu = await emulator();
    const lockTtlMs = 1500;
    const o = options(emu, { tokenPolicy: { lockTtlMs, lockWaitMs: lockTtlMs + 4000 } });
    const lockKey = `${tokenKey(o.tokenKeyPrefix!, emu.url, KEY, SECRET, COMPANY)}:lock`;
    // The mint hangs: the holder takes the lock and waits for the token endpoint.
    emu.setFaults({ endpoints: { token: { latencyMs: 60_000 } } });
    const [holder] = await startWorkers(1);
    const { Redis } = await import('ioredis');
    const redis = new Redis(TEST_REDIS_URL);
    try {
      await holder!.setup(o);
      const holderResult = holder!.next(120_000).catch(() => undefined);
      holder!.send({ cmd: 'go', calls: 1 });
      let pttl = -2;
      for (let i = 0; i < 400 && pttl < 0; i++) {
        pttl = await redis.pttl(lockKey);
        if (pttl < 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(lockTtlMs);
      const others = workers.slice(0, 3);
      await Promise.all(others.map((w) => w.setup(o)));
      const results = others.map((w) => w.next<WorkerResult>(120_000));
      for (const w of others) w.send({ cmd: 'go', calls: 20 });
      holder!.kill('SIGKILL');
      await holderResult;
      // The dead holder's mint never comes back; the next mint is fast.
      emu.setFaults({});
      const r = await Promise.all(results);
      // lockWaitMs bounds the wait: a lock that outlived its TTL would end in ZhichiTimeoutError.
      expectAllOk(r, 20);
      expect(r.reduce((n, x) => n + x.mints, 0)).toBe(1);
      await Promise.all(others.map((w) => w.teardown()));
    } finally {
      holder!.kill('SIGKILL');
      redis.disconnect();
      emu.setFaults({});
    }
  });
});
