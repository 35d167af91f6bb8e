import { CALL_RESULT, callResultName } from '../contract/enums.js';
import { DASH_TALK_EDGES, NONE_CODE } from './migrations.js';
import { isPostgresLocation, redactLocation } from './store.js';
import type { TaskSummary, Overview, TaskProgress, OutcomeCount, IntentCount, HourCount, TalkBucket, TaskStats, ResultRow, ResultPage } from '../dashboard/wire.js';
import { loadPg, pgLocation } from './pg-connect.js';

export type { TaskSummary, Overview, TaskProgress, OutcomeCount, IntentCount, HourCount, TalkBucket, TaskStats, ResultRow, ResultPage };

/**
 * The read side of the event store, for the dashboard and anything else that looks rather than writes:
 * every figure is an aggregate computed by the database, never a loop over loaded rows, and the
 * connection is opened read-only. On a store of schema 3 or later the figures come from the rollup
 * tables a trigger keeps on insert (a few hundred rows per task, whatever the number of results);
 * on an older store, from grouped queries over the events.
 */

/** Filters of the results table and its CSV export; combined with AND. */
export interface ResultFilter {
  taskId: string;
  /** Only these CALL_RESULT codes. */
  callResults?: readonly number[];
  /** Only these intent labels. */
  intents?: readonly string[];
  /** Only this contact. */
  outId?: string;
  /** Only attempts from this number on (2 = redials). */
  minAttempt?: number;
  /** Only results received at or after this epoch ms. */
  since?: number;
  /** Only results received before this epoch ms. */
  until?: number;
}

/** Paging and display options of {@link ReadModel.results}. */
export interface ResultPageOptions {
  /** Only rows with an id below this (keyset cursor). */
  before?: number;
  /** @default 50, at most 1000 */
  limit?: number;
  /** Full phone numbers instead of masked ones. @default false */
  revealPhones?: boolean;
}

/** Options of {@link openReadModel}. */
export interface ReadModelOptions {
  /** PostgreSQL schema (also `?schema=` on the URL). @default 'public' */
  schema?: string;
  /** PostgreSQL pool size. @default 2 */
  poolSize?: number;
  /**
   * Read the rollup tables of migration 3 when the store has them; false computes every figure from
   * the events instead (what a store older than schema 3 gets). @default true
   */
  useRollups?: boolean;
}

/** Upper edges (seconds) of the talk-time histogram's buckets; the last bucket is open-ended. */
export const TALK_EDGES: readonly number[] = DASH_TALK_EDGES;

/** Largest page of {@link ReadModel.results}. */
export const MAX_PAGE = 1000;

/** Default time zone of a task whose zone nobody told us: Sobot's own. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const QUARTER_MS = 900_000;

/** Masks a phone number for display: the first 3 and last 4 digits stay when there are at least 8. */
export function maskPhone(phone: string | null): string | null {
  if (phone === null) return null;
  const s = phone.trim();
  if (s.length >= 8) return `${s.slice(0, 3)}${'*'.repeat(s.length - 7)}${s.slice(-4)}`;
  if (s.length > 2) return `${'*'.repeat(s.length - 2)}${s.slice(-2)}`;
  return '*'.repeat(s.length);
}

/** Name of an outcome code for display and CSV. */
export function outcomeName(code: number | null): string {
  return code === null ? 'NONE' : callResultName(code);
}

