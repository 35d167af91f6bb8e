import { setTimeout as sleep } from 'node:timers/promises';
import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TokenContent } from '../contract/token.js';
import {
  ZhichiBusinessError, ZhichiConnectionError, ZhichiCredentialsError, ZhichiTimeoutError, ZhichiTokenRateError, ZhichiValidationError,
  type ValidationIssue,
} from '../errors.js';
import type { Logger } from '../internal/logger.js';
import { registerSecret } from '../internal/redact.js';
import { MemoryTokenStore, type StoredToken, type TokenStore } from './token-store.js';

/** Tuning of the cross-process token protocol; every field has a safe default. */
export interface TokenPolicy {
  /**
   * Lifetime of the mint lock, ms. The holder renews it every third of this while its mint runs,
   * so a holder that dies blocks the others at most this long. @default 5000
   */
  lockTtlMs?: number | undefined;
  /** How long a process waits for another one's mint before giving up with ZhichiTimeoutError, ms. @default 30000 */
  lockWaitMs?: number | undefined;
  /**
   * Rate window of mints, ms: at most `mintBurst` mints per window across every process sharing
   * the store; a caller that needs one more waits for the window's next slot (see `mintWaitMs`)
   * instead of calling the token endpoint. `0` disables the check. @default 30000
   */
  minMintIntervalMs?: number | undefined;
  /**
   * Mints allowed per `minMintIntervalMs` window. The default 2 lets a single revocation recover at
   * once (the cold-start mint plus one re-mint) while a loop of forced re-mints is stopped. @default 2
   */
  mintBurst?: number | undefined;
  /**
   * How long a caller waits, in all, for a slot of the mint window before ZhichiTokenRateError, ms.
   * The window protects the token endpoint; it paces callers, it does not throw their work away.
   * @default 30000 (one default window)
   */
  mintWaitMs?: number | undefined;
}

/** Defaults of {@link TokenPolicy}. */
export const TOKEN_POLICY_DEFAULTS: Readonly<Required<{ [K in keyof TokenPolicy]: number }>> = {
  lockTtlMs: 5_000,
  lockWaitMs: 30_000,
  minMintIntervalMs: 30_000,
  mintBurst: 2,
  mintWaitMs: 30_000,
};

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  store: TokenStore;
  /** Cache key (see {@link tokenKey}); the lock and the mint window use `key:lock` and `key:mints`. */
  key: string;
  /** Calls the token endpoint once. */
  mint: () => Promise<TokenContent>;
  now: () => number;
  /**
   * Serve the cached token until this long before expiry. Undefined: half of the token's lifetime
   * (Sobot's 5.0 docs: every token request mints a new token and may invalidate the old; V6 advises
   * refreshing at half the lifetime, so a token is replaced long before any expiry edge).
   */
  refreshMarginMs?: number | undefined;
  logger: Logger;
  /** Lock and rate tuning. */
  policy?: TokenPolicy | undefined;
}

/** Tolerance within which the server's `createTime` is trusted to compute the token's age. */
const CLOCK_TRUST_MS = 5 * 60_000;

/** First and last pause between two looks at the store while another process mints, ms. */
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 50;

/**
 * Builds the cache key of a token: an HMAC-SHA256, keyed by the apiSecret, of the base URL, apiKey
 * and companyId. The key is bound to the credentials that mint under it: a process with a wrong or
 * rotated secret never finds (and serves) the token of the right one, and its refused mints count
 * in its own mint window, not in the good credentials' window. The key reveals neither the apiKey
 * nor the secret.
 */
export function tokenKey(prefix: string, baseUrl: string, apiKey: string, apiSecret: string, companyId: string | undefined): string {
  const h = createHmac('sha256', `zhichi-token-key\n${apiSecret}`).update(`${baseUrl}\n${apiKey}\n${companyId ?? ''}`).digest('hex').slice(0, 32);
  return `${prefix}${h}`;
}

/** Refusals of fleet-current tokens within this long of each other make a token fight, ms. */
const FIGHT_WINDOW_MS = 10 * 60_000;
/** How many such refusals within {@link FIGHT_WINDOW_MS} make a token fight. */
const FIGHT_REFUSALS = 2;
/** At most one token-fight warning per this long, ms. */
const FIGHT_WARN_EVERY_MS = 60 * 60_000;

