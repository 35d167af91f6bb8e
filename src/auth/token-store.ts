import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

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

/** How many mints a store has recorded in the current rate window, and when that window ends. */
export interface MintWindow {
  /** Mints recorded in the window. */
  count: number;
  /** Milliseconds until the window ends (0 when no window is open). */
  resetInMs: number;
}

/**
 * Where tokens are cached. The in-memory store serves one process; a shared store (Redis) serves a
 * fleet. Keys are opaque strings built by the token manager (never containing the secret).
 *
 * The lock and mint-window methods are optional: a store without them still works, but then
 * every process that misses at the same moment mints its own token (the seed's cache-aside).
 */
export interface TokenStore {
  /** The cached token for `key`, or undefined. */
  get(key: string): Promise<StoredToken | undefined>;
  /** Caches `token` for `ttlMs` (after which the store forgets it). */
  set(key: string, token: StoredToken, ttlMs: number): Promise<void>;
  /** Deletes the cached token only if it is still `accessToken` (compare-and-delete); true if deleted. */
  deleteIf(key: string, accessToken: string): Promise<boolean>;
  /**
   * Takes the mint lock `key` for `ttlMs` if nobody holds it; resolves to a random fencing value
   * that proves ownership, or undefined when another holder has it.
   */
  tryLock?(key: string, ttlMs: number): Promise<string | undefined>;
  /** Extends the lock to `ttlMs` from now if it is still held with `fence`; true if extended. */
  renewLock?(key: string, fence: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock only if it is still held with `fence` (compare-and-delete); true if released. */
  unlock?(key: string, fence: string): Promise<boolean>;
  /** The mints recorded under `key` in the current window. */
  mintWindow?(key: string): Promise<MintWindow>;
  /** Records one mint under `key`; the first mint of a window opens a window of `windowMs`. */
  recordMint?(key: string, windowMs: number): Promise<void>;
  /** Releases connections, if any. */
  close?(): Promise<void>;
}

/** A random fencing value for a lock: unguessable, so only its holder can release it. */
export function newFence(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Process-local token store. It implements the lock and the mint window too, so several clients
 * in one process that share it (the default) mint once between them.
 */
export class MemoryTokenStore implements TokenStore {
  private readonly map = new Map<string, { token: StoredToken; until: number }>();
  // Locks and mint windows expire in real (monotonic) time: they bound real waiting, whereas
  // token expiry follows the injected clock.
  private readonly locks = new Map<string, { fence: string; until: number }>();
  private readonly windows = new Map<string, { count: number; until: number }>();

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

  async tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    const held = this.locks.get(key);
    if (held && held.until > performance.now()) return undefined;
    const fence = newFence();
    this.locks.set(key, { fence, until: performance.now() + ttlMs });
    return fence;
  }

  async renewLock(key: string, fence: string, ttlMs: number): Promise<boolean> {
    const held = this.locks.get(key);
    if (!held || held.fence !== fence) return false;
    held.until = performance.now() + ttlMs;
    return true;
  }

  async unlock(key: string, fence: string): Promise<boolean> {
    if (this.locks.get(key)?.fence !== fence) return false;
    this.locks.delete(key);
    return true;
  }

  async mintWindow(key: string): Promise<MintWindow> {
    const w = this.windows.get(key);
    const left = w ? w.until - this.now() : 0;
    if (!w || left <= 0) return { count: 0, resetInMs: 0 };
    return { count: w.count, resetInMs: left };
  }

  async recordMint(key: string, windowMs: number): Promise<void> {
    const w = this.windows.get(key);
    if (w && w.until > this.now()) w.count++;
    else this.windows.set(key, { count: 1, until: this.now() + windowMs });
  }
}

/** The process-wide default store: every client in this process shares its tokens. */
export const defaultMemoryTokenStore = new MemoryTokenStore();
