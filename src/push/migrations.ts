/**
 * Schema migrations of the event store, one list per dialect, applied in order on open and recorded
 * in `zhichi_schema_version`. Append new steps; never edit a released one.
 */

/** One migration step: its version and the statements to run in a transaction. */
export interface Migration {
  version: number;
  statements: readonly string[];
}

// ---- migration 3: dashboard rollups (shared SQL of both dialects) ---------------------------------

/** Sentinel of "no value" in the rollups' NOT NULL keys (call result, quarter-hour). */
export const NONE_CODE = -2147483648;

/** Upper edges (seconds) of the talk-time buckets written by migration 3; the last bucket is open. */
export const DASH_TALK_EDGES = [10, 20, 30, 45, 60, 90, 120, 180, 300] as const;

const answeredOf = (p: string) => `CASE WHEN ${p}call_result = 0 THEN 1 ELSE 0 END`;
const redialOf = (p: string) => `CASE WHEN coalesce(${p}attempt, 1) > 1 THEN 1 ELSE 0 END`;
const codeOf = (p: string) => `coalesce(${p}call_result, ${NONE_CODE})`;
// Every zone offset is a whole number of quarter-hours: hours of day in any zone come from these.
const quarterOf = (p: string) => `coalesce(CAST(${p}start_time / 900000 AS BIGINT), ${NONE_CODE})`;
const bucketOf = (p: string) =>
  `CASE WHEN ${p}call_result = 0 AND ${p}talk_duration IS NOT NULL THEN CASE ${DASH_TALK_EDGES.map((e, i) => `WHEN ${p}talk_duration < ${e} THEN ${i}`).join(' ')} ELSE ${DASH_TALK_EDGES.length} END ELSE -1 END`;

const DASH_TABLES = [
  `CREATE TABLE {s}.zhichi_dash_task (
    task_id TEXT PRIMARY KEY, results BIGINT NOT NULL, answered BIGINT NOT NULL, redials BIGINT NOT NULL,
    last_received BIGINT, contacts BIGINT NOT NULL, contacts_answered BIGINT NOT NULL)`,
  `CREATE TABLE {s}.zhichi_dash_outcome (
    task_id TEXT NOT NULL, call_result INTEGER NOT NULL, intent TEXT NOT NULL, bucket INTEGER NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (task_id, call_result, intent, bucket))`,
  `CREATE TABLE {s}.zhichi_dash_quarter (
    task_id TEXT NOT NULL, quarter BIGINT NOT NULL, calls BIGINT NOT NULL, answered BIGINT NOT NULL,
    PRIMARY KEY (task_id, quarter))`,
  `CREATE TABLE {s}.zhichi_dash_contact (
    task_id TEXT NOT NULL, out_id TEXT NOT NULL, answered INTEGER NOT NULL, PRIMARY KEY (task_id, out_id))`,
];

const BATCH = 'FROM zhichi_events WHERE id BETWEEN @first AND @last AND task_id IS NOT NULL';

/**
 * What the SQLite store runs in each insert transaction after its rows went in (`@first`..`@last`: the ids
 * inserted, contiguous since SQLite has one writer): the batch grouped and added to the rollups of
 * migration 3. The contact counters are updated before the contact rows, which tell what is new.
 */
