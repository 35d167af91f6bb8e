import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ZhichiValidationError } from '../errors.js';
import { silentLogger, type Logger } from '../internal/logger.js';
import { registerSecret } from '../internal/redact.js';
import { newFence, type MintWindow, type StoredToken, type TokenStore } from './token-store.js';

/** Options of {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** The cache file. @default `$XDG_CACHE_HOME/zhichi/tokens.json`, else `~/.cache/zhichi/tokens.json` */
  path?: string | undefined;
  /** Local clock (epoch ms) for token expiry and mint windows. @default Date.now */
  now?: (() => number) | undefined;
  /** Receives warnings: corrupt or unreadable file, loose permissions, failed writes. @default silent */
  logger?: Logger | undefined;
}

/** One cached token; `expiresAt` is absolute epoch ms (one host, one clock: no skew to correct). */
interface TokenEntry {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
  createTime: number;
  expiresAt: number;
}

/** One mint window. */
interface WindowEntry {
  count: number;
  until: number;
}

/** The file's content. Keys are token-manager keys (a hash, never the apiKey or the secret). */
interface CacheData {
  version: 1;
  tokens: Record<string, TokenEntry>;
  mints: Record<string, WindowEntry>;
}

/** A holder of the write lock that takes longer than this is taken for dead, ms. */
const WRITE_LOCK_STALE_MS = 3_000;
/** How long a write waits for another process's write before failing, ms (more than the stale time). */
const WRITE_LOCK_WAIT_MS = 10_000;

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The default cache file for `env`: `$XDG_CACHE_HOME/zhichi/tokens.json`, else
 * `$HOME/.cache/zhichi/tokens.json` (`%USERPROFILE%` on Windows), or undefined when `env` names no
 * home (the CLI then keeps tokens in memory rather than guess a directory).
 */
export function defaultTokenCachePath(env: Record<string, string | undefined> = process.env): string | undefined {
  // The XDG spec ignores a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'zhichi', 'tokens.json');
  const home = env.HOME || env.USERPROFILE;
  if (home && isAbsolute(home)) return join(home, '.cache', 'zhichi', 'tokens.json');
  return undefined;
}

const emptyData = (): CacheData => ({ version: 1, tokens: Object.create(null) as Record<string, TokenEntry>, mints: Object.create(null) as Record<string, WindowEntry> });

/**
 * Token store in one JSON file, shared by every process of one user on one host (the `zhichi` CLI:
 * `zhichi robots; zhichi numbers` mints once instead of twice, and Sobot rate-limits minting).
 *
 * - The file (mode 0600, in a directory created 0700) holds live bearer tokens keyed by the token
 *   key; never the apiKey or the secret. Expiry is absolute epoch ms; expired entries are pruned on
 *   every write.
 * - Writes are atomic (temp file + rename), under a short write lock (`<file>.lock.<n>`), so
 *   readers never see half a file and concurrent writers never lose each other's entries.
 * - Locks (the write lock and each key's mint lock) are generations of exclusive files
 *   (`open(…, 'wx')`) next to the cache, each holding a random fence: the holder created the newest
 *   generation; once its mtime is older than its TTL (the holder died) or it is released, the next
 *   taker creates the next generation, so of several processes finding a dead holder exactly one
 *   takes over. Renewal touches the mtime.
 * - A corrupt or unreadable file is treated as empty with one warning, and replaced on the next write.
 */
export class FileTokenStore implements TokenStore {
  /** Absolute path of the cache file. */
  readonly path: string;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly warned = new Set<string>();
  private dirReady: Promise<void> | undefined;

