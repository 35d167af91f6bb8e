import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CONFLICT_COLUMNS, INSERT_COLUMNS, MAX_DELIVERY_ERROR, canonicalBodyHash, conflictValues, conflictWhere, insertValues, rowToConflict,
  rowToEvent, whereClause, type ConflictQuery, type ConflictRecord, type DeliveryUpdate, type EventIdentity, type EventQuery, type EventStore, type InsertResult, type NewEvent,
  type OpenStoreOptions, type StoredEvent,
} from './store.js';
import { SQLITE_MIGRATIONS, SQLITE_ROLLUP } from './migrations.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/**
 * Event store on a SQLite file (better-sqlite3 12, WAL). Calls are synchronous under the hood, which
 * suits group commit: a batch is one short transaction on the event loop, and requests that arrive
 * meanwhile form the next batch.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  readonly #db: Database;
  readonly #insert: Statement;
  readonly #deliver: Statement;
  readonly #stored: Statement;
  readonly #insertConflict: Statement;
  readonly #insertMany: (events: readonly NewEvent[]) => InsertResult[];
  readonly #deliverMany: (updates: readonly DeliveryUpdate[]) => void;
  /** Path of the WAL file to flush after each insert commit; null when no flush is wanted. */
  readonly #walPath: string | null;
  #walFd: number | null = null;
  #commitSeq = 0;
  #flushing = false;
  #flushWaiters: Array<{ seq: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  #closed = false;
  readonly #locks = new Map<string, Promise<void>>();

  private constructor(db: Database, location: string, walPath: string | null) {
    this.#db = db;
    this.location = location;
    this.#walPath = walPath;
    this.#insert = db.prepare(
      `INSERT INTO zhichi_events (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (event_key) DO NOTHING`,
    );
    this.#deliver = db.prepare(
      'UPDATE zhichi_events SET delivery_status = ?, delivery_error = ?, delivered_at = ?, delivery_attempts = delivery_attempts + 1 WHERE id = ?',
    );
    this.#stored = db.prepare('SELECT id, source, raw, content_type FROM zhichi_events WHERE event_key = ?');
    this.#insertConflict = db.prepare(
      `INSERT INTO zhichi_conflicts (${CONFLICT_COLUMNS.join(', ')}) VALUES (${CONFLICT_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (event_key, new_hash) DO NOTHING`,
    );
    const rollup = SQLITE_ROLLUP.map((sql) => db.prepare(sql));
    this.#insertMany = db.transaction((events: readonly NewEvent[]) => {
      let first = 0;
      let last = 0;
      const results = events.map((e): InsertResult => {
        const info = this.#insert.run(insertValues(e));
        if (info.changes !== 1) return this.#conflictCheck(e) ? { inserted: false, id: null, conflict: true } : { inserted: false, id: null };
        last = Number(info.lastInsertRowid);
        if (first === 0) first = last;
        return { inserted: true, id: last };
      });
      // The dashboard's rollups (migration 3) take this batch's rows, grouped, in the same transaction.
      if (first !== 0) for (const st of rollup) st.run({ first, last });
      return results;
    });
    this.#deliverMany = db.transaction((updates: readonly DeliveryUpdate[]) => {
      for (const u of updates) {
        this.#deliver.run(u.status, u.error?.slice(0, MAX_DELIVERY_ERROR) ?? null, u.status === 'delivered' ? u.at : null, u.id);
      }
    });
  }

  /**
   * A push whose key is stored already: true (and a conflict record kept, in the insert's transaction)
   * when the stored push's canonical body differs. A reconciled record has the API's shape, not the
   * push's, so only push against push is compared.
   */
  #conflictCheck(e: NewEvent): boolean {
    if (e.source !== 'push') return false;
    const row = this.#stored.get(e.key) as { id: number; source: string; raw: Buffer; content_type: string | null } | undefined;
    if (!row || row.source !== 'push') return false;
    const first = canonicalBodyHash(row.raw, row.content_type);
    const next = canonicalBodyHash(e.raw, e.contentType);
    if (first === next) return false;
    this.#insertConflict.run(conflictValues(e, Number(row.id), first, next));
    return true;
  }

  /** Opens (creating if needed) the file, sets WAL and runs pending migrations. */
  static async open(file: string, options: OpenStoreOptions = {}): Promise<SqliteEventStore> {
    let Ctor: typeof BetterSqlite3;
    try {
      Ctor = (await import('better-sqlite3')).default;
    } catch (err) {
      throw new Error(`the SQLite store needs better-sqlite3 12: npm install better-sqlite3@12 (${(err as Error).message})`);
    }
    let db: Database;
    try {
      db = new Ctor(file);
    } catch (err) {
      throw new Error(`cannot open SQLite file ${file}: ${(err as Error).message}`);
    }
    const memory = file === ':memory:' || file === '';
    let wal = false;
    try {
      if (!memory) wal = db.pragma('journal_mode = WAL', { simple: true }) === 'wal';
      // In WAL mode, NORMAL: SQLite itself does not sync the WAL at commit; with durability 'fsync' we
      // flush it ourselves after each insert transaction, off the event loop (see #flushWal). A file
      // system without WAL support keeps a rollback journal, where only FULL makes commits durable.
      db.pragma(`synchronous = ${wal || options.sqliteDurability === 'process' ? 'NORMAL' : 'FULL'}`);
      // Another process (the CLI reading while `webhooks serve` writes) may hold the write lock briefly.
      db.pragma('busy_timeout = 5000');
      migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    const flush = wal && (options.sqliteDurability ?? 'fsync') === 'fsync';
    return new SqliteEventStore(db, file, flush ? `${file}-wal` : null);
  }

  async insert(events: readonly NewEvent[]): Promise<InsertResult[]> {
    this.#check();
    if (events.length === 0) return [];
    const results = this.#insertMany(events);
    // The transaction is in the WAL (visible, crash-safe for the process); the flush makes it power-safe.
    // Only then does the caller acknowledge: "2xx after commit" means after a durable commit.
    await this.#flushWal();
    return results;
  }

  /**
   * Waits until the WAL is flushed to disk (fdatasync on libuv's thread pool) up to the commit just made:
   * the guarantee of `synchronous=FULL` (the WAL is synced before a commit counts) without stopping the
   * event loop for the disk, so requests keep being parsed and the next group keeps committing meanwhile.
   * At most one flush runs at a time; every commit made while it runs is covered by the next one, so
   * flushes are grouped like commits are (a flush costs ~100 µs of kernel CPU on a virtual disk).
   */
  #flushWal(): Promise<void> {
    if (this.#walPath === null) return Promise.resolve();
    const seq = ++this.#commitSeq;
    return new Promise<void>((resolve, reject) => {
      this.#flushWaiters.push({ seq, resolve, reject });
      this.#startFlush();
    });
  }

  #startFlush(): void {
    if (this.#flushing || this.#flushWaiters.length === 0) return;
    if (this.#walFd === null) {
      try {
        this.#walFd = openSync(this.#walPath!, 'r+');
        // Once: make the WAL file's directory entry durable too (it may have just been created).
        const dir = openSync(dirname(this.#walPath!), 'r');
        try {
          fsyncSync(dir);
        } finally {
          closeSync(dir);
        }
      } catch (err) {
        for (const w of this.#flushWaiters.splice(0)) w.reject(err);
        return;
      }
    }
    this.#flushing = true;
    // Everything committed so far is in the WAL file: this one flush covers all of it.
    const upTo = this.#commitSeq;
    fdatasync(this.#walFd, (err) => {
      this.#flushing = false;
      const done = this.#flushWaiters.filter((w) => w.seq <= upTo);
      this.#flushWaiters = this.#flushWaiters.filter((w) => w.seq > upTo);
      for (const w of done) {
        if (err) w.reject(err);
        else w.resolve();
      }
      this.#startFlush();
    });
  }

  async setDelivery(updates: readonly DeliveryUpdate[]): Promise<void> {
    this.#check();
    if (updates.length) this.#deliverMany(updates);
  }

  async query(q: EventQuery = {}): Promise<StoredEvent[]> {
    this.#check();
    const w = whereClause(q, () => '?', true);
    const rows = this.#db
      .prepare(`SELECT * FROM zhichi_events${w.sql} ORDER BY id${q.order === 'newest' ? ' DESC' : ''} LIMIT ?`)
      .all(...w.params, q.limit ?? 1000) as Record<string, unknown>[];
    return rows.map(rowToEvent);
  }

  async count(q: EventQuery = {}): Promise<number> {
    this.#check();
    const w = whereClause(q, () => '?', false);
    const row = this.#db.prepare(`SELECT COUNT(*) AS n FROM zhichi_events${w.sql}`).get(...w.params) as { n: number };
    return Number(row.n);
  }

  async conflicts(q: ConflictQuery = {}): Promise<ConflictRecord[]> {
    this.#check();
    const w = conflictWhere(q, () => '?', true);
    const rows = this.#db
      .prepare(`SELECT * FROM zhichi_conflicts${w.sql} ORDER BY id${q.order === 'newest' ? ' DESC' : ''} LIMIT ?`)
      .all(...w.params, q.limit ?? 1000) as Record<string, unknown>[];
    return rows.map(rowToConflict);
  }

  async countConflicts(q: ConflictQuery = {}): Promise<number> {
    this.#check();
    const w = conflictWhere(q, () => '?', false);
    const row = this.#db.prepare(`SELECT COUNT(*) AS n FROM zhichi_conflicts${w.sql}`).get(...w.params) as { n: number };
    return Number(row.n);
  }

  async identities(taskId: string): Promise<EventIdentity[]> {
    this.#check();
    const rows = this.#db
      .prepare('SELECT event_key, out_id, call_id, attempt FROM zhichi_events WHERE task_id = ?')
      .all(taskId) as Array<{ event_key: string; out_id: string | null; call_id: string | null; attempt: number | null }>;
    return rows.map((r) => ({ key: r.event_key, outId: r.out_id, callId: r.call_id, attempt: r.attempt }));
  }

  /** Runs `fn` after every earlier `exclusive` call of the same name in this process has finished. */
  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.#check();
    const before = this.#locks.get(name) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(() => {}, () => {});
    this.#locks.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    }
  }

  async schemaVersion(): Promise<number> {
    this.#check();
    return currentVersion(this.#db);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A flush still running uses the WAL descriptor: let it finish (only at close, so a short poll is fine).
    while (this.#flushing || this.#flushWaiters.length > 0) await new Promise((r) => setImmediate(r));
    this.#db.close();
    if (this.#walFd !== null) closeSync(this.#walFd);
  }

  #check(): void {
    if (this.#closed) throw new Error('event store is closed');
  }
}

function currentVersion(db: Database): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM zhichi_schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS zhichi_schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  // IMMEDIATE takes the write lock up front, so two processes opening a new file migrate one after the other.
  db.transaction(() => {
    // Every step not recorded yet runs, in version order (not just those above the highest), so steps
    // that landed in any order all apply.
    const have = new Set((db.prepare('SELECT version FROM zhichi_schema_version').all() as { version: number }[]).map((r) => r.version));
    for (const m of [...SQLITE_MIGRATIONS].sort((a, b) => a.version - b.version)) {
      if (have.has(m.version)) continue;
      for (const s of m.statements) db.exec(s);
      db.prepare('INSERT INTO zhichi_schema_version (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
    }
  }).immediate();
}