/** Converts the token endpoint's content to a {@link StoredToken} in the local clock. */
export function toStoredToken(t: TokenContent, localNow: number): StoredToken {
  const lifeMs = t.expiresIn * 1000;
  // Age from the server's createTime, only when the clocks roughly agree: with skew, a token
  // just minted is taken as new rather than as already expired (or eternal).
  const skew = localNow - t.createTime;
  const age = Math.abs(skew) <= CLOCK_TRUST_MS ? Math.min(Math.max(skew, 0), lifeMs) : 0;
  return { accessToken: t.accessToken, tokenType: t.tokenType, expiresIn: t.expiresIn, createTime: t.createTime, expiresAt: localNow + lifeMs - age };
}

/** Validates a {@link TokenPolicy}; throws ZhichiValidationError naming the field and the rule. */
export function resolveTokenPolicy(p: TokenPolicy | undefined): Required<{ [K in keyof TokenPolicy]: number }> {
  const out = { ...TOKEN_POLICY_DEFAULTS };
  const issues: ValidationIssue[] = [];
  const check = (k: keyof TokenPolicy, min: number, rule: string) => {
    const v = p?.[k];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) issues.push({ path: `tokenPolicy.${k}`, message: rule });
    else out[k] = v;
  };
  check('lockTtlMs', 1, 'must be a positive integer number of ms');
  check('lockWaitMs', 1, 'must be a positive integer number of ms');
  check('minMintIntervalMs', 0, 'must be 0 (off) or a positive integer number of ms');
  check('mintBurst', 1, 'must be a positive integer');
  check('mintWaitMs', 0, 'must be 0 (do not wait) or a positive integer number of ms');
  if (issues.length) throw new ZhichiValidationError('client options', issues);
  return out;
}

/** The mint window is full: wait this long for its next slot, then try again. */
class RatePause {
  constructor(readonly ms: number) {}
}

/** A store failure, kept apart from failures of the mint itself. */
class StoreFailure {
  constructor(readonly cause: unknown) {}
}


/**
 * Serves a valid access token to one client, coordinating with every other process that shares
 * its store:
 *
 * - the cached token is served until `refreshMarginMs` before expiry (default: half its lifetime);
 * - one in-flight mint per process;
 * - across processes, a mint lock (when the store has one) and a re-check after taking it, so one
 *   process mints and the others wait, polling the store, for the token it stores;
 * - at most `mintBurst` mints per `minMintIntervalMs`: callers wait for the next slot (one mint for
 *   all of them, under the lock), up to `mintWaitMs`, then ZhichiTokenRateError;
 * - on 401, compare-and-delete: a token another process already replaced is used, not re-minted;
 * - when the store fails (Redis down), process-local caching with one warning per outage, and
 *   back to the shared store as soon as it answers again.
 */
export class TokenManager {
  private local: StoredToken | undefined;
  private inflight: Promise<StoredToken> | undefined;
  /** Tokens the server refused lately: never served again, whatever a store still holds. */
  private readonly rejected = new Set<string>();
  private readonly fallback: MemoryTokenStore;
  private readonly policy: Required<{ [K in keyof TokenPolicy]: number }>;
  private degraded = false;
  /** Why this process's last token request failed, for the rate error's message. */
  private lastMintError: string | undefined;
  /** The server refused these credentials: fail fast with this error until `until` (monotonic ms). */
  private refusal: { error: ZhichiCredentialsError; until: number } | undefined;
  /** When (monotonic ms) a token that was still the store's current one was refused by the server. */
  private readonly refusedCurrent: number[] = [];
  private lastFightWarning = -Infinity;
  /** Number of token-fight warnings logged (for diagnostics and tests). */
  fightWarnings = 0;
  /** Number of tokens this manager minted (for diagnostics and tests). */
  mints = 0;
  /** Number of times the shared store failed and process-local caching took over. */
  outages = 0;

