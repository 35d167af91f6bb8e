import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { defaultTokenCachePath, FileTokenStore } from '../auth/file-token-store.js';
import { ZhichiClient } from '../client.js';
import { registerSecret } from '../internal/redact.js';
import { CliError, EXIT, type CliIO } from './io.js';

/** Configuration flags every command accepts (global options of `zhichi`). */
export interface GlobalFlags {
  key?: string;
  apiSecret?: string;
  /** Deprecated alias: the apiSecret, or the push secret for `webhooks serve`. */
  secret?: string;
  companyId?: string;
  baseUrl?: string;
  redisUrl?: string;
  db?: string;
  tokenCache?: string;
  envFile?: string;
  json?: boolean;
  debug?: boolean;
}

/** The env variables `zhichi` reads, flag that overrides each, and what it is for. */
export const CONFIG_VARS = [
  { env: 'ZHICHI_KEY', flag: '--key', what: 'apiKey (设置—接口设置 in the Sobot console)' },
  { env: 'ZHICHI_SECRET', flag: '--api-secret', what: 'apiSecret (never printed)' },
  { env: 'ZHICHI_COMPANY_ID', flag: '--company-id', what: 'company id' },
  { env: 'ZHICHI_BASE_URL', flag: '--base-url', what: 'API base URL (default https://gw.soboten.com/api/6.0.0/)' },
  { env: 'ZHICHI_REDIS_URL', flag: '--redis-url', what: 'Redis for a token cache shared by processes' },
  { env: 'ZHICHI_TOKEN_CACHE', flag: '--token-cache', what: 'token cache file shared by zhichi runs, or off (default ~/.cache/zhichi/tokens.json)' },
  { env: 'ZHICHI_DB', flag: '--db', what: 'push-event store: SQLite file or postgres:// URL' },
  { env: 'ZHICHI_PUSH_SECRET', flag: 'webhooks serve --push-secret', what: 'secret the pushUrl carries as ?secret= (never printed)' },
  { env: 'ZHICHI_PUSH_PORT', flag: 'webhooks serve --port', what: 'port of the push receiver' },
  { env: 'ZHICHI_PUSH_HOST', flag: 'webhooks serve --host', what: 'interface of the push receiver (default 127.0.0.1)' },
] as const;

/**
 * Reads the `.env` file of `io.cwd` (or `--env-file`) with Node's own dotenv rules
 * (`util.parseEnv`). A missing default `.env` is fine; a missing `--env-file` is an error.
 */
