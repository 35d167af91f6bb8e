/**
 * A cached access token. `expiresAt` is in the READER's clock (epoch ms): a store that is shared
 * between hosts (Redis) recomputes it from the remaining TTL, so host clock skew does not matter.
 */
export interface StoredToken {
  accessToken: string;
  tokenType: string;
  /** Lifetime in seconds from `createTime`, as the server said. */
  expiresIn: number;
  /** Server's creation time, epoch ms (server clock). */
  createTime: number;
  /** When the token stops being valid, epoch ms in the reader's clock. */
  expiresAt: number;
}

/**
 * Where tokens are cached. The in-memory store serves one process; a shared store (Redis) serves a
 * fleet. Keys are opaque strings built by the token manager (never containing the secret).
 */
export interface TokenStore {
  /** The cached token for `key`, or undefined. */
  get(key: string): Promise<StoredToken | undefined>;
  /** Caches `token` for `ttlMs` (after which the store forgets it). */
  set(key: string, token: StoredToken, ttlMs: number): Promise<void>;
  /** Deletes the cached token only if it is still `accessToken` (compare-and-delete); true if deleted. */
  deleteIf(key: string, accessToken: string): Promise<boolean>;
  /** Releases connections, if any. */
  close?(): Promise<void>;
}

/** Process-local token store. */
export class MemoryTokenStore implements TokenStore {
  private readonly map = new Map<string, { token: StoredToken; until: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<StoredToken | undefined> {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e.token;
  }

  async set(key: string, token: StoredToken, ttlMs: number): Promise<void> {
    this.map.set(key, { token, until: this.now() + ttlMs });
  }

  async deleteIf(key: string, accessToken: string): Promise<boolean> {
    const e = this.map.get(key);
    if (e && e.token.accessToken === accessToken) {
      this.map.delete(key);
      return true;
    }
    return false;
  }
}

/** The process-wide default store: every client in this process shares its tokens. */
export const defaultMemoryTokenStore = new MemoryTokenStore();