  /** Builds the store; touches nothing on disk until first use. Throws ZhichiValidationError on a bad path. */
  constructor(options: FileTokenStoreOptions = {}) {
    if (options.path !== undefined && (typeof options.path !== 'string' || options.path.trim() === '')) {
      throw new ZhichiValidationError('FileTokenStore options', [{ path: 'path', message: 'must be a non-empty file path' }]);
    }
    this.path = resolve(options.path ?? defaultTokenCachePath() ?? join(homedir(), '.cache', 'zhichi', 'tokens.json'));
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  async get(key: string): Promise<StoredToken | undefined> {
    const e = (await this.load()).tokens[key];
    if (!e || e.expiresAt <= this.now()) return undefined;
    registerSecret(e.accessToken);
    return { accessToken: e.accessToken, tokenType: e.tokenType, expiresIn: e.expiresIn, createTime: e.createTime, expiresAt: e.expiresAt };
  }

  async set(key: string, token: StoredToken, ttlMs: number): Promise<void> {
    // Like Redis's PX: the entry lives ttlMs from now, and that is the expiry a reader gets.
    const expiresAt = this.now() + Math.max(1, Math.round(ttlMs));
    await this.mutate((d) => {
      d.tokens[key] = { accessToken: token.accessToken, tokenType: token.tokenType, expiresIn: token.expiresIn, createTime: token.createTime, expiresAt };
      return true;
    });
  }

  async deleteIf(key: string, accessToken: string): Promise<boolean> {
    // Most calls find another token (already replaced): answer without taking the write lock.
    if ((await this.load()).tokens[key]?.accessToken !== accessToken) return false;
    let deleted = false;
    await this.mutate((d) => {
      if (d.tokens[key]?.accessToken !== accessToken) return false;
      delete d.tokens[key];
      deleted = true;
      return true;
    });
    return deleted;
  }

  async tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    await this.ensureDir();
    try {
      return await acquire(this.lockPath(key), Math.max(1, Math.round(ttlMs)));
    } catch (err) {
      if (code(err) === 'ENOENT') this.dirReady = undefined;
      throw err;
    }
  }

  async renewLock(key: string, fence: string, _ttlMs: number): Promise<boolean> {
    // Staleness is judged from the mtime, so touching the file extends the lock.
    return renew(this.lockPath(key), fence);
  }

  async unlock(key: string, fence: string): Promise<boolean> {
    return release(this.lockPath(key), fence);
  }

  async mintWindow(key: string): Promise<MintWindow> {
    const w = (await this.load()).mints[key];
    const left = w ? w.until - this.now() : 0;
    if (!w || left <= 0) return { count: 0, resetInMs: 0 };
    return { count: w.count, resetInMs: left };
  }

  async recordMint(key: string, windowMs: number): Promise<void> {
    const now = this.now();
    await this.mutate((d) => {
      const w = d.mints[key];
      if (w && w.until > now) w.count++;
      else d.mints[key] = { count: 1, until: now + Math.max(1, Math.round(windowMs)) };
      return true;
    });
  }

  /** The mint lock of `key` (its generation files are `<this>.<n>`): hashed, so any key makes a safe file name. */
  private lockPath(key: string): string {
    return `${this.path}.${createHash('sha256').update(key).digest('hex').slice(0, 16)}.lock`;
  }

  private warnOnce(kind: string, msg: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.logger.warn(msg);
  }

