import { createHash } from 'node:crypto';
import type { ExtractedFields } from './extract.js';
import { decodeRaw } from './events.js';

/** Where an event came from: a push to the receiver, or a backfill by reconciliation. */
export type EventSource = 'push' | 'reconcile';

/** Consumer delivery state of a stored event. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** An event about to be stored. */
export interface NewEvent {
  key: string;
  source: EventSource;
  known: boolean;
  /** Epoch ms, from the receiver's clock. */
  receivedAt: number;
  remoteAddress: string | null;
  contentType: string | null;
  fields: ExtractedFields;
  /** Exact bytes received (or, for a reconciled record, its JSON). */
  raw: Uint8Array;
  /** Which receiver instance stored it (fleet deployments); null when not set. */
  instanceId?: string | null;
}

/**
 * Result of inserting one event: `inserted` is false for a key already stored (the first copy stays).
 * Such a push is a true duplicate when its body is the stored one's (same canonical JSON), and a
 * `conflict` when it differs: then a conflict record keeps the new body (see {@link EventStore.conflicts}).
 */
export interface InsertResult {
  inserted: boolean;
  /** Row id of the new event; null for a duplicate or a conflict. */
  id: number | null;
  /** True when the key was stored already with a different body (both pushes); the new body is kept as a conflict. */
  conflict?: boolean;
}

/**
 * A push that reused a stored event's key with a different body (an id namespace reused after a server
 * restart, a sender bug): the stored event stays, the new body is kept here. One record per key and
 * distinct body; a resend of the same conflicting body is a duplicate of the record.
 */
export interface ConflictRecord {
  id: number;
  key: string;
  /** Row id of the event stored first under this key. */
  eventId: number | null;
  /** sha256 of the canonical body of the stored event and of the new one. */
  firstHash: string;
  newHash: string;
  /** The new push's exact bytes. */
  raw: Buffer;
  contentType: string | null;
  receivedAt: number;
  remoteAddress: string | null;
  taskId: string | null;
  outId: string | null;
  callId: string | null;
  attempt: number | null;
  instanceId: string | null;
}

/** Filters for reading conflicts back. */
export interface ConflictQuery {
  taskId?: string;
  /** Only conflicts received at or after this epoch ms. */
  since?: number;
  /** Cursor: ids greater than this (oldest first) or, with `order: 'newest'`, smaller than this. */
  afterId?: number;
  /** @default 'oldest' (id order) */
  order?: 'oldest' | 'newest';
  /** @default 1000 */
  limit?: number;
}

/** One stored event, as read back. Missing fields are null. */
export interface StoredEvent {
  id: number;
  key: string;
  source: EventSource;
  known: boolean;
  receivedAt: number;
  remoteAddress: string | null;
  contentType: string | null;
  taskId: string | null;
  outId: string | null;
  callId: string | null;
  attempt: number | null;
  telephone: string | null;
  callResult: number | null;
  callResultName: string | null;
  startTime: number | null;
  answerTime: number | null;
  endTime: number | null;
  ringDuration: number | null;
  talkDuration: number | null;
  intent: string | null;
  hangupBy: number | null;
  eventType: string | null;
  raw: Buffer;
  deliveryStatus: DeliveryStatus;
  deliveryAttempts: number;
  deliveryError: string | null;
  deliveredAt: number | null;
  /** Receiver instance that stored the event (null for events stored before schema version 4). */
  instanceId: string | null;
}

/** A change of delivery state after a consumer ran. */
export interface DeliveryUpdate {
  id: number;
  status: 'delivered' | 'failed';
  /** Error message of a failed delivery (already redacted), truncated by the store. */
  error: string | null;
  /** Epoch ms. */
  at: number;
}

