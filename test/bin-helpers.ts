// Runs the real `zhichi` binary (bin/zhichi.mjs, through its shebang) as a child process: what a
// user's shell runs. The binary loads dist/cli.js, built before the suite by test/global-setup.ts.
import { execFile, spawn } from 'node:child_process';
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

/** A long-running `zhichi` child (e.g. `webhooks serve`): its output so far, a wait for a pattern, a stop. */
export interface BinChild {
  out(): string;
  err(): string;
  /** Resolves once stdout+stderr match `re` (rejects when the child exits first). */
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

/** Starts `bin/zhichi.mjs argv` and keeps it running. */
export function startBin(argv: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): BinChild {
  const child = spawn(BIN, argv, { env: { PATH: process.env.PATH ?? '', HOME: opts.cwd ?? process.env.HOME ?? '', ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exited: number | null = null;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout.setEncoding('utf8').on('data', (s: string) => ((out += s), wake()));
  child.stderr.setEncoding('utf8').on('data', (s: string) => ((err += s), wake()));
  const exit = new Promise<number>((r) => child.on('exit', (code, sig) => ((exited = code ?? (sig ? 128 : 1)), wake(), r(exited))));
  return {
    out: () => out,
    err: () => err,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = (out + err).match(re);
          if (m) {
            waiters.delete(check);
            resolve(m);
          } else if (exited !== null) {
            waiters.delete(check);
            reject(new Error(`zhichi exited ${exited} before ${re}: ${out}${err}`));
          }
        };
        waiters.add(check);
        check();
      }),
    stop: async () => {
      if (exited === null) child.kill('SIGTERM');
      return exit;
    },
  };
}
