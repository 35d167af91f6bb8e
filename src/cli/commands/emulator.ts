import type { Command } from 'commander';
import { runEmulatorCommand, type EmulatorOptions } from '../../emulator/index.js';
import { resolveConnection, warnDeprecatedSecret } from '../config.js';
import { globals, intFlag, numberFlag, timeFlag } from '../context.js';
import { CliError, EXIT, type CliIO } from '../io.js';

interface EmulatorFlags {
  port?: number;
  host?: string;
  seed?: number;
  idNamespace?: string;
  speed?: number;
  manual?: boolean;
  start?: number;
  robots?: number;
  expiresIn?: number;
  timeZone?: string;
  tokenMintsPerMinute?: number;
  pushDuplicateRate?: number;
  pushReorderRate?: number;
  errorRate?: number;
  latencyMs?: number;
  resetRate?: number;
  strict?: boolean;
}

/** Env fallbacks of the emulator flags (after the flags, before the defaults). */
export const EMULATOR_ENV = {
  port: 'ZHICHI_EMULATOR_PORT',
  host: 'ZHICHI_EMULATOR_HOST',
  seed: 'ZHICHI_EMULATOR_SEED',
  speed: 'ZHICHI_EMULATOR_SPEED',
  idNamespace: 'ZHICHI_EMULATOR_ID_NAMESPACE',
} as const;

/** Builds the emulator's options from flags, then env (`ZHICHI_*`), then its defaults. */
export function emulatorOptions(f: EmulatorFlags, io: CliIO, cmd: Command): EmulatorOptions {
  const env = io.env;
  const fromEnv = <T>(name: string, parse: (v: string) => T): T | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : parse(v);
  };
  warnDeprecatedSecret(globals(cmd), io);
  const conn = resolveConnection(globals(cmd), env);
  const o: EmulatorOptions = { env };
  const port = f.port ?? fromEnv(EMULATOR_ENV.port, intFlag(EMULATOR_ENV.port, 0, 65_535));
  const host = f.host ?? fromEnv(EMULATOR_ENV.host, (v) => v);
  const seed = f.seed ?? fromEnv(EMULATOR_ENV.seed, intFlag(EMULATOR_ENV.seed, 0, 0xffffffff));
  const speed = f.speed ?? fromEnv(EMULATOR_ENV.speed, numberFlag(EMULATOR_ENV.speed, 0.001, 1e9));
  if (port !== undefined) o.port = port;
  if (host !== undefined) o.host = host;
  if (seed !== undefined) o.seed = seed;
  const ns = f.idNamespace ?? fromEnv(EMULATOR_ENV.idNamespace, (v) => v);
  if (ns !== undefined) {
    if (!/^[0-9a-f]{8}$/.test(ns)) throw new CliError(`--id-namespace must be 8 lowercase hex characters, such as 0a1b2c3d (got "${ns}")`, EXIT.USAGE);
    o.idNamespace = ns;
  }
  if (conn.apiKey) o.apiKey = conn.apiKey;
  if (conn.apiSecret) o.apiSecret = conn.apiSecret;
  if (conn.companyId) o.companyId = conn.companyId;
  const clock: NonNullable<EmulatorOptions['clock']> = { mode: f.manual ? 'manual' : 'real' };
  if (speed !== undefined) clock.speed = speed;
  if (f.start !== undefined) clock.start = f.start;
  o.clock = clock;
  if (f.robots !== undefined) o.robotCount = f.robots;
  if (f.expiresIn !== undefined) o.expiresIn = f.expiresIn;
  if (f.timeZone !== undefined) o.timeZone = f.timeZone;
  if (f.tokenMintsPerMinute !== undefined) o.tokenMintsPerMinute = f.tokenMintsPerMinute;
  if (f.strict) o.strict = true;
  const push: NonNullable<EmulatorOptions['push']> = {};
  if (f.pushDuplicateRate !== undefined) push.duplicateRate = f.pushDuplicateRate;
  if (f.pushReorderRate !== undefined) push.reorderRate = f.pushReorderRate;
  o.push = push;
  const faults: NonNullable<EmulatorOptions['faults']> = {};
  if (f.errorRate !== undefined) faults.errorRate = f.errorRate;
  if (f.latencyMs !== undefined) faults.latencyMs = f.latencyMs;
  if (f.resetRate !== undefined) faults.resetRate = f.resetRate;
  if (Object.keys(faults).length) o.faults = faults;
  return o;
}

