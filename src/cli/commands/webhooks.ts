import type { AddressInfo } from 'node:net';
import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { createDashboard, isLoopbackHost, type Dashboard } from '../../dashboard/handler.js';
import { MIN_SECRET_LENGTH } from '../../push/auth.js';
import { nodeHandler } from '../../push/adapters/node.js';
import { forwardTo } from '../../push/forward.js';
import { createPushReceiver, type PushReceiver, type PushReceiverOptions } from '../../push/receiver.js';
import { isPostgresLocation, resolveStoreLocation } from '../../push/store.js';
import { PUSH_SERVER_DEFAULTS, createPushServer, type PushServerLimits } from '../../push/server.js';
import { collect, globals, groupCommand, intFlag } from '../context.js';
import { CliError, EXIT, everyOf, type CliIO } from '../io.js';

/** Default path of the receiver, the seed's pushUrl path. */
export const DEFAULT_PUSH_PATH = '/api/zhichi/events';

/** Where `webhooks serve --dashboard` mounts the dashboard. */
export const DASHBOARD_PATH = '/dashboard';

/** Env fallbacks of `webhooks serve` (after the flags). */
export const WEBHOOK_ENV = {
  secret: 'ZHICHI_PUSH_SECRET',
  port: 'ZHICHI_PUSH_PORT',
  host: 'ZHICHI_PUSH_HOST',
  instanceId: 'ZHICHI_INSTANCE_ID',
} as const;

interface ServeFlags {
  port?: number;
  host?: string;
  path?: string;
  agentsPath?: string | false;
  secret?: string;
  pushSecret?: string;
  db?: string;
  allowIp?: string[];
  maxBody?: number;
  trustProxy?: number;
  forward?: string;
  ack?: string;
  instanceId?: string;
  dashboard?: boolean;
  dashboardToken?: string;
  headersTimeout?: number;
  requestTimeout?: number;
  keepAliveTimeout?: number;
  maxConnections?: number;
  maxConnectionsPerIp?: number;
  summaryEvery?: number;
  json?: boolean;
}

/** Prints, every `seconds`, what the interval brought: accepted, duplicates, refused by status (nothing when it brought nothing). */
function periodicSummary(receiver: PushReceiver, io: CliIO, seconds: number, json: boolean): () => void {
  let last = receiver.stats();
  return everyOf(io)(seconds * 1000, () => {
    const now = receiver.stats();
    const refused = Object.entries(now.rejected)
      .map(([k, v]) => [k, v - (last.rejected[Number(k)] ?? 0)] as const)
      .filter(([, n]) => n > 0);
    const refusedTotal = refused.reduce((a, [, n]) => a + n, 0);
    const accepted = now.stored - last.stored;
    const duplicates = now.duplicates - last.duplicates;
    last = now;
    if (accepted === 0 && duplicates === 0 && refusedTotal === 0) return;
    const by = refused.length > 0 ? ` (${refused.map(([k, n]) => `${k}×${n}`).join(' ')})` : '';
    if (json) {
      io.stderr(JSON.stringify({ summary: { seconds, accepted, duplicates, refused: refusedTotal, refusedByStatus: Object.fromEntries(refused), stored: now.stored } }) + '\n');
      return;
    }
    io.stderr(`summary (last ${seconds}s): ${accepted} accepted, ${duplicates} duplicates, ${refusedTotal} refused${by}; total ${now.stored} stored\n`);
  });
}

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);

/** The store location of a command: `--db`, then `ZHICHI_DB`, then `./zhichi-events.db`; file paths are relative to `io.cwd`. */
export function storeLocation(db: string | undefined, io: CliIO): string {
  const loc = resolveStoreLocation(nonEmpty(db), { ZHICHI_DB: nonEmpty(io.env['ZHICHI_DB']) });
  if (isPostgresLocation(loc) || loc === ':memory:' || isAbsolute(loc)) return loc;
  return join(io.cwd, loc);
}