export const SQLITE_ROLLUP: readonly string[] = [
  `INSERT INTO zhichi_dash_task (task_id, results, answered, redials, last_received, contacts, contacts_answered)
   SELECT task_id, count(*), sum(${answeredOf('')}), sum(${redialOf('')}), max(received_at), 0, 0 ${BATCH} GROUP BY task_id
   ON CONFLICT (task_id) DO UPDATE SET results = results + excluded.results, answered = answered + excluded.answered,
     redials = redials + excluded.redials, last_received = max(coalesce(last_received, 0), excluded.last_received)`,
  `INSERT INTO zhichi_dash_outcome (task_id, call_result, intent, bucket, n)
   SELECT task_id, ${codeOf('')}, coalesce(intent, ''), ${bucketOf('')}, count(*) ${BATCH} GROUP BY 1, 2, 3, 4
   ON CONFLICT (task_id, call_result, intent, bucket) DO UPDATE SET n = n + excluded.n`,
  `INSERT INTO zhichi_dash_quarter (task_id, quarter, calls, answered)
   SELECT task_id, ${quarterOf('')}, count(*), sum(${answeredOf('')}) ${BATCH} GROUP BY 1, 2
   ON CONFLICT (task_id, quarter) DO UPDATE SET calls = calls + excluded.calls, answered = answered + excluded.answered`,
  `WITH b AS (SELECT task_id, out_id, max(${answeredOf('')}) AS a ${BATCH} AND out_id IS NOT NULL GROUP BY 1, 2),
   d AS (
     SELECT b.task_id, sum(CASE WHEN c.out_id IS NULL THEN 1 ELSE 0 END) AS nc,
       sum(CASE WHEN b.a = 1 AND coalesce(c.answered, 0) = 0 THEN 1 ELSE 0 END) AS na
     FROM b LEFT JOIN zhichi_dash_contact c ON c.task_id = b.task_id AND c.out_id = b.out_id GROUP BY b.task_id)
   UPDATE zhichi_dash_task SET contacts = contacts + d.nc, contacts_answered = contacts_answered + d.na
   FROM d WHERE zhichi_dash_task.task_id = d.task_id`,
  `INSERT INTO zhichi_dash_contact (task_id, out_id, answered)
   SELECT task_id, out_id, max(${answeredOf('')}) ${BATCH} AND out_id IS NOT NULL GROUP BY 1, 2
   ON CONFLICT (task_id, out_id) DO UPDATE SET answered = max(answered, excluded.answered)`,
];

/** Fills the rollups from the events already stored (a store older than migration 3). */
function dashBackfill(s: string): string[] {
  return [
    `INSERT INTO ${s}zhichi_dash_task (task_id, results, answered, redials, last_received, contacts, contacts_answered)
     SELECT task_id, count(*), sum(${answeredOf('')}), sum(${redialOf('')}), max(received_at), 0, 0
     FROM ${s}zhichi_events WHERE task_id IS NOT NULL GROUP BY task_id`,
    `INSERT INTO ${s}zhichi_dash_outcome (task_id, call_result, intent, bucket, n)
     SELECT task_id, ${codeOf('')}, coalesce(intent, ''), ${bucketOf('')}, count(*)
     FROM ${s}zhichi_events WHERE task_id IS NOT NULL GROUP BY 1, 2, 3, 4`,
    `INSERT INTO ${s}zhichi_dash_quarter (task_id, quarter, calls, answered)
     SELECT task_id, ${quarterOf('')}, count(*), sum(${answeredOf('')})
     FROM ${s}zhichi_events WHERE task_id IS NOT NULL GROUP BY 1, 2`,
    `INSERT INTO ${s}zhichi_dash_contact (task_id, out_id, answered)
     SELECT task_id, out_id, max(${answeredOf('')}) FROM ${s}zhichi_events
     WHERE task_id IS NOT NULL AND out_id IS NOT NULL GROUP BY 1, 2`,
    `UPDATE ${s}zhichi_dash_task SET
       contacts = (SELECT count(*) FROM ${s}zhichi_dash_contact c WHERE c.task_id = ${s}zhichi_dash_task.task_id),
       contacts_answered = (SELECT count(*) FROM ${s}zhichi_dash_contact c WHERE c.task_id = ${s}zhichi_dash_task.task_id AND c.answered = 1)`,
  ];
}

// ---- migration 2: conflicts (issue 12) ------------------------------------------------------------

/**
 * A push whose key is stored already but whose body differs (canonical JSON hash) is not a duplicate:
 * it is kept here, once per key and distinct body, beside the event stored first (`event_id`).
 */