  /** Builds a manager; throws ZhichiValidationError on a bad policy. */
  constructor(private readonly o: TokenManagerOptions) {
    this.policy = resolveTokenPolicy(o.policy);
    this.fallback = new MemoryTokenStore(o.now);
  }

  /** True while the shared store is unreachable and tokens are cached in this process only. */
  get isDegraded(): boolean {
    return this.degraded;
  }

  /**
   * When this manager stops serving `t` and mints a new token: `refreshMarginMs` (default half the
   * lifetime) before `t.expiresAt`, epoch ms in the local clock, like `expiresAt`.
   */
  refreshAt(t: StoredToken): number {
    const margin = this.o.refreshMarginMs ?? (t.expiresIn * 1000) / 2;
    return t.expiresAt - margin;
  }

  private fresh(t: StoredToken | undefined): t is StoredToken {
    if (t === undefined || this.rejected.has(t.accessToken)) return false;
    return this.refreshAt(t) > this.o.now();
  }

  /** A valid token; `refresh` forces a new mint (the seed's refresh flag). */
  async getToken(opts: { refresh?: boolean } = {}): Promise<string> {
    return (await this.getStored(opts)).accessToken;
  }

  /**
   * Like {@link getToken}, with expiry details. `refresh: true` discards the current token
   * (compare-and-delete) first, so after a 401 a fleet of processes that all refresh still mints once.
   */
  async getStored(opts: { refresh?: boolean } = {}): Promise<StoredToken> {
    if (opts.refresh) {
      const current = this.local ?? (await this.withStore((s) => s.get(this.o.key)));
      if (current) await this.discard(current.accessToken, false);
    }
    for (;;) {
      if (this.fresh(this.local)) return this.local;
      this.inflight ??= this.obtain().finally(() => {
        this.inflight = undefined;
      });
      const t = await this.inflight;
      // A mint that started before an invalidate may bring back the refused token: go round again.
      if (!this.rejected.has(t.accessToken)) return t;
    }
  }

  /**
   * Forgets `accessToken` after the server refused it (HTTP 401): locally, and in the store only
   * if the store still holds that same token.
   */
  async invalidate(accessToken: string): Promise<void> {
    await this.discard(accessToken, true);
  }

  /** Forgets a token; `refusedByServer` when the server refused it (a forced refresh is not). */
  private async discard(accessToken: string, refusedByServer: boolean): Promise<void> {
    this.rejected.add(accessToken);
    // Bounded: only the last few refused tokens matter.
    if (this.rejected.size > 16) this.rejected.delete(this.rejected.values().next().value!);
    if (this.local?.accessToken === accessToken) this.local = undefined;
    const wasCurrent = await this.withStore((s) => s.deleteIf(this.o.key, accessToken));
    if (wasCurrent && refusedByServer) this.noteRefusedCurrent();
  }

  /**
   * The server refused the token the whole fleet shares, and no process of the fleet had replaced
   * it (the compare-and-delete found it still current). Once is a revocation; twice within
   * {@link FIGHT_WINDOW_MS} means something else mints with these credentials and each of its mints
   * revokes ours (a token fight): say so once, naming the likely causes.
   */
  private noteRefusedCurrent(): void {
    const t = performance.now();
    this.refusedCurrent.push(t);
    while (this.refusedCurrent.length > 0 && t - this.refusedCurrent[0]! > FIGHT_WINDOW_MS) this.refusedCurrent.shift();
    if (this.refusedCurrent.length < FIGHT_REFUSALS || t - this.lastFightWarning < FIGHT_WARN_EVERY_MS) return;
    this.lastFightWarning = t;
    this.fightWarnings++;
    this.o.logger.warn(
      `zhichi: token fight: the shared access token was refused (HTTP 401) ${this.refusedCurrent.length} times within ` +
        `${FIGHT_WINDOW_MS / 60_000} min while no process sharing this token store had replaced it. Something else is ` +
        `minting tokens with the same apiKey and each of its mints revokes ours: another deployment, a script or the ` +
        `seed's PHP module with its own cache, or a different token store / tokenKeyPrefix. Give every user of this ` +
        `apiKey one shared token store (redisUrl) and key prefix.`,
    );
  }

