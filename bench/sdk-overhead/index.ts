// bench/sdk-overhead: requests/s of one ZhichiClient call vs a raw undici.request to the same
// loopback server (the emulator), in one run, alternating rounds so both see the same machine state.
// Run: npx tsx bench/sdk-overhead/index.ts [--requests 20000] [--concurrency 16] [--rounds 3]
import os from 'node:os';
import { Agent, request } from 'undici';
import { ZhichiClient } from '../../src/index.js';
import { startEmulator } from '../../src/emulator/index.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const REQUESTS = arg('requests', 20_000);
const CONCURRENCY = arg('concurrency', 16);
const ROUNDS = arg('rounds', 3);

async function measure(n: number, concurrency: number, call: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        await call();
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / secs;
}

const emu = await startEmulator({ apiKey: 'bench-key', apiSecret: 'bench-secret', companyId: 'bench-co', env: {} });
const client = new ZhichiClient({ apiKey: 'bench-key', apiSecret: 'bench-secret', companyId: 'bench-co', baseUrl: emu.url, env: {} });
const token = await client.getToken();
const url = `${emu.url}companies/bench-co/robots/count`;
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128 });
const raw = async () => {
  const res = await request(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, dispatcher: agent });
  const body = (await res.body.json()) as { code: number; content: number };
  if (res.statusCode !== 200 || body.code !== 200) throw new Error('raw call failed');
  return body.content;
};
const ours = () => client.robots.count();

// Warm-up both paths (JIT, connections).
await measure(2000, CONCURRENCY, raw);
await measure(2000, CONCURRENCY, ours);

const rawRates: number[] = [];
const ourRates: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  rawRates.push(await measure(REQUESTS, CONCURRENCY, raw));
  ourRates.push(await measure(REQUESTS, CONCURRENCY, ours));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rawMed = median(rawRates);
const ourMed = median(ourRates);
console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}, node ${process.version}`);
console.log(`requests/round: ${REQUESTS}, concurrency: ${CONCURRENCY}, rounds: ${ROUNDS}`);
console.log(`raw undici.request : ${rawRates.map((x) => x.toFixed(0)).join(' / ')} req/s (median ${rawMed.toFixed(0)})`);
console.log(`client.robots.count: ${ourRates.map((x) => x.toFixed(0)).join(' / ')} req/s (median ${ourMed.toFixed(0)})`);
console.log(`ratio ours/raw: ${(ourMed / rawMed).toFixed(3)} (target >= 0.85)`);
await agent.close();
await emu.close();
