import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { taskInfoFromClient } from '../../dashboard/api-info.js';
import { serveDashboard, type RunningDashboard, type ServeDashboardOptions } from '../../dashboard/handler.js';
import { isPostgresLocation } from '../../push/store.js';
import { buildClient, resolveConnection, type GlobalFlags } from '../config.js';
import { globals, intFlag } from '../context.js';
import { CliError, EXIT, type CliIO } from '../io.js';
import { printJsonLine } from '../output.js';
import { stopRequested, storeLocation } from './webhooks.js';

/** Env fallbacks of `zhichi dashboard`. */
export const DASHBOARD_ENV = { token: 'ZHICHI_DASHBOARD_TOKEN', port: 'ZHICHI_DASHBOARD_PORT', host: 'ZHICHI_DASHBOARD_HOST' } as const;

/** Default port of the dashboard. */
export const DEFAULT_DASHBOARD_PORT = 8090;

interface DashboardFlags extends GlobalFlags {
  port?: number;
  host?: string;
  token?: string;
  timeZone?: string;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);

/**
 * The dashboard's server options from flags and env: host 127.0.0.1 unless told, a token from
 * `--token` or env (required off loopback), task names and contact counts from the API when it is configured.
 */
export function dashboardOptions(flags: DashboardFlags, io: CliIO): ServeDashboardOptions {
  const store = storeLocation(flags.db, io);
  if (!isPostgresLocation(store) && !existsSync(store)) {
    throw new CliError(`no event store at ${store} (set --db or ZHICHI_DB; webhooks serve creates it)`, EXIT.USAGE);
  }
  const envPort = nonEmpty(io.env[DASHBOARD_ENV.port]);
  const opts: ServeDashboardOptions = {
    store,
    host: nonEmpty(flags.host) ?? nonEmpty(io.env[DASHBOARD_ENV.host]) ?? '127.0.0.1',
    port: flags.port ?? (envPort !== undefined ? intFlag(DASHBOARD_ENV.port, 0, 65_535)(envPort) : DEFAULT_DASHBOARD_PORT),
  };
  const token = nonEmpty(flags.token) ?? nonEmpty(io.env[DASHBOARD_ENV.token]);
  if (token !== undefined) opts.token = token;
  if (flags.timeZone !== undefined) opts.timeZone = flags.timeZone;
  return opts;
}

/** Starts the dashboard with `opts`, adding the API lookup when credentials are configured; errors become usage errors. */
export async function startDashboard(opts: ServeDashboardOptions, flags: GlobalFlags, io: CliIO): Promise<{ running: RunningDashboard; release: () => Promise<void> }> {
  const c = resolveConnection(flags, io.env);
  const client = c.apiKey && c.apiSecret && c.companyId ? buildClient(flags, io) : undefined;
  if (client) opts.taskInfo = taskInfoFromClient(client);
  try {
    const running = await serveDashboard(opts);
    return { running, release: async () => { await running.close(); await client?.close().catch(() => undefined); } };
  } catch (err) {
    await client?.close().catch(() => undefined);
    throw new CliError((err as Error).message, EXIT.USAGE);
  }
}

/** `zhichi dashboard`: serves the campaign dashboard until Ctrl-C. */
export function register(program: Command, io: CliIO): void {
  program
    .command('dashboard')
    .description('serve the campaign dashboard (progress, outcomes, intents, live results) over the event store; prints its URL on the first line')
    .option('--port <n>', `TCP port, 0 = any free port (env ${DASHBOARD_ENV.port}, default ${DEFAULT_DASHBOARD_PORT})`, intFlag('--port', 0, 65_535))
    .option('--host <host>', `interface to listen on; anything but loopback needs --token (env ${DASHBOARD_ENV.host}, default 127.0.0.1)`)
    .option('--token <token>', `access token, at least 16 characters (env ${DASHBOARD_ENV.token}; never printed)`)
    .option('--time-zone <zone>', 'zone of the hours of day (default Asia/Shanghai)')
    .action(async (_o: unknown, cmd: Command) => {
      const flags = globals(cmd) as DashboardFlags;
      const { running, release } = await startDashboard(dashboardOptions(flags, io), flags, io);
      const rm = running.dashboard.readModel;
      const tokenSet = flags.token !== undefined || Boolean(io.env[DASHBOARD_ENV.token]);
      if (flags.json) {
        // One JSON line, like `webhooks serve --json`; the token itself never (only that one is needed).
        printJsonLine(io, { listening: running.url, store: rm.location, storeKind: rm.kind, readOnly: true, rollups: rm.rollups, tokenRequired: tokenSet });
      } else {
        io.stdout(`dashboard on ${running.url}\n`);
        io.stdout(`store: ${rm.location} (${rm.kind}, read-only${rm.rollups ? '' : ', no rollups: schema below 3'})\n`);
        if (tokenSet) io.stdout(`open ${running.url}?token=<your token> once; the page keeps it in a cookie\n`);
      }
      await stopRequested(io.signal);
      await release();
      if (flags.json) printJsonLine(io, { stopped: { url: running.url } });
      else io.stderr('dashboard stopped\n');
    });
}