/** `zhichi emulator`: the local V5 emulator, serving until SIGINT/SIGTERM. */
export function register(program: Command, io: CliIO): void {
  program
    .command('emulator')
    .description('run the local V5 emulator; prints its base URL on the first line, serves until Ctrl-C')
    .option('--port <n>', `TCP port, 0 = any free port (env ${EMULATOR_ENV.port}, default 0)`, intFlag('--port', 0, 65_535))
    .option('--host <host>', `interface (env ${EMULATOR_ENV.host}, default 127.0.0.1)`)
    .option('--seed <n>', `seed of every random choice (env ${EMULATOR_ENV.seed}, default 1)`, intFlag('--seed', 0, 0xffffffff))
    .option('--id-namespace <hex8>', `first 8 hex characters of every task id (env ${EMULATOR_ENV.idNamespace}, default random per start: ids never repeat across runs)`)
    .option('--speed <x>', `virtual clock speed, 3600 = one hour per second (env ${EMULATOR_ENV.speed}, default 1)`, numberFlag('--speed', 0.001, 1e9))
    .option('--manual', 'manual clock: moves only on POST /__emulator/clock/advance')
    .option('--start <time>', 'virtual start time: epoch ms, ISO time (Asia/Shanghai) or +1d', timeFlag('--start'))
    .option('--robots <n>', 'robots of the company (default 10)', intFlag('--robots', 0, 100_000))
    .option('--expires-in <s>', 'token lifetime in seconds (default 86400)', intFlag('--expires-in', 1))
    .option('--time-zone <tz>', 'time zone of the calling windows (default Asia/Shanghai)')
    .option('--token-mints-per-minute <n>', 'rate limit of GET tokens (default unlimited)', intFlag('--token-mints-per-minute', 0))
    .option('--push-duplicate-rate <r>', 'share of pushes delivered twice, 0–1', numberFlag('--push-duplicate-rate', 0, 1))
    .option('--push-reorder-rate <r>', 'share of pushes delivered out of order, 0–1', numberFlag('--push-reorder-rate', 0, 1))
    .option('--error-rate <r>', 'share of API calls answered 5xx, 0–1', numberFlag('--error-rate', 0, 1))
    .option('--latency-ms <ms>', 'latency added to every API call', intFlag('--latency-ms', 0, 600_000))
    .option('--reset-rate <r>', 'share of API calls whose connection is reset, 0–1', numberFlag('--reset-rate', 0, 1))
    .option('--strict', 'refuse (code 400, naming the field) what a Jackson backend would coerce: numbers as strings, 9:00 windows, unnormalised phones, unsafe outIds; non-JSON Content-Type (415)')
    .action(async (f: EmulatorFlags, cmd: Command) => {
      const options = emulatorOptions(f, io, cmd);
      let code: number;
      try {
        const out: Parameters<typeof runEmulatorCommand>[1] = { stdout: io.stdout, stderr: io.stderr };
        if (io.signal) out.signal = io.signal;
        if (globals(cmd).json) out.json = true;
        code = await runEmulatorCommand(options, out);
      } catch (err) {
        // Option checks throw TypeError naming the option; a busy port is a usage problem too.
        if (err instanceof TypeError || err instanceof RangeError) throw new CliError(`emulator: ${err.message}`, EXIT.USAGE);
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
          throw new CliError(`emulator: cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0} (${e.code})`, EXIT.USAGE);
        }
        throw err;
      }
      if (code !== 0) throw new CliError('', code);
    });
}
