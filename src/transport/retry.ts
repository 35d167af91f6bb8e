/** Retry policy of the transport: capped exponential backoff with jitter, Retry-After honoured up to a cap. */
export interface RetryOptions {
  /** First backoff delay in ms. @default 200 */
  baseDelayMs?: number;
  /** Cap of one backoff delay in ms. @default 5000 */
  maxDelayMs?: number;
  /** Cap of a server's Retry-After in ms; a longer Retry-After is cut to this. @default 30000 */
  maxRetryAfterMs?: number;
  /**
   * Budget of one request with its retries, ms from its first attempt: no retry starts whose
   * backoff would end past it, so a server that is down costs a bounded wait, however many
   * retries `maxRetries` allows. @default 60000
   */
  maxElapsedMs?: number;
}

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY: Required<RetryOptions> = { baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30_000, maxElapsedMs: 60_000 };

/** HTTP statuses worth retrying for a read: request timeout, too many requests, server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Parses a Retry-After header (seconds or HTTP date) into ms from `now`, or undefined. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * Delay before retry number `attempt` (0-based): `min(cap, base * 2^attempt)` with "equal jitter"
 * (half fixed, half random) so that a fleet does not retry in lockstep.
 */
export function backoffDelay(attempt: number, opts: Required<RetryOptions>, random: () => number = Math.random, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, opts.maxRetryAfterMs);
  const exp = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** attempt);
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Sleeps `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