/** What a dialect runs: SQL with `?` placeholders, rows back as plain objects. */
interface Db {
  readonly kind: 'sqlite' | 'postgres';
  all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Grouped rows behind {@link TaskStats}, the same shape from the rollups and from the events. */
interface StatRows {
  totals: Record<string, unknown>[];
  outcomes: Record<string, unknown>[];
  intents: Record<string, unknown>[];
  talk: Record<string, unknown>[];
  quarters: Record<string, unknown>[];
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const sn = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The talk-time bucket of a row as a SQL expression: the index of the first edge above the duration. */
function bucketSql(): string {
  const whens = TALK_EDGES.map((e, i) => `WHEN talk_duration < ${e} THEN ${i}`).join(' ');
  return `CASE ${whens} ELSE ${TALK_EDGES.length} END`;
}

/**
 * Hour of day in `timeZone` of each UTC quarter-hour. The zone's offset is looked up once per UTC day
 * (two Intl calls); only on a day whose offset changes (DST) is each quarter looked up on its own.
 */
function hourOf(timeZone: string): (quarter: number) => number {
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
  const offsetMin = (ms: number): number => {
    const p: Record<string, number> = {};
    for (const x of fmt.formatToParts(ms)) if (x.type !== 'literal') p[x.type] = Number(x.value);
    const local = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']! % 24, p['minute']!);
    return Math.round((local - Math.floor(ms / 60_000) * 60_000) / 60_000);
  };
  const byDay = new Map<number, number | null>();
  return (q) => {
    const day = Math.floor(q / 96);
    let off = byDay.get(day);
    if (off === undefined) {
      const first = offsetMin(day * 86_400_000);
      off = first === offsetMin((day + 1) * 86_400_000 - 60_000) ? first : null;
      byDay.set(day, off);
    }
    const minute = q * 15 + (off ?? offsetMin(q * QUARTER_MS));
    return Math.floor((((minute % 1440) + 1440) % 1440) / 60);
  };
}

/** Throws a RangeError naming the zone unless Node knows it. */
function checkZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new RangeError(`timeZone must be an IANA time zone such as 'Asia/Shanghai' (got '${timeZone}')`);
  }
}

/**
 * Read-only queries of the dashboard over one event store (SQLite file or PostgreSQL schema).
 * Open it with {@link openReadModel}.
 */
export class ReadModel {
  /** 'sqlite' or 'postgres'. */
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, with any password removed. */
  readonly location: string;
  /**
   * True when the figures come from the rollup tables (schema 3 or later); false on an older store,
   * where they are grouped queries over every event (right, but slower). Opening the store once with
   * the receiver migrates it.
   */
  readonly rollups: boolean;
  readonly #db: Db;
  /** Schema prefix of the tables (`"s".` on PostgreSQL, empty on SQLite). */
  readonly #p: string;
  readonly #t: string;

  /** @internal use {@link openReadModel}. */
  constructor(db: Db, schemaPrefix: string, location: string, rollups: boolean) {
    this.#db = db;
    this.#p = schemaPrefix;
    this.#t = `${schemaPrefix}zhichi_events`;
    this.kind = db.kind;
    this.location = location;
    this.rollups = rollups;
  }

  /** Highest event id (0 when empty): one index probe, cheap enough to poll every second. */
  async maxId(): Promise<number> {
    const [r] = await this.#db.all(`SELECT MAX(id) AS m FROM ${this.#t}`, []);
    return n(r?.['m']);
  }

