import type { AddressInfo } from 'node:net';
import { registerSecret } from '../internal/redact.js';
import { EmulatorCore } from './core.js';
import { parseFaultConfig, type FaultConfig } from './faults.js';
import { resolveOptions, type EmulatorOptions } from './options.js';
import type { PushAttempt } from './pushes.js';
import { API_PREFIX, EmulatorServer, type RequestLogEntry } from './server.js';

export { EMULATOR_DEFAULTS, type EmulatorOptions } from './options.js';
export type { FaultConfig, FaultRates } from './faults.js';
export type { PushOptions, PushAttempt } from './pushes.js';
export type { RequestLogEntry } from './server.js';
export type { ClockMode } from './clock.js';
export { OUTCOME_TABLE, INTENT_WEIGHTS } from './outcomes.js';

/** A running emulator. */
export interface EmulatorHandle {
  /** Base URL for the client, `http://127.0.0.1:<port>/api/6.0.0/`. */
  url: string;
  /** Base URL for the AgentsClient (host root; the Agents API lives under `apiOpen/v1/`). */
  agentsUrl: string;
  /** Counters of the Agents surface: requests, refused signatures, callbacks by dataType. */
  agentsStats(): Record<string, unknown>;
  /** Sets the Agents tenant callback URL (as `isv/updateIsvInfo` does); null stops callbacks. */
  setAgentsCallbackUrl(url: string | null): void;
  port: number;
  host: string;
  /** The emulated company's id (the path segment of every business URL). */
  companyId: string;
  /** The first 8 hex characters of every task id of this run (see `idNamespace` in the options). */
  idNamespace: string;
  /** The emulator's clock: `now()` in epoch ms. */
  clock: { readonly mode: 'real' | 'manual'; readonly speed: number; now(): number };
  /** Moves the clock forward by `ms` and simulates everything due; resolves to the new time. */
  advance(ms: number): Promise<number>;
  /** Resolves once every push due now has been delivered or rescheduled (retries due later excluded). */
  drainPushes(): Promise<void>;
  /** Same JSON as `GET /__emulator/stats`. */
  stats(): Record<string, unknown>;
  /** Invalidates every token issued so far; returns how many were valid. */
  revokeTokens(): number;
  /** Replaces the fault configuration (`{}` clears); throws on a bad config. */
  setFaults(config: FaultConfig): void;
  /** Delivery attempts logged so far (oldest first). */
  pushAttempts(): PushAttempt[];
  /** Request log (oldest first, paths redacted). */
  requests(): RequestLogEntry[];
  /** Stops the server, the ticker and push delivery. */
  close(): Promise<void>;
}

/**
 * Starts the V5 emulator on `host:port` (defaults 127.0.0.1 and an ephemeral port).
 * @example const emu = await startEmulator({ clock: { mode: 'manual', start: Date.UTC(2026, 0, 5) } });
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const opts = resolveOptions(options);
  // The secret is in the token query string: make sure no log or error text can carry it.
  registerSecret(opts.apiSecret);
  registerSecret(opts.agents.appSecret);
  const core = new EmulatorCore(opts);
  const front = new EmulatorServer(core);
  await new Promise<void>((resolve, reject) => {
    front.server.once('error', reject);
    front.server.listen(opts.port, opts.host, () => {
      front.server.off('error', reject);
      resolve();
    });
  });
  const addr = front.server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  // In real mode a ticker moves the simulation along with the clock even when nobody asks.
  const ticker = opts.clock.mode === 'real' ? setInterval(() => core.sync(), opts.tickMs) : undefined;
  ticker?.unref();
  let closed = false;
  core.logger.info?.(`emulator listening on http://${hostForUrl}:${addr.port}${API_PREFIX}`);
  return {
    url: `http://${hostForUrl}:${addr.port}${API_PREFIX}`,
    agentsUrl: `http://${hostForUrl}:${addr.port}/`,
    agentsStats: () => {
      core.sync();
      return front.agents.statsSnapshot();
    },
    setAgentsCallbackUrl: (url) => {
      front.agents.callbackUrl = url;
    },
    port: addr.port,
    host: addr.address,
    companyId: opts.companyId,
    idNamespace: opts.idNamespace,
    clock: core.clock,
    advance: async (ms) => core.advance(ms),
    drainPushes: () => {
      core.sync();
      return core.pushes.drain();
    },
    stats: () => {
      core.sync();
      return core.stats();
    },
    revokeTokens: () => core.tokens.revokeAll(),
    setFaults: (config) => core.faults.set(parseFaultConfig(config)),
    pushAttempts: () => core.pushes.log.slice().entries,
    requests: () => front.requestLog.slice().entries,
    close: async () => {
      if (closed) return;
      closed = true;
      if (ticker) clearInterval(ticker);
      await core.pushes.close();
      await new Promise<void>((resolve) => {
        front.server.close(() => resolve());
        front.server.closeAllConnections();
      });
    },
  };
}

/** What {@link runEmulatorCommand} needs from its caller (the CLI passes its CliIO). */
export interface EmulatorCommandIO {
  stdout(text: string): void;
  stderr?(text: string): void;
  /** Aborted on SIGINT/SIGTERM; without it the command listens for those signals itself. */
  signal?: AbortSignal;
  /** `--json`: one JSON object per line on stdout (`{"listening":…}` once it listens, `{"stopped":…}` at the end), nothing on stderr. */
  json?: boolean;
}

