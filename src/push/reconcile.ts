import type { CallRecord, ContactDetail, DialingResultsParams, Page } from '../contract/index.js';
import { eventKey, parseItem, type ParsedEvent } from './extract.js';
import type { EventIdentity, EventStore, InsertResult, NewEvent } from './store.js';

/** Paging and filter parameters of `client.results.list` / `iterate` (the contract's `dialingResultsParams`). */
export type ResultsQuery = DialingResultsParams;

/**
 * The part of `ZhichiClient` that reconciliation needs. Structural, so a test double or another client
 * fits: `results.iterate` is used when present, else `results.list` is paged until `total` is reached.
 */
export interface ReconcileSource {
  results: {
    list(taskId: string, params: ResultsQuery): Promise<Page<CallRecord>>;
    iterate?(taskId: string, params?: ResultsQuery): AsyncIterable<CallRecord>;
  };
  contacts?: {
    get(taskId: string, outId: string): Promise<ContactDetail>;
  };
}

/** Options of a reconciliation run. */
export interface ReconcileOptions {
  /** The API: a `ZhichiClient` or anything shaped like {@link ReconcileSource}. */
  client: ReconcileSource;
  taskId: string;
  /** Only API records with `endTime >= startTime` (epoch ms). */
  startTime?: number;
  /** Only API records with `endTime < endTime` (epoch ms). */
  endTime?: number;
  /** Page size for `dialing-results`. @default 200 */
  pageSize?: number;
  /**
   * Which contacts to look up with `reference-task-contacts/{outId}`: `suspect` = those whose known
   * attempts have a gap (1 and 3 but no 2), `all` = every outId seen, `none` = skip. @default 'suspect'
   */
  contacts?: 'suspect' | 'all' | 'none';
  /** Extra outIds to look up whatever the `contacts` mode. */
  outIds?: readonly string[];
}

/** A contact whose API detail reports more attempts than any record we could find. */
export interface AttemptMismatch {
  outId: string;
  /** Highest attempt known locally (stored or in dialing-results). */
  known: number;
  /** Attempts according to the contact detail. */
  api: number;
}

/** Outcome of a reconciliation run. */
export interface ReconcileReport {
  taskId: string;
  /** Records listed by dialing-results. */
  apiRecords: number;
  /** API records (incl. contact-detail calls) that were already stored. */
  alreadyStored: number;
  /** Records stored by this run, source `reconcile`. */
  backfilled: number;
  /** Keys of the backfilled events (first 1000). */
  backfilledKeys: string[];
  /** Contacts looked up. */
  contactsChecked: number;
  /** Contacts whose detail promises attempts no record covers. */
  mismatches: AttemptMismatch[];
  /** Stored events of the task that no API record matched (pushes the API did not list, or a time filter). */
  storedNotInApi: number;
}

/** Inserts reconciled events; the receiver passes one that also hands them to consumers. */
export type ReconcileSink = (events: NewEvent[]) => Promise<InsertResult[]>;

/** Matches API records against what is stored by key, by call id, and by (outId, attempt). */
class Matcher {
  readonly keys = new Set<string>();
  readonly calls = new Set<string>();
  readonly attempts = new Set<string>();
  readonly maxAttempt = new Map<string, number>();
  readonly seenAttempts = new Map<string, Set<number>>();

  add(id: EventIdentity): void {
    this.keys.add(id.key);
    if (id.callId !== null) this.calls.add(id.callId);
    if (id.outId !== null && id.attempt !== null) {
      this.attempts.add(`${id.outId}\u0000${id.attempt}`);
      this.maxAttempt.set(id.outId, Math.max(this.maxAttempt.get(id.outId) ?? 0, id.attempt));
      let s = this.seenAttempts.get(id.outId);
      if (!s) this.seenAttempts.set(id.outId, (s = new Set()));
      s.add(id.attempt);
    }
  }

  has(p: ParsedEvent): boolean {
    const f = p.fields;
    return (
      this.keys.has(p.key) ||
      (f.callId !== undefined && this.calls.has(f.callId)) ||
      (f.outId !== undefined && f.attempt !== undefined && this.attempts.has(`${f.outId}\u0000${f.attempt}`))
    );
  }
}

const identityOf = (p: ParsedEvent): EventIdentity => ({
  key: p.key,
  outId: p.fields.outId ?? null,
  callId: p.fields.callId ?? null,
  attempt: p.fields.attempt ?? null,
});

async function* records(client: ReconcileSource, taskId: string, q: ResultsQuery): AsyncIterable<CallRecord> {
  if (client.results.iterate) {
    yield* client.results.iterate(taskId, q);
    return;
  }
  const pageSize = q.pageSize ?? 200;
  let seen = 0;
  for (let pageNo = 1; ; pageNo++) {
    const page = await client.results.list(taskId, { ...q, pageNo, pageSize });
    yield* page.list;
    seen += page.list.length;
    // Stop on a short or empty page too: a `total` that grows while we page must not loop forever.
    if (page.list.length < pageSize || seen >= page.total) return;
  }
}

