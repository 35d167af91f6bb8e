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
    // Dashboard read model (src/push/read-model.ts): each grouped query of the overview and the task view
    // is a range scan of ONE covering index, never a visit of the table's rows.
    version: 3,
    statements: [
      // Overview (per task: results, answered, last result), outcomes, intents and the talk-time histogram.
      'CREATE INDEX zhichi_events_dash_result ON zhichi_events (task_id, call_result, intent, talk_duration, attempt, received_at)',
      // Contacts called / answered: one streaming GROUP BY out_id per task.
      'CREATE INDEX zhichi_events_dash_contact ON zhichi_events (task_id, out_id, call_result)',
      // Answered rate by hour of day: grouped by UTC quarter-hour (every zone offset is a multiple of 15 min).
      'CREATE INDEX zhichi_events_dash_quarter ON zhichi_events (task_id, (start_time / 900000), call_result)',
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
    // Dashboard read model (src/push/read-model.ts): each grouped query of the overview and the task view
    // is a range scan of ONE covering index, never a visit of the table's rows.
    version: 3,
    statements: [
      // Overview (per task: results, answered, last result), outcomes, intents and the talk-time histogram.
      'CREATE INDEX zhichi_events_dash_result ON {s}.zhichi_events (task_id, call_result, intent, talk_duration, attempt, received_at)',
      // Contacts called / answered: one streaming GROUP BY out_id per task.
      'CREATE INDEX zhichi_events_dash_contact ON {s}.zhichi_events (task_id, out_id, call_result)',
      // Answered rate by hour of day: grouped by UTC quarter-hour (every zone offset is a multiple of 15 min).
      'CREATE INDEX zhichi_events_dash_quarter ON {s}.zhichi_events (task_id, (start_time / 900000), call_result)',
    ],
  },
];

/** Latest schema version known to this code. */
export const LATEST_SCHEMA_VERSION = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));
