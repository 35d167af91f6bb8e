#!/usr/bin/env node
// `npm run test:stress [-- --runs N] [--busy] [files...]`: repeats the concurrency tests N times
// (default 3), optionally while a child process keeps one core busy (`--busy`, like `yes > /dev/null`),
// and fails if any run fails. A test that fails only here is a race in the product until proven
// otherwise (CONTRIBUTING.md).
import { spawn } from 'node:child_process';

const CONCURRENCY_TESTS = [
  'test/token-lock-rounds.test.ts',
  'test/token-fleet.test.ts',
  'test/token-file-store.test.ts',
  'test/token-manager.test.ts',
  'test/client.test.ts',
  'test/push-crash.test.ts',
  'test/push-e2e.test.ts',
];

const args = process.argv.slice(2);
let runs = Number(process.env.ZHICHI_STRESS_RUNS || 3);
let busy = false;
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--runs') {
    runs = Number(args[++i]);
  } else if (a === '--busy') busy = true;
  else if (a.startsWith('-')) {
    console.error(`test:stress: unknown flag ${a} (flags: --runs N, --busy)`);
    process.exit(2);
  } else files.push(a);
}
if (!Number.isInteger(runs) || runs < 1) {
  console.error('test:stress: --runs must be a positive integer');
  process.exit(2);
}

const hog = busy ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : undefined;
const stopHog = () => hog?.kill('SIGKILL');
process.on('exit', stopHog);

const results = [];
for (let r = 1; r <= runs; r++) {
  const t0 = Date.now();
  const code = await new Promise((resolve) => {
    const c = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...(files.length ? files : CONCURRENCY_TESTS)], { stdio: 'inherit' });
    c.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  results.push({ run: r, ok: code === 0, seconds: Math.round((Date.now() - t0) / 1000) });
  console.log(`test:stress: run ${r}/${runs} ${code === 0 ? 'passed' : 'FAILED'} in ${results.at(-1).seconds} s${busy ? ' (one core busy)' : ''}`);
}
stopHog();
const failed = results.filter((x) => !x.ok).length;
console.log(`test:stress: ${runs - failed} of ${runs} runs passed${busy ? ', one core busy' : ''}`);
process.exit(failed ? 1 : 0);