/** Filters for reading events back. All are optional and combined with AND. */
export interface EventQuery {
  taskId?: string;
  /** Only events received at or after this epoch ms. */
  since?: number;
  /** Only events with an id greater than this (cursor paging). */
  afterId?: number;
  source?: EventSource;
  known?: boolean;
  delivery?: readonly DeliveryStatus[];
  /**
   * `oldest`: id order, `afterId` is a lower bound. `newest`: reverse id order, and `afterId` is an upper
   * bound (ids smaller than it), so a cursor pages backwards in time. @default 'oldest'
   */
  order?: 'oldest' | 'newest';
  /** @default 1000 */
  limit?: number;
}

/** The identity columns of a stored event, used by reconciliation to match API records. */
export interface EventIdentity {
  key: string;
  outId: string | null;
  callId: string | null;
  attempt: number | null;
}

/**
 * Persistence of push events. Both implementations (SQLite, PostgreSQL) create their tables on open
 * (migrations recorded in `zhichi_schema_version`) and insert each call's events in ONE transaction,
 * which is what lets the receiver group-commit many requests at once.
 */
export interface EventStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, with any password removed. */
  readonly location: string;
  /** Inserts events in one transaction; a key already stored (or repeated in the batch) is a duplicate. */
  insert(events: readonly NewEvent[]): Promise<InsertResult[]>;
  /** Records consumer outcomes in one transaction. */
  setDelivery(updates: readonly DeliveryUpdate[]): Promise<void>;
  /** Events matching the query, in id order (reverse id order with `order: 'newest'`). */
  query(q?: EventQuery): Promise<StoredEvent[]>;
  /** Number of events matching the query (ignores `afterId`/`limit`). */
  count(q?: EventQuery): Promise<number>;
  /** Conflicting pushes (same key as a stored event, different body), in id order. */
  conflicts(q?: ConflictQuery): Promise<ConflictRecord[]>;
  /** Number of conflicts matching the query (ignores `afterId`/`limit`). */
  countConflicts(q?: ConflictQuery): Promise<number>;
  /** Identity columns of every event of a task. */
  identities(taskId: string): Promise<EventIdentity[]>;
  /** Current schema version. */
  schemaVersion(): Promise<number>;
  /**
   * Runs `fn` while holding the named fleet-wide lock: on PostgreSQL a session advisory lock keyed by
   * schema and name, so receivers sharing a schema run it one at a time (released on return, or by the
   * server when the holder's connection dies); on SQLite an in-process lock (one file, one receiver).
   */
  exclusive?<T>(name: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Options for {@link openEventStore}. */
export interface OpenStoreOptions {
  /**
   * PostgreSQL schema holding the tables (created if missing); also settable as `?schema=` on the URL.
   * @default 'public'
   */
  schema?: string;
  /** PostgreSQL pool size. @default 4 */
  poolSize?: number;
  /**
   * SQLite durability of a commit. `fsync`: the WAL is flushed to disk (fdatasync) before a commit
   * counts, so an acknowledged push survives power loss, as with `synchronous=FULL`, but the flush runs
   * on libuv's thread pool instead of blocking the event loop. `process`: no flush, an acknowledged push
   * survives a crash of the process but not of the machine (`synchronous=NORMAL`). @default 'fsync'
   */
  sqliteDurability?: 'fsync' | 'process';
}

/** Default SQLite file when neither a location nor `ZHICHI_DB` is given. */
export const DEFAULT_DB_FILE = './zhichi-events.db';

/** True when the location names a PostgreSQL database rather than a SQLite file. */
export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** A location string safe to print: the password of a URL is removed. */
export function redactLocation(location: string): string {
  if (!isPostgresLocation(location)) return location;
  try {
    const u = new URL(location);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://[unparseable]';
  }
}

/**
 * Opens a store from a location string: `postgres://…` or `postgresql://…` opens PostgreSQL, anything
 * else is a SQLite file path (`:memory:` works too). The driver is imported only here, on demand, so
 * code that never opens a store never loads better-sqlite3 or pg.
 */
export async function openEventStore(location: string, options: OpenStoreOptions = {}): Promise<EventStore> {
  if (typeof location !== 'string' || location.trim() === '') {
    throw new TypeError('store location must be a SQLite file path or a postgres:// URL');
  }
  if (isPostgresLocation(location)) {
    const { PostgresEventStore } = await import('./postgres-store.js');
    return PostgresEventStore.open(location, options);
  }
  const { SqliteEventStore } = await import('./sqlite-store.js');
  return SqliteEventStore.open(location, options);
}

/** Store location from an explicit value, else `ZHICHI_DB`, else {@link DEFAULT_DB_FILE}. */
export function resolveStoreLocation(explicit: string | undefined, env: Record<string, string | undefined> = process.env): string {
  return explicit ?? env['ZHICHI_DB'] ?? DEFAULT_DB_FILE;
}

// ---- shared by both implementations -------------------------------------------------------------

/** Column names in insert order (both dialects). */
export const INSERT_COLUMNS = [
  'event_key', 'source', 'known', 'received_at', 'remote_addr', 'content_type',
  'task_id', 'out_id', 'call_id', 'attempt', 'telephone', 'call_result', 'call_result_name',
  'start_time', 'answer_time', 'end_time', 'ring_duration', 'talk_duration', 'intent', 'hangup_by', 'event_type',
  'raw', 'instance_id',
] as const;

/** The values of one event in {@link INSERT_COLUMNS} order (known as 0/1). */
export function insertValues(e: NewEvent): unknown[] {
  const f = e.fields;
  return [
    e.key, e.source, e.known ? 1 : 0, e.receivedAt, e.remoteAddress, e.contentType,
    f.taskId ?? null, f.outId ?? null, f.callId ?? null, f.attempt ?? null, f.telephone ?? null,
    f.callResult ?? null, f.callResultName ?? null,
    f.startTime ?? null, f.answerTime ?? null, f.endTime ?? null, f.ringDuration ?? null, f.talkDuration ?? null,
    f.intent ?? null, f.hangupBy ?? null, f.eventType ?? null,
    e.raw, e.instanceId ?? null,
  ];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Maps a row (either dialect; bigint columns may arrive as strings) to a {@link StoredEvent}. */
export function rowToEvent(r: Record<string, unknown>): StoredEvent {
  return {
    id: Number(r['id']),
    key: String(r['event_key']),
    source: String(r['source']) as EventSource,
    known: r['known'] === true || Number(r['known']) === 1,
    receivedAt: Number(r['received_at']),
    remoteAddress: str(r['remote_addr']),
    contentType: str(r['content_type']),
    taskId: str(r['task_id']),
    outId: str(r['out_id']),
    callId: str(r['call_id']),
    attempt: num(r['attempt']),
    telephone: str(r['telephone']),
    callResult: num(r['call_result']),
    callResultName: str(r['call_result_name']),
    startTime: num(r['start_time']),
    answerTime: num(r['answer_time']),
    endTime: num(r['end_time']),
    ringDuration: num(r['ring_duration']),
    talkDuration: num(r['talk_duration']),
    intent: str(r['intent']),
    hangupBy: num(r['hangup_by']),
    eventType: str(r['event_type']),
    raw: rawBytes(r['raw']),
    deliveryStatus: String(r['delivery_status']) as DeliveryStatus,
    deliveryAttempts: Number(r['delivery_attempts'] ?? 0),
    deliveryError: str(r['delivery_error']),
    deliveredAt: num(r['delivered_at']),
    instanceId: str(r['instance_id']),
  };
}

/**
 * sha256 of a body's canonical form, to tell a true duplicate (the same push sent again, maybe with its
 * keys in another order, other whitespace, or a new `pushTime`: the send time of that attempt) from a
 * conflict: JSON is re-serialised with sorted keys and without a top-level `pushTime`; a body that is
 * not JSON is hashed as decoded text.
 */
export function canonicalBodyHash(raw: Uint8Array, contentType: string | null): string {
  const text = decodeRaw(raw, contentType);
  let canonical = text;
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) delete (value as Record<string, unknown>)['pushTime'];
    canonical = JSON.stringify(sortKeys(value));
  } catch {
    /* not JSON: the text itself */
  }
  return createHash('sha256').update(canonical).digest('hex');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Columns of a conflict record in insert order (both dialects). */
export const CONFLICT_COLUMNS = [
  'event_key', 'event_id', 'first_hash', 'new_hash', 'raw', 'content_type', 'received_at', 'remote_addr',
  'task_id', 'out_id', 'call_id', 'attempt', 'instance_id',
] as const;

/** The values of a conflict record in {@link CONFLICT_COLUMNS} order. */
export function conflictValues(e: NewEvent, eventId: number | null, firstHash: string, newHash: string): unknown[] {
  const f = e.fields;
  return [
    e.key, eventId, firstHash, newHash, e.raw, e.contentType, e.receivedAt, e.remoteAddress,
    f.taskId ?? null, f.outId ?? null, f.callId ?? null, f.attempt ?? null, e.instanceId ?? null,
  ];
}

/** A `raw` column as a Buffer: SQLite gives a Buffer, pg a Buffer or (null) nothing. */
function rawBytes(raw: unknown): Buffer {
  return Buffer.isBuffer(raw) ? raw : Buffer.from((raw as Uint8Array | undefined) ?? new Uint8Array(0));
}

/** Maps a row of `zhichi_conflicts` (either dialect) to a {@link ConflictRecord}. */
export function rowToConflict(r: Record<string, unknown>): ConflictRecord {
  return {
    id: Number(r['id']),
    key: String(r['event_key']),
    eventId: num(r['event_id']),
    firstHash: String(r['first_hash']),
    newHash: String(r['new_hash']),
    raw: rawBytes(r['raw']),
    contentType: str(r['content_type']),
    receivedAt: Number(r['received_at']),
    remoteAddress: str(r['remote_addr']),
    taskId: str(r['task_id']),
    outId: str(r['out_id']),
    callId: str(r['call_id']),
    attempt: num(r['attempt']),
    instanceId: str(r['instance_id']),
  };
}

/** WHERE clause of a conflict query: the task, time and cursor conditions of {@link whereClause}. */
export function conflictWhere(q: ConflictQuery, ph: (i: number) => string, withCursor: boolean): { sql: string; params: unknown[] } {
  const { taskId, since, afterId, order } = q;
  return whereClause({ ...(taskId !== undefined ? { taskId } : {}), ...(since !== undefined ? { since } : {}), ...(afterId !== undefined ? { afterId } : {}), ...(order !== undefined ? { order } : {}) }, ph, withCursor);
}

/** Longest delivery error kept in the store. */
export const MAX_DELIVERY_ERROR = 1000;

/** Builds a WHERE clause for a query; `ph(i)` renders the i-th (1-based) placeholder of the dialect. */
export function whereClause(q: EventQuery, ph: (i: number) => string, withCursor: boolean): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (cond: (p: string) => string, v: unknown) => {
    params.push(v);
    parts.push(cond(ph(params.length)));
  };
  if (q.taskId !== undefined) add((p) => `task_id = ${p}`, q.taskId);
  if (q.since !== undefined) add((p) => `received_at >= ${p}`, q.since);
  if (withCursor && q.afterId !== undefined) add((p) => (q.order === 'newest' ? `id < ${p}` : `id > ${p}`), q.afterId);
  if (q.source !== undefined) add((p) => `source = ${p}`, q.source);
  if (q.known !== undefined) add((p) => `known = ${p}`, q.known ? 1 : 0);
  if (q.delivery !== undefined && q.delivery.length > 0) {
    const ors = q.delivery.map((d) => {
      params.push(d);
      return `delivery_status = ${ph(params.length)}`;
    });
    parts.push(`(${ors.join(' OR ')})`);
  }
  return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', params };
}
