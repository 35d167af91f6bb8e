import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_TIME_ZONE, MAX_PAGE, openReadModel, type ReadModel, type ResultFilter, type ResultRow,
} from '../push/read-model.js';
import type { DashboardMeta, ResultPageResponse, TaskStatsResponse } from './wire.js';

/** What only the API knows about a task; every field optional. */
export interface TaskApiInfo {
  /** Task name. */
  name?: string;
  /** Contacts added to the task. */
  contacts?: number;
  /** Contacts waiting for a redial. */
  redialsPending?: number;
  /** IANA zone the task dials in (its calling window's zone). */
  timeZone?: string;
}

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The store: a SQLite file path, a `postgres://` URL (opened read-only), or an open {@link ReadModel}. */
  store: string | ReadModel;
  /**
   * Access token. When set, every request must carry it (`Authorization: Bearer`, or `?token=` once,
   * which sets an HttpOnly cookie); compared in constant time, never logged.
   */
  token?: string;
  /** Path the dashboard is mounted under, e.g. `/dashboard`. @default '' (the root) */
  basePath?: string;
  /** Zone of tasks whose zone `taskInfo` does not tell. @default 'Asia/Shanghai' */
  timeZone?: string;
  /** Looks up what the API knows of a task (name, contacts, redials pending, zone); errors are ignored. */
  taskInfo?: (taskId: string) => Promise<TaskApiInfo | null | undefined>;
  /** How often the live view checks the store for new results, ms. @default 1000 */
  pollMs?: number;
  /** Directory of the built front end (`app.js`, `app.css`). @default the `dashboard-app` folder of the build */
  assetsDir?: string;
}

/** A mounted dashboard: a node request handler plus its lifecycle. */
export interface Dashboard {
  /** `http.createServer(dashboard.handler)`, or call it from your own server for paths under `basePath`. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The read model the handler queries. */
  readonly readModel: ReadModel;
  /** Checks the store now instead of at the next poll (an in-process receiver can call it after storing). */
  notify(): void;
  /** Ends the live streams, stops polling, and closes the store if the dashboard opened it. */
  close(): Promise<void>;
}

const ASSETS: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

// Nothing from elsewhere: scripts, styles, fetches and images only from this origin (and uPlot's canvas).
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const COOKIE = 'zhichi_dashboard';

/** Where the build puts the front end, seen from this module in dist/ (or from src/ when run from source). */
function defaultAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'dashboard-app'), join(here, '..', '..', 'dist', 'dashboard-app')];
  return candidates.find((d) => existsSync(join(d, 'app.js'))) ?? candidates[0]!;
}

/** True for a loopback interface name or address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time token check: both sides hashed to equal length first. */
function tokenMatches(expected: Buffer, given: string | undefined): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(expected, digest(given));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A 400 for a query parameter that breaks its rule. */
class BadParam extends Error {}

function intList(v: string | null, name: string): number[] | undefined {
  if (v === null || v.trim() === '') return undefined;
  return v.split(',').map((s) => {
    if (!/^-?\d{1,9}$/.test(s.trim())) throw new BadParam(`${name}: must be a comma-separated list of integer codes, got "${s}"`);
    return Number(s);
  });
}

function intParam(v: string | null, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min || x > max) throw new BadParam(`${name}: must be an integer from ${min} to ${max}, got "${v}"`);
  return x;
}

function filterOf(taskId: string, q: URLSearchParams): ResultFilter {
  const f: ResultFilter = { taskId };
  const codes = intList(q.get('callResult'), 'callResult');
  if (codes) f.callResults = codes;
  const intents = q.get('intent');
  if (intents !== null && intents !== '') f.intents = intents.split(',');
  const outId = q.get('outId');
  if (outId !== null && outId !== '') f.outId = outId;
  const minAttempt = intParam(q.get('minAttempt'), 'minAttempt', 1, 1000);
  if (minAttempt !== undefined) f.minAttempt = minAttempt;
  const since = intParam(q.get('since'), 'since', 0);
  if (since !== undefined) f.since = since;
  const until = intParam(q.get('until'), 'until', 0);
  if (until !== undefined) f.until = until;
  return f;
}

/** A CSV cell: quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Header of the CSV export. */
export const CSV_COLUMNS = ['id', 'task_id', 'out_id', 'phone', 'outcome', 'call_result', 'intent', 'talk_seconds', 'attempt', 'start_time', 'received_at'] as const;