export function readDotEnv(io: CliIO, envFile?: string): Record<string, string> {
  const path = envFile === undefined ? join(io.cwd, '.env') : isAbsolute(envFile) ? envFile : join(io.cwd, envFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (envFile === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such file (looked for ${path})` : code === 'EISDIR' ? `${path} is a directory` : `cannot read ${path} (${code ?? (err as Error).message})`;
    throw new CliError(`${envFile === undefined ? '.env' : `--env-file ${envFile}`}: ${why}`, EXIT.USAGE);
  }
  const parsed = parseEnv(text);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (v !== undefined) out[k] = v;
  return out;
}

/** The environment a command sees: the process env over the `.env` file (flags come first, per command). */
export function mergedEnv(io: CliIO, envFile?: string): Record<string, string | undefined> {
  const file = readDotEnv(io, envFile);
  const env: Record<string, string | undefined> = { ...file };
  for (const [k, v] of Object.entries(io.env)) if (v !== undefined && v !== '') env[k] = v;
  return env;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v);

/** Resolved connection settings: flags, then env, then `.env` (merged into `io.env` by `run`). */
export interface Connection {
  apiKey: string | undefined;
  apiSecret: string | undefined;
  companyId: string | undefined;
  baseUrl: string | undefined;
  redisUrl: string | undefined;
}

/** Applies the precedence flags → env → `.env` to the connection settings. */
export function resolveConnection(flags: GlobalFlags, env: Record<string, string | undefined>): Connection {
  const c: Connection = {
    apiKey: nonEmpty(flags.key) ?? nonEmpty(env.ZHICHI_KEY),
    apiSecret: nonEmpty(flags.apiSecret) ?? nonEmpty(flags.secret) ?? nonEmpty(env.ZHICHI_SECRET),
    companyId: nonEmpty(flags.companyId) ?? nonEmpty(env.ZHICHI_COMPANY_ID),
    baseUrl: nonEmpty(flags.baseUrl) ?? nonEmpty(env.ZHICHI_BASE_URL),
    redisUrl: nonEmpty(flags.redisUrl) ?? nonEmpty(env.ZHICHI_REDIS_URL),
  };
  // From here on, no error text or log line can carry the secret.
  registerSecret(c.apiSecret);
  return c;
}

/**
 * The CLI's token cache file: `--token-cache`, else `ZHICHI_TOKEN_CACHE`, else the default under
 * `$XDG_CACHE_HOME` or `$HOME/.cache`; undefined for `off` or when the env names no home (tokens
 * then live in the process, as without a cache). A relative path is relative to the working directory.
 */
export function tokenCachePath(flags: GlobalFlags, io: CliIO): string | undefined {
  const v = nonEmpty(flags.tokenCache) ?? nonEmpty(io.env.ZHICHI_TOKEN_CACHE);
  if (v === undefined) return defaultTokenCachePath(io.env);
  if (v.trim().toLowerCase() === 'off') return undefined;
  return resolve(io.cwd, v);
}

/** `host:port` of a Redis URL, for messages (never its password). */
function redisTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'an unparseable URL';
  }
}

/** Where the CLI caches tokens, for `zhichi token`: `redis`, the cache file's path, or `memory`. */
export function tokenCacheLabel(flags: GlobalFlags, io: CliIO, client?: ZhichiClient): string {
  const redisUrl = resolveConnection(flags, io.env).redisUrl;
  if (redisUrl !== undefined) {
    // The client fell back to a per-process cache (one warning on stderr): say so, not "redis".
    if (client?.tokenManager?.isDegraded) return `memory (Redis at ${redisTarget(redisUrl)} unreachable)`;
    return 'redis';
  }
  return tokenCachePath(flags, io) ?? 'memory';
}

/** The one notice of the deprecated `--secret` (for the apiSecret): its new name. */
export function warnDeprecatedSecret(flags: GlobalFlags, io: CliIO): void {
  if (flags.secret !== undefined && flags.apiSecret === undefined) {
    io.stderr('warning: --secret is deprecated: use --api-secret for the apiSecret (webhooks serve: --push-secret for the push secret)\n');
  }
}

/**
 * Builds a client from flags and env, failing with ONE line that names every missing setting and
 * how to give it (the client's own validation then covers malformed values).
 */
export function buildClient(flags: GlobalFlags, io: CliIO, signal?: AbortSignal): ZhichiClient {
  warnDeprecatedSecret(flags, io);
  const c = resolveConnection(flags, io.env);
  const missing: string[] = [];
  if (!c.apiKey) missing.push('ZHICHI_KEY (or --key)');
  if (!c.apiSecret) missing.push('ZHICHI_SECRET (or --api-secret)');
  if (!c.companyId) missing.push('ZHICHI_COMPANY_ID (or --company-id)');
  if (missing.length) {
    throw new CliError(`missing configuration: ${missing.join(', ')}; set them in the environment or in a .env file in ${io.cwd}`, EXIT.USAGE);
  }
  const cache = c.redisUrl === undefined ? tokenCachePath(flags, io) : undefined;
  return new ZhichiClient({
    apiKey: c.apiKey,
    apiSecret: c.apiSecret,
    companyId: c.companyId,
    baseUrl: c.baseUrl,
    redisUrl: c.redisUrl,
    // Each run is a new process: without a file the token would be minted on every command.
    ...(cache !== undefined ? { tokenStore: new FileTokenStore({ path: cache, logger: { warn: (m) => io.stderr(`warning: ${m}\n`), error: (m) => io.stderr(`error: ${m}\n`) } }) } : {}),
    // Warnings the client logs (Redis unreachable, so tokens stay in this process; a reply off an
    // assumed shape) go to stderr, as the README promises; the logger is redacting.
    logger: { warn: (m) => io.stderr(`warning: ${m}\n`), error: (m) => io.stderr(`error: ${m}\n`) },
    // The client's own env fallbacks read the CLI's merged env, never the real process.env in tests.
    env: io.env,
    signal: signal ?? io.signal,
  });
}