  /** The token currently cached by this process, if any (no network). */
  peek(): StoredToken | undefined {
    return this.local;
  }

  /** The store to use now: the shared one, or the local fallback while it is down. */
  private async withStore<T>(op: (s: TokenStore) => Promise<T>): Promise<T> {
    if (this.o.store !== this.fallback) {
      try {
        const v = await op(this.o.store);
        this.recovered();
        return v;
      } catch (err) {
        this.degrade(err);
      }
    }
    return op(this.fallback);
  }

  private degrade(err: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.outages++;
    // One warning per outage: every call during the outage would otherwise log.
    this.o.logger.warn(
      `zhichi: token store unreachable (${(err as Error)?.message ?? String(err)}); caching tokens in this process until it answers again`,
    );
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.o.logger.info?.('zhichi: token store reachable again; sharing tokens through it');
  }

  private adopt(t: StoredToken): StoredToken {
    registerSecret(t.accessToken);
    this.local = t;
    return t;
  }

  private async obtain(): Promise<StoredToken> {
    // Credentials the server refused lately: fail at once, without asking it again.
    if (this.refusal && performance.now() < this.refusal.until) throw this.refusal.error;
    this.refusal = undefined;
    let started = performance.now();
    let pause = POLL_MIN_MS;
    let rateWaited = 0;
    for (;;) {
      // The shared store first each round, so the manager returns to it as soon as it answers.
      const useShared = this.o.store !== this.fallback;
      let attempt: StoredToken | undefined | StoreFailure | RatePause;
      if (useShared) {
        attempt = await this.attempt(this.o.store, rateWaited);
        if (attempt instanceof StoreFailure) {
          this.degrade(attempt.cause);
          attempt = await this.attempt(this.fallback, rateWaited);
        } else this.recovered();
      } else attempt = await this.attempt(this.fallback, rateWaited);
      if (attempt instanceof StoreFailure) throw attempt.cause;
      if (attempt instanceof RatePause) {
        // Paced by the mint window: every waiter wakes at the next slot; the first to take the
        // lock mints, the others find its token when they re-check under the lock.
        const t0 = performance.now();
        await sleep(attempt.ms + Math.random() * POLL_MAX_MS);
        rateWaited += performance.now() - t0;
        started = performance.now();
        pause = POLL_MIN_MS;
        continue;
      }
      if (attempt) return attempt;
      // Another process holds the lock: wait for the token it will store, bounded.
      const waited = performance.now() - started;
      if (waited >= this.policy.lockWaitMs) {
        throw new ZhichiTimeoutError(
          `timed out after ${Math.round(waited)} ms waiting for another process to mint the access token (tokenPolicy.lockWaitMs = ${this.policy.lockWaitMs})`,
          { method: 'GET', path: 'tokens' },
        );
      }
      await sleep(Math.min(pause, Math.max(1, this.policy.lockWaitMs - waited)) * (0.5 + Math.random() / 2));
      pause = Math.min(pause * 2, POLL_MAX_MS);
    }
  }

