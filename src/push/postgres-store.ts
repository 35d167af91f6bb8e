import type { Pool, PoolClient } from 'pg';
import {
  CONFLICT_COLUMNS, INSERT_COLUMNS, MAX_DELIVERY_ERROR, canonicalBodyHash, conflictValues, conflictWhere, insertValues, redactLocation,
  rowToConflict, rowToEvent, whereClause, type ConflictQuery, type ConflictRecord, type DeliveryUpdate, type EventIdentity, type EventQuery, type EventStore, type InsertResult, type NewEvent,
  type OpenStoreOptions, type StoredEvent,
} from './store.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { loadPg, pgLocation } from './pg-connect.js';

// Array types for `unnest`, one per INSERT_COLUMNS entry: a batch is ONE statement with a fixed number
// of parameters however many rows it carries (a VALUES list would hit the 65,535-parameter cap).
const COLUMN_TYPES: Record<(typeof INSERT_COLUMNS)[number], ArrayType> = {
  event_key: 'text', source: 'text', known: 'int2', received_at: 'int8', remote_addr: 'text', content_type: 'text',
  task_id: 'text', out_id: 'text', call_id: 'text', attempt: 'int4', telephone: 'text', call_result: 'int4',
  call_result_name: 'text', start_time: 'int8', answer_time: 'int8', end_time: 'int8', ring_duration: 'float8',
  talk_duration: 'float8', intent: 'text', hangup_by: 'int4', event_type: 'text', raw: 'bytea', instance_id: 'text',
};
type ArrayType = 'text' | 'int2' | 'int4' | 'int8' | 'float8' | 'bytea';
const COLUMN_KINDS = INSERT_COLUMNS.map((c) => COLUMN_TYPES[c]);

