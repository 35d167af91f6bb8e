// Agents campaign benchmark: 1,000,000 customers, 50 AI seats, run to COMPLETED in virtual time.
// Runs the emulator's Agents surface ("ours": customers imported through importCustomerAsync over
// HTTP with signed requests, the shared campaign engine, callback bookkeeping for every call) and the
// campaign-sim baseline ("naive": same dialer rules, one object per contact and per call record),
// each in its own process, and prints wall time, peak RSS and the ratios.
// Usage: npx tsx bench/agents-sim/index.ts [customers=1000000] [robots=50]
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const N = process.argv[2] ?? '1000000';
const ROBOTS = process.argv[3] ?? '50';
const run = fileURLToPath(new URL('./run.ts', import.meta.url));

function measure(kind: string): Record<string, any> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', run, kind, N, ROBOTS], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

console.log(`agents-sim: ${N} customers, ${ROBOTS} AI seats, window 09:00–20:00 Asia/Shanghai, 1 redial after 60 min on the NOT_CONNECTED statuses`);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
const ours = measure('ours');
const naive = measure('naive');
const cols = ['kind', 'contacts', 'calls', 'virtualDays', 'loadMs', 'simulateMs', 'totalMs', 'maxRssMB'] as const;
console.log(cols.join('\t'));
for (const r of [ours, naive]) console.log(cols.map((c) => String(r[c])).join('\t'));
console.log(`ours check: ${JSON.stringify(ours.check)}`);
if (ours.calls !== naive.calls || ours.answered !== naive.answered) console.log('WARNING: the two runs made different calls');
console.log(`simulate time ratio naive/ours: ${(naive.simulateMs / ours.simulateMs).toFixed(2)}x`);
console.log(`peak RSS ratio naive/ours: ${(naive.maxRssMB / ours.maxRssMB).toFixed(2)}x`);
console.log(`targets (as campaign-sim): total ${ours.totalMs} ms <= 30000 ms ${ours.totalMs <= 30_000 ? 'OK' : 'MISSED'}; peak RSS ${ours.maxRssMB} MB <= 1024 MB ${ours.maxRssMB <= 1024 ? 'OK' : 'MISSED'}`);