  private ensureDir(): Promise<void> {
    // mkdir's mode applies only to directories it creates: an existing directory is left as it is.
    this.dirReady ??= mkdir(dirname(this.path), { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (err: unknown) => {
        this.dirReady = undefined;
        throw err;
      },
    );
    return this.dirReady;
  }

  /** The file's content; missing, unreadable or corrupt is empty (with a warning for the last two). */
  private async load(): Promise<CacheData> {
    let fh: FileHandle;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      if (code(err) !== 'ENOENT') this.warnOnce('unreadable', `token cache ${this.path} is unreadable (${code(err) ?? (err as Error).message}); treating it as empty`);
      return emptyData();
    }
    let text: string;
    try {
      const st = await fh.stat();
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
        // The file holds live bearer tokens: close it to other users at once.
        const fixed = await fh.chmod(0o600).then(() => true, () => false);
        this.warnOnce(
          'mode',
          `token cache ${this.path} was accessible to other users (mode ${(st.mode & 0o777).toString(8)}); it holds live bearer tokens` +
            (fixed ? ', mode set to 600' : `: run chmod 600 ${this.path}`),
        );
      }
      text = await fh.readFile('utf8');
    } catch (err) {
      this.warnOnce('unreadable', `token cache ${this.path} is unreadable (${code(err) ?? (err as Error).message}); treating it as empty`);
      return emptyData();
    } finally {
      await fh.close().catch(() => undefined);
    }
    return this.parse(text);
  }

  private parse(text: string): CacheData {
    const out = emptyData();
    if (text.trim() === '') return out;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    if (!isObject(v) || v.version !== 1) {
      this.warnOnce('corrupt', `token cache ${this.path} is corrupt (not a version 1 token cache); treating it as empty (it is rewritten on the next token)`);
      return out;
    }
    // Entries are checked one by one: a damaged entry is dropped, the others are kept.
    if (isObject(v.tokens)) {
      for (const [k, e] of Object.entries(v.tokens)) {
        if (isObject(e) && typeof e.accessToken === 'string' && e.accessToken !== '' && finite(e.expiresAt)) {
          out.tokens[k] = {
            accessToken: e.accessToken,
            tokenType: typeof e.tokenType === 'string' ? e.tokenType : 'Bearer',
            expiresIn: finite(e.expiresIn) ? e.expiresIn : 0,
            createTime: finite(e.createTime) ? e.createTime : 0,
            expiresAt: e.expiresAt,
          };
        }
      }
    }
    if (isObject(v.mints)) {
      for (const [k, w] of Object.entries(v.mints)) {
        if (isObject(w) && finite(w.count) && finite(w.until)) out.mints[k] = { count: w.count, until: w.until };
      }
    }
    return out;
  }

  /** Read-modify-write under the write lock; `change` returns false when nothing is to be written. */
  private async mutate(change: (d: CacheData) => boolean): Promise<void> {
    try {
      await this.ensureDir();
      const lock = `${this.path}.lock`;
      const fence = await acquireWaiting(lock, WRITE_LOCK_STALE_MS, WRITE_LOCK_WAIT_MS);
      try {
        const d = await this.load();
        if (!change(d)) return;
        const now = this.now();
        for (const [k, e] of Object.entries(d.tokens)) if (e.expiresAt <= now) delete d.tokens[k];
        for (const [k, w] of Object.entries(d.mints)) if (w.until <= now) delete d.mints[k];
        await this.writeAtomic(`${JSON.stringify(d, null, 2)}\n`);
      } finally {
        await release(lock, fence).catch(() => false);
      }
    } catch (err) {
      // The directory may have been removed since it was created: create it again next time.
      if (code(err) === 'ENOENT') this.dirReady = undefined;
      this.warnOnce('write', `cannot write token cache ${this.path} (${code(err) ?? (err as Error).message}); tokens stay in this process only`);
      throw err;
    }
  }

  private async writeAtomic(text: string): Promise<void> {
    const tmp = `${this.path}.${process.pid}.${newFence().slice(0, 8)}.tmp`;
    // 'wx' never follows a planted symlink; the mode is set at creation, so no instant of 0644.
    const fh = await open(tmp, 'wx', 0o600);
    try {
      try {
        await fh.writeFile(text, 'utf8');
      } finally {
        await fh.close();
      }
      // rename replaces the file (or a symlink in its place) atomically: readers see old or new.
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}

/** What a lock file holds. */
interface LockContent {
  fence: string;
  ttlMs: number | undefined;
}

async function readLock(p: string): Promise<LockContent | undefined> {
  let text: string;
  try {
    text = await readFile(p, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (isObject(v) && typeof v.fence === 'string') return { fence: v.fence, ttlMs: finite(v.ttlMs) && v.ttlMs > 0 ? v.ttlMs : undefined };
  } catch {
    /* being written right now, or damaged: no fence */
  }
  return { fence: '', ttlMs: undefined };
}

/*
 * Locks by generation. A lock `base` is a series of files `base.0`, `base.1`, ...; the holder is
 * whoever created the highest generation, until that file goes stale (its mtime older than its
 * TTL: the holder died or stopped renewing) or is released (mtime set to the epoch). Taking a free
 * or stale lock is creating the NEXT generation with O_EXCL, so of any number of processes that
 * find the same dead holder exactly one wins: no file is ever renamed or removed to take a lock,
 * which is what made the old rename-aside takeover racy (a breaker could move a fresh lock away
 * for an instant, and a third process take the lock in that instant). Old generations are pruned,
 * never the newest few, so an O_EXCL create on a generation that existed always fails.
 */

/**
 * Generations kept behind the newest one: a taker with a slightly old listing collides with them
 * (EEXIST); one whose listing is older than that still loses, at its check after the create.
 */
const KEEP_GENERATIONS = 2;

/** A fence encodes its generation: `<gen>.<random>`. */
function fenceGen(fence: string): number | undefined {
  const m = /^(\d+)\.[0-9a-f]+$/.exec(fence);
  return m ? Number(m[1]) : undefined;
}

/** The generations of lock `base` on disk, ascending. */
async function generations(base: string): Promise<number[]> {
  const prefix = `${basename(base)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(base));
  } catch (err) {
    if (code(err) === 'ENOENT') return [];
    throw err;
  }
  const gens: number[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const rest = n.slice(prefix.length);
    if (/^\d{1,15}$/.test(rest)) gens.push(Number(rest));
  }
  return gens.sort((a, b) => a - b);
}

/** Whether generation file `p` is free to supersede: released, or stale; undefined if it is gone. */
async function supersedable(p: string, ttlMs: number): Promise<boolean | undefined> {
  let st;
  try {
    st = await stat(p);
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
  if (st.mtimeMs === 0) return true;
  // The holder's own TTL wins; a file caught mid-write (no content yet) is judged by the caller's.
  const held = await readLock(p).catch(() => undefined);
  return Date.now() - st.mtimeMs > (held?.ttlMs ?? ttlMs);
}

/** Takes lock `base` if it is free, released or stale; its fence, or undefined when it is held. */
async function acquire(base: string, ttlMs: number): Promise<string | undefined> {
  const gens = await generations(base);
  const top = gens.at(-1);
  if (top !== undefined) {
    const free = await supersedable(`${base}.${top}`, ttlMs);
    // Gone (pruned by a newer taker, or removed by hand): someone moved on; look again next time.
    if (free !== true) return undefined;
  }
  const gen = (top ?? -1) + 1;
  const fence = `${gen}.${newFence()}`;
  let fh: FileHandle;
  try {
    fh = await open(`${base}.${gen}`, 'wx', 0o600);
  } catch (err) {
    // Another process took this generation first: it holds the lock.
    if (code(err) === 'EEXIST') return undefined;
    throw err;
  }
  try {
    await fh.writeFile(JSON.stringify({ fence, ttlMs, pid: process.pid }));
  } finally {
    await fh.close();
  }
  const now = await generations(base);
  if (now.at(-1) !== gen) {
    // Our listing was so old that this generation had been pruned and a newer one is the lock:
    // we created a file nobody takes for the lock; give it up.
    await utimes(`${base}.${gen}`, 0, 0).catch(() => undefined);
    return undefined;
  }
  for (const g of now) if (g < gen - KEEP_GENERATIONS) await unlink(`${base}.${g}`).catch(() => undefined);
  return fence;
}

/** The file of lock `base` if `fence` still holds it (its generation is the newest, carries it, and is not released). */
async function holds(base: string, fence: string): Promise<string | undefined> {
  const gen = fenceGen(fence);
  if (gen === undefined) return undefined;
  const p = `${base}.${gen}`;
  if ((await readLock(p))?.fence !== fence) return undefined;
  // Released already (mtime at the epoch): no longer held.
  if ((await stat(p).catch(() => undefined))?.mtimeMs === 0) return undefined;
  const top = (await generations(base)).at(-1);
  return top === gen ? p : undefined;
}

/** Extends lock `base` held with `fence` (touches its mtime); false if it was taken over. */
async function renew(base: string, fence: string): Promise<boolean> {
  const p = await holds(base, fence);
  if (p === undefined) return false;
  const t = new Date();
  try {
    await utimes(p, t, t);
    return true;
  } catch (err) {
    if (code(err) === 'ENOENT') return false;
    throw err;
  }
}

/** Releases lock `base` held with `fence`: its mtime goes to the epoch, so the next taker supersedes it at once. */
async function release(base: string, fence: string): Promise<boolean> {
  const p = await holds(base, fence);
  if (p === undefined) return false;
  try {
    await utimes(p, 0, 0);
    return true;
  } catch (err) {
    if (code(err) === 'ENOENT') return false;
    throw err;
  }
}

/** {@link acquire}, retrying with short pauses for up to `waitMs`. */
async function acquireWaiting(base: string, staleMs: number, waitMs: number): Promise<string> {
  const deadline = Date.now() + waitMs;
  let pause = 2;
  for (;;) {
    const fence = await acquire(base, staleMs);
    if (fence !== undefined) return fence;
    if (Date.now() >= deadline) throw Object.assign(new Error(`write lock ${base} held by another process for more than ${waitMs} ms`), { code: 'ELOCKED' });
    await sleep(pause * (0.5 + Math.random() / 2));
    pause = Math.min(pause * 2, 20);
  }
}