/**
 * `zhichi emulator`: starts the emulator, prints its base URL as the first line of stdout, serves
 * until the signal aborts (SIGINT/SIGTERM), closes and resolves to exit code 0.
 */
export async function runEmulatorCommand(options: EmulatorOptions, io: EmulatorCommandIO): Promise<number> {
  const emu = await startEmulator(options);
  const appKey = options.agents?.appKey ?? process.env.ZHICHI_AGENTS_APP_KEY ?? 'demo-app-key';
  const tenantSign = options.agents?.tenantSign ?? process.env.ZHICHI_AGENTS_TENANT_SIGN ?? 'demo-tenant';
  const control = `http://${emu.host}:${emu.port}/__emulator/`;
  if (io.json) {
    // One JSON line (not pretty-printed), like `webhooks serve --json`: a supervisor reads it as soon as the emulator listens.
    io.stdout(JSON.stringify({
      listening: emu.url, baseUrl: emu.url, agentsApi: `${emu.agentsUrl}apiOpen/v1/`, agentsAppKey: appKey, agentsTenantSign: tenantSign,
      companyId: emu.companyId, idNamespace: emu.idNamespace, clock: { mode: emu.clock.mode, speed: emu.clock.mode === 'real' ? emu.clock.speed : null, now: emu.clock.now() },
      strict: options.strict === true, control,
    }) + '\n');
  } else {
    io.stdout(`${emu.url}\n`);
  }
  if (!io.json) io.stderr?.(`zhichi emulator: Agents API (apiOpen/v1) at ${emu.agentsUrl}apiOpen/v1/ ; appKey ${options.agents?.appKey ?? process.env.ZHICHI_AGENTS_APP_KEY ?? 'demo-app-key'}, tenantSign ${options.agents?.tenantSign ?? process.env.ZHICHI_AGENTS_TENANT_SIGN ?? 'demo-tenant'} (env ZHICHI_AGENTS_APP_KEY / _APP_SECRET / _TENANT_SIGN)\n`);
  if (!io.json) io.stderr?.(`zhichi emulator: task ids start with ${emu.idNamespace} in this run (pin with --id-namespace ${emu.idNamespace} to get the same ids again)\n`);
  if (!io.json) io.stderr?.(`zhichi emulator: company ${emu.companyId}, clock ${emu.clock.mode}${emu.clock.mode === 'real' ? ` ×${emu.clock.speed}` : ''}, ${options.strict ? 'strict (refuses what a Jackson backend would coerce)' : 'coercing as a Jackson backend would (--strict refuses)'}; control endpoints under http://${emu.host}:${emu.port}/__emulator/ ; Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emu.close();
  if (io.json) io.stdout(JSON.stringify({ stopped: { url: emu.url } }) + '\n');
  return 0;
}
