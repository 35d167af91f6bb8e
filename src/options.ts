import { z } from 'zod';
import type { TokenStore } from './auth/token-store.js';
import type { TokenPolicy } from './auth/token-manager.js';
import { ZhichiValidationError, issuesFromZod } from './errors.js';
import type { Clock } from './internal/clock.js';
import type { Logger } from './internal/logger.js';
import type { RetryOptions } from './transport/retry.js';
import { nonEmptyString, transportOptionFields } from './internal/option-fields.js';
import type { EnumOverrides } from './contract/enums.js';

/** Options of {@link ZhichiClient}. Every field falls back to its env variable, then its default. */
export interface ClientOptions {
  /** JWT issuer key from the Sobot console (设置—接口设置). Env `ZHICHI_KEY`. */
  apiKey?: string | undefined;
  /** JWT secret. Never logged, never in an error. Env `ZHICHI_SECRET`. */
  apiSecret?: string | undefined;
  /** Company id, the path segment of every business URL. Env `ZHICHI_COMPANY_ID`. */
  companyId?: string | undefined;
  /** Base URL. Env `ZHICHI_BASE_URL`. @default "https://gw.soboten.com/api/6.0.0/" */
  baseUrl?: string | undefined;
  /** Timeout of ONE attempt, ms. @default 10000 */
  timeoutMs?: number | undefined;
  /**
   * Retries after the first attempt, for requests safe to repeat, within the request's budget
   * (`retry.maxElapsedMs`). At a 20 % rate of independent faults a read then fails with
   * probability 0.2^9 = 5.1e-7 (about 1 in 2 million reads; docs/api-contract.md, "Retries").
   * Env `ZHICHI_MAX_RETRIES`. @default 8
   */
  maxRetries?: number | undefined;
  /**
   * How long, ms, a write whose outcome is unknown (a timeout, a reset or a 5xx after the request
   * may have reached the server) is looked for on the server before it is sent again: long enough
   * for a request the server still holds to land. Env `ZHICHI_WRITE_SETTLE_MS`.
   * @default 4 x timeoutMs
   */
  writeSettleMs?: number | undefined;
  /** Backoff settings and the budget of one request. @default { baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30000, maxElapsedMs: 60000 } */
  retry?: RetryOptions | undefined;
  /** A WHATWG fetch to send requests with. @default undici's `request` with a keep-alive pool */
  fetch?: typeof fetch | undefined;
  /** Where tokens are cached. @default a process-wide in-memory store, or Redis when `redisUrl` is set */
  tokenStore?: TokenStore | undefined;
  /** Redis URL for a token store shared by several processes. Env `ZHICHI_REDIS_URL`. */
  redisUrl?: string | undefined;
  /** Prefix of token cache keys. @default "zhichi:token:" */
  tokenKeyPrefix?: string | undefined;
  /** Mint lock and mint-rate tuning (lockTtlMs, lockWaitMs, minMintIntervalMs, mintBurst); see docs/tokens.md. */
  tokenPolicy?: TokenPolicy | undefined;
  /** A fixed access token (the seed's `setToken`): no minting, no refresh. */
  token?: string | undefined;
  /**
   * Refresh the token this long before it expires, ms. @default half the token's lifetime (12 h of
   * Sobot's 24 h, as Sobot's V6 docs advise; docs/tokens.md says why)
   */
  tokenRefreshMarginMs?: number | undefined;
  /**
   * Names of enum codes (call results, hang-up side, statuses...): per enum, code → name entries that
   * replace or extend our assumed tables, e.g. `{ callResult: { 21: 'BUSY_X' } }`. Codes nobody
   * names are `UNKNOWN_<code>`. See `client.enums`.
   */
  enums?: EnumOverrides | undefined;
  /** Logger; every line is redacted. @default silent */
  logger?: Logger | undefined;
  /** Aborts every request of this client. */
  signal?: AbortSignal | undefined;
  /** Clock for token expiry. @default the system clock */
  clock?: Clock | undefined;
  /** Environment to read fallbacks from. @default process.env */
  env?: Record<string, string | undefined> | undefined;
}

