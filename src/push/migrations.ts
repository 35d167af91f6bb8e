/**
 * Schema migrations of the event store, one list per dialect, applied in order on open and recorded
 * in `zhichi_schema_version`. Append new steps; never edit a released one.
 */

/** One migration step: its version and the statements to run in a transaction. */
export interface Migration {
  version: number;
  statements: readonly string[];
}

/** SQLite migrations. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE zhichi_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_key TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        known INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        remote_addr TEXT,
        content_type TEXT,
        task_id TEXT,
        out_id TEXT,
        call_id TEXT,
        attempt INTEGER,
        telephone TEXT,
        call_result INTEGER,
        call_result_name TEXT,
        start_time INTEGER,
        answer_time INTEGER,
        end_time INTEGER,
        ring_duration REAL,
        talk_duration REAL,
        intent TEXT,
        hangup_by INTEGER,
        event_type TEXT,
        raw BLOB NOT NULL,
        delivery_status TEXT NOT NULL DEFAULT 'pending',
        delivery_attempts INTEGER NOT NULL DEFAULT 0,
        delivery_error TEXT,
        delivered_at INTEGER
      )`,
      // task_id only: rows of one task arrive in rowid order, so inserts append to the index (an
      // (task_id, out_id) index would insert at random places and cost ~3 µs more per row).
      'CREATE INDEX zhichi_events_task ON zhichi_events (task_id)',
      'CREATE INDEX zhichi_events_received ON zhichi_events (received_at)',
      // Partial: replay scans only what is not delivered yet, which stays small.
      "CREATE INDEX zhichi_events_undelivered ON zhichi_events (id) WHERE delivery_status <> 'delivered'",
    ],
  },
  {
    // Issue 16: which receiver instance stored an event, and the relay's durable cursor. SQLite has one
    // writer at a time and assigns ids in commit order, so the relay's position is the id alone.
    version: 4,
    statements: [
      'ALTER TABLE zhichi_events ADD COLUMN instance_id TEXT',
      `CREATE TABLE zhichi_relay_cursor (
        relay TEXT PRIMARY KEY,
        last_tx TEXT NOT NULL DEFAULT '0',
        last_id INTEGER NOT NULL DEFAULT 0,
        published INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        owner TEXT,
        lease_until INTEGER,
        updated_at INTEGER NOT NULL
      )`,
    ],
  },
];

/** PostgreSQL migrations; `{s}` is replaced by the quoted schema name. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE {s}.zhichi_events (
        id BIGSERIAL PRIMARY KEY,
        event_key TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        known SMALLINT NOT NULL,
        received_at BIGINT NOT NULL,
        remote_addr TEXT,
        content_type TEXT,
        task_id TEXT,
        out_id TEXT,
        call_id TEXT,
        attempt INTEGER,
        telephone TEXT,
        call_result INTEGER,
        call_result_name TEXT,
        start_time BIGINT,
        answer_time BIGINT,
        end_time BIGINT,
        ring_duration DOUBLE PRECISION,
        talk_duration DOUBLE PRECISION,
        intent TEXT,
        hangup_by INTEGER,
        event_type TEXT,
        raw BYTEA NOT NULL,
        delivery_status TEXT NOT NULL DEFAULT 'pending',
        delivery_attempts INTEGER NOT NULL DEFAULT 0,
        delivery_error TEXT,
        delivered_at BIGINT
      )`,
      'CREATE INDEX zhichi_events_task ON {s}.zhichi_events (task_id)',
      'CREATE INDEX zhichi_events_received ON {s}.zhichi_events (received_at)',
      "CREATE INDEX zhichi_events_undelivered ON {s}.zhichi_events (id) WHERE delivery_status <> 'delivered'",
    ],
  },
  {
    // Issue 16. A BIGSERIAL id is taken when a row is inserted, not when it commits: with several
    // writers a lower id can become visible after a higher one, and a cursor on the id alone would skip
    // it. tx_id (the inserting transaction) fixes that: every transaction older than the oldest one still
    // running (pg_snapshot_xmin) is final, so the relay reads (tx_id, id) pairs below that bound, in that
    // order, and never misses a row. (Relays are woken by a NOTIFY the store sends after each commit, not
    // by a trigger: a NOTIFY inside the insert transaction would hold PostgreSQL's notify lock across the
    // commit's WAL flush and serialise every receiver's commits.)
    version: 4,
    statements: [
      'ALTER TABLE {s}.zhichi_events ADD COLUMN instance_id TEXT, ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()',
      'CREATE INDEX zhichi_events_relay ON {s}.zhichi_events (tx_id, id)',
      `CREATE TABLE {s}.zhichi_relay_cursor (
        relay TEXT PRIMARY KEY,
        last_tx xid8 NOT NULL DEFAULT '0',
        last_id BIGINT NOT NULL DEFAULT 0,
        published BIGINT NOT NULL DEFAULT 0,
        errors BIGINT NOT NULL DEFAULT 0,
        last_error TEXT,
        owner TEXT,
        lease_until BIGINT,
        updated_at BIGINT NOT NULL
      )`,
    ],
  },
];

/** Latest schema version known to this code. */
export const LATEST_SCHEMA_VERSION = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));
