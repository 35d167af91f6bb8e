import { neutralizeFormula } from '../../internal/csv.js';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../../internal/clock.js';
import { silentLogger } from '../../internal/logger.js';
import { Dispatcher, replayStored } from '../../push/dispatcher.js';
import { decodeRaw } from '../../push/events.js';
import { eventJson } from '../../push/event-json.js';
import { forwardTo } from '../../push/forward.js';
import { reconcile } from '../../push/reconcile.js';
import {
  isPostgresLocation, openEventStore, type ConflictQuery, type ConflictRecord, type DeliveryStatus, type EventQuery, type EventStore, type StoredEvent,
} from '../../push/store.js';
import { globals, groupCommand, intFlag, timeFlag, withClient } from '../context.js';
import { CliError, EXIT, rawStdout, type CliIO } from '../io.js';
import { limitOf, listFlags, listFooter, type ListFlags } from '../lists.js';
import { formatTime, keyValues, printJson, table } from '../output.js';
import { storeLocation } from './webhooks.js';

interface CommonFlags {
  db?: string;
  json?: boolean;
  task?: string;
  since?: number;
}

/**
 * `--since`: how long ago (`30m`, `2h`, `7d`, also with a leading `-`), or an absolute time as the other
 * time flags take it (epoch ms, `2026-01-05T09:00` in Asia/Shanghai, ISO with zone). It is always in the
 * past: `+30m` or a time after now is refused (it would match nothing and look like "no results").
 */
export function sinceFlag(now: () => number = Date.now) {
  const absolute = timeFlag('--since', now);
  const rule = 'a time in the past: 30m, 2h or 7d ago (also -30m), or a time such as 2026-01-05T09:00 or epoch ms';
  return (v: string): number => {
    const s = v.trim();
    const ago = /^-?(\d+)([smhd])$/.exec(s);
    if (ago) return now() - Number(ago[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 's' | 'm' | 'h' | 'd'];
    if (/^\+\d+[smhd]$/.test(s)) throw new CliError(`--since must be ${rule}; "${v}" is in the future (did you mean ${s.slice(1)}?)`, EXIT.USAGE);
    let t: number;
    try {
      t = absolute(s);
    } catch (err) {
      if (err instanceof CliError && /looks like epoch seconds/.test(err.message)) throw new CliError(`--since "${v}" looks like epoch seconds: give milliseconds, or ${rule}`, EXIT.USAGE);
      throw new CliError(`--since must be ${rule} (got "${v}")`, EXIT.USAGE);
    }
    if (t > now()) throw new CliError(`--since must be ${rule}; "${v}" is in the future`, EXIT.USAGE);
    return t;
  };
}

async function withStore<T>(flags: CommonFlags, io: CliIO, fn: (store: EventStore) => Promise<T>, opts: { mustExist?: boolean } = {}): Promise<T> {
  const location = storeLocation(flags.db, io);
  // Reading a store that is not there is a typo, not an empty result: do not create a new file for it.
  if (opts.mustExist && !isPostgresLocation(location) && location !== ':memory:' && !existsSync(location)) {
    throw new CliError(`no event store at ${location} (set --db or ZHICHI_DB; webhooks serve creates it)`, EXIT.USAGE);
  }
  let store: EventStore;
  try {
    store = await openEventStore(location);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.USAGE);
  }
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function baseQuery(f: CommonFlags): EventQuery {
  const q: EventQuery = {};
  if (f.task !== undefined) q.taskId = f.task;
  if (f.since !== undefined) q.since = f.since;
  return q;
}

/** Every event matching `q`, page by page (the store is never read whole into memory), in `q.order`. */
async function* allEvents(store: EventStore, q: EventQuery, limit = Infinity): AsyncGenerator<StoredEvent> {
  let afterId = q.afterId ?? (q.order === 'newest' ? Number.MAX_SAFE_INTEGER : 0);
  let n = 0;
  while (n < limit) {
    const page = await store.query({ ...q, afterId, limit: Math.min(1000, limit - n) });
    if (page.length === 0) return;
    for (const e of page) {
      yield e;
      n++;
    }
    afterId = page[page.length - 1]!.id;
  }
}

/** The JSON form of a stored event (shared with the relay, which publishes the same body). */
export { eventJson };

const CSV_COLUMNS = [
  'id', 'key', 'source', 'known', 'receivedAt', 'taskId', 'outId', 'callId', 'attempt', 'telephone', 'callResult', 'callResultName',
  'startTime', 'answerTime', 'endTime', 'ringDuration', 'talkDuration', 'intent', 'hangupBy', 'eventType', 'deliveryStatus',
  'deliveryAttempts', 'deliveryError', 'remoteAddress', 'raw',
] as const;
const TIME_COLUMNS = new Set(['receivedAt', 'startTime', 'answerTime', 'endTime']);

/** A body shortened for a table cell. */
function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

function csvCell(v: unknown, neutralize: boolean): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
  // OWASP CSV injection: a text cell starting with = + - @ TAB CR is prefixed with ' (numbers are not).
  if (neutralize && typeof v === 'string') s = neutralizeFormula(s);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One CSV line of an event; times as ISO 8601 UTC, the raw body as text in the last column. Text cells
 * a spreadsheet would run as formulas get a leading `'` unless `neutralize` is false.
 */
export function csvLine(e: StoredEvent, neutralize = true): string {
  const values = CSV_COLUMNS.map((c) => {
    if (c === 'raw') return decodeRaw(e.raw, e.contentType);
    const v = e[c];
    return TIME_COLUMNS.has(c) && typeof v === 'number' ? new Date(v).toISOString() : v;
  });
  return values.map((v) => csvCell(v, neutralize)).join(',') + '\r\n';
}

/** A text sink: a file (with backpressure) or stdout. */
function sink(io: CliIO, out: string | undefined): { write(s: string): Promise<void>; close(): Promise<void>; name: string } {
  // Written as stored (docs/security.md): the export is data, not a message, so it bypasses the redaction.
  if (out === undefined || out === '-') return { write: async (s) => rawStdout(io)(s), close: async () => {}, name: 'stdout' };
  const path = isAbsolute(out) ? out : join(io.cwd, out);
  const ws: WriteStream = createWriteStream(path);
  let failed: Error | null = null;
  ws.on('error', (e) => (failed = e));
  return {
    name: out,
    write: (s) =>
      new Promise((resolve, reject) => {
        if (failed) return reject(new CliError(`--out ${out}: ${failed.message}`, EXIT.USAGE));
        if (ws.write(s)) resolve();
        else ws.once('drain', resolve);
      }),
    close: () =>
      new Promise((resolve, reject) => {
        ws.end(() => (failed ? reject(new CliError(`--out ${out}: ${(failed as Error).message}`, EXIT.USAGE)) : resolve()));
      }),
  };
}

function parseStatuses(v: string): DeliveryStatus[] {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) {
    if (s !== 'pending' && s !== 'failed' && s !== 'delivered') throw new CliError(`--status must list pending, failed or delivered (got "${s}")`, EXIT.USAGE);
  }
  if (list.length === 0) throw new CliError('--status must list at least one of pending, failed, delivered', EXIT.USAGE);
  return list as DeliveryStatus[];
}

