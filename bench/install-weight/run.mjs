#!/usr/bin/env node
// Install weight of a client-only install: packs this package (`npm pack`), installs the tarball in
// a fresh temp directory with `npm install <tgz> --omit=optional --no-audit --no-fund --prefer-offline`
// (the npm cache first, the registry for what it lacks; `--offline`: the cache only), and prints seconds,
// packages and MB of node_modules. The heavy drivers (better-sqlite3, pg, ioredis, exceljs, brokers)
// are optional peers, so they are not installed.
//   node bench/install-weight/run.mjs [--offline] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, lstatSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const offline = process.argv.includes('--offline');
const keep = process.argv.includes('--keep');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const packDir = mkdtempSync(join(tmpdir(), 'zhichi-pack-'));
// --ignore-scripts: the tarball is built from the dist/ already there (run `npx tsup` first).
const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: root, encoding: 'utf8' }));
const tgz = join(packDir, packed[0].filename);
const tgzBytes = statSync(tgz).size;

const dir = mkdtempSync(join(tmpdir(), 'zhichi-install-'));
execFileSync(npm, ['init', '-y'], { cwd: dir, stdio: 'ignore' });
const args = ['install', tgz, '--omit=optional', '--no-audit', '--no-fund', offline ? '--offline' : '--prefer-offline'];
const t0 = performance.now();
const r = spawnSync(npm, args, { cwd: dir, encoding: 'utf8' });
const seconds = (performance.now() - t0) / 1000;
if (r.status !== 0) {
  process.stderr.write(r.stdout + r.stderr);
  process.stderr.write(offline ? 'npm install --offline failed (the cache lacks a package?): rerun without --offline\n' : 'npm install failed\n');
  process.exit(1);
}

/** Packages (folders with a package.json under node_modules, scoped ones included) and bytes on disk. */
function walk(d) {
  let bytes = 0;
  let packages = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) {
      const sub = walk(p);
      bytes += sub.bytes;
      packages += sub.packages;
      if (d.endsWith('node_modules') && !e.name.startsWith('@') && !e.name.startsWith('.')) packages++;
      else if (d.split(/[\\/]/).at(-2) === 'node_modules' && d.split(/[\\/]/).at(-1).startsWith('@')) packages++;
    } else bytes += lstatSync(p).size;
  }
  return { bytes, packages };
}
const { bytes, packages } = walk(join(dir, 'node_modules'));
const top = readdirSync(join(dir, 'node_modules')).filter((n) => !n.startsWith('.'));
const result = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  npm: execFileSync(npm, ['-v'], { encoding: 'utf8' }).trim(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  mode: offline ? 'offline (npm cache only)' : 'prefer-offline (npm cache, then registry)',
  tarballKB: Math.round(tgzBytes / 1024),
  seconds: Math.round(seconds * 10) / 10,
  packages,
  nodeModulesMB: Math.round((bytes / 1e6) * 10) / 10,
  topLevel: top,
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
if (!keep) {
  rmSync(dir, { recursive: true, force: true });
  rmSync(packDir, { recursive: true, force: true });
} else process.stderr.write(`kept ${dir}\n`);
