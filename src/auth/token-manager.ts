import { createHash } from 'node:crypto';
import type { TokenContent } from '../contract/token.js';
import type { Logger } from '../internal/logger.js';
import { registerSecret } from '../internal/redact.js';
import type { StoredToken, TokenStore } from './token-store.js';

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  store: TokenStore;
  /** Cache key (see {@link tokenKey}). */
  key: string;
  /** Calls the token endpoint once. */
  mint: () => Promise<TokenContent>;
  now: () => number;
  /** Serve the cached token until this long before expiry. */
  refreshMarginMs: number;
  logger: Logger;
}

/** Tolerance within which the server's `createTime` is trusted to compute the token's age. */
const CLOCK_TRUST_MS = 5 * 60_000;

/**
 * Builds the cache key of a token: namespaced by base URL, apiKey and companyId. The apiKey is
 * hashed so that the key itself reveals nothing; the secret never takes part.
 */
export function tokenKey(prefix: string, baseUrl: string, apiKey: string, companyId: string | undefined): string {
  const h = createHash('sha256').update(`${baseUrl}\n${apiKey}\n${companyId ?? ''}`).digest('hex').slice(0, 32);
  return `${prefix}${h}`;
}

/** Converts the token endpoint's content to a {@link StoredToken} in the local clock. */
export function toStoredToken(t: TokenContent, localNow: number): StoredToken {
  const lifeMs = t.expiresIn * 1000;
  // Age from the server's createTime, only when the clocks roughly agree: with skew, a token
  // just minted is taken as new rather than as already expired (or eternal).
  const skew = localNow - t.createTime;
  const age = Math.abs(skew) <= CLOCK_TRUST_MS ? Math.min(Math.max(skew, 0), lifeMs) : 0;
  return { accessToken: t.accessToken, tokenType: t.tokenType, expiresIn: t.expiresIn, createTime: t.createTime, expiresAt: localNow + lifeMs - age };
}

/**
 * Serves a valid access token: cached until `refreshMarginMs` before expiry, one in-flight mint
 * per process, compare-and-delete on 401 so a process never discards a token another one just
 * minted.
 */
export class TokenManager {
  private local: StoredToken | undefined;
  private inflight: Promise<StoredToken> | undefined;
  /** Number of tokens this manager minted (for diagnostics and tests). */
  mints = 0;

  constructor(private readonly o: TokenManagerOptions) {}

  private fresh(t: StoredToken | undefined): t is StoredToken {
    return t !== undefined && t.expiresAt - this.o.refreshMarginMs > this.o.now();
  }

  /** A valid token; `refresh` forces a new mint (the seed's refresh flag). */
  async getToken(opts: { refresh?: boolean } = {}): Promise<string> {
    return (await this.getStored(opts)).accessToken;
  }

  /** Like {@link getToken}, with expiry details. */
  async getStored(opts: { refresh?: boolean } = {}): Promise<StoredToken> {
    if (opts.refresh) {
      const current = this.local ?? (await this.o.store.get(this.o.key));
      if (current) await this.invalidate(current.accessToken);
    }
    if (this.fresh(this.local)) return this.local;
    this.inflight ??= this.obtain().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async obtain(): Promise<StoredToken> {
    const cached = await this.o.store.get(this.o.key);
    if (this.fresh(cached)) {
      registerSecret(cached.accessToken);
      this.local = cached;
      return cached;
    }
    const content = await this.o.mint();
    registerSecret(content.accessToken);
    this.mints++;
    const t = toStoredToken(content, this.o.now());
    await this.o.store.set(this.o.key, t, Math.max(1, t.expiresAt - this.o.now()));
    this.local = t;
    return t;
  }

  /**
   * Forgets `accessToken` after the server refused it (HTTP 401): locally, and in the store only
   * if the store still holds that same token.
   */
  async invalidate(accessToken: string): Promise<void> {
    if (this.local?.accessToken === accessToken) this.local = undefined;
    await this.o.store.deleteIf(this.o.key, accessToken);
  }

  /** The token currently cached by this process, if any (no network). */
  peek(): StoredToken | undefined {
    return this.local;
  }
}
