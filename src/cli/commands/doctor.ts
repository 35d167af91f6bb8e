import { access, constants, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { BUSINESS_CODE } from '../../contract/index.js';
import { ZhichiBusinessError, ZhichiConnectionError, ZhichiHttpError } from '../../errors.js';
import { redactText } from '../../internal/redact.js';
import { openEventStore } from '../../push/store.js';
import { buildClient, resolveConnection, tokenCachePath } from '../config.js';
import { globals } from '../context.js';
import { BASE_URL_HINT, describeFailure } from '../failure.js';
import { CliError, EXIT, type CliIO } from '../io.js';
import { printJson } from '../output.js';
import { pushUrlWithoutSecret } from './tasks.js';
import { storeLocation } from './webhooks.js';

/** One check of `zhichi doctor`. */
export interface DoctorCheck {
  name: 'configuration' | 'base URL' | 'credentials' | 'company' | 'token cache' | 'receiver' | 'store' | 'clock';
  ok: boolean;
  /** What was found (redacted). */
  detail: string;
  /** What to do about it, when `ok` is false. */
  fix?: string;
}

/** Clock skew above which the check fails: Sobot's tokens and time windows are minute-grained (assumed). */
export const MAX_CLOCK_SKEW_MS = 60_000;

const errText = (err: unknown) => describeFailure(err).line || String(err);

/** Runs every check; none throws. */
export async function runDoctor(cmd: Command, io: CliIO, opts: { pushUrl?: string }): Promise<DoctorCheck[]> {
  const flags = globals(cmd);
  const checks: DoctorCheck[] = [];
  const conn = resolveConnection(flags, io.env);
  const missing = [
    !conn.apiKey && 'ZHICHI_KEY (--key)',
    !conn.apiSecret && 'ZHICHI_SECRET (--api-secret)',
    !conn.companyId && 'ZHICHI_COMPANY_ID (--company-id)',
  ].filter((m): m is string => typeof m === 'string');
  if (missing.length > 0) {
    checks.push({ name: 'configuration', ok: false, detail: `missing ${missing.join(', ')}`, fix: `set them in the environment or in a .env file in ${io.cwd}` });
  } else {
    checks.push({ name: 'configuration', ok: true, detail: 'apiKey, apiSecret and company id are set' });
    await apiChecks(flags, io, checks);
  }
  checks.push(await tokenCacheCheck(flags, io, conn.redisUrl));
  if (opts.pushUrl !== undefined) checks.push(await receiverCheck(opts.pushUrl));
  const db = flags.db ?? io.env['ZHICHI_DB'];
  if (db !== undefined && db.trim() !== '') checks.push(await storeCheck(storeLocation(db, io)));
  return checks;
}

async function apiChecks(flags: ReturnType<typeof globals>, io: CliIO, checks: DoctorCheck[]): Promise<void> {
  const client = buildClient(flags, io);
  try {
    // The base URL: any answer with a Date header (even 404) shows the server is there; the Date gives the skew.
    let dateHeader: string | null = null;
    try {
      const res = await fetch(client.baseUrl, { method: 'GET', signal: AbortSignal.timeout(10_000) });
      dateHeader = res.headers.get('date');
      await res.body?.cancel();
    } catch (err) {
      checks.push({ name: 'base URL', ok: false, detail: `${client.baseUrl} cannot be reached (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message})`, fix: 'check ZHICHI_BASE_URL / --base-url, the network and any proxy' });
      return;
    }
    try {
      const info = await client.tokenInfo();
      checks.push({ name: 'base URL', ok: true, detail: `${client.baseUrl} answers GET tokens` });
      checks.push({ name: 'credentials', ok: true, detail: 'fixed' in info ? 'a fixed token is configured' : `token minted or reused, valid until ${new Date(info.expiresAt).toISOString()}` });
    } catch (err) {
      if (err instanceof ZhichiHttpError && err.status === 404) {
        checks.push({ name: 'base URL', ok: false, detail: `${client.baseUrl}: HTTP 404 on GET tokens`, fix: BASE_URL_HINT });
      } else if (err instanceof ZhichiConnectionError) {
        checks.push({ name: 'base URL', ok: false, detail: errText(err), fix: 'check ZHICHI_BASE_URL / --base-url and the network' });
      } else if (err instanceof ZhichiBusinessError && err.code === BUSINESS_CODE.TOKEN_RATE_LIMITED) {
        checks.push({ name: 'base URL', ok: true, detail: `${client.baseUrl} answers GET tokens` });
        checks.push({ name: 'credentials', ok: false, detail: errText(err), fix: 'wait a minute and run doctor again; keep the token cache on (--token-cache, --redis-url)' });
      } else {
        checks.push({ name: 'base URL', ok: true, detail: `${client.baseUrl} answers GET tokens` });
        checks.push({ name: 'credentials', ok: false, detail: errText(err), fix: 'check ZHICHI_KEY and ZHICHI_SECRET (Sobot console: 设置—接口设置)' });
      }
      checks.push(clockCheck(dateHeader));
      return;
    }
    try {
      const robots = await client.robots.count();
      checks.push({ name: 'company', ok: true, detail: `${client.companyId}: ${robots} robots` });
    } catch (err) {
      const forbidden = err instanceof ZhichiBusinessError && err.code === BUSINESS_CODE.FORBIDDEN;
      checks.push({ name: 'company', ok: false, detail: errText(err), fix: forbidden ? 'check ZHICHI_COMPANY_ID (--company-id)' : 'see the error; run the command again with --debug' });
    }
    checks.push(clockCheck(dateHeader));
  } finally {
    await client.close().catch(() => undefined);
  }
}

function clockCheck(dateHeader: string | null): DoctorCheck {
  const server = dateHeader === null ? Number.NaN : Date.parse(dateHeader);
  if (!Number.isFinite(server)) return { name: 'clock', ok: true, detail: 'the server sent no Date header: skew not measured' };
  // The Date header has 1 s resolution: a skew under a second or two is noise.
  const skew = Date.now() - server;
  const detail = `local clock ${skew >= 0 ? 'ahead of' : 'behind'} the server by ${Math.round(Math.abs(skew) / 1000)} s`;
  return Math.abs(skew) <= MAX_CLOCK_SKEW_MS
    ? { name: 'clock', ok: true, detail }
    : { name: 'clock', ok: false, detail, fix: 'synchronise the clock (NTP): task start/end times and token expiry are computed locally' };
}

async function tokenCacheCheck(flags: ReturnType<typeof globals>, io: CliIO, redisUrl: string | undefined): Promise<DoctorCheck> {
  if (redisUrl !== undefined) {
    const shown = redactText(redisUrl.replace(/\/\/[^@/]*@/, '//[REDACTED]@'));
    let Redis: new (url: string, options: import('ioredis').RedisOptions) => import('ioredis').Redis;
    try {
      Redis = (await import('ioredis')).default as unknown as typeof Redis;
    } catch {
      return { name: 'token cache', ok: false, detail: `redis ${shown}: the ioredis package is not installed`, fix: 'npm install ioredis (an optional peer of zhichi-outbound)' };
    }
    const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return { name: 'token cache', ok: true, detail: `redis ${shown} answers PING` };
    } catch (err) {
      return { name: 'token cache', ok: false, detail: `redis ${shown} cannot be reached (${redactText((err as Error).message)})`, fix: 'start Redis or fix ZHICHI_REDIS_URL / --redis-url (without Redis, tokens are not shared across processes)' };
    } finally {
      redis.disconnect();
    }
  }
  const file = tokenCachePath(flags, io);
  if (file === undefined) return { name: 'token cache', ok: true, detail: 'off: every run mints its own token (the token endpoint is rate-limited)' };
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await access(dirname(file), constants.W_OK);
    return { name: 'token cache', ok: true, detail: `file ${file}` };
  } catch (err) {
    return { name: 'token cache', ok: false, detail: `file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, fix: 'give a writable --token-cache <path> (or ZHICHI_TOKEN_CACHE), or off' };
  }
}

async function receiverCheck(pushUrl: string): Promise<DoctorCheck> {
  const shown = redactText(pushUrl);
  let url: URL;
  try {
    url = new URL(pushUrl);
  } catch {
    return { name: 'receiver', ok: false, detail: `${shown} is not a URL`, fix: 'give the pushUrl as the task has it, e.g. https://example.com/api/zhichi/events?secret=…' };
  }
  const noSecret = pushUrlWithoutSecret(pushUrl);
  // A probe the receiver refuses after its secret check and before storing anything: an unsupported
  // content type (415) means reachable and secret accepted; 401 means the secret is wrong.
  let status: number;
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-zhichi-doctor' }, body: 'probe', signal: AbortSignal.timeout(10_000) });
    status = res.status;
    await res.body?.cancel();
  } catch (err) {
    const why = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    return { name: 'receiver', ok: false, detail: `${shown} cannot be reached (${redactText(why)})`, fix: 'start the receiver (zhichi webhooks serve) and make it reachable from Sobot' };
  }
  if (status === 401) {
    return { name: 'receiver', ok: false, detail: `${shown} answered 401: ${noSecret ? 'no secret in the URL' : 'the secret is wrong'}`, fix: 'use the receiver\'s push secret (ZHICHI_PUSH_SECRET) as ?secret= in the pushUrl' };
  }
  if (status === 404) return { name: 'receiver', ok: false, detail: `${shown} answered 404`, fix: 'use the receiver\'s path (webhooks serve prints its pushUrl; default /api/zhichi/events)' };
  if (status === 403) return { name: 'receiver', ok: false, detail: `${shown} answered 403: this address is not in its --allow-ip list`, fix: 'run doctor from an allowed address or extend --allow-ip' };
  if (status === 415 || status === 400) {
    if (noSecret) return { name: 'receiver', ok: false, detail: `${shown} is reachable but its URL has no ?secret=`, fix: noSecret };
    return { name: 'receiver', ok: true, detail: `${shown} is reachable and accepts the secret` };
  }
  return { name: 'receiver', ok: false, detail: `${shown} answered HTTP ${status}`, fix: 'check that this URL is a zhichi push receiver' };
}

async function storeCheck(location: string): Promise<DoctorCheck> {
  const shown = redactText(location.replace(/\/\/[^@/]*@/, '//[REDACTED]@'));
  try {
    const store = await openEventStore(location);
    await store.close();
    return { name: 'store', ok: true, detail: `${shown} (${store.kind}) opens and is migrated` };
  } catch (err) {
    return { name: 'store', ok: false, detail: `${shown}: ${redactText((err as Error).message)}`, fix: 'give a writable SQLite path or a reachable postgres:// URL with --db or ZHICHI_DB' };
  }
}

/** `zhichi doctor`: checks configuration, API, token cache, receiver, store and clock; exits 1 when one fails. */
export function register(program: Command, io: CliIO): void {
  program
    .command('doctor')
    .description('check the setup: credentials, base URL, company, token cache, receiver and push secret (--push-url), store (--db), clock skew')
    .option('--push-url <url>', 'the pushUrl your tasks use: checks the receiver answers and accepts its secret')
    .action(async (opts: { pushUrl?: string }, cmd: Command) => {
      const checks = await runDoctor(cmd, io, opts);
      const ok = checks.every((c) => c.ok);
      if (globals(cmd).json) printJson(io, { ok, checks });
      else {
        const w = Math.max(...checks.map((c) => c.name.length));
        for (const c of checks) {
          io.stdout(`${c.ok ? '✓' : '✗'} ${c.name.padEnd(w)}  ${c.detail}\n`);
          if (!c.ok && c.fix) io.stdout(`  ${' '.repeat(w)}  fix: ${c.fix}\n`);
        }
      }
      if (!ok) throw new CliError(globals(cmd).json ? '' : `${checks.filter((c) => !c.ok).length} check(s) failed`, EXIT.ERROR);
    });
}
