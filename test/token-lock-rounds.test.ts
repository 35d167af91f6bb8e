// Issue 10, "Done when": stale-lock takeover with real child processes, many rounds. Each round a
// dead holder's mint lock is in the way (its holder "died": the lock is past its TTL, or about to
// expire in Redis) and four processes, released at the same instant, all need a token: exactly one
// of them may mint, and all must end with that one token. Rounds: ZHICHI_LOCK_ROUNDS (default 50).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, redisForTests, startWorkers, type Worker } from './fixtures/token-fleet.js';
import { tempDir } from './cli-helpers.js';

const ROUNDS = Number(process.env.ZHICHI_LOCK_ROUNDS || 50);
const PROCESSES = 4;
const SCRIPT = fileURLToPath(new URL('./fixtures/lock-worker.ts', import.meta.url));
const redisUp = await redisForTests('token-lock-rounds');

let workers: Worker[] = [];
const tmp = tempDir();

beforeAll(async () => {
  workers = await startWorkers(PROCESSES, SCRIPT);
}, 120_000);

afterAll(() => {
  for (const w of workers) w.kill();
  tmp.cleanup();
});

interface Round {
  store: 'file' | 'redis';
  path?: string;
  redisUrl?: string;
  key: string;
  mintLog: string;
  round: number;
}

/** Preps every worker for the round, plants the dead lock, then releases them all at once. */
async function runRound(r: Round, plantDeadLock: () => Promise<void>): Promise<{ tokens: string[]; mintLines: string[] }> {
  writeFileSync(r.mintLog, '');
  await Promise.all(
    workers.map(async (w) => {
      w.send({ cmd: 'prep', ...r });
      const m = await w.next();
      if (m.ev !== 'ready') throw new Error(`unexpected ${JSON.stringify(m)}`);
    }),
  );
  await plantDeadLock();
  const answers = workers.map((w) => w.next<{ ev: string; token: string }>(60_000));
  for (const w of workers) w.send({ cmd: 'go' });
  const tokens = (await Promise.all(answers)).map((a) => a.token);
  return { tokens, mintLines: readFileSync(r.mintLog, 'utf8').split('\n').filter(Boolean) };
}

function expectOneMint(round: number, got: { tokens: string[]; mintLines: string[] }): void {
  expect(got.mintLines, `round ${round}: mints`).toHaveLength(1);
  expect(new Set(got.tokens).size, `round ${round}: tokens ${got.tokens.join(', ')}`).toBe(1);
  expect(got.tokens[0]).toBe(`tok-${round}-${got.mintLines[0]}`);
}

describe(`stale-lock takeover, ${ROUNDS} rounds x ${PROCESSES} real processes`, () => {
  it('FileTokenStore: a dead holder\'s lock file in the way, exactly one mint each round', async () => {
    const dir = join(tmp.dir, 'file-rounds');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'tokens.json');
    for (let round = 0; round < ROUNDS; round++) {
      const key = `zhichi:token:round-${round}`;
      const got = await runRound({ store: 'file', path, key, mintLog: join(dir, 'mints.log'), round }, async () => {
        // What a process that died holding the lock leaves: generation 0, 200 ms TTL, last touched 1 s ago.
        const lock = `${path}.${createHash('sha256').update(`${key}:lock`).digest('hex').slice(0, 16)}.lock.0`;
        writeFileSync(lock, JSON.stringify({ fence: `0.${randomBytes(16).toString('hex')}`, ttlMs: 200, pid: 999_999 }));
        const old = new Date(Date.now() - 1_000);
        utimesSync(lock, old, old);
      });
      expectOneMint(round, got);
    }
  }, 300_000);

  it.skipIf(!redisUp)('RedisTokenStore: a dead holder\'s lock expiring under the waiters, exactly one mint each round', async () => {
    const { Redis } = await import('ioredis');
    const raw = new Redis(TEST_REDIS_URL);
    const run = randomBytes(4).toString('hex');
    const dir = join(tmp.dir, 'redis-rounds');
    mkdirSync(dir, { recursive: true });
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const key = `zhichi-test:lock-rounds:${run}:${round}`;
        const got = await runRound({ store: 'redis', redisUrl: TEST_REDIS_URL, key, mintLog: join(dir, 'mints.log'), round }, async () => {
          // The dead holder's lock has 100 ms of its TTL left: every process meets it and waits.
          await raw.set(`${key}:lock`, 'dead-holder-fence', 'PX', 100);
        });
        expectOneMint(round, got);
        await raw.del(key, `${key}:lock`);
      }
    } finally {
      raw.disconnect();
    }
  }, 300_000);
});
