// bench/contact-import: the streaming import (ours) against a baseline that reads the whole file and
// then posts, into the same emulator, each in a child process of its own (peak RSS is per process).
// The child is bundled with esbuild first, as the CLI ships (dist/cli.js), so the tsx loader's own
// memory is not counted. Rounds alternate ours/baseline after a warm-up of the emulator.
//   npx tsx bench/contact-import/index.ts [rows=1000000] [--rounds 3] [--keep]
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ZhichiClient } from '../../src/client.js';
import { startEmulator } from '../../src/emulator/index.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
// The row count is the first bare number that is not the value of --rounds.
const ROWS = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--rounds') ?? 1_000_000);
const out = join(root, 'bench', '.out', 'contact-import');
mkdirSync(out, { recursive: true });
const file = join(out, `contacts-${ROWS}.csv`);

if (!existsSync(file)) {
  // 1 % bad rows, like the test: bad phones, missing outIds, duplicate outIds, short rows.
  const w = createWriteStream(file);
  w.write('outId,telephone,name,plan\n');
  let buf = '';
  for (let i = 1; i <= ROWS; i++) {
    if (i % 100 === 50) buf += [`b${i},1380013,x,y`, `,13900000000,x,y`, `c${i - 1},13700000000,x,y`, `d${i},13600000000`][(i / 100) % 4 | 0] + '\n';
    else buf += `c${i},1${3 + (i % 7)}${String(i).padStart(9, '0')},客户${i % 1000},plan-${i % 5}\n`;
    if (buf.length > 1 << 20) {
      if (!w.write(buf)) await new Promise<void>((r) => w.once('drain', () => r()));
      buf = '';
    }
  }
  await new Promise<void>((r) => w.end(buf, () => r()));
}

const child = join(out, 'child.mjs');
await build({ entryPoints: [join(here, 'child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: child, logLevel: 'warning' });
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3; // peak RSS varies by ~5 MB run to run

const emu = await startEmulator({ apiKey: 'bench-key', apiSecret: 'bench-secret-value', companyId: 'bench-company', env: {}, clock: { mode: 'manual' } });
const client = new ZhichiClient({ apiKey: 'bench-key', apiSecret: 'bench-secret-value', companyId: 'bench-company', baseUrl: emu.url, env: {} });
const now = emu.clock.now();
const task = async (name: string) =>
  (await client.tasks.create({
    taskName: name, templateId: '0c565ba214064f82a7071b25030f78a7', robotNum: 1, taskCronList: [{ begin: '09:00', end: '20:00' }],
    aniList: ['01052226451'], timeType: 2, startTime: now + 30 * 86_400_000, endTime: now + 31 * 86_400_000,
  })).taskId;

interface Result { mode: string; rows: number; valid: number; sent: number; ms: number; rowsPerSec: number; peakRssMB: number }
async function measure(mode: 'ours' | 'baseline', nodeFlags: string[] = []): Promise<Result> {
  const taskId = await task(`bench ${mode} ${nodeFlags.join(' ')}`);
  const { stdout } = await run(process.execPath, [...nodeFlags, child, mode, file, emu.url, taskId], { cwd: root, maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as Result;
  const info = await client.tasks.get(taskId);
  if (info.contactCount !== r.valid) throw new Error(`${mode}: the task has ${info.contactCount} contacts, expected ${r.valid}`);
  return r;
}

console.log(`contact-import: ${ROWS.toLocaleString('en-US')} rows (${(statSync(file).size / 1048576).toFixed(1)} MB CSV, 1 % bad), ${cpus().length} cores, Node ${process.version}, ${ROUNDS} rounds`);
// Warm-up: the emulator's JIT and its first big task, so that the first measured run is not penalised.
await measure('ours');
const results: Record<'ours' | 'baseline', Result[]> = { ours: [], baseline: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const m of r % 2 === 0 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const)) {
    const res = await measure(m);
    results[m].push(res);
    console.log(`round ${r + 1} ${m.padEnd(8)} ${String(res.ms).padStart(6)} ms  ${String(res.rowsPerSec).padStart(7)} rows/s  peak RSS ${String(res.peakRssMB).padStart(5)} MB`);
  }
}
const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
const summary = (m: 'ours' | 'baseline') => ({ rowsPerSec: mean(results[m].map((x) => x.rowsPerSec)), peakRssMB: Math.max(...results[m].map((x) => x.peakRssMB)) });
const ours = summary('ours');
const base = summary('baseline');
console.log(`ours     mean ${ours.rowsPerSec} rows/s, max peak RSS ${ours.peakRssMB} MB`);
console.log(`baseline mean ${base.rowsPerSec} rows/s, max peak RSS ${base.peakRssMB} MB`);
console.log(`ratio ours/baseline: throughput ${(ours.rowsPerSec / base.rowsPerSec).toFixed(2)}×, peak RSS ${(ours.peakRssMB / base.peakRssMB).toFixed(2)}× (the baseline needs ${(base.peakRssMB / ours.peakRssMB).toFixed(1)}× the memory)`);
// Peak RSS includes the garbage V8 lets pile up before collecting. The live set is what makes the
// import constant-memory: ours still completes with the heap capped at 64 MB (the baseline cannot).
const capped = await measure('ours', ['--max-old-space-size=64']);
console.log(`ours with the V8 heap capped at 64 MB (--max-old-space-size=64): ${capped.rowsPerSec} rows/s, peak RSS ${capped.peakRssMB} MB`);
console.log(`targets: >= 50,000 rows/s ${ours.rowsPerSec >= 50_000 ? 'met' : 'MISSED'}, peak RSS <= 200 MB ${ours.peakRssMB <= 200 ? 'met' : 'MISSED'}`);
await client.close();
await emu.close();
if (!process.argv.includes('--keep')) rmSync(file, { force: true });
