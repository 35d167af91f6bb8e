import { z } from 'zod';
import { ZhichiValidationError, issuesFromZod } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import type { Logger } from '../internal/logger.js';
import type { RetryOptions } from '../transport/retry.js';
import { nonEmptyString, transportOptionFields } from '../internal/option-fields.js';

/** Options of {@link AgentsClient}. Every field falls back to its env variable, then its default. */
export interface AgentsClientOptions {
  /** ISV appKey. Env `ZHICHI_AGENTS_APP_KEY`. */
  appKey?: string | undefined;
  /** ISV appSecret; enters the signature only, never sent, logged or put in an error. Env `ZHICHI_AGENTS_APP_SECRET`. */
  appSecret?: string | undefined;
  /** Company signature (公司签名) issued by Sobot; enters the signature only. Env `ZHICHI_AGENTS_TENANT_SIGN`. */
  tenantSign?: string | undefined;
  /** Host root; paths `apiOpen/v1/...` and `apiOpenNew/v1/...` are appended. Env `ZHICHI_AGENTS_BASE_URL`. @default "https://open-api.soboten.com/" */
  baseUrl?: string | undefined;
  /** Timeout of ONE attempt, ms. @default 10000 */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt, for requests safe to repeat. @default 2 */
  maxRetries?: number | undefined;
  /** How long a create whose answer was lost is looked for by name before it is sent again, ms. @default 4 x timeoutMs */
  writeSettleMs?: number | undefined;
  /** Backoff settings. @default { baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30000 } */
  retry?: RetryOptions | undefined;
  /** Task creations per minute this client allows itself (§3.1: at most 30); more are paced, not failed. @default 30 */
  createsPerMinute?: number | undefined;
  /** importCustomerAsync calls in flight at once when a list is split above 10,000. @default 4 */
  importConcurrency?: number | undefined;
  /** A WHATWG fetch to send requests with. @default undici with a keep-alive pool */
  fetch?: typeof fetch | undefined;
  /** Logger; every line is redacted. @default silent */
  logger?: Logger | undefined;
  /** Aborts every request of this client. */
  signal?: AbortSignal | undefined;
  /** Clock of the signature timestamps and of the create pacing. @default the system clock */
  clock?: Clock | undefined;
  /** Sleep used by pacing and backoff (tests move a manual clock here). @default a timer */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Environment to read fallbacks from. @default process.env */
  env?: Record<string, string | undefined> | undefined;
}

/** Defaults of the Agents client. */
export const AGENTS_DEFAULTS = {
  baseUrl: 'https://open-api.soboten.com/',
  timeoutMs: 10_000,
  maxRetries: 2,
  createsPerMinute: 30,
  importConcurrency: 4,
} as const;

const nonEmpty = nonEmptyString;
const schema = z.object({
  appKey: nonEmpty,
  appSecret: nonEmpty,
  tenantSign: nonEmpty,
  ...transportOptionFields,
  createsPerMinute: z.number().int('must be an integer').min(1, 'must be at least 1').max(30, 'must be at most 30 (api/sobot-agents.md §3.1)'),
  importConcurrency: z.number().int('must be an integer').min(1, 'must be at least 1').max(32, 'must be at most 32'),
});

/** Options after env fallback, defaults and validation. */
export type ResolvedAgentsOptions = z.infer<typeof schema>;

const env = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

/** Resolves and validates; throws {@link ZhichiValidationError} naming each bad option (and its env name). */
export function resolveAgentsOptions(o: AgentsClientOptions): ResolvedAgentsOptions {
  const e = o.env ?? process.env;
  let baseUrl = o.baseUrl ?? env(e.ZHICHI_AGENTS_BASE_URL) ?? AGENTS_DEFAULTS.baseUrl;
  if (!baseUrl.endsWith('/')) baseUrl += '/';
  const c = {
    appKey: o.appKey ?? env(e.ZHICHI_AGENTS_APP_KEY),
    appSecret: o.appSecret ?? env(e.ZHICHI_AGENTS_APP_SECRET),
    tenantSign: o.tenantSign ?? env(e.ZHICHI_AGENTS_TENANT_SIGN),
    baseUrl,
    timeoutMs: o.timeoutMs ?? AGENTS_DEFAULTS.timeoutMs,
    maxRetries: o.maxRetries ?? AGENTS_DEFAULTS.maxRetries,
    writeSettleMs: o.writeSettleMs,
    createsPerMinute: o.createsPerMinute ?? AGENTS_DEFAULTS.createsPerMinute,
    importConcurrency: o.importConcurrency ?? AGENTS_DEFAULTS.importConcurrency,
  };
  const r = schema.safeParse(c);
  if (r.success) return r.data;
  const ENV: Record<string, string> = { appKey: 'ZHICHI_AGENTS_APP_KEY', appSecret: 'ZHICHI_AGENTS_APP_SECRET', tenantSign: 'ZHICHI_AGENTS_TENANT_SIGN' };
  const issues = issuesFromZod(r.error.issues).map((i) => {
    const v = (c as Record<string, unknown>)[i.path];
    return ENV[i.path] && v === undefined ? { path: i.path, message: `is required (option ${i.path} or env ${ENV[i.path]})` } : i;
  });
  throw new ZhichiValidationError('Agents client options', issues);
}
