import type { Socket } from 'node:net';
import type { Redis, RedisOptions } from 'ioredis';
import { ZhichiConnectionError, ZhichiValidationError } from '../errors.js';
import { registerSecret } from '../internal/redact.js';
import { newFence, type MintWindow, type StoredToken, type TokenStore } from './token-store.js';

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…`. Required unless `client` is given. */
  url?: string | undefined;
  /**
   * An ioredis client to use instead of connecting to `url`; the store never closes it. Give it
   * `enableOfflineQueue: false` and a small `maxRetriesPerRequest` so calls fail fast when Redis is
   * down (the token manager then falls back to process-local caching).
   */
  client?: Redis | undefined;
  /** Time allowed to connect, ms. @default 1000 */
  connectTimeoutMs?: number | undefined;
  /** Time allowed for one command, ms. @default 1000 */
  commandTimeoutMs?: number | undefined;
  /** After a failed connection, fail fast for this long before trying to connect again, ms. @default 1000 */
  reconnectAfterMs?: number | undefined;
  /** Local clock, to turn a token's remaining TTL into `expiresAt`. @default Date.now */
  now?: (() => number) | undefined;
}

/** A Redis token store failed (unreachable, timed out, refused a command). */
export class TokenStoreUnavailableError extends ZhichiConnectionError {
  override readonly name: string = 'TokenStoreUnavailableError';
}

/** `GET` and `PTTL` in one round trip, atomically. */
const GET_WITH_TTL = `local v = redis.call('GET', KEYS[1])
if not v then return nil end
return {v, redis.call('PTTL', KEYS[1])}`;

/** Deletes the token only if it is still the one that failed (compare-and-delete). */
const DELETE_IF_TOKEN = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, t = pcall(cjson.decode, v)
if ok and type(t) == 'table' and t.accessToken == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Releases a lock only if its fencing value is ours. */
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Extends a lock only if its fencing value is ours. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Counts a mint; the first of a window sets the window's expiry (Redis time, so host clocks do not matter). */
const RECORD_MINT = `local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/** The commands this store defines on its ioredis client. */
interface ScriptedRedis extends Redis {
  zhichiGetWithTtl(key: string): Promise<[string, number] | null>;
  zhichiDeleteIfToken(key: string, token: string): Promise<number>;
  zhichiUnlock(key: string, fence: string): Promise<number>;
  zhichiRenew(key: string, fence: string, ttlMs: number): Promise<number>;
  zhichiRecordMint(key: string, windowMs: number): Promise<number>;
}

function defineScripts(r: Redis): ScriptedRedis {
  const s = r as ScriptedRedis;
  // defineCommand is idempotent per client; guard anyway so a user's client is not redefined.
  if (typeof s.zhichiGetWithTtl === 'function') return s;
  r.defineCommand('zhichiGetWithTtl', { numberOfKeys: 1, lua: GET_WITH_TTL });
  r.defineCommand('zhichiDeleteIfToken', { numberOfKeys: 1, lua: DELETE_IF_TOKEN });
  r.defineCommand('zhichiUnlock', { numberOfKeys: 1, lua: UNLOCK });
  r.defineCommand('zhichiRenew', { numberOfKeys: 1, lua: RENEW });
  r.defineCommand('zhichiRecordMint', { numberOfKeys: 1, lua: RECORD_MINT });
  return s;
}

const positive = (v: number | undefined, name: string, dflt: number): number => {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v <= 0) throw new ZhichiValidationError('RedisTokenStore options', [{ path: name, message: 'must be a positive integer number of ms' }]);
  return v;
};

/** Host and port of a Redis URL, for messages (never the password). */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'redis';
  }
}

/**
 * Token store in Redis, shared by every process that uses the same Redis and key prefix.
 *
 * - The token is stored as JSON with a Redis-side TTL equal to its remaining life; a reader
 *   computes `expiresAt` from `PTTL` and its own clock, so host clock skew does not matter.
 * - The mint lock is `SET key fence NX PX ttl` with a random fence; release and renewal are Lua
 *   compare-and-delete / compare-and-expire, so a holder whose lock expired cannot free another's.
 * - ioredis is loaded on first use (`await import('ioredis')`), so importing the client does not.
 * - Commands fail fast (no offline queue, short timeouts) so a dead Redis never hangs a call; after
 *   a failed connection the store fails fast for `reconnectAfterMs`, then tries again on demand.
 * - The socket is unreferenced while idle, so a cached connection never keeps a process alive.
 */
export class RedisTokenStore implements TokenStore {
  private readonly url: string | undefined;
  private readonly external: Redis | undefined;
  private readonly connectTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly reconnectAfterMs: number;
  private readonly now: () => number;
  private client: ScriptedRedis | undefined;
  private connecting: Promise<ScriptedRedis> | undefined;
  private failedAt = -Infinity;
  private lastError = '';
  private pending = 0;
  private closed = false;