  /** Every task with its stored results, answered share and last result time, most recent first. */
  async overview(): Promise<Overview> {
    const [rows, maxId] = await Promise.all([
      this.rollups
        ? this.#db.all(`SELECT task_id, results AS n, answered AS a, last_received AS last FROM ${this.#p}zhichi_dash_task`, [])
        : this.#db.all(
            `SELECT task_id, COUNT(*) AS n, SUM(CASE WHEN call_result = ${CALL_RESULT.ANSWERED} THEN 1 ELSE 0 END) AS a, MAX(received_at) AS last
             FROM ${this.#t} WHERE task_id IS NOT NULL GROUP BY task_id`,
            [],
          ),
      this.maxId(),
    ]);
    const tasks = rows.map((r) => {
      const results = n(r['n']);
      const answered = n(r['a']);
      return { taskId: String(r['task_id']), results, answered, answeredShare: results ? answered / results : 0, lastReceivedAt: nn(r['last']) };
    });
    tasks.sort((a, b) => (b.lastReceivedAt ?? 0) - (a.lastReceivedAt ?? 0) || a.taskId.localeCompare(b.taskId));
    return { tasks, maxId };
  }

  /**
   * The task view's figures. `timeZone` is the task's (hours of day are counted there); `api` adds
   * what only the API knows (contacts of the task, redials pending).
   */
  async taskStats(taskId: string, opts: { timeZone?: string; api?: { contacts?: number | null; redialsPending?: number | null } } = {}): Promise<TaskStats> {
    const timeZone = opts.timeZone ?? DEFAULT_TIME_ZONE;
    checkZone(timeZone);
    const [rows, maxId] = await Promise.all([this.rollups ? this.#fromRollups(taskId) : this.#fromEvents(taskId), this.maxId()]);
    const tot = rows.totals[0] ?? {};
    const outs: OutcomeCount[] = rows.outcomes.map((r) => {
      const raw = nn(r['call_result']);
      const code = raw === NONE_CODE ? null : raw;
      return { callResult: code, name: outcomeName(code), count: n(r['n']) };
    });
    outs.sort((a, b) => b.count - a.count || (a.callResult ?? 99) - (b.callResult ?? 99));

    const hours: HourCount[] = Array.from({ length: 24 }, (_, hour) => ({ hour, calls: 0, answered: 0, rate: 0 }));
    const toHour = hourOf(timeZone);
    for (const r of rows.quarters) {
      const q = nn(r['q']);
      if (q === null || q === NONE_CODE) continue;
      const h = hours[toHour(q)]!;
      h.calls += n(r['n']);
      h.answered += n(r['a']);
    }
    for (const h of hours) h.rate = h.calls ? h.answered / h.calls : 0;

    const talk = rows.talk;
    const talkCounts = new Map(talk.map((r) => [n(r['b']), n(r['n'])]));
    const buckets: TalkBucket[] = [0, ...TALK_EDGES].map((from, i) => ({ from, to: TALK_EDGES[i] ?? null, count: talkCounts.get(i) ?? 0 }));

    // A push with an empty intent and one with none are the same "(none)" (the rollup keys them as '').
    const intents = new Map<string | null, number>();
    for (const r of rows.intents) {
      const k = sn(r['intent']) || null;
      intents.set(k, (intents.get(k) ?? 0) + n(r['n']));
    }
    return {
      taskId,
      timeZone,
      progress: {
        results: n(tot['results']), answeredResults: n(tot['answered']), contactsCalled: n(tot['contacts']),
        contactsAnswered: n(tot['contacts_answered']), redials: n(tot['redials']), lastReceivedAt: nn(tot['last']),
        contacts: opts.api?.contacts ?? null, redialsPending: opts.api?.redialsPending ?? null,
      },
      outcomes: outs,
      intents: [...intents]
        .map(([intent, count]) => ({ intent, count }))
        .sort((a, b) => (a.intent ?? '\uffff').localeCompare(b.intent ?? '\uffff')),
      hours,
      talk: buckets,
      maxId,
    };
  }

  /** The task view's grouped rows from the rollup tables: a few hundred rows per task. */
  async #fromRollups(taskId: string): Promise<StatRows> {
    const p = this.#p;
    const [totals, outcomes, intents, talk, quarters] = await Promise.all([
      this.#db.all(
        `SELECT results, answered, redials, last_received AS last, contacts, contacts_answered FROM ${p}zhichi_dash_task WHERE task_id = ?`,
        [taskId],
      ),
      this.#db.all(`SELECT call_result, SUM(n) AS n FROM ${p}zhichi_dash_outcome WHERE task_id = ? GROUP BY call_result`, [taskId]),
      this.#db.all(
        `SELECT intent, SUM(n) AS n FROM ${p}zhichi_dash_outcome WHERE task_id = ? AND call_result = ${CALL_RESULT.ANSWERED} GROUP BY intent`,
        [taskId],
      ),
      this.#db.all(`SELECT bucket AS b, SUM(n) AS n FROM ${p}zhichi_dash_outcome WHERE task_id = ? AND bucket >= 0 GROUP BY bucket`, [taskId]),
      this.#db.all(`SELECT quarter AS q, calls AS n, answered AS a FROM ${p}zhichi_dash_quarter WHERE task_id = ?`, [taskId]),
    ]);
    return { totals, outcomes, intents, talk, quarters };
  }

  /** The same rows grouped from the events themselves (a store without rollups). */
  async #fromEvents(taskId: string): Promise<StatRows> {
    const t = this.#t;
    const A = CALL_RESULT.ANSWERED;
    const [totals, contacts, outcomes, intents, talk, quarters] = await Promise.all([
      this.#db.all(
        `SELECT COUNT(*) AS results, SUM(CASE WHEN call_result = ${A} THEN 1 ELSE 0 END) AS answered,
           SUM(CASE WHEN coalesce(attempt, 1) > 1 THEN 1 ELSE 0 END) AS redials, MAX(received_at) AS last
         FROM ${t} WHERE task_id = ?`,
        [taskId],
      ),
      this.#db.all(
        `SELECT COUNT(*) AS contacts, SUM(a) AS contacts_answered FROM (
           SELECT out_id, MAX(CASE WHEN call_result = ${A} THEN 1 ELSE 0 END) AS a
           FROM ${t} WHERE task_id = ? AND out_id IS NOT NULL GROUP BY out_id) c`,
        [taskId],
      ),
      this.#db.all(`SELECT call_result, COUNT(*) AS n FROM ${t} WHERE task_id = ? GROUP BY call_result`, [taskId]),
      this.#db.all(`SELECT intent, COUNT(*) AS n FROM ${t} WHERE task_id = ? AND call_result = ${A} GROUP BY intent`, [taskId]),
      this.#db.all(
        `SELECT b, COUNT(*) AS n FROM (SELECT ${bucketSql()} AS b FROM ${t} WHERE task_id = ? AND call_result = ${A} AND talk_duration IS NOT NULL) x GROUP BY b`,
        [taskId],
      ),
      this.#db.all(
        `SELECT CAST(start_time / ${QUARTER_MS} AS BIGINT) AS q, COUNT(*) AS n, SUM(CASE WHEN call_result = ${A} THEN 1 ELSE 0 END) AS a
         FROM ${t} WHERE task_id = ? AND start_time IS NOT NULL GROUP BY 1`,
        [taskId],
      ),
    ]);
    const tot = totals[0] ?? {};
    return { totals: [{ ...tot, ...(contacts[0] ?? {}) }], outcomes, intents, talk, quarters };
  }

  /** One page of a task's results, newest first (keyset on id: page N costs what page 1 costs). */
  async results(filter: ResultFilter, page: ResultPageOptions = {}): Promise<ResultPage> {
    const limit = Math.min(Math.max(1, Math.trunc(page.limit ?? 50)), MAX_PAGE);
    const { sql, params } = whereOf(filter);
    const cursor = page.before !== undefined ? ' AND id < ?' : '';
    const rows = await this.#db.all(
      `SELECT id, task_id, out_id, telephone, call_result, intent, talk_duration, attempt, start_time, received_at
       FROM ${this.#t} WHERE ${sql}${cursor} ORDER BY id DESC LIMIT ?`,
      [...params, ...(page.before !== undefined ? [page.before] : []), limit + 1],
    );
    const more = rows.length > limit;
    const out = rows.slice(0, limit).map((r) => toRow(r, page.revealPhones === true));
    return { rows: out, next: more ? out[out.length - 1]!.id : null };
  }

  /** Number of results matching the filter (the table's total). */
  async countResults(filter: ResultFilter): Promise<number> {
    const { sql, params } = whereOf(filter);
    const [r] = await this.#db.all(`SELECT COUNT(*) AS n FROM ${this.#t} WHERE ${sql}`, params);
    return n(r?.['n']);
  }

  /** Every result matching the filter, newest first, one keyset page at a time (for the CSV export). */
  async *iterateResults(filter: ResultFilter, opts: { revealPhones?: boolean; pageSize?: number } = {}): AsyncGenerator<ResultRow> {
    let before: number | undefined;
    for (;;) {
      const p: ResultPageOptions = { limit: opts.pageSize ?? MAX_PAGE, revealPhones: opts.revealPhones ?? false };
      if (before !== undefined) p.before = before;
      const page = await this.results(filter, p);
      yield* page.rows;
      if (page.next === null) return;
      before = page.next;
    }
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.#db.close();
  }
}