/** `zhichi results`: the stored push results. */
export function register(program: Command, io: CliIO): void {
  const group = groupCommand(program.command('results').description('stored dialing results (from pushes and reconciliation)'));
  const now = () => Date.now();

  listFlags(
    group
      .command('list')
      .description('list stored results, newest first (--order oldest for the other way)')
      .option('--task <taskId>', 'only this task')
      .option('--since <time>', 'received since: 30m, 2h, 7d ago, or a time (2026-01-05T09:00, epoch ms); never in the future', sinceFlag(now))
      .option('--unknown', 'only events whose shape was not the contract\'s')
      .option('--db <path|url>', 'event store (env ZHICHI_DB, default ./zhichi-events.db)'),
    'results',
    'after-id',
  ).action(async (_o: unknown, cmd: Command) => {
    const f = globals(cmd) as CommonFlags & ListFlags & { unknown?: boolean };
    const limit = limitOf(f);
    await withStore(f, io, async (store) => {
      const q = baseQuery(f);
      if (f.unknown) q.known = false;
      const order = f.order ?? 'newest';
      const total = await store.count(q);
      const events: StoredEvent[] = [];
      // One more than shown tells whether the list was cut.
      for await (const e of allEvents(store, { ...q, order, ...(f.afterId !== undefined ? { afterId: f.afterId } : {}) }, limit === Infinity ? Infinity : limit + 1)) events.push(e);
      const cut = events.length > limit;
      if (cut) events.length = limit;
      const conflicts = await store.countConflicts({ ...(q.taskId !== undefined ? { taskId: q.taskId } : {}), ...(q.since !== undefined ? { since: q.since } : {}) });
      if (f.json) printJson(io, events.map(eventJson));
      else {
        io.stdout(
          events.length === 0
            ? 'no results\n'
            : table(
                ['id', 'received', 'task', 'outId', 'try', 'result', 'talk s', 'intent', 'known', 'source', 'delivery'],
                events.map((e) => [
                  e.id, formatTime(e.receivedAt), e.taskId, e.outId, e.attempt, e.callResultName ?? e.callResult, e.talkDuration, e.intent,
                  e.known, e.source, e.deliveryStatus,
                ]),
              ),
        );
      }
      listFooter(io, f.json, { shown: events.length, total, what: 'results', order, more: cut ? `--after-id ${events[events.length - 1]!.id} for the next ${limit}` : null });
      if (conflicts > 0) {
        const line = `${conflicts} conflicting push${conflicts === 1 ? '' : 'es'} (same key as a stored result, different body) kept apart: zhichi results conflicts\n`;
        if (f.json) io.stderr(`note: ${line}`);
        else io.stdout(line);
      }
    }, { mustExist: true });
  });

  listFlags(
    group
      .command('conflicts')
      .description('pushes that reused a stored result\'s key with a different body (kept apart, never dropped), newest first')
      .option('--task <taskId>', 'only this task')
      .option('--since <time>', 'received since: 30m, 2h, 7d ago, or a time', sinceFlag(now))
      .option('--db <path|url>', 'event store (env ZHICHI_DB, default ./zhichi-events.db)'),
    'conflicts',
    'after-id',
  ).action(async (_o: unknown, cmd: Command) => {
    const f = globals(cmd) as CommonFlags & ListFlags;
    const limit = limitOf(f);
    await withStore(f, io, async (store) => {
      const q: ConflictQuery = { order: f.order ?? 'newest' };
      if (f.task !== undefined) q.taskId = f.task;
      if (f.since !== undefined) q.since = f.since;
      const total = await store.countConflicts(q);
      const rows: ConflictRecord[] = [];
      let afterId = f.afterId ?? (q.order === 'newest' ? Number.MAX_SAFE_INTEGER : 0);
      const want = limit === Infinity ? Infinity : limit + 1;
      while (rows.length < want) {
        const page = await store.conflicts({ ...q, afterId, limit: Math.min(1000, want - rows.length) });
        if (page.length === 0) break;
        rows.push(...page);
        afterId = page[page.length - 1]!.id;
      }
      const cut = rows.length > limit;
      if (cut) rows.length = limit;
      if (f.json) {
        printJson(io, rows.map((c) => ({ ...c, raw: decodeRaw(c.raw, c.contentType) })));
      } else {
        io.stdout(
          rows.length === 0
            ? 'no conflicts\n'
            : table(
                ['id', 'received', 'task', 'outId', 'callId', 'try', 'stored event', 'new body'],
                rows.map((c) => [c.id, formatTime(c.receivedAt), c.taskId, c.outId, c.callId, c.attempt, c.eventId, clip(decodeRaw(c.raw, c.contentType), 60)]),
              ),
        );
      }
      listFooter(io, f.json, { shown: rows.length, total, what: 'conflicts', order: q.order!, more: cut ? `--after-id ${rows[rows.length - 1]!.id} for the next ${limit}` : null });
    }, { mustExist: true });
  });

  group
    .command('export')
    .description('write stored results as CSV or JSON (streamed, any size)')
    .requiredOption('--format <csv|json>', 'csv (times ISO 8601 UTC, raw body last) or json (an array, times epoch ms)')
    .option('--task <taskId>', 'only this task')
    .option('--since <time>', 'received since: 30m, 2h, 7d ago, or a time', sinceFlag(now))
    .option('--out <file>', 'write here instead of stdout')
    .option('--no-neutralize-formulas', "csv: write cells starting with = + - @ TAB CR as they are (default: prefixed with ' so spreadsheets do not run them)")
    .option('--db <path|url>', 'event store (env ZHICHI_DB, default ./zhichi-events.db)')
    .action(async (_o: unknown, cmd: Command) => {
      const f = globals(cmd) as CommonFlags & { format: string; out?: string; neutralizeFormulas?: boolean };
      if (f.format !== 'csv' && f.format !== 'json') throw new CliError(`--format must be csv or json (got "${f.format}")`, EXIT.USAGE);
      await withStore(f, io, async (store) => {
        const out = sink(io, f.out);
        let n = 0;
        try {
          if (f.format === 'csv') {
            await out.write(CSV_COLUMNS.join(',') + '\r\n');
            for await (const e of allEvents(store, baseQuery(f))) {
              await out.write(csvLine(e, f.neutralizeFormulas !== false));
              n++;
            }
          } else {
            await out.write('[');
            for await (const e of allEvents(store, baseQuery(f))) {
              await out.write((n === 0 ? '\n' : ',\n') + JSON.stringify(eventJson(e)));
              n++;
            }
            await out.write(n === 0 ? ']\n' : '\n]\n');
          }
        } finally {
          await out.close();
        }
        if (out.name !== 'stdout') io.stderr(`exported ${n} events to ${out.name}\n`);
      }, { mustExist: true });
    });

  group
    .command('replay')
    .description('re-send stored events whose delivery is pending or failed to a URL (see webhooks serve --forward)')
    .requiredOption('--to <url>', 'POST each event\'s raw body here; a 2xx marks it delivered')
    .option('--task <taskId>', 'only this task')
    .option('--status <list>', 'delivery states to re-send, comma-separated (default pending,failed)', parseStatuses)
    .option('--limit <n>', 'at most this many', intFlag('--limit', 1, Number.MAX_SAFE_INTEGER))
    .option('--db <path|url>', 'event store (env ZHICHI_DB, default ./zhichi-events.db)')
    .action(async (_o: unknown, cmd: Command) => {
      const f = globals(cmd) as CommonFlags & { to: string; status?: DeliveryStatus[]; limit?: number };
      let handler;
      try {
        handler = forwardTo(f.to);
      } catch (err) {
        throw new CliError(`--to: ${(err as Error).message}`, EXIT.USAGE);
      }
      const counts = await withStore(f, io, async (store) => {
        const d = new Dispatcher(store, systemClock, silentLogger);
        d.handlers.add(handler);
        return replayStored(store, d, {
          ...(f.task !== undefined ? { taskId: f.task } : {}),
          ...(f.status !== undefined ? { statuses: f.status } : {}),
          ...(f.limit !== undefined ? { limit: f.limit } : {}),
        });
      }, { mustExist: true });
      if (f.json) printJson(io, counts);
      else io.stdout(keyValues([['delivered', counts.delivered], ['failed', counts.failed]]));
      if (counts.failed > 0) throw new CliError(`${counts.failed} events could not be delivered; they stay failed for the next replay`, EXIT.PARTIAL);
    });

  group
    .command('reconcile')
    .description('compare stored results with the API (dialing-results, contact detail) and store what the pushes missed')
    .requiredOption('--task <taskId>', 'the task to reconcile')
    .option('--start <time>', 'only API records that ended at or after this time', timeFlag('--start', now))
    .option('--end <time>', 'only API records that ended before this time', timeFlag('--end', now))
    .option('--contacts <mode>', 'look up contact detail: suspect (attempt gaps), all, none (default suspect)')
    .option('--page-size <n>', 'dialing-results page size (default 200)', intFlag('--page-size', 1, 1000))
    .option('--db <path|url>', 'event store (env ZHICHI_DB, default ./zhichi-events.db)')
    .action(async (_o: unknown, cmd: Command) => {
      const f = globals(cmd) as CommonFlags & { start?: number; end?: number; contacts?: string; pageSize?: number };
      const mode = f.contacts ?? 'suspect';
      if (mode !== 'suspect' && mode !== 'all' && mode !== 'none') throw new CliError(`--contacts must be suspect, all or none (got "${mode}")`, EXIT.USAGE);
      const report = await withStore(f, io, (store) =>
        withClient(cmd, io, (client) =>
          reconcile(store, {
            client, taskId: f.task!, contacts: mode,
            ...(f.start !== undefined ? { startTime: f.start } : {}),
            ...(f.end !== undefined ? { endTime: f.end } : {}),
            ...(f.pageSize !== undefined ? { pageSize: f.pageSize } : {}),
          }),
        ),
      );
      if (f.json) {
        printJson(io, report);
        return;
      }
      io.stdout(
        keyValues([
          ['task', report.taskId],
          ['API records', report.apiRecords],
          ['already stored', report.alreadyStored],
          ['backfilled', report.backfilled],
          ['contacts checked', report.contactsChecked],
          ['stored, not in API', report.storedNotInApi],
          ['attempt mismatches', report.mismatches.length === 0 ? 'none' : report.mismatches.map((m) => `${m.outId} (known ${m.known}, API ${m.api})`).join('; ')],
        ]),
      );
    });
}