  /** Builds the store; connects lazily on first use. Throws ZhichiValidationError on bad options. */
  constructor(options: RedisTokenStoreOptions) {
    if (!options.client && !options.url) {
      throw new ZhichiValidationError('RedisTokenStore options', [{ path: 'url', message: 'is required (or pass an ioredis client)' }]);
    }
    if (options.url !== undefined && !/^rediss?:\/\//.test(options.url)) {
      throw new ZhichiValidationError('RedisTokenStore options', [{ path: 'url', message: 'must be a redis:// or rediss:// URL' }]);
    }
    this.url = options.url;
    this.external = options.client;
    this.connectTimeoutMs = positive(options.connectTimeoutMs, 'connectTimeoutMs', 1000);
    this.commandTimeoutMs = positive(options.commandTimeoutMs, 'commandTimeoutMs', 1000);
    this.reconnectAfterMs = positive(options.reconnectAfterMs, 'reconnectAfterMs', 1000);
    this.now = options.now ?? Date.now;
    if (this.url) {
      // The password may sit in the URL: keep it out of every log line and error.
      try {
        const u = new URL(this.url);
        registerSecret(decodeURIComponent(u.password));
      } catch {
        /* validated above; an unparsable URL fails at connect time */
      }
    }
  }

  /** Where this store points, for messages: `host:port` (never the password). */
  get target(): string {
    return this.url ? describe(this.url) : 'redis (external client)';
  }

  /** True when a connection is open and ready. */
  get ready(): boolean {
    return this.client?.status === 'ready';
  }

  private unavailable(reason: string, cause?: unknown): TokenStoreUnavailableError {
    return new TokenStoreUnavailableError(`token store ${this.target} unavailable: ${reason}`, {}, { cause });
  }