  /**
   * One round against `store`: a fresh cached token, or a token minted under the lock, or
   * undefined when another holder has the lock. Store failures come back as StoreFailure; mint
   * failures and the rate error are thrown.
   */
  private async attempt(store: TokenStore, rateWaited: number): Promise<StoredToken | undefined | StoreFailure | RatePause> {
    const key = this.o.key;
    const lockKey = `${key}:lock`;
    let fence: string | undefined;
    try {
      const cached = await store.get(key);
      if (this.fresh(cached)) return this.adopt(cached);
      if (store.tryLock) {
        fence = await store.tryLock(lockKey, this.policy.lockTtlMs);
        if (fence === undefined) return undefined;
        // Re-check after taking the lock: the previous holder may have stored a token just now.
        const again = await store.get(key);
        if (this.fresh(again)) return this.adopt(again);
      }
      const pace = await this.checkRate(store, rateWaited);
      if (pace) {
        if (fence !== undefined) await store.unlock?.(lockKey, fence).catch(() => false);
        return pace;
      }
    } catch (err) {
      if (fence !== undefined) void store.unlock?.(lockKey, fence).catch(() => {});
      if (err instanceof ZhichiTokenRateError) throw err;
      return new StoreFailure(err);
    }
    // Renew the lock while the mint runs, so a slow but live holder keeps it and a dead one loses
    // it within one TTL.
    const renew =
      fence !== undefined && store.renewLock
        ? setInterval(() => void store.renewLock!(lockKey, fence!, this.policy.lockTtlMs).catch(() => {}), Math.max(1, Math.floor(this.policy.lockTtlMs / 3)))
        : undefined;
    renew?.unref();
    try {
      let content: TokenContent;
      try {
        content = await this.o.mint();
      } catch (err) {
        // The server answered and refused (wrong credentials, rate limited, 5xx): that request
        // counts against the window too, so a fleet with bad credentials cannot hammer the endpoint.
        if (!(err instanceof ZhichiConnectionError)) {
          this.lastMintError = (err as Error)?.message ?? String(err);
          if (this.policy.minMintIntervalMs > 0) await store.recordMint?.(`${key}:mints`, this.policy.minMintIntervalMs).catch(() => {});
        }
        // A business error of GET tokens is the server refusing these credentials (10001 on the
        // emulator; Sobot's code is assumed, docs/tokens.md): fail fast from now on, for a while.
        if (err instanceof ZhichiBusinessError) {
          const holdMs = Math.max(this.policy.minMintIntervalMs, 1_000);
          const error = err instanceof ZhichiCredentialsError ? err : new ZhichiCredentialsError(err, holdMs);
          this.refusal = { error, until: performance.now() + holdMs };
          throw error;
        }
        throw err;
      }
      this.lastMintError = undefined;
      registerSecret(content.accessToken);
      this.mints++;
      const t = toStoredToken(content, this.o.now());
      this.adopt(t);
      try {
        if (this.policy.minMintIntervalMs > 0) await store.recordMint?.(`${key}:mints`, this.policy.minMintIntervalMs);
        await store.set(key, t, Math.max(1, t.expiresAt - this.o.now()));
      } catch (err) {
        // The token is good even if it could not be shared: keep it here, report the outage.
        if (store !== this.fallback) {
          this.degrade(err);
          await this.fallback.recordMint(`${key}:mints`, this.policy.minMintIntervalMs || 1);
          await this.fallback.set(key, t, Math.max(1, t.expiresAt - this.o.now()));
        }
      }
      return t;
    } finally {
      if (renew) clearInterval(renew);
      if (fence !== undefined) await store.unlock?.(lockKey, fence).catch(() => false);
    }
  }

  /** Undefined when a mint may go now; a pause until the window's next slot; or, past the wait budget, the rate error. */
  private async checkRate(store: TokenStore, rateWaited: number): Promise<RatePause | undefined> {
    const { minMintIntervalMs: windowMs, mintBurst, mintWaitMs } = this.policy;
    if (windowMs <= 0 || !store.mintWindow) return undefined;
    const w = await store.mintWindow(`${this.o.key}:mints`);
    if (w.count < mintBurst) return undefined;
    const resetIn = Math.max(1, Math.ceil(w.resetInMs));
    if (rateWaited + resetIn <= mintWaitMs) return new RatePause(resetIn);
    throw new ZhichiTokenRateError(
      `token mint refused after waiting ${Math.round(rateWaited)} ms for the mint window (tokenPolicy.mintWaitMs = ${mintWaitMs}): ` +
        `${w.count} token requests were made for this apiKey within ${windowMs} ms ` +
        `(tokenPolicy.mintBurst = ${mintBurst} per tokenPolicy.minMintIntervalMs = ${windowMs}); something is forcing ` +
        `mints faster than that (e.g. another deployment using the same apiKey with a different token store or key prefix, ` +
        `repeated getToken({ refresh: true }), or a token request that keeps failing). Next mint allowed in ${Math.ceil(w.resetInMs)} ms.` +
        (this.lastMintError ? ` The last token request of this process failed: ${this.lastMintError}` : ''),
      { method: 'GET', path: 'tokens' },
    );
  }
}