function whereOf(f: ResultFilter): { sql: string; params: unknown[] } {
  if (typeof f.taskId !== 'string' || f.taskId === '') throw new TypeError('taskId: required, a non-empty string');
  const parts = ['task_id = ?'];
  const params: unknown[] = [f.taskId];
  if (f.callResults?.length) {
    for (const c of f.callResults) if (!Number.isInteger(c)) throw new TypeError(`callResults: each must be an integer code, got ${String(c)}`);
    parts.push(`call_result IN (${f.callResults.map(() => '?').join(', ')})`);
    params.push(...f.callResults);
  }
  if (f.intents?.length) {
    parts.push(`intent IN (${f.intents.map(() => '?').join(', ')})`);
    params.push(...f.intents);
  }
  if (f.outId !== undefined && f.outId !== '') {
    parts.push('out_id = ?');
    params.push(f.outId);
  }
  if (f.minAttempt !== undefined) {
    parts.push('attempt >= ?');
    params.push(f.minAttempt);
  }
  if (f.since !== undefined) {
    parts.push('received_at >= ?');
    params.push(f.since);
  }
  if (f.until !== undefined) {
    parts.push('received_at < ?');
    params.push(f.until);
  }
  return { sql: parts.join(' AND '), params };
}

function toRow(r: Record<string, unknown>, reveal: boolean): ResultRow {
  const phone = sn(r['telephone']);
  const code = nn(r['call_result']);
  return {
    id: n(r['id']), taskId: sn(r['task_id']), outId: sn(r['out_id']), phone: reveal ? phone : maskPhone(phone),
    callResult: code, outcome: outcomeName(code), intent: sn(r['intent']), talkDuration: nn(r['talk_duration']),
    attempt: nn(r['attempt']), startTime: nn(r['start_time']), receivedAt: n(r['received_at']),
  };
}

