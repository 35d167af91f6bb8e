// Runs once before the whole suite (vitest globalSetup): makes sure dist/ is built from the current
// sources, because several tests run what users run (bin/zhichi.mjs on dist/cli.js, the ESM and CJS
// builds, the package's exports). Building here, once, and never inside a test matters: tsup cleans
// dist/ before it writes, so a test that rebuilt it would pull the files from under every test running
// beside it. After `npm ci` (its prepare script builds) nothing newer than dist/ exists and this is a
// no-op; after an edit it rebuilds once.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
/** What a build writes last or depends on (every entry's ESM, CJS and types, the dashboard page). */
const OUTPUTS = ['index.js', 'index.cjs', 'index.d.ts', 'cli.js', 'cli.cjs', 'receiver.js', 'dashboard.js', 'dashboard-app/app.js'];

function newestInput(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestInput(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const outputs = OUTPUTS.map((f) => join(root, 'dist', f));
  const built = outputs.every((f) => existsSync(f)) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
  const inputs = Math.max(newestInput(join(root, 'src')), statSync(join(root, 'tsup.config.ts')).mtimeMs, statSync(join(root, 'package.json')).mtimeMs);
  if (built >= inputs) return;
  process.stderr.write('[test setup] dist/ is older than the sources: building it once (tsup)\n');
  execFileSync(process.execPath, [join(root, 'node_modules/tsup/dist/cli-default.js'), '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
}