/**
 * Compares the stored results of a task with the API's dialing results (all pages) and, for suspect
 * contacts, their contact detail; stores every record the pushes missed with source `reconcile`.
 * Matching uses the dedup key, the call id and (outId, attempt), so a record stored under a slightly
 * different shape is not stored twice.
 */
export async function reconcile(store: EventStore, options: ReconcileOptions, sink?: ReconcileSink, now: () => number = Date.now): Promise<ReconcileReport> {
  const { taskId } = options;
  if (typeof taskId !== 'string' || taskId.trim() === '') throw new TypeError('taskId must be a non-empty string');
  const pageSize = options.pageSize ?? 200;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new TypeError('pageSize must be an integer 1–1000');
  // One reconciliation of a task at a time across a fleet on one PostgreSQL schema (advisory lock): the
  // next one starts after the first committed, reads its backfill as stored, and adds nothing.
  const run = () => reconcileLocked(store, options, pageSize, sink, now);
  return store.exclusive ? store.exclusive(`reconcile:${taskId}`, run) : run();
}

async function reconcileLocked(store: EventStore, options: ReconcileOptions, pageSize: number, sink: ReconcileSink | undefined, now: () => number): Promise<ReconcileReport> {
  const { client, taskId } = options;
  const mode = options.contacts ?? 'suspect';
  const insert: ReconcileSink = sink ?? ((events) => store.insert(events));

  const stored = await store.identities(taskId);
  const local = new Matcher();
  for (const s of stored) local.add(s);
  const api = new Matcher();
  const report: ReconcileReport = {
    taskId, apiRecords: 0, alreadyStored: 0, backfilled: 0, backfilledKeys: [], contactsChecked: 0, mismatches: [], storedNotInApi: 0,
  };
  let pending: ParsedEvent[] = [];

  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const results = await insert(
      batch.map((p) => ({
        key: p.key, source: 'reconcile', known: p.known, receivedAt: now(), remoteAddress: null,
        contentType: 'application/json', fields: p.fields, raw: p.raw,
      })),
    );
    results.forEach((r, i) => {
      if (!r.inserted) return;
      report.backfilled++;
      if (report.backfilledKeys.length < 1000) report.backfilledKeys.push(batch[i]!.key);
    });
  };

  const consider = async (rec: unknown) => {
    // The record as the API gave it is what we store: its JSON is the raw body of a reconciled event.
    const p = parseItem(rec, Buffer.from(JSON.stringify(rec)));
    // A record from another task (or without a task id) is attributed to this one: we asked for this task.
    if (p.fields.taskId === undefined) {
      p.fields.taskId = taskId;
      p.key = eventKey(p.fields, p.raw);
    }
    const matched = local.has(p);
    api.add(identityOf(p));
    if (matched) {
      report.alreadyStored++;
      return;
    }
    local.add(identityOf(p));
    pending.push(p);
    if (pending.length >= 500) await flush();
  };

  const q: ResultsQuery = { pageSize };
  if (options.startTime !== undefined) q.startTime = options.startTime;
  if (options.endTime !== undefined) q.endTime = options.endTime;
  for await (const rec of records(client, taskId, q)) {
    report.apiRecords++;
    await consider(rec);
  }
  await flush();
  report.storedNotInApi = stored.filter((s) => !api.keys.has(s.key) && !(s.callId !== null && api.calls.has(s.callId)) &&
    !(s.outId !== null && s.attempt !== null && api.attempts.has(`${s.outId}\u0000${s.attempt}`))).length;

  // Contact detail: the second source the API offers (api/sobot-v5.md §3.4).
  const wanted = new Set<string>(options.outIds ?? []);
  if (mode !== 'none') {
    for (const [outId, seen] of local.seenAttempts) {
      const max = local.maxAttempt.get(outId) ?? 0;
      if (mode === 'all' || seen.size < max) wanted.add(outId);
    }
  }
  if (wanted.size > 0 && !client.contacts) throw new TypeError('contact lookups need client.contacts.get');
  for (const outId of wanted) {
    const detail = await client.contacts!.get(taskId, outId);
    report.contactsChecked++;
    for (const call of detail.calls ?? []) await consider(Object.assign({ taskId, outId }, call));
    await flush();
    const known = local.maxAttempt.get(outId) ?? 0;
    if (typeof detail.attempts === 'number' && detail.attempts > known) {
      report.mismatches.push({ outId, known, api: detail.attempts });
    }
  }
  return report;
}