/** Resolves when the signal aborts, or (without one) on SIGINT/SIGTERM. */
export function stopRequested(signal: AbortSignal | undefined): Promise<string> {
  if (signal) {
    if (signal.aborted) return Promise.resolve('abort');
    return new Promise((r) => signal.addEventListener('abort', () => r('abort'), { once: true }));
  }
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** `webhooks serve`: runs the push receiver until stopped, then drains and exits 0. */
async function serve(flags: ServeFlags, io: CliIO): Promise<void> {
  // `--push-secret` is the PUSH secret (the one in the pushUrl). The old `--secret`, which commander hands
  // to the program (it was also the apiSecret flag there), still works here with a notice.
  if (flags.secret !== undefined && flags.pushSecret === undefined) io.stderr('warning: webhooks serve --secret is deprecated: use --push-secret\n');
  const secret = nonEmpty(flags.pushSecret) ?? nonEmpty(flags.secret) ?? nonEmpty(io.env[WEBHOOK_ENV.secret]);
  if (secret === undefined) {
    throw new CliError(`webhooks serve needs the push secret: --push-secret or env ${WEBHOOK_ENV.secret} (at least ${MIN_SECRET_LENGTH} characters)`, EXIT.USAGE);
  }
  if (secret.length < MIN_SECRET_LENGTH) throw new CliError(`--push-secret must be at least ${MIN_SECRET_LENGTH} characters`, EXIT.USAGE);
  const summaryEvery = flags.summaryEvery ?? 60;
  const port = flags.port ?? (nonEmpty(io.env[WEBHOOK_ENV.port]) !== undefined ? intFlag(WEBHOOK_ENV.port, 0, 65_535)(io.env[WEBHOOK_ENV.port]!) : 8080);
  const host = flags.host ?? nonEmpty(io.env[WEBHOOK_ENV.host]) ?? '127.0.0.1';
  const path = flags.path ?? DEFAULT_PUSH_PATH;
  if (!path.startsWith('/')) throw new CliError(`--path must start with "/" (got "${path}")`, EXIT.USAGE);

  const options: PushReceiverOptions = { secret, store: storeLocation(flags.db, io), path };
  // Agents (apiOpen/v1) callbacks on their own path of the same receiver (docs/agents.md).
  const agentsPath = flags.agentsPath === false ? undefined : (flags.agentsPath ?? '/agents');
  if (agentsPath !== undefined) {
    if (!agentsPath.startsWith('/') || agentsPath.endsWith('/') || agentsPath === path) throw new CliError(`--agents-path must start with "/", not end with "/" and differ from --path (got "${agentsPath}")`, EXIT.USAGE);
    options.agentsPath = agentsPath;
  }
  if (flags.allowIp?.length) options.allowIps = flags.allowIp;
  if (flags.maxBody !== undefined) options.maxBodyBytes = flags.maxBody;
  if (flags.trustProxy !== undefined) options.trustProxyHops = flags.trustProxy;
  if (flags.ack !== undefined) options.ack = { body: flags.ack };
  const instanceId = nonEmpty(flags.instanceId) ?? nonEmpty(io.env[WEBHOOK_ENV.instanceId]);
  if (instanceId !== undefined) options.instanceId = instanceId;
  options.logger = { warn: (m) => io.stderr(`warning: ${m}\n`), error: (m) => io.stderr(`error: ${m}\n`) };
  // Access log of refused pushes: a sender that gets 401/413 retries, and without a line here the
  // operator would only see pushes missing (the path's secret is redacted by the receiver).
  options.onRefused = (r) => flags.json ? io.stderr(JSON.stringify({ refused: r }) + '\n') : io.stderr(`refused ${r.status} ${r.method} ${r.path} from ${r.remoteAddress ?? 'unknown'}: ${r.reason}\n`);
  let forward: ReturnType<typeof forwardTo> | undefined;
  let receiver: PushReceiver;
  try {
    if (flags.forward !== undefined) forward = forwardTo(flags.forward);
    receiver = await createPushReceiver(options);
  } catch (err) {
    // Bad options (allow-list entry, forward URL) and an unreachable store are configuration problems.
    throw new CliError((err as Error).message, EXIT.USAGE);
  }
  if (forward) receiver.onResult(forward);

  const pushes = nodeHandler(receiver);
  let dashboard: Dashboard | undefined;
  if (flags.dashboard) {
    // The same server also answers /dashboard/, read-only on the same store; off loopback it needs a token.
    const token = nonEmpty(flags.dashboardToken) ?? nonEmpty(io.env['ZHICHI_DASHBOARD_TOKEN']);
    try {
      if (!isLoopbackHost(host) && token === undefined) {
        throw new Error(`--dashboard on ${host} (not loopback) needs --dashboard-token or env ZHICHI_DASHBOARD_TOKEN`);
      }
      const location = storeLocation(flags.db, io);
      if (location === ':memory:') throw new Error('--dashboard needs a store file or postgres:// URL, not :memory:');
      dashboard = await createDashboard({ store: location, basePath: DASHBOARD_PATH, ...(token !== undefined ? { token } : {}) });
    } catch (err) {
      await receiver.close();
      throw new CliError((err as Error).message, EXIT.USAGE);
    }
  }
  const dash = dashboard;
  const limits: PushServerLimits = {};
  if (flags.headersTimeout !== undefined) limits.headersTimeoutMs = flags.headersTimeout;
  if (flags.requestTimeout !== undefined) limits.requestTimeoutMs = flags.requestTimeout;
  if (flags.keepAliveTimeout !== undefined) limits.keepAliveTimeoutMs = flags.keepAliveTimeout;
  if (flags.maxConnections !== undefined) limits.maxConnections = flags.maxConnections;
  if (flags.maxConnectionsPerIp !== undefined) limits.maxConnectionsPerIp = flags.maxConnectionsPerIp;
  let server: ReturnType<typeof createPushServer>;
  try {
    // Tight connection limits for a push endpoint (docs/receiver.md, "Connection limits").
    server = createPushServer(
      receiver,
      limits,
      dash ? (req, res) => ((req.url ?? '/').startsWith(DASHBOARD_PATH) ? dash.handler(req, res) : pushes(req, res)) : pushes,
    );
  } catch (err) {
    await dash?.close();
    await receiver.close();
    throw new CliError((err as Error).message, EXIT.USAGE);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await receiver.close();
    throw new CliError(`cannot listen on ${host}:${port}: ${(err as Error).message}`, EXIT.USAGE);
  }
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${shownHost}:${addr.port}${path}`;
  const agentsUrl = agentsPath !== undefined ? `http://${shownHost}:${addr.port}${agentsPath}/<your push secret>` : undefined;
  const forwardTo_ = forward ? new URL(flags.forward!).origin : undefined;
  const dashUrl = dash ? `http://${shownHost}:${addr.port}${DASHBOARD_PATH}/` : undefined;
  if (flags.json) {
    // One JSON line (not pretty-printed): a supervisor reads it as soon as the receiver listens.
    io.stdout(JSON.stringify({
      listening: url, pushUrl: `${url}?secret=<your push secret>`, store: receiver.store.location, storeKind: receiver.store.kind,
      instanceId: receiver.instanceId, agentsCallbackUrl: agentsUrl ?? null, forwardingTo: forwardTo_ ?? null, dashboard: dashUrl ?? null,
    }) + '\n');
  } else {
    io.stdout(`listening on ${url}\n`);
    io.stdout(`store: ${receiver.store.location} (${receiver.store.kind}), instance ${receiver.instanceId}\n`);
    io.stdout(`pushUrl for tasks: ${url}?secret=<your push secret>\n`);
    if (agentsUrl !== undefined) io.stdout(`Agents callback URL: ${agentsUrl}\n`);
    if (forwardTo_ !== undefined) io.stdout(`forwarding stored events to ${forwardTo_}\n`);
    if (dashUrl !== undefined) io.stdout(`dashboard on ${dashUrl}\n`);
  }

  const stopSummary = summaryEvery > 0 ? periodicSummary(receiver, io, summaryEvery, Boolean(flags.json)) : () => undefined;
  await stopRequested(io.signal);
  stopSummary();
  if (!flags.json) io.stderr('stopping: draining in-flight pushes…\n');
  // Stop accepting connections first, then let every request already inside finish its commit;
  // a request arriving on a kept-alive connection meanwhile gets 503 and is retried by the sender.
  const closed = new Promise<void>((r) => server.close(() => r()));
  await dash?.close();
  await receiver.close();
  server.closeIdleConnections();
  await closed;
  const s = receiver.stats();
  const rejected = Object.entries(s.rejected).map(([k, v]) => `${k}×${v}`).join(' ') || 'none';
  if (flags.json) {
    io.stdout(JSON.stringify({ stopped: { stored: s.stored, duplicates: s.duplicates, conflicts: s.conflicts, unknown: s.unknown, rejected: s.rejected } }) + '\n');
    return;
  }
  io.stdout(`stopped: ${s.stored} stored, ${s.duplicates} duplicates${s.conflicts > 0 ? `, ${s.conflicts} conflicts (zhichi results conflicts)` : ''}, rejected ${rejected}\n`);
}

/** `zhichi webhooks`: the push receiver. */
export function register(program: Command, io: CliIO): void {
  const group = groupCommand(program.command('webhooks').description('receive Sobot dialing-result pushes (the pushUrl of a task)'));
  group
    .command('serve')
    .description('run the push receiver; prints its URL on the first line, stores every push, stops cleanly on Ctrl-C')
    .option('--port <n>', `TCP port, 0 = any free port (env ${WEBHOOK_ENV.port}, default 8080)`, intFlag('--port', 0, 65_535))
    .option('--host <host>', `interface to listen on, 0.0.0.0 for all (env ${WEBHOOK_ENV.host}, default 127.0.0.1)`)
    .option('--path <path>', `path of the pushUrl (default ${DEFAULT_PUSH_PATH})`)
    .option('--agents-path <path>', 'path of the Agents (apiOpen/v1) callback URL, secret as the next segment or ?secret= (default /agents)')
    .option('--no-agents-path', 'do not take Agents callbacks')
    .option('--push-secret <secret>', `push secret expected as ?secret= in the pushUrl, at least ${MIN_SECRET_LENGTH} characters (env ${WEBHOOK_ENV.secret}; never printed)`)
    .option('--db <path|url>', 'event store: SQLite file or postgres:// URL (env ZHICHI_DB, default ./zhichi-events.db)')
    .option('--allow-ip <addr|cidr>', 'accept pushes only from this address or range; repeatable', collect)
    .option('--max-body <bytes>', 'largest accepted body (default 1048576)', intFlag('--max-body', 1, 100 * 1024 * 1024))
    .option('--trust-proxy <hops>', 'reverse proxies in front whose X-Forwarded-For is trusted (default 0)', intFlag('--trust-proxy', 0, 10))
    .option('--forward <url>', 'POST every stored event to this URL; failures can be re-sent with `results replay`')
    .option('--ack <text>', 'acknowledgement body (default {"code":200,"message":"success"})')
    .option('--instance-id <name>', `name of this receiver in a fleet, stored with each event (env ${WEBHOOK_ENV.instanceId}, default <hostname>:<pid>)`)
    .option('--headers-timeout <ms>', `time a client has to send the request headers (default ${PUSH_SERVER_DEFAULTS.headersTimeoutMs})`, intFlag('--headers-timeout', 1, 3_600_000))
    .option('--request-timeout <ms>', `time a client has to send the whole request (default ${PUSH_SERVER_DEFAULTS.requestTimeoutMs})`, intFlag('--request-timeout', 1, 3_600_000))
    .option('--keep-alive-timeout <ms>', `idle time of a kept-alive connection (default ${PUSH_SERVER_DEFAULTS.keepAliveTimeoutMs})`, intFlag('--keep-alive-timeout', 1, 3_600_000))
    .option('--max-connections <n>', `open connections at once, more are closed on arrival (default ${PUSH_SERVER_DEFAULTS.maxConnections})`, intFlag('--max-connections', 1, 1_000_000))
    .option('--max-connections-per-ip <n>', `open connections from one address at once (default ${PUSH_SERVER_DEFAULTS.maxConnectionsPerIp})`, intFlag('--max-connections-per-ip', 1, 1_000_000))
    .option('--summary-every <seconds>', 'print a summary line (accepted, duplicates, refused) on stderr every this many seconds when pushes came, 0 = never (default 60)', intFlag('--summary-every', 0, 86_400))
    .option('--dashboard', `also serve the campaign dashboard, read-only, under ${DASHBOARD_PATH}/`)
    .option('--dashboard-token <token>', 'access token of the dashboard, required off loopback (env ZHICHI_DASHBOARD_TOKEN; never printed)')
    .action(async (_opts: ServeFlags, cmd: Command) => {
      await serve(globals(cmd) as ServeFlags, io);
    });
}
