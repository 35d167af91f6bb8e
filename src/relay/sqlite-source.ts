import { hostname } from 'node:os';
import type BetterSqlite3 from 'better-sqlite3';
import { rowToEvent } from '../push/store.js';
import { RelayLeaseLostError, sleep, type PositionedEvent, type RelayCursorRow, type RelayPosition, type RelaySource, type RelayStatus } from './source.js';

/**
 * Relay source on a SQLite file. Leadership is a lease in the cursor row (owner + expiry), renewed on
 * every read and advance; a relay whose lease expired (it stalled or died) is replaced by the next one
 * that asks. Waiting for new events is a short poll: SQLite has no notifications across processes.
 */
export class SqliteRelaySource implements RelaySource {
  readonly kind = 'sqlite' as const;
  readonly #db: BetterSqlite3.Database;
  readonly #relay: string;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #now: () => number;

  private constructor(db: BetterSqlite3.Database, relay: string, owner: string, leaseMs: number, now: () => number) {
    this.#db = db;
    this.#relay = relay;
    this.#owner = owner;
    this.#leaseMs = leaseMs;
    this.#now = now;
  }

  /** Opens the (already migrated) file. */
  static async open(file: string, relay: string, owner: string, leaseMs: number, now: () => number): Promise<SqliteRelaySource> {
    const Ctor = (await import('better-sqlite3')).default;
    const db = new Ctor(file, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const s = new SqliteRelaySource(db, relay, owner, leaseMs, now);
    db.prepare("INSERT INTO zhichi_relay_cursor (relay, updated_at) VALUES (?, ?) ON CONFLICT (relay) DO NOTHING").run(relay, now());
    return s;
  }

  async acquire(): Promise<boolean> {
    const now = this.#now();
    const r = this.#db
      .prepare('UPDATE zhichi_relay_cursor SET owner = ?, lease_until = ? WHERE relay = ? AND (owner IS NULL OR owner = ? OR lease_until < ?)')
      .run(this.#owner, now + this.#leaseMs, this.#relay, this.#owner, now);
    if (r.changes === 1) return true;
    // A SQLite file is local: a holder on this host whose process is gone (SIGKILL) need not be waited for.
    const held = this.#db.prepare('SELECT owner FROM zhichi_relay_cursor WHERE relay = ?').get(this.#relay) as { owner: string | null } | undefined;
    if (!held?.owner || !deadLocalOwner(held.owner)) return false;
    const t = this.#db
      .prepare('UPDATE zhichi_relay_cursor SET owner = ?, lease_until = ? WHERE relay = ? AND owner = ?')
      .run(this.#owner, now + this.#leaseMs, this.#relay, held.owner);
    return t.changes === 1;
  }

  async release(): Promise<void> {
    this.#db.prepare('UPDATE zhichi_relay_cursor SET owner = NULL, lease_until = NULL WHERE relay = ? AND owner = ?').run(this.#relay, this.#owner);
  }

  async cursor(): Promise<RelayCursorRow> {
    const r = this.#db.prepare('SELECT * FROM zhichi_relay_cursor WHERE relay = ?').get(this.#relay) as Record<string, unknown>;
    return cursorRow(r);
  }

  async read(after: RelayPosition, limit: number): Promise<PositionedEvent[]> {
    if (!(await this.acquire())) throw new RelayLeaseLostError(`relay "${this.#relay}": lease taken over by another relay`);
    const rows = this.#db.prepare('SELECT * FROM zhichi_events WHERE id > ? ORDER BY id LIMIT ?').all(after.id, limit) as Record<string, unknown>[];
    return rows.map((r) => ({ event: rowToEvent(r), position: { tx: '0', id: Number(r['id']) } }));
  }

  async advance(from: RelayPosition, to: RelayPosition, published: number): Promise<void> {
    const now = this.#now();
    const r = this.#db
      .prepare(
        `UPDATE zhichi_relay_cursor SET last_id = ?, published = published + ?, lease_until = ?, updated_at = ?
         WHERE relay = ? AND owner = ? AND last_id = ?`,
      )
      .run(to.id, published, now + this.#leaseMs, now, this.#relay, this.#owner, from.id);
    if (r.changes !== 1) throw new RelayLeaseLostError(`relay "${this.#relay}": cursor moved or lease lost; stopping`);
  }

  async recordError(message: string): Promise<void> {
    this.#db
      .prepare('UPDATE zhichi_relay_cursor SET errors = errors + 1, last_error = ?, updated_at = ? WHERE relay = ?')
      .run(message.slice(0, 1000), this.#now(), this.#relay);
  }

  async status(): Promise<RelayStatus> {
    const c = await this.cursor();
    const b = this.#db
      .prepare('SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM zhichi_events WHERE id > ?')
      .get(c.position.id) as { n: number; oldest: number | null };
    return { ...c, backlog: Number(b.n), oldestUnpublishedAt: b.oldest === null ? null : Number(b.oldest) };
  }

  wait(ms: number, signal: AbortSignal): Promise<void> {
    return sleep(ms, signal);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

/** True when `owner` (`<host>:<pid>:<random>`, the default instance id) names a process of this host that no longer runs. */
function deadLocalOwner(owner: string): boolean {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(owner);
  if (!m || m[1] !== hostname()) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Maps a cursor row of either dialect. */
export function cursorRow(r: Record<string, unknown>): RelayCursorRow {
  return {
    relay: String(r['relay']),
    position: { tx: String(r['last_tx'] ?? '0'), id: Number(r['last_id']) },
    published: Number(r['published']),
    errors: Number(r['errors']),
    lastError: r['last_error'] === null || r['last_error'] === undefined ? null : String(r['last_error']),
    owner: r['owner'] === null || r['owner'] === undefined ? null : String(r['owner']),
    updatedAt: Number(r['updated_at']),
  };
}