const NEEDS_ESCAPE = /[\\"]/;
const ESCAPES = /[\\"]/g;

/**
 * The PostgreSQL array literal of one column of a batch, built in one pass. pg would build the same text
 * from a JS array, but value by value through its generic `prepareValue` (two regex replaces per string);
 * this is the insert's hottest client-side step. Text is always quoted (so a value "NULL" stays a
 * string), `\` and `"` escaped; numbers as `String(n)`, as pg writes them; bytea as hex (`\\x…`).
 */
export function arrayLiteral(kind: ArrayType, values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (kind === 'text') {
      const s = String(v);
      out += NEEDS_ESCAPE.test(s) ? `"${s.replace(ESCAPES, '\\$&')}"` : `"${s}"`;
    } else if (kind === 'bytea') {
      const b = v as Uint8Array;
      out += '\\\\x' + (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('hex');
    } else out += String(v);
  }
  return out + '}';
}

/**
 * Shortest gap, ms, between the end of one wake-up NOTIFY for relays and the next: at most ~50 a second
 * however many commits, for at most this much more relay lag (relays also poll).
 */
const NOTIFY_GAP_MS = 20;

const CONFLICT_TYPES: Record<(typeof CONFLICT_COLUMNS)[number], string> = {
  event_key: 'text', event_id: 'int8', first_hash: 'text', new_hash: 'text', raw: 'bytea', content_type: 'text', received_at: 'int8',
  remote_addr: 'text', task_id: 'text', out_id: 'text', call_id: 'text', attempt: 'int4', instance_id: 'text',
};

/** Quotes an SQL identifier. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Event store on PostgreSQL (pg 8). The tables live in a schema of your choice (default `public`). */
export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  readonly schema: string;
  readonly #pool: Pool;
  readonly #t: string;
  readonly #insertSql: string;
  readonly #insertName: string;
  #closed = false;
  #notifying: Promise<void> | null = null;
  #notifyTimer: ReturnType<typeof setTimeout> | null = null;
  #notifyAgain = false;

  private constructor(pool: Pool, location: string, schema: string) {
    this.#pool = pool;
    this.location = location;
    this.schema = schema;
    this.#t = `${ident(schema)}.zhichi_events`;
    const arrays = COLUMN_KINDS.map((k, i) => `$${i + 1}::${k}[]`).join(', ');
    this.#insertSql =
      `INSERT INTO ${this.#t} (${INSERT_COLUMNS.join(', ')}) SELECT * FROM unnest(${arrays}) ` +
      'ON CONFLICT (event_key) DO NOTHING RETURNING id, event_key';
    this.#insertName = `zhichi_insert_${schema}`;
  }

  /** Connects, creates the schema if needed and runs pending migrations under an advisory lock. */
  static async open(url: string, options: OpenStoreOptions = {}): Promise<PostgresEventStore> {
    const pg = await loadPg();
    const { connectionString, schema } = pgLocation(url, options.schema);
    const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 4 });
    // An idle client that loses its connection emits 'error' on the pool; without a listener it would crash the process.
    pool.on('error', () => {});
    const store = new PostgresEventStore(pool, redactLocation(url), schema);
    try {
      await store.#migrate();
    } catch (err) {
      await pool.end().catch(() => {});
      throw new Error(`cannot open PostgreSQL store ${redactLocation(url)}: ${(err as Error).message}`);
    }
    return store;
  }

  async #tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async #migrate(): Promise<void> {
    const s = ident(this.schema);
    await this.#tx(async (c) => {
      // Serialises concurrent openers (several receivers starting at once) on a lock keyed by the schema.
      await c.query("SELECT pg_advisory_xact_lock(hashtext('zhichi_events:' || $1))", [this.schema]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.zhichi_schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`);
      // Every step not recorded yet runs, in version order, so steps that landed in any order all apply.
      const { rows } = await c.query<{ version: number }>(`SELECT version FROM ${s}.zhichi_schema_version`);
      const have = new Set(rows.map((r) => Number(r.version)));
      for (const m of [...POSTGRES_MIGRATIONS].sort((a, b) => a.version - b.version)) {
        if (have.has(m.version)) continue;
        for (const stmt of m.statements) await c.query(stmt.replaceAll('{s}', s));
        await c.query(`INSERT INTO ${s}.zhichi_schema_version (version, applied_at) VALUES ($1, $2)`, [m.version, Date.now()]);
      }
    });
  }

  async insert(events: readonly NewEvent[]): Promise<InsertResult[]> {
    this.#check();
    if (events.length === 0) return [];
    // The same key twice in one batch: only the first copy goes to the database.
    const firstIndex = new Map<string, number>();
    const unique: NewEvent[] = [];
    events.forEach((e, i) => {
      if (!firstIndex.has(e.key)) {
        firstIndex.set(e.key, i);
        unique.push(e);
      }
    });
    const columns: unknown[][] = INSERT_COLUMNS.map(() => []);
    for (const e of unique) {
      const vals = insertValues(e);
      for (let i = 0; i < vals.length; i++) columns[i]!.push(vals[i]);
    }
    const params = columns.map((col, i) => arrayLiteral(COLUMN_KINDS[i]!, col));
    // One statement is one implicit transaction: the whole batch commits or none of it does.
    // A named statement: each pooled connection parses and plans it once, later batches only bind and run.
    const { rows } = await this.#pool.query<{ id: string; event_key: string }>({ name: this.#insertName, text: this.#insertSql, values: params });
    if (rows.length > 0) this.#notify();
    const ids = new Map(rows.map((r) => [r.event_key, Number(r.id)]));
    const results: InsertResult[] = events.map((e, i) => {
      const id = firstIndex.get(e.key) === i ? ids.get(e.key) : undefined;
      return id !== undefined ? { inserted: true, id } : { inserted: false, id: null };
    });
    // Pushes not inserted: a true duplicate, or a conflict (same key, different body) to keep.
    const notInserted = events.map((e, i) => [e, i] as const).filter(([e, i]) => !results[i]!.inserted && e.source === 'push');
    if (notInserted.length > 0) await this.#recordConflicts(notInserted, results);
    return results;
  }

  /**
   * Compares each push that was not inserted with the push stored under its key and keeps a conflict
   * record when the canonical bodies differ (reconciled records have another shape: not compared).
   * Runs after the insert committed; a crash in between means no 2xx went out, so the sender resends
   * and the comparison runs again.
   */
  async #recordConflicts(items: ReadonlyArray<readonly [NewEvent, number]>, results: InsertResult[]): Promise<void> {
    const keys = [...new Set(items.map(([e]) => e.key))];
    const { rows } = await this.#pool.query<{ id: string; event_key: string; source: string; raw: Buffer; content_type: string | null }>(
      `SELECT id, event_key, source, raw, content_type FROM ${this.#t} WHERE event_key = ANY($1::text[])`,
      [keys],
    );
    const stored = new Map(rows.map((r) => [r.event_key, r]));
    const conflictRows: unknown[][] = CONFLICT_COLUMNS.map(() => []);
    let n = 0;
    for (const [e, i] of items) {
      const row = stored.get(e.key);
      if (!row || row.source !== 'push') continue;
      const first = canonicalBodyHash(row.raw, row.content_type);
      const next = canonicalBodyHash(e.raw, e.contentType);
      if (first === next) continue;
      results[i] = { inserted: false, id: null, conflict: true };
      conflictValues(e, Number(row.id), first, next).forEach((v, c) => conflictRows[c]!.push(v));
      n++;
    }
    if (n === 0) return;
    await this.#pool.query(
      `INSERT INTO ${ident(this.schema)}.zhichi_conflicts (${CONFLICT_COLUMNS.join(', ')})
       SELECT * FROM unnest(${CONFLICT_COLUMNS.map((c, i) => `$${i + 1}::${CONFLICT_TYPES[c]}[]`).join(', ')})
       ON CONFLICT (event_key, new_hash) DO NOTHING`,
      conflictRows,
    );
  }

  /**
   * Wakes LISTENing relays (channel `zhichi_events`, payload = schema) after a commit, in its own
   * statement: outside the insert transaction the notify lock is not held across the WAL flush. At most
   * one is in flight, and the next one goes out {@link NOTIFY_GAP_MS} after the previous one finished:
   * commits made meanwhile are covered by that one. A NOTIFY is a transaction of its own (with its own
   * WAL flush); one per commit cost the ingest path as much as the event insert's client-side encoding.
   */
  #notify(): void {
    if (this.#notifying !== null || this.#notifyTimer !== null) {
      this.#notifyAgain = true;
      return;
    }
    this.#notifying = this.#pool
      .query("SELECT pg_notify('zhichi_events', $1)", [this.schema])
      .then(() => {}, () => {})
      .finally(() => {
        this.#notifying = null;
        if (this.#closed) return;
        this.#notifyTimer = setTimeout(() => {
          this.#notifyTimer = null;
          if (this.#notifyAgain && !this.#closed) {
            this.#notifyAgain = false;
            this.#notify();
          }
        }, NOTIFY_GAP_MS);
        // A pending wake-up must not keep the process alive; close() sends it instead.
        this.#notifyTimer.unref();
      });
  }

  async setDelivery(updates: readonly DeliveryUpdate[]): Promise<void> {
    this.#check();
    if (updates.length === 0) return;
    await this.#pool.query(
      `UPDATE ${this.#t} AS e SET delivery_status = u.status, delivery_error = u.error, delivered_at = u.at,
         delivery_attempts = e.delivery_attempts + 1
       FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[]) AS u(id, status, error, at)
       WHERE e.id = u.id`,
      [
        updates.map((u) => u.id),
        updates.map((u) => u.status),
        updates.map((u) => u.error?.slice(0, MAX_DELIVERY_ERROR) ?? null),
        updates.map((u) => (u.status === 'delivered' ? u.at : null)),
      ],
    );
  }

  async query(q: EventQuery = {}): Promise<StoredEvent[]> {
    this.#check();
    const w = whereClause(q, (i) => `$${i}`, true);
    const { rows } = await this.#pool.query(`SELECT * FROM ${this.#t}${w.sql} ORDER BY id${q.order === 'newest' ? ' DESC' : ''} LIMIT $${w.params.length + 1}`, [
      ...w.params,
      q.limit ?? 1000,
    ]);
    return rows.map(rowToEvent);
  }

  async count(q: EventQuery = {}): Promise<number> {
    this.#check();
    const w = whereClause(q, (i) => `$${i}`, false);
    const { rows } = await this.#pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${this.#t}${w.sql}`, w.params);
    return Number(rows[0]?.n ?? 0);
  }

  async conflicts(q: ConflictQuery = {}): Promise<ConflictRecord[]> {
    this.#check();
    const w = conflictWhere(q, (i) => `$${i}`, true);
    const { rows } = await this.#pool.query(
      `SELECT * FROM ${ident(this.schema)}.zhichi_conflicts${w.sql} ORDER BY id${q.order === 'newest' ? ' DESC' : ''} LIMIT $${w.params.length + 1}`,
      [...w.params, q.limit ?? 1000],
    );
    return rows.map(rowToConflict);
  }

  async countConflicts(q: ConflictQuery = {}): Promise<number> {
    this.#check();
    const w = conflictWhere(q, (i) => `$${i}`, false);
    const { rows } = await this.#pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${ident(this.schema)}.zhichi_conflicts${w.sql}`, w.params);
    return Number(rows[0]?.n ?? 0);
  }

  async identities(taskId: string): Promise<EventIdentity[]> {
    this.#check();
    const { rows } = await this.#pool.query<{ event_key: string; out_id: string | null; call_id: string | null; attempt: number | null }>(
      `SELECT event_key, out_id, call_id, attempt FROM ${this.#t} WHERE task_id = $1`,
      [taskId],
    );
    return rows.map((r) => ({ key: r.event_key, outId: r.out_id, callId: r.call_id, attempt: r.attempt }));
  }

  async schemaVersion(): Promise<number> {
    this.#check();
    const { rows } = await this.#pool.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${ident(this.schema)}.zhichi_schema_version`);
    return rows[0]?.v ?? 0;
  }

  /**
   * Runs `fn` under a session advisory lock keyed by schema and name: receivers on one schema run it one
   * at a time. The lock lives on one pooled connection; if this process dies the server drops it.
   */
  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.#check();
    const c = await this.#pool.connect();
    let locked = false;
    try {
      await c.query("SELECT pg_advisory_lock(hashtext('zhichi_fleet'), hashtext($1 || ':' || $2))", [this.schema, name]);
      locked = true;
      return await fn();
    } finally {
      if (locked) await c.query("SELECT pg_advisory_unlock(hashtext('zhichi_fleet'), hashtext($1 || ':' || $2))", [this.schema, name]).catch(() => {});
      c.release();
    }
  }

  /** Drops the schema with everything in it; for tests that created a throw-away schema. */
  async dropSchema(): Promise<void> {
    this.#check();
    if (this.schema === 'public') throw new Error('refusing to drop the public schema');
    await this.#pool.query(`DROP SCHEMA IF EXISTS ${ident(this.schema)} CASCADE`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#notifying;
    if (this.#notifyTimer !== null) {
      clearTimeout(this.#notifyTimer);
      this.#notifyTimer = null;
    }
    // The last commits' wake-up, still waiting for its gap: send it now, relays should not wait for a poll.
    if (this.#notifyAgain) {
      this.#notifyAgain = false;
      await this.#pool.query("SELECT pg_notify('zhichi_events', $1)", [this.schema]).catch(() => {});
    }
    await this.#pool.end();
  }

  #check(): void {
    if (this.#closed) throw new Error('event store is closed');
  }
}
