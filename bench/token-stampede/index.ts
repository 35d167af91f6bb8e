// Token stampede: 8 processes x 200 concurrent calls on a cold cache, sharing a token through
// Redis, three ways in one run:
//   naive          the seed's cache-aside (GET from Redis; on a miss mint and SET), on every call
//   single-flight  the token manager over Redis without the cross-process lock
//   ours           the token manager over RedisTokenStore (lock, re-check, wait for the winner)
// Prints the mints of each, failed calls, and p50/p99 latency of each process's first call and of
// all calls. Needs Redis at 127.0.0.1:6379 (or ZHICHI_TEST_REDIS_URL).
//
//   npx tsx bench/token-stampede/index.ts [--rounds 5] [--processes 8] [--calls 200] [--latency 0,100]
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { TEST_REDIS_URL, goAll, redisAnswers, startWorkers, type Worker } from '../../test/fixtures/token-fleet.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    processes: { type: 'string', default: '8' },
    calls: { type: 'string', default: '200' },
    latency: { type: 'string', default: '0,100' },
  },
});
const ROUNDS = Number(values.rounds);
const PROCESSES = Number(values.processes);
const CALLS = Number(values.calls);
const LATENCIES = values.latency!.split(',').map(Number);
const MODES = ['naive', 'single-flight', 'ours'] as const;
type Mode = (typeof MODES)[number];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : 0;
};

interface Row {
  scenario: string;
  mode: Mode;
  mints: number[];
  failed: number;
  first: number[];
  all: number[];
}

async function round(workers: Worker[], emu: EmulatorHandle, mode: Mode): Promise<{ mints: number; failed: number; first: number[]; all: number[] }> {
  const prefix = `zhichi-bench:${randomBytes(6).toString('hex')}:`;
  const before = emu.stats().tokensIssued as number;
  await Promise.all(
    workers.map((w) =>
      w.setup(
        { apiKey: 'bench-key', apiSecret: 'bench-secret', companyId: 'bench-co', baseUrl: emu.url, redisUrl: TEST_REDIS_URL, tokenKeyPrefix: prefix, tokenPolicy: { minMintIntervalMs: 0 } },
        mode,
      ),
    ),
  );
  const results = await goAll(workers, CALLS);
  await Promise.all(workers.map((w) => w.teardown()));
  return {
    mints: (emu.stats().tokensIssued as number) - before,
    failed: results.reduce((n, r) => n + r.failed, 0),
    first: results.map((r) => r.firstCall),
    all: results.flatMap((r) => r.lat),
  };
}

async function main(): Promise<void> {
  if (!(await redisAnswers(TEST_REDIS_URL))) {
    console.error(`Redis does not answer at ${TEST_REDIS_URL}`);
    process.exit(1);
  }
  console.log(`token-stampede: ${PROCESSES} processes x ${CALLS} concurrent calls, cold cache, ${ROUNDS} rounds per cell; ${cpus().length} cores, Node ${process.version}`);
  const workers = await startWorkers(PROCESSES);
  const rows: Row[] = [];
  try {
    const scenarios = [...LATENCIES.map((l) => ({ latency: l, revokeOnMint: false })), { latency: LATENCIES.at(-1)!, revokeOnMint: true }];
    for (const sc of scenarios) {
      const name = `token latency ${sc.latency} ms${sc.revokeOnMint ? ', new mint revokes the previous token' : ''}`;
      const emu = await startEmulator({ apiKey: 'bench-key', apiSecret: 'bench-secret', companyId: 'bench-co', env: {}, revokeOnMint: sc.revokeOnMint });
      if (sc.latency) emu.setFaults({ endpoints: { token: { latencyMs: sc.latency } } });
      const byMode = new Map<Mode, Row>(MODES.map((m) => [m, { scenario: name, mode: m, mints: [], failed: 0, first: [], all: [] }]));
      // Interleave the modes round by round so background load hits them alike.
      for (let r = 0; r < ROUNDS; r++) {
        for (const mode of MODES) {
          const res = await round(workers, emu, mode);
          const row = byMode.get(mode)!;
          row.mints.push(res.mints);
          row.failed += res.failed;
          row.first.push(...res.first);
          row.all.push(...res.all);
        }
      }
      await emu.close();
      rows.push(...byMode.values());
      console.log(`\n${name}`);
      console.log('mode           mints/round (min-max)  failed calls  first call p50 / p99 ms  all calls p50 / p99 ms');
      for (const row of byMode.values()) {
        const avg = row.mints.reduce((a, b) => a + b, 0) / row.mints.length;
        console.log(
          `${row.mode.padEnd(14)} ${`${avg.toFixed(1)} (${Math.min(...row.mints)}-${Math.max(...row.mints)})`.padEnd(22)} ${String(row.failed).padEnd(13)} ${`${pct(row.first, 50).toFixed(1)} / ${pct(row.first, 99).toFixed(1)}`.padEnd(24)} ${pct(row.all, 50).toFixed(1)} / ${pct(row.all, 99).toFixed(1)}`,
        );
      }
      const ours = byMode.get('ours')!;
      const naive = byMode.get('naive')!;
      const m = (r: Row) => r.mints.reduce((a, b) => a + b, 0) / r.mints.length;
      console.log(`ratio naive/ours: mints ${(m(naive) / m(ours)).toFixed(1)}x, first-call p50 ${(pct(naive.first, 50) / pct(ours.first, 50)).toFixed(2)}x, p99 ${(pct(naive.first, 99) / pct(ours.first, 99)).toFixed(2)}x`);
    }
  } finally {
    for (const w of workers) w.kill();
  }
}

await main();
