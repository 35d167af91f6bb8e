/** What a CLI command may touch: the CLI is a function of its arguments and this object (tests pass their own). */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** True when stdout is a terminal: tables and progress bars; false: plain lines. */
  isTTY: boolean;
  /** Aborted on SIGINT/SIGTERM for long-running commands (emulator, webhooks serve). */
  signal?: AbortSignal;
  /**
   * Runs `fn` every `ms` until the returned function is called (periodic summaries of long-running
   * commands). @default an unref'd `setInterval`; tests inject their own and tick it by hand.
   */
  every?(ms: number, fn: () => void): () => void;
  /**
   * Stdout without the redaction `zhichi` puts on `stdout` and `stderr` for every command: only for
   * what is printed as it is on purpose (`token --show`, `results export` written as stored). Unset:
   * `stdout`.
   */
  stdoutRaw?(text: string): void;
}

/** The unredacted stdout of {@link CliIO.stdoutRaw}. */
export function rawStdout(io: CliIO): (text: string) => void {
  return io.stdoutRaw ? io.stdoutRaw.bind(io) : io.stdout.bind(io);
}

/** `io.every`, or an unref'd interval. */
export function everyOf(io: CliIO): (ms: number, fn: () => void) => () => void {
  if (io.every) return io.every.bind(io);
  return (ms, fn) => {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  };
}

/** Exit codes of `zhichi` (documented in the README). */
export const EXIT = {
  OK: 0,
  /** Unexpected failure. */
  ERROR: 1,
  /** Bad flags, missing configuration, bad input file. */
  USAGE: 2,
  /** The API answered with an error (HTTP status or business code). */
  API: 3,
  /** Could not reach the API (connection, timeout). */
  NETWORK: 4,
  /** Finished, but some rows or items were rejected (see the reject file). */
  PARTIAL: 5,
  /** A rate limit refused the request (e.g. token minting): the same command may work later. */
  RATE_LIMITED: 6,
  /** Stopped by SIGINT/SIGTERM before finishing (an import can be resumed by rerunning it). */
  INTERRUPTED: 130,
} as const;

/** Error a command throws to end with a given exit code and one clear line (an empty message prints nothing). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.USAGE) {
    super(message);
    this.name = 'CliError';
  }
}

/** The process's own IO. */
export function processIO(signal?: AbortSignal): CliIO {
  const io: CliIO = {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  };
  if (signal) io.signal = signal;
  return io;
}