/** All defaults in one place. */
export const DEFAULTS = {
  baseUrl: 'https://gw.soboten.com/api/6.0.0/',
  timeoutMs: 10_000,
  maxRetries: 8,
  tokenKeyPrefix: 'zhichi:token:',
  /** Undefined: half the lifetime of each token (see ClientOptions.tokenRefreshMarginMs). */
  tokenRefreshMarginMs: undefined,
} as const;

const optionsSchema = z.object({
  apiKey: nonEmptyString.optional(),
  apiSecret: nonEmptyString.optional(),
  companyId: nonEmptyString.optional(),
  ...transportOptionFields,
  tokenRefreshMarginMs: z.number().int('must be an integer number of ms').min(0, 'must be 0 or more').optional(),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  token: z.string().min(1, 'must be a non-empty string').optional(),
  retry: z
    .object({
      baseDelayMs: z.number().int('must be an integer number of ms').min(0, 'must be 0 or more').optional(),
      maxDelayMs: z.number().int('must be an integer number of ms').min(0, 'must be 0 or more').optional(),
      maxRetryAfterMs: z.number().int('must be an integer number of ms').min(0, 'must be 0 or more').optional(),
      maxElapsedMs: z.number().int('must be an integer number of ms').min(0, 'must be 0 or more').optional(),
    })
    .optional(),
});

/** Options after env fallback, defaults and validation. */
export interface ResolvedOptions {
  apiKey: string | undefined;
  apiSecret: string | undefined;
  companyId: string | undefined;
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  writeSettleMs: number | undefined;
  /** Undefined: half of each token's lifetime. */
  tokenRefreshMarginMs: number | undefined;
  redisUrl: string | undefined;
  token: string | undefined;
  tokenKeyPrefix: string;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
const numEnv = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

/**
 * Applies env fallbacks and defaults, validates, and throws {@link ZhichiValidationError} naming
 * the option on any problem. `need` says which credentials the caller requires.
 */
export function resolveOptions(o: ClientOptions, need: { credentials: boolean; companyId: boolean }): ResolvedOptions {
  const env = o.env ?? process.env;
  let baseUrl = o.baseUrl ?? nonEmpty(env.ZHICHI_BASE_URL) ?? DEFAULTS.baseUrl;
  if (!baseUrl.endsWith('/')) baseUrl += '/';
  const candidate = {
    apiKey: o.apiKey ?? nonEmpty(env.ZHICHI_KEY),
    apiSecret: o.apiSecret ?? nonEmpty(env.ZHICHI_SECRET),
    companyId: o.companyId ?? nonEmpty(env.ZHICHI_COMPANY_ID),
    baseUrl,
    timeoutMs: o.timeoutMs ?? numEnv(env.ZHICHI_TIMEOUT_MS) ?? DEFAULTS.timeoutMs,
    maxRetries: o.maxRetries ?? numEnv(env.ZHICHI_MAX_RETRIES) ?? DEFAULTS.maxRetries,
    writeSettleMs: o.writeSettleMs ?? numEnv(env.ZHICHI_WRITE_SETTLE_MS),
    tokenRefreshMarginMs: o.tokenRefreshMarginMs ?? DEFAULTS.tokenRefreshMarginMs,
    redisUrl: o.redisUrl ?? nonEmpty(env.ZHICHI_REDIS_URL),
    token: o.token,
  };
  const r = optionsSchema.safeParse({ ...candidate, retry: o.retry });
  const issues = r.success ? [] : issuesFromZod(r.error.issues);
  if (need.credentials && candidate.token === undefined) {
    if (candidate.apiKey === undefined) issues.push({ path: 'apiKey', message: 'is required (option apiKey or env ZHICHI_KEY)' });
    if (candidate.apiSecret === undefined) issues.push({ path: 'apiSecret', message: 'is required (option apiSecret or env ZHICHI_SECRET)' });
  }
  if (need.companyId && candidate.companyId === undefined) {
    issues.push({ path: 'companyId', message: 'is required (option companyId or env ZHICHI_COMPANY_ID)' });
  }
  if (issues.length) throw new ZhichiValidationError('client options', issues);
  return { ...candidate, tokenKeyPrefix: o.tokenKeyPrefix ?? DEFAULTS.tokenKeyPrefix };
}
