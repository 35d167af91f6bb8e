#!/usr/bin/env -S node --
// `node --` ends node's own options: Node 20 otherwise reads a `--env-file` anywhere in argv itself
// (and exits 9 when the file is missing) before zhichi could parse its own `--env-file`.
import { run } from '../dist/cli.js';

run(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
);