/** Version of the migration that adds the dashboard's indexes. */
const DASHBOARD_SCHEMA_VERSION = 3;

/**
 * Opens an event store for reading only: a SQLite file with `readonly` and `query_only` (the file must
 * exist), or a PostgreSQL pool whose sessions have `default_transaction_read_only` on. Nothing is
 * created or migrated; the tables must be there (the receiver creates them).
 */
export async function openReadModel(location: string, options: ReadModelOptions = {}): Promise<ReadModel> {
  if (typeof location !== 'string' || location.trim() === '') {
    throw new TypeError('store location must be a SQLite file path or a postgres:// URL');
  }
  return isPostgresLocation(location) ? openPostgres(location, options) : openSqlite(location, options);
}

async function openSqlite(file: string, options: ReadModelOptions): Promise<ReadModel> {
  let Ctor: typeof import('better-sqlite3');
  try {
    Ctor = (await import('better-sqlite3')).default;
  } catch (err) {
    throw new Error(`the SQLite store needs better-sqlite3 12: npm install better-sqlite3@12 (${(err as Error).message})`);
  }
  let db: import('better-sqlite3').Database;
  try {
    db = new Ctor(file, { readonly: true, fileMustExist: true });
    db.pragma('query_only = ON');
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new Error(`cannot open SQLite file ${file} for reading: ${(err as Error).message}`);
  }
  const version = (): number => {
    try {
      const have = db.prepare('SELECT version FROM zhichi_schema_version WHERE version = ?').get(DASHBOARD_SCHEMA_VERSION);
      db.prepare('SELECT 1 FROM zhichi_events LIMIT 1').get();
      return have ? DASHBOARD_SCHEMA_VERSION : 0;
    } catch (err) {
      db.close();
      throw new Error(`${file} is not an event store (no zhichi_events table): ${(err as Error).message}`);
    }
  };
  const rollups = version() === DASHBOARD_SCHEMA_VERSION && options.useRollups !== false;
  // Statements are cached: the dashboard repeats the same few queries.
  const cache = new Map<string, import('better-sqlite3').Statement>();
  const adapter: Db = {
    kind: 'sqlite',
    async all(sql, params) {
      let st = cache.get(sql);
      if (!st) {
        st = db.prepare(sql);
        if (cache.size > 200) cache.clear();
        cache.set(sql, st);
      }
      return st.all(...params) as Record<string, unknown>[];
    },
    async close() {
      if (db.open) db.close();
    },
  };
  return new ReadModel(adapter, '', file, rollups);
}

async function openPostgres(url: string, options: ReadModelOptions): Promise<ReadModel> {
  const pg = await loadPg();
  const { connectionString, schema } = pgLocation(url, options.schema);
  const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 2, options: '-c default_transaction_read_only=on' });
  pool.on('error', () => {});
  const s = `"${schema}"`;
  const toPg = (sql: string) => {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  };
  const adapter: Db = {
    kind: 'postgres',
    async all(sql, params) {
      const { rows } = await pool.query({ text: toPg(sql), values: params as unknown[] });
      return rows as Record<string, unknown>[];
    },
    close: () => pool.end(),
  };
  let rollups: boolean;
  try {
    await adapter.all(`SELECT 1 FROM ${s}.zhichi_events LIMIT 1`, []);
    const r = await adapter.all(`SELECT 1 FROM ${s}.zhichi_schema_version WHERE version = ?`, [DASHBOARD_SCHEMA_VERSION]);
    rollups = r.length > 0 && options.useRollups !== false;
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`cannot read the event store ${redactLocation(url)}: ${(err as Error).message}`);
  }
  return new ReadModel(adapter, `${s}.`, redactLocation(url), rollups);
}
