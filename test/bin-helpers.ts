// Runs the real `zhichi` binary (bin/zhichi.mjs, through its shebang) as a child process: what a
// user's shell runs. Needs `npx tsup` first (the binary loads dist/cli.js).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunResult } from './cli-helpers.js';

/** The binary's path. */
export const BIN = fileURLToPath(new URL('../bin/zhichi.mjs', import.meta.url));

/** Runs `bin/zhichi.mjs argv` with exactly `env` (plus PATH and HOME) in `cwd`; never rejects. */
export function zhichiBin(argv: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      BIN,
      argv,
      { env: { PATH: process.env.PATH ?? '', HOME: opts.cwd ?? process.env.HOME ?? '', ...opts.env }, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((err as unknown as { code: number }).code) : 1;
        resolve({ code, out: stdout, err: stderr });
      },
    );
  });
}