function csvLine(r: ResultRow): string {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return [r.id, r.taskId, r.outId, r.phone, r.outcome, r.callResult, r.intent, r.talkDuration, r.attempt, iso(r.startTime), iso(r.receivedAt)].map(csvCell).join(',') + '\r\n';
}

function page(basePath: string): string {
  // Everything the page shows comes from the JSON endpoints and is set as text by the components.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zhichi dashboard</title>
<link rel="stylesheet" href="${basePath}/app.css">
<script type="module" src="${basePath}/app.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;
}

/**
 * The campaign dashboard as a node request handler: the page, its JSON endpoints, an SSE stream of
 * "something was stored" and the CSV export, all read-only over the event store.
 *
 * @example
 * const dash = await createDashboard({ store: './zhichi-events.db' });
 * http.createServer(dash.handler).listen(8090, '127.0.0.1');
 */
export async function createDashboard(options: DashboardOptions): Promise<Dashboard> {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) throw new TypeError('basePath: must start with "/"');
  if (options.token !== undefined && options.token.length < 16) throw new TypeError('token: must be at least 16 characters');
  const pollMs = options.pollMs ?? 1000;
  if (!Number.isFinite(pollMs) || pollMs < 10) throw new TypeError('pollMs: must be a number of milliseconds >= 10');
  const ownsStore = typeof options.store === 'string';
  const rm = typeof options.store === 'string' ? await openReadModel(options.store) : options.store;
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  const expected = options.token !== undefined ? digest(options.token) : null;
  const defaultZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const assetCache = new Map<string, Buffer>();

  // ---- live: one poller for all streams, running only while someone listens --------------------
  const streams = new Set<ServerResponse>();
  let lastMax = -1;
  let timer: NodeJS.Timeout | null = null;
  let polling = false;
  let beats = 0;
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const m = await rm.maxId();
      if (m !== lastMax) {
        lastMax = m;
        for (const s of streams) s.write(`event: stored\ndata: {"maxId":${m}}\n\n`);
      } else if (++beats % 15 === 0) {
        for (const s of streams) s.write(': keep-alive\n\n');
      }
    } catch {
      // The store is briefly unavailable: the next poll tries again.
    } finally {
      polling = false;
    }
  };
  const ensurePoller = () => {
    if (timer === null && streams.size > 0) {
      timer = setInterval(() => void poll(), pollMs);
      timer.unref();
    }
  };
  const stopPollerIfIdle = () => {
    if (streams.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };

  const info = async (taskId: string): Promise<TaskApiInfo> => {
    if (!options.taskInfo) return {};
    try {
      return (await options.taskInfo(taskId)) ?? {};
    } catch {
      return {};
    }
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (basePath !== '' && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return json(res, 404, { error: 'not found' });
    const path = url.pathname.slice(basePath.length) || '/';

    // Without a token, only a loopback Host is served: a web page elsewhere cannot reach it by DNS rebinding.
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (expected === null && !isLoopbackHost(host)) return json(res, 403, { error: 'this dashboard answers only on a loopback host name (start it with a token to serve others)' });
    if (expected !== null) {
      const auth = req.headers.authorization;
      const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      const fromQuery = url.searchParams.get('token') ?? undefined;
      const given = bearer ?? cookieValue(req.headers.cookie, COOKIE) ?? fromQuery;
      if (!tokenMatches(expected, given)) return json(res, 401, { error: 'access token required: open the URL with ?token=<token>' });
      if (fromQuery !== undefined && bearer === undefined && req.method === 'GET' && path === '/') {
        // Trade the token in the URL for a cookie, and take it out of the address bar and history.
        url.searchParams.delete('token');
        res.writeHead(303, {
          ...SECURITY_HEADERS,
          location: `${basePath}/${url.search}`,
          'set-cookie': `${COOKIE}=${encodeURIComponent(fromQuery)}; HttpOnly; SameSite=Strict; Path=${basePath || '/'}`,
        });
        res.end();
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD', 'content-type': 'application/json' });
      res.end('{"error":"the dashboard is read-only: GET only"}');
      return;
    }

    if (path === '/') {
      const html = page(basePath);
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
      res.end(html);
      return;
    }
    const asset = path.slice(1);
    if (ASSETS[asset] !== undefined) {
      let body = assetCache.get(asset);
      if (!body) {
        const file = join(assetsDir, asset);
        if (!existsSync(file)) return json(res, 500, { error: `dashboard front end not built (${asset} missing in ${assetsDir}): run npm run build` });
        body = readFileSync(file);
        assetCache.set(asset, body);
      }
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': ASSETS[asset]!, 'content-length': body.length });
      res.end(body);
      return;
    }
    if (path === '/api/meta') return json(res, 200, { kind: rm.kind, location: rm.location, rollups: rm.rollups, timeZone: defaultZone, maxPage: MAX_PAGE } satisfies DashboardMeta);
    if (path === '/api/overview') return json(res, 200, await rm.overview());
    if (path === '/api/events') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
      res.write(`retry: 2000\nevent: stored\ndata: {"maxId":${await rm.maxId()}}\n\n`);
      streams.add(res);
      ensurePoller();
      req.on('close', () => {
        streams.delete(res);
        stopPollerIfIdle();
      });
      return;
    }
    const m = /^\/api\/tasks\/([^/]+)\/(stats|results|results\.csv)$/.exec(path);
    if (m) {
      let taskId: string;
      try {
        taskId = decodeURIComponent(m[1]!);
      } catch {
        throw new BadParam('taskId: malformed percent-encoding');
      }
      const what = m[2]!;
      const api = await info(taskId);
      const timeZone = api.timeZone ?? defaultZone;
      if (what === 'stats') {
        const stats = await rm.taskStats(taskId, { timeZone, api: { contacts: api.contacts ?? null, redialsPending: api.redialsPending ?? null } });
        return json(res, 200, { ...stats, name: api.name ?? null } satisfies TaskStatsResponse);
      }
      const filter = filterOf(taskId, url.searchParams);
      const revealPhones = url.searchParams.get('phones') === 'full';
      if (what === 'results') {
        const before = intParam(url.searchParams.get('before'), 'before', 1);
        const limit = intParam(url.searchParams.get('limit'), 'limit', 1, MAX_PAGE) ?? 50;
        const [p, total] = await Promise.all([
          rm.results(filter, before === undefined ? { limit, revealPhones } : { limit, revealPhones, before }),
          before === undefined ? rm.countResults(filter) : Promise.resolve(null),
        ]);
        return json(res, 200, { ...p, total, timeZone } satisfies ResultPageResponse);
      }
      const safeName = taskId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80) || 'task';
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="results-${safeName}.csv"`,
      });
      // BOM: spreadsheet programs then read the UTF-8 (Chinese names, labels) correctly.
      res.write(`\ufeff${CSV_COLUMNS.join(',')}\r\n`);
      let chunk = '';
      for await (const r of rm.iterateResults(filter, { revealPhones })) {
        chunk += csvLine(r);
        if (chunk.length > 64 * 1024) {
          if (!res.write(chunk)) await new Promise((r2) => res.once('drain', r2));
          chunk = '';
        }
        if (res.destroyed) return;
      }
      res.end(chunk);
      return;
    }
    return json(res, 404, { error: 'not found' });
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof BadParam || err instanceof TypeError || err instanceof RangeError) return json(res, 400, { error: (err as Error).message });
      json(res, 503, { error: 'store unavailable, retry later' });
    });
  };

  return {
    handler,
    readModel: rm,
    notify: () => void poll(),
    async close() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      for (const s of streams) s.end();
      streams.clear();
      if (ownsStore) await rm.close();
    },
  };
}

/** Options of {@link serveDashboard}: the dashboard's plus where to listen. */
export interface ServeDashboardOptions extends DashboardOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** Interface to bind; anything but loopback requires `token`. @default '127.0.0.1' */
  host?: string;
}

/** A running dashboard server. */
export interface RunningDashboard {
  /** The page's URL (without the token). */
  readonly url: string;
  readonly dashboard: Dashboard;
  readonly server: Server;
  /** Stops listening, ends the live streams and closes the store. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server for the dashboard. Binding anything other than a loopback address without a
 * token is refused.
 */
export async function serveDashboard(options: ServeDashboardOptions): Promise<RunningDashboard> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && options.token === undefined) {
    throw new TypeError(`host: binding ${host} (not loopback) requires an access token (--token or ZHICHI_DASHBOARD_TOKEN)`);
  }
  const dashboard = await createDashboard(options);
  const server = createServer(dashboard.handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await dashboard.close();
    throw new Error(`cannot listen on ${host}:${options.port ?? 0}: ${(err as Error).message}`);
  }
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const base = (options.basePath ?? '').replace(/\/+$/, '');
  return {
    url: `http://${shown}:${addr.port}${base}/`,
    dashboard,
    server,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      await dashboard.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
