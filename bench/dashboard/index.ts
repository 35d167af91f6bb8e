// bench/dashboard: response times of the dashboard's read model with 1,000,000 stored results, on SQLite
// and on PostgreSQL, against a bare `SELECT count(*)` on the same store; one run, ratios printed.
//   npx tsx bench/dashboard/index.ts [--rows 1000000] [--runs 5] [--only sqlite,postgres] [--sqlite-file f] [--writes-only]
// --sqlite-file keeps the generated SQLite file (and reuses it when it exists) between runs.
// One task holds 80 % of the rows (the task view is measured on it, the worst case), 40 others share the rest.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { INSERT_COLUMNS, insertValues, openEventStore, type EventStore, type NewEvent } from '../../src/push/store.js';
import { SQLITE_MIGRATIONS } from '../../src/push/migrations.js';
import type { PostgresEventStore } from '../../src/push/postgres-store.js';
import { openReadModel, type ReadModel } from '../../src/push/read-model.js';
import { mulberry32 as rng } from '../../src/emulator/random.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const ROWS = Number(arg('rows', '1000000'));
const RUNS = Number(arg('runs', '5'));
const ONLY = arg('only', 'sqlite,postgres').split(',');
const PG_URL = process.env['ZHICHI_BENCH_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const BIG = 'task-big';
const START = Date.UTC(2026, 10, 20, 1, 0, 0);


const RAW = new TextEncoder().encode('{"bench":true}');
const CODES = [0, 0, 0, 1, 1, 2, 3, 4, 5, 7];

/** Results of a 30-day campaign: answered ~30 %, intents A–F on answered calls, 20 % redials. */
function* events(rows: number, batchSize = 10_000): Generator<NewEvent[]> {
  const r = rng(1);
  const batch: NewEvent[] = [];
  for (let i = 0; i < rows; i++) {
    const taskId = r() < 0.8 ? BIG : `task-${Math.floor(r() * 40)}`;
    const callResult = CODES[Math.floor(r() * CODES.length)]!;
    const answered = callResult === 0;
    const start = START + Math.floor(r() * 30 * 86_400_000);
    const fields: NewEvent['fields'] = {
      taskId, outId: `c${Math.floor(r() * rows * 0.7)}`, attempt: r() < 0.2 ? 2 : 1, callResult, startTime: start,
      telephone: `13${String(Math.floor(r() * 1e9)).padStart(9, '0')}`, talkDuration: answered ? Math.floor(r() * 400) : 0,
    };
    if (answered) fields.intent = 'ABCDEF'[Math.floor(r() * 6)]!;
    batch.push({ key: `b${i}`, source: 'push', known: true, receivedAt: start + 60_000, remoteAddress: '127.0.0.1', contentType: 'application/json', fields, raw: RAW });
    if (batch.length === batchSize) yield batch.splice(0);
  }
  if (batch.length) yield batch;
}

async function fill(store: EventStore): Promise<number> {
  const t0 = performance.now();
  for (const b of events(ROWS)) await store.insert(b);
  return performance.now() - t0;
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm: the page cache and prepared statements
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}

interface Line {
  store: string;
  countMs: number;
  overviewMs: number;
  taskMs: number;
  pageMs: number;
}

async function measure(name: string, rm: ReadModel, count: () => Promise<unknown>): Promise<Line> {
  const countMs = await median(count);
  const overviewMs = await median(() => rm.overview());
  const taskMs = await median(() => rm.taskStats(BIG));
  const pageMs = await median(async () => {
    const p1 = await rm.results({ taskId: BIG, callResults: [0] }, { limit: 50 });
    await rm.results({ taskId: BIG, callResults: [0] }, { limit: 50, before: p1.next! });
  });
  return { store: name, countMs, overviewMs, taskMs, pageMs };
}

/**
 * What the rollup trigger costs the receiver: the same 100,000 events inserted (batches of 1,000, the
 * receiver's group-commit shape) into a fresh store with the trigger and into one where it was dropped.
 */
async function writeCost(kind: 'sqlite' | 'postgres'): Promise<{ withMs: number; withoutMs: number; indexesMs: number }> {
  const rows = Math.min(ROWS, 100_000);
  // The alternative design measured too: no trigger, three covering indexes for grouped scans.
  const INDEXES = [
    'CREATE INDEX b1 ON {t} (task_id, call_result, intent, talk_duration, attempt, received_at)',
    'CREATE INDEX b2 ON {t} (task_id, out_id, call_result)',
    'CREATE INDEX b3 ON {t} (task_id, (start_time / 900000), call_result)',
  ];
  // PostgreSQL: the real store, with its trigger dropped for the baselines.
  const onePg = async (dropTrigger: boolean, indexes = false) => {
    const schema = `zhichi_bench_w_${randomBytes(4).toString('hex')}`;
    const store = (await openEventStore(`${PG_URL}?schema=${schema}`)) as PostgresEventStore;
    try {
      if (dropTrigger) {
        const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
        await pool.query(`DROP TRIGGER zhichi_dash_rollup ON "${schema}".zhichi_events`);
        if (indexes) for (const i of INDEXES) await pool.query(i.replace('{t}', `"${schema}".zhichi_events`));
        await pool.end();
      }
      const t0 = performance.now();
      for (const b of events(rows, 1000)) await store.insert(b);
      return performance.now() - t0;
    } finally {
      await store.dropSchema();
      await store.close();
    }
  };
  // SQLite: the rollups run inside the store's insert transaction, so the baselines are the store's own
  // INSERT on a schema-1 table (same pragmas, one transaction per batch), with or without the indexes.
  const oneSqlite = async (baseline: boolean, indexes = false) => {
    const dir = mkdtempSync(join(tmpdir(), 'zhichi-bench-dash-w-'));
    const file = join(dir, 'w.db');
    try {
      if (!baseline) {
        const store = await openEventStore(file, { sqliteDurability: 'process' });
        const t0 = performance.now();
        for (const b of events(rows, 1000)) await store.insert(b);
        const ms = performance.now() - t0;
        await store.close();
        return ms;
      }
      const db = new BetterSqlite3(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      for (const st of SQLITE_MIGRATIONS[0]!.statements) db.exec(st);
      if (indexes) for (const i of INDEXES) db.exec(i.replace('{t}', 'zhichi_events'));
      const ins = db.prepare(`INSERT INTO zhichi_events (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (event_key) DO NOTHING`);
      const tx = db.transaction((batch: NewEvent[]) => {
        for (const e of batch) ins.run(insertValues(e));
      });
      const t0 = performance.now();
      for (const b of events(rows, 1000)) {
        tx(b);
        await new Promise((r) => setImmediate(r));
      }
      const ms = performance.now() - t0;
      db.close();
      return ms;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const one = kind === 'sqlite' ? oneSqlite : onePg;
  const withoutMs = await one(true);
  const withMs = await one(false);
  const indexesMs = await one(true, true);
  return { withMs, withoutMs, indexesMs };
}

const lines: Line[] = [];
const writes: Array<{ store: string; withMs: number; withoutMs: number; indexesMs: number }> = [];
const WRITES_ONLY = args.includes('--writes-only');
if (ONLY.includes('sqlite')) {
  writes.push({ store: 'sqlite', ...(await writeCost('sqlite')) });
}
if (ONLY.includes('sqlite') && !WRITES_ONLY) {
  const keep = arg('sqlite-file', '');
  const dir = mkdtempSync(join(tmpdir(), 'zhichi-bench-dash-'));
  const file = keep || join(dir, 'events.db');
  try {
    const reuse = keep !== '' && existsSync(keep);
    const store = await openEventStore(file, { sqliteDurability: 'process' });
    if (!reuse) {
      const fillMs = await fill(store);
      console.log(`sqlite: ${ROWS} rows stored in ${(fillMs / 1000).toFixed(1)} s`);
    }
    await store.close();
    const rm = await openReadModel(file);
    const raw = new BetterSqlite3(file, { readonly: true });
    const st = raw.prepare('SELECT count(*) AS n FROM zhichi_events');
    lines.push(await measure('sqlite', rm, async () => st.get()));
    raw.close();
    await rm.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (ONLY.includes('postgres')) {
  writes.push({ store: 'postgres', ...(await writeCost('postgres')) });
}
if (ONLY.includes('postgres') && !WRITES_ONLY) {
  const schema = `zhichi_bench_${randomBytes(4).toString('hex')}`;
  const location = `${PG_URL}?schema=${schema}`;
  const store = (await openEventStore(location)) as PostgresEventStore;
  try {
    const fillMs = await fill(store);
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    // Fresh statistics and visibility map, as autovacuum would have them on a store that has been running.
    await pool.query(`VACUUM ANALYZE "${schema}".zhichi_events`);
    console.log(`postgres: ${ROWS} rows stored in ${(fillMs / 1000).toFixed(1)} s`);
    const rm = await openReadModel(location);
    lines.push(await measure('postgres', rm, () => pool.query(`SELECT count(*) FROM "${schema}".zhichi_events`)));
    await rm.close();
    await pool.end();
  } finally {
    await store.dropSchema();
    await store.close();
  }
}

console.log(`\n${ROWS.toLocaleString('en')} results, task view on a task of ~${Math.round(ROWS * 0.8).toLocaleString('en')}; median of ${RUNS} runs`);
console.log('| store | SELECT count(*) ms | overview ms (ratio) | task view ms (ratio) | 2 result pages ms |');
console.log('|---|---|---|---|---|');
for (const l of lines) {
  console.log(`| ${l.store} | ${l.countMs.toFixed(1)} | ${l.overviewMs.toFixed(1)} (${(l.overviewMs / l.countMs).toFixed(1)}×) | ${l.taskMs.toFixed(1)} (${(l.taskMs / l.countMs).toFixed(1)}×) | ${l.pageMs.toFixed(1)} |`);
}

console.log('\nwrite cost of the rollups (100,000 events in batches of 1,000; SQLite: grouped per batch in the insert transaction, PostgreSQL: statement trigger)');
console.log('| store | schema 1 only ms | + rollups ms (ratio) | + 3 covering indexes instead ms (ratio) |');
console.log('|---|---|---|---|');
for (const w of writes) {
  console.log(`| ${w.store} | ${w.withoutMs.toFixed(0)} | ${w.withMs.toFixed(0)} (${(w.withMs / w.withoutMs).toFixed(2)}×) | ${w.indexesMs.toFixed(0)} (${(w.indexesMs / w.withoutMs).toFixed(2)}×) |`);
}