  private async connection(): Promise<ScriptedRedis> {
    if (this.closed) throw this.unavailable('store is closed');
    if (this.external) return this.externalReady(this.external);
    if (this.client?.status === 'ready') return this.client;
    if (this.connecting) return this.connecting;
    // Fail fast for a while after a failure, so each call during an outage costs nothing.
    if (performance.now() - this.failedAt < this.reconnectAfterMs) throw this.unavailable(this.lastError || 'recently failed');
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Waits (up to connectTimeoutMs) for a caller-owned client that is still connecting. */
  private async externalReady(r: Redis): Promise<ScriptedRedis> {
    if (r.status === 'ready') return defineScripts(r);
    if (performance.now() - this.failedAt < this.reconnectAfterMs) throw this.unavailable(`client status is ${r.status}`);
    // A lazyConnect client that nobody connected yet: connect it (its errors surface below).
    if (r.status === 'wait') r.connect().catch(() => {});
    if (r.status === 'end' || r.status === 'close') {
      this.failedAt = performance.now();
      throw this.unavailable(`client status is ${r.status}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        r.off('ready', onReady);
        r.off('end', onEnd);
        resolve(v);
      };
      const onReady = () => done(true);
      const onEnd = () => done(false);
      const timer = setTimeout(() => done(false), this.connectTimeoutMs);
      r.once('ready', onReady);
      r.once('end', onEnd);
    });
    if (!ok) {
      this.failedAt = performance.now();
      throw this.unavailable(`client status is ${r.status} after ${this.connectTimeoutMs} ms`);
    }
    return defineScripts(r);
  }

  private async connect(): Promise<ScriptedRedis> {
    const old = this.client;
    this.client = undefined;
    old?.disconnect();
    const { Redis: RedisCtor } = await import('ioredis');
    const opts: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: this.commandTimeoutMs,
      // No background reconnection: the store reconnects on demand, so a process whose Redis is
      // gone has no timer keeping it alive.
      retryStrategy: () => null,
      enableAutoPipelining: true,
    };
    const r = defineScripts(new RedisCtor(this.url!, opts));
    // ioredis emits 'error' on every failed socket; the store reports failures through rejections.
    r.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    r.on('connect', () => this.refSocket(r));
    r.on('end', () => {
      if (this.client === r) this.failedAt = performance.now();
    });
    try {
      await r.connect();
    } catch (err) {
      this.failedAt = performance.now();
      this.lastError = (err as Error).message || this.lastError;
      r.disconnect();
      throw this.unavailable(this.lastError, err);
    }
    this.client = r;
    this.refSocket(r);
    return r;
  }

  /** References the socket while commands are pending, unreferences it when idle. */
  private refSocket(r: Redis): void {
    const stream = (r as unknown as { stream?: Socket }).stream;
    if (!stream || typeof stream.ref !== 'function') return;
    if (this.pending > 0) stream.ref();
    else stream.unref();
  }

  private async run<T>(op: (r: ScriptedRedis) => Promise<T>): Promise<T> {
    this.pending++;
    let r: ScriptedRedis | undefined;
    try {
      r = await this.connection();
      if (!this.external) this.refSocket(r);
      return await op(r);
    } catch (err) {
      if (err instanceof TokenStoreUnavailableError) throw err;
      const msg = (err as Error).message ?? String(err);
      if (!this.external && r && r.status !== 'ready') this.failedAt = performance.now();
      throw this.unavailable(msg, err);
    } finally {
      this.pending--;
      if (r && !this.external) this.refSocket(r);
    }
  }

  async get(key: string): Promise<StoredToken | undefined> {
    const res = await this.run((r) => r.zhichiGetWithTtl(key));
    if (!res) return undefined;
    const [raw, pttl] = res;
    // -1 (no TTL) never happens for keys we write; treat it as expired rather than eternal.
    if (typeof pttl !== 'number' || pttl <= 0) return undefined;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return undefined;
    }
    const t = v as Partial<StoredToken>;
    if (typeof t.accessToken !== 'string' || !t.accessToken) return undefined;
    registerSecret(t.accessToken);
    return {
      accessToken: t.accessToken,
      tokenType: typeof t.tokenType === 'string' ? t.tokenType : 'Bearer',
      expiresIn: typeof t.expiresIn === 'number' ? t.expiresIn : 0,
      createTime: typeof t.createTime === 'number' ? t.createTime : 0,
      expiresAt: this.now() + pttl,
    };
  }

  async set(key: string, token: StoredToken, ttlMs: number): Promise<void> {
    // expiresAt is in the writer's clock and means nothing to other hosts: only the TTL travels.
    const value = JSON.stringify({ accessToken: token.accessToken, tokenType: token.tokenType, expiresIn: token.expiresIn, createTime: token.createTime });
    await this.run((r) => r.set(key, value, 'PX', Math.max(1, Math.round(ttlMs))));
  }

  async deleteIf(key: string, accessToken: string): Promise<boolean> {
    return (await this.run((r) => r.zhichiDeleteIfToken(key, accessToken))) === 1;
  }

  async tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    const fence = newFence();
    const ok = await this.run((r) => r.set(key, fence, 'PX', Math.max(1, Math.round(ttlMs)), 'NX'));
    return ok === 'OK' ? fence : undefined;
  }

  async renewLock(key: string, fence: string, ttlMs: number): Promise<boolean> {
    return (await this.run((r) => r.zhichiRenew(key, fence, Math.max(1, Math.round(ttlMs))))) === 1;
  }

  async unlock(key: string, fence: string): Promise<boolean> {
    return (await this.run((r) => r.zhichiUnlock(key, fence))) === 1;
  }

  async mintWindow(key: string): Promise<MintWindow> {
    const res = await this.run((r) => r.zhichiGetWithTtl(key));
    if (!res) return { count: 0, resetInMs: 0 };
    const count = Number(res[0]);
    return res[1] > 0 && Number.isFinite(count) ? { count, resetInMs: res[1] } : { count: 0, resetInMs: 0 };
  }

  async recordMint(key: string, windowMs: number): Promise<void> {
    await this.run((r) => r.zhichiRecordMint(key, Math.max(1, Math.round(windowMs))));
  }

  /** Closes the connection this store opened (an external client is left open). */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    if (c) {
      try {
        await c.quit();
      } catch {
        c.disconnect();
      }
    }
  }
}

/** Process-wide Redis stores by URL, shared by every client built from options (refcounted). */
const shared = new Map<string, { store: RedisTokenStore; refs: number }>();

/** A client's handle on a shared store: every call goes to the store, `close` drops one reference. */
class SharedStoreHandle implements TokenStore {
  private released = false;
  constructor(
    /** The shared store. */
    readonly inner: RedisTokenStore,
    private readonly onRelease: () => Promise<void>,
  ) {}
  get(key: string): Promise<StoredToken | undefined> {
    return this.inner.get(key);
  }
  set(key: string, token: StoredToken, ttlMs: number): Promise<void> {
    return this.inner.set(key, token, ttlMs);
  }
  deleteIf(key: string, accessToken: string): Promise<boolean> {
    return this.inner.deleteIf(key, accessToken);
  }
  tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    return this.inner.tryLock(key, ttlMs);
  }
  renewLock(key: string, fence: string, ttlMs: number): Promise<boolean> {
    return this.inner.renewLock(key, fence, ttlMs);
  }
  unlock(key: string, fence: string): Promise<boolean> {
    return this.inner.unlock(key, fence);
  }
  mintWindow(key: string): Promise<MintWindow> {
    return this.inner.mintWindow(key);
  }
  recordMint(key: string, windowMs: number): Promise<void> {
    return this.inner.recordMint(key, windowMs);
  }
  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.onRelease();
  }
}

/**
 * A handle on the process-wide {@link RedisTokenStore} for `url` (one connection per process and
 * URL, shared by every client built from options); the handle's `close` releases it, and the last
 * release closes the connection.
 */
export function acquireSharedRedisTokenStore(url: string): TokenStore & { inner: RedisTokenStore } {
  let e = shared.get(url);
  if (!e) {
    e = { store: new RedisTokenStore({ url }), refs: 0 };
    shared.set(url, e);
  }
  e.refs++;
  const entry = e;
  return new SharedStoreHandle(entry.store, async () => {
    entry.refs--;
    if (entry.refs === 0 && shared.get(url) === entry) {
      shared.delete(url);
      await entry.store.close();
    }
  });
}