const conflictsTable = (s: string, id: string, blob: string) => [
  `CREATE TABLE ${s}zhichi_conflicts (
    id ${id},
    event_key TEXT NOT NULL,
    event_id BIGINT,
    first_hash TEXT NOT NULL,
    new_hash TEXT NOT NULL,
    raw ${blob} NOT NULL,
    content_type TEXT,
    received_at BIGINT NOT NULL,
    remote_addr TEXT,
    task_id TEXT,
    out_id TEXT,
    call_id TEXT,
    attempt INTEGER,
    instance_id TEXT,
    UNIQUE (event_key, new_hash)
  )`,
  `CREATE INDEX zhichi_conflicts_task ON ${s}zhichi_conflicts (task_id)`,
];

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
    // Issue 12: conflicting pushes (same key, different body), kept instead of dropped as duplicates.
    version: 2,
    statements: conflictsTable('', 'INTEGER PRIMARY KEY AUTOINCREMENT', 'BLOB'),
  },
  {
    // Dashboard rollups (src/push/read-model.ts): the overview and the task view read a few small tables,
    // so they cost the same with 1,000,000 results as with 1,000. The SQLite store adds each insert
    // transaction's rows to them with SQLITE_ROLLUP (grouped, once per batch: a per-row trigger cost
    // the receiver 3-8x its insert time); PostgreSQL does the same in a statement-level trigger.
    // Sentinels keep the primary keys NOT NULL: call_result NONE_CODE = no code, intent '' = none,
    // bucket -1 = not an answered call with a talk time, quarter NONE_CODE = no start time.
    version: 3,
    statements: [
      ...DASH_TABLES.map((t) => `${t.replaceAll('{s}.', '')} WITHOUT ROWID`),
      ...dashBackfill(''),
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
    // Issue 12: conflicting pushes (same key, different body), as in SQLite.
    version: 2,
    statements: conflictsTable('{s}.', 'BIGSERIAL PRIMARY KEY', 'BYTEA'),
  },
  {
    // Dashboard rollups, as in SQLite; one statement-level trigger per insert statement (a whole batch),
    // rows upserted in key order so concurrent batches lock them in the same order.
    version: 3,
    statements: [
      ...DASH_TABLES,
      ...dashBackfill('{s}.'),
      `CREATE FUNCTION {s}.zhichi_dash_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO {s}.zhichi_dash_task AS t (task_id, results, answered, redials, last_received, contacts, contacts_answered)
           SELECT task_id, count(*), sum(${answeredOf('')}), sum(${redialOf('')}), max(received_at), 0, 0
           FROM new_rows WHERE task_id IS NOT NULL GROUP BY task_id ORDER BY task_id
           ON CONFLICT (task_id) DO UPDATE SET results = t.results + excluded.results, answered = t.answered + excluded.answered,
             redials = t.redials + excluded.redials, last_received = GREATEST(t.last_received, excluded.last_received);
         INSERT INTO {s}.zhichi_dash_outcome AS o (task_id, call_result, intent, bucket, n)
           SELECT task_id, ${codeOf('')}, coalesce(intent, ''), ${bucketOf('')}, count(*)
           FROM new_rows WHERE task_id IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
           ON CONFLICT (task_id, call_result, intent, bucket) DO UPDATE SET n = o.n + excluded.n;
         INSERT INTO {s}.zhichi_dash_quarter AS q (task_id, quarter, calls, answered)
           SELECT task_id, ${quarterOf('')}, count(*), sum(${answeredOf('')})
           FROM new_rows WHERE task_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
           ON CONFLICT (task_id, quarter) DO UPDATE SET calls = q.calls + excluded.calls, answered = q.answered + excluded.answered;
         -- RETURNING gives the contacts inserted (xmax = 0) and those whose answered flag went 0 -> 1; a
         -- concurrent batch that inserted the same contact first makes ours an update (or nothing): never counted twice.
         WITH c AS (
           SELECT task_id, out_id, max(${answeredOf('')}) AS a FROM new_rows
           WHERE task_id IS NOT NULL AND out_id IS NOT NULL GROUP BY 1, 2
         ), up AS (
           INSERT INTO {s}.zhichi_dash_contact AS k (task_id, out_id, answered) SELECT task_id, out_id, a FROM c ORDER BY 1, 2
           ON CONFLICT (task_id, out_id) DO UPDATE SET answered = excluded.answered WHERE k.answered < excluded.answered
           RETURNING k.task_id, (k.xmax = 0) AS fresh, k.answered
         )
         UPDATE {s}.zhichi_dash_task AS t SET contacts = t.contacts + d.nc, contacts_answered = t.contacts_answered + d.na
         FROM (SELECT task_id, sum(CASE WHEN fresh THEN 1 ELSE 0 END) AS nc, sum(answered) AS na FROM up GROUP BY task_id) d
         WHERE t.task_id = d.task_id;
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER zhichi_dash_rollup AFTER INSERT ON {s}.zhichi_events REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION {s}.zhichi_dash_rollup()`,
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
