import { Command, CommanderError, Option } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { register as registerAgents } from './commands/agents.js';
import { register as registerCompany } from './commands/company.js';
import { register as registerContacts } from './commands/contacts.js';
import { register as registerDashboard } from './commands/dashboard.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerEmulator } from './commands/emulator.js';
import { register as registerRelay } from './commands/relay.js';
import { register as registerResults } from './commands/results.js';
import { register as registerTasks } from './commands/tasks.js';
import { register as registerToken } from './commands/token.js';
import { register as registerWebhooks } from './commands/webhooks.js';
import { CONFIG_VARS, mergedEnv } from './config.js';
import { debugDetails, describeFailure, oneLine } from './failure.js';
import { EXIT, processIO, rawStdout, type CliIO } from './io.js';
import { redactText } from '../internal/redact.js';

/** Builds the `zhichi` program for one run; every output goes through `io`. */
export function buildProgram(io: CliIO, onCommanderError: (text: string) => void): Command {
  const program = new Command('zhichi')
    .description('Sobot (智齿) outbound-robot V5 from the terminal: tasks, contacts, results, the local emulator and a demo')
    .version(pkg.version, '-V, --version')
    .option('--json', 'machine-readable JSON on stdout')
    .option('--debug', 'print the stack of an error (secrets stay redacted)')
    .option('--key <apiKey>', 'apiKey (env ZHICHI_KEY)')
    .option('--api-secret <apiSecret>', 'apiSecret (env ZHICHI_SECRET; prefer the env: flags show in the process list)')
    // Deprecated: `--secret` meant the apiSecret here and the push secret in `webhooks serve`.
    .addOption(new Option('--secret <secret>', 'deprecated: --api-secret (webhooks serve: --push-secret)').hideHelp())
    .option('--company-id <id>', 'company id (env ZHICHI_COMPANY_ID)')
    .option('--base-url <url>', 'API base URL (env ZHICHI_BASE_URL, default https://gw.soboten.com/api/6.0.0/)')
    .option('--redis-url <url>', 'Redis URL for a token cache shared across processes (env ZHICHI_REDIS_URL)')
    .option('--token-cache <path|off>', 'file caching the access token across runs when no Redis is set, or off (env ZHICHI_TOKEN_CACHE, default ~/.cache/zhichi/tokens.json)')
    .option('--db <path|url>', 'push-event store: SQLite file or postgres:// URL (env ZHICHI_DB)')
    .option('--env-file <path>', 'read settings from this file instead of ./.env')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s) => onCommanderError(s),
    })
    .showSuggestionAfterError(true)
    // `zhichi tasks list --help` also lists --json, --key, --base-url…: they are accepted there too.
    .configureHelp({ showGlobalOptions: true })
    .helpCommand(false);
  // Subcommands created from here on inherit exitOverride and the output configuration.
  registerToken(program, io);
  registerCompany(program, io);
  registerTasks(program, io);
  registerContacts(program, io);
  registerWebhooks(program, io);
  registerResults(program, io);
  registerRelay(program, io);
  registerEmulator(program, io);
  registerDemo(program, io);
  registerAgents(program, io);
  registerDashboard(program, io);
  registerDoctor(program, io);
  const vars = CONFIG_VARS.map((v) => `  ${v.env.padEnd(20)} ${v.flag.padEnd(24)} ${v.what}`).join('\n');
  program.addHelpText(
    'after',
    `\nConfiguration: flags, then the environment, then ./.env:\n${vars}
Exit codes: 0 ok, 1 unexpected error, 2 usage/configuration/input file, 3 API error, 4 network,
5 finished with rejected rows, 6 rate limited (try again later), 130 interrupted.`,
  );
  return program;
}

/** The value of `--env-file` in argv, read before commander runs (the env feeds option defaults). */
function envFileArg(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--env-file') return argv[i + 1];
    if (a.startsWith('--env-file=')) return a.slice('--env-file='.length);
  }
  return undefined;
}

/**
 * Runs `zhichi` with `argv` (without node and the script) and resolves to the exit code; never
 * calls process.exit. Without `io` it uses the process's stdout/stderr/env and turns SIGINT/SIGTERM
 * into an abort signal, so long commands stop cleanly (the emulator closes, an import saves its checkpoint).
 */
export async function run(argv: string[], io?: CliIO): Promise<number> {
  if (io) return runWith(argv, io);
  const signals = trapSignals();
  ignoreClosedStdout();
  try {
    return await runWith(argv, processIO(signals.signal));
  } finally {
    signals.release();
  }
}

let stdoutGuarded = false;
/**
 * `zhichi tasks list | head -1`: a reader that goes away is not an error worth a stack trace. The
 * EPIPE arrives asynchronously, possibly after `run` resolved, so the listener stays for the process.
 */
function ignoreClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

async function runWith(argv: string[], baseIO: CliIO): Promise<number> {
  const debug = argv.includes('--debug');
  const json = jsonFlag(argv);
  let commanderText = '';
  try {
    // Every line any command prints passes one redaction (secrets in URLs, bearer tokens, registered
    // values), whatever printer wrote it; stdoutRaw is the one way around it (token --show, exports).
    const io: CliIO = {
      ...baseIO,
      env: mergedEnv(baseIO, envFileArg(argv)),
      stdout: (t) => baseIO.stdout(redactText(t)),
      stderr: (t) => baseIO.stderr(redactText(t)),
      stdoutRaw: rawStdout(baseIO),
    };
    const program = buildProgram(io, (s) => {
      commanderText += s;
    });
    if (argv.length === 0) {
      io.stdout(program.helpInformation());
      return EXIT.USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with code 0 after printing on stdout.
      if (err.exitCode === 0) return EXIT.OK;
      const lines = commanderText.split('\n').filter((l) => l.trim() !== '');
      const first = lines[0] ?? err.message;
      // Commander's "(Did you mean --status?)" comes on its own line: keep it on the one error line.
      const suggestion = lines.find((l) => l.startsWith('(Did you mean'));
      const line = oneLine(`${first.startsWith('error:') ? first : `error: ${first}`}${suggestion ? ` ${suggestion}` : ''}`);
      printError(baseIO, json, line, EXIT.USAGE);
      return EXIT.USAGE;
    }
    const f = describeFailure(err);
    if (f.line) printError(baseIO, json, `error: ${f.line}`, f.exitCode);
    if (debug && f.line) baseIO.stderr(debugDetails(err));
    return f.exitCode;
  }
}

/** True when `--json` is among the options (before a `--`). */
function jsonFlag(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Prints a failure on stderr: the `error: …` line, or under `--json` one JSON line
 * `{"error":{"message","exitCode"}}` (stdout keeps only results, so a pipe into `jq` never sees an error as data).
 */
function printError(io: CliIO, json: boolean, line: string, exitCode: number): void {
  if (!json) {
    io.stderr(`${line}\n`);
    return;
  }
  io.stderr(JSON.stringify({ error: { message: line.replace(/^error:\s*/, ''), exitCode } }) + '\n');
}

/** SIGINT/SIGTERM → abort; a second signal restores the default handler and re-raises it. */
function trapSignals(): { signal: AbortSignal; release(): void } {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!ac.signal.aborted) {
      ac.abort(Object.assign(new Error(`interrupted by ${sig}`), { name: 'AbortError' }));
      return;
    }
    release();
    process.kill(process.pid, sig);
  };
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: ac.signal, release };
}
