import { hostname } from 'node:os';
import { PUSH_ACK } from '../contract/index.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { redactingLogger, silentLogger, type Logger } from '../internal/logger.js';
import { redactText } from '../internal/redact.js';
import { IpAllowList, SecretChecker, clientAddress } from './auth.js';
import {
  DEFAULT_MAX_BODY_BYTES, decoderFor, isAcceptedType, parseContentType,
  type BodyInput, type BodyReadResult,
} from './body.js';
import { Dispatcher, replayStored, type DeliveryCounts, type DeliveryOptions, type ReplayOptions } from './dispatcher.js';
import { decodeRaw, toResultEvent, type ResultEvent, type ResultHandler } from './events.js';
import { parseBody, type ParsedEvent } from './extract.js';
import { AGENTS_CALLBACK_ACK } from '../contract/agents/index.js';
import { agentsCallbackOf, parseAgentsCallback, reconcileAgents, type AgentsReconcileOptions, type AgentsReconcileReport } from './agents.js';
import { MAX_PUSH_DEPTH, jsonDepth } from './json-depth.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import { reconcile, type ReconcileOptions, type ReconcileReport } from './reconcile.js';
import {
  openEventStore, resolveStoreLocation,
  type EventStore, type InsertResult, type NewEvent, type OpenStoreOptions,
} from './store.js';

/** Header values as Node gives them, or a Fetch `Headers`. */
export type HeaderSource = Record<string, string | string[] | undefined> | { get(name: string): string | null };

/** One HTTP request, framework-free: what every adapter hands to {@link PushReceiver.handle}. */
export interface PushRequest {
  method: string;
  /** Request target: a path with query (`/api/zhichi/events?secret=…`) or an absolute URL. */
  url: string;
  headers: HeaderSource;
  /** Bytes, text, or a reader called only after the request passed authentication. */
  body: BodyInput;
  /** Socket peer address, for the IP allow-list. */
  remoteAddress?: string | undefined;
}

/** The answer to send back, framework-free. */
export interface PushResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Acknowledgement sent once an event is stored. */
export interface AckOptions {
  /** @default 200 */
  status?: number;
  /** A string is sent as is, anything else as JSON. @default {"code":200,"message":"success"} */
  body?: string | Record<string, unknown>;
  /** @default 'application/json; charset=utf-8' (or 'text/plain; charset=utf-8' for a string body) */
  contentType?: string;
}

/** Options of {@link createPushReceiver}. */
export interface PushReceiverOptions {
  /**
   * Secret expected in the `secret` query parameter of the pushUrl (at least 16 characters). Several
   * secrets may be given while rotating. Required: a receiver without one would let anybody write results.
   */
  secret: string | readonly string[];
  /**
   * An open store, or where to open one: `postgres://…` or a SQLite file path.
   * @default env ZHICHI_DB, else './zhichi-events.db'
   */
  store?: EventStore | string;
  /** Passed to {@link openEventStore} when `store` is a location. */
  storeOptions?: OpenStoreOptions;
  /** Only these addresses / CIDR ranges may push (403 otherwise). @default any address */
  allowIps?: readonly string[];
  /** Reverse proxies in front of the receiver whose `X-Forwarded-For` entry is trusted. @default 0 */
  trustProxyHops?: number;
  /** Largest accepted body in bytes (413 above). @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
  /** When set, only this path is served (404 elsewhere); adapters mounted on a route do not need it. */
  path?: string;
  /**
   * Path of the Agents (apiOpen/v1) callbacks `{dataType, data}` (api/sobot-agents.md §7): same
   * secret and allow-list; the secret may be the `secret` query parameter or the path segment after
   * it (`/agents/<secret>`); answered with the body `success`. @default not served
   */
  agentsPath?: string;
  /** Acknowledgement of a stored (or duplicate) push. */
  ack?: AckOptions;
  /** Group commit tuning. @default { maxBatch: 512, maxInFlight: 1 for SQLite, 2 for PostgreSQL } */
  groupCommit?: GroupCommitOptions;
  /** Consumer delivery tuning. */
  delivery?: DeliveryOptions;
  /** Source of `receivedAt`. @default the system clock */
  clock?: Clock;
  /** Receives warnings (redacted). @default silent */
  logger?: Logger;
  /**
   * Called once for every request answered with an error status (401, 403, 413, 503…), after the
   * answer is known: an access log of refused pushes. The path never carries the secret. @default none
   */
  onRefused?: (refused: RefusedPush) => void;
  /** Environment used to resolve `ZHICHI_DB`. @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * Name of this receiver in a fleet, stored with every event it inserts (`instanceId` of a stored
   * event). @default `<hostname>:<pid>`
   */
  instanceId?: string;
}

/** A request the receiver answered with an error status (see {@link PushReceiverOptions.onRefused}). */
export interface RefusedPush {
  status: number;
  /** Why, as told to the sender (`missing or wrong secret`, `body larger than …`). */
  reason: string;
  method: string;
  /** Request path and query, with any secret (query `secret=` or the Agents path segment) replaced by `[REDACTED]`. */
  path: string;
  /** The peer's address (after trusted proxies), or null when unknown. */
  remoteAddress: string | null;
}

/** Counters since the receiver started. */
export interface ReceiverStats {
  requests: number;
  /** Events newly stored. */
  stored: number;
  /** Events answered 2xx but already stored with the same body. */
  duplicates: number;
  /** Events answered 2xx whose key was stored with a different body: kept as conflict records. */
  conflicts: number;
  /** Stored events whose shape was not the contract's. */
  unknown: number;
  /** Rejected requests by HTTP status. */
  rejected: Record<number, number>;
  /** Commits made by the group committer. */
  commits: number;
  delivery: DeliveryCounts & { dropped: number };
}

const JSON_TYPE = 'application/json; charset=utf-8';

function header(h: HeaderSource, name: string): string | undefined {
  if (typeof (h as { get?: unknown }).get === 'function') return (h as { get(n: string): string | null }).get(name) ?? undefined;
  const v = (h as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Path and query string of a request target; a path-only target (the usual case) skips URL parsing. */
function splitTarget(raw: string): { path: string; query: string } | null {
  if (raw.startsWith('/') && !raw.startsWith('//')) {
    const q = raw.indexOf('?');
    return q < 0 ? { path: raw, query: '' } : { path: raw.slice(0, q), query: raw.slice(q + 1) };
  }
  // Absolute URL (Fetch adapters pass `request.url`).
  try {
    const u = new URL(raw);
    return { path: u.pathname, query: u.search.slice(1) };
  } catch {
    return null;
  }
}

/**
 * `new URLSearchParams(query).get(name)`, without building the whole parameter list for the usual query
 * (`secret=…` and nothing to decode); anything with escapes, `+` or a leading `?` goes to URLSearchParams.
 */
function queryParam(query: string, name: string): string | null {
  if (query.includes('%') || query.includes('+') || query.startsWith('?')) return new URLSearchParams(query).get(name);
  let from = 0;
  // The next '=' at or after `from`, searched again only once passed: linear in the query's length
  // (this runs before authentication, on whatever target a stranger sends).
  let eq = -1;
  while (from <= query.length) {
    let end = query.indexOf('&', from);
    if (end < 0) end = query.length;
    if (eq < from) {
      eq = query.indexOf('=', from);
      if (eq < 0) eq = Infinity;
    }
    if (eq < end) {
      if (eq - from === name.length && query.startsWith(name, from)) return query.slice(eq + 1, end);
    } else if (end - from === name.length && query.startsWith(name, from)) return '';
    from = end + 1;
  }
  return null;
}

function reject(status: number, message: string, extra: Record<string, string> = {}): PushResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...extra }, body: JSON.stringify({ code: status, message }) };
}

/**
 * A refusal answered before the body was read (wrong method, path, address, secret, type, size):
 * `Connection: close`, and the adapters stop reading and close the socket, so a stranger cannot make
 * the receiver read and discard an unlimited body on a kept-alive connection.
 */
function early(status: number, message: string, extra: Record<string, string> = {}): PushResponse {
  return reject(status, message, { ...extra, connection: 'close' });
}

interface Ingest {
  events: ParsedEvent[];
  remoteAddress: string | null;
  contentType: string | null;
  source: NewEvent['source'];
}

/**
 * The push receiver core: authenticates a push, stores its raw body and extracted fields durably
 * (group commit), answers only after the commit, and hands stored events to consumers. Framework
 * adapters (node, express, fastify, koa, fetch) are thin wrappers around {@link handle}.
 */
export class PushReceiver {
  /** The event store (opened by {@link createPushReceiver} unless one was passed in). */
  readonly store: EventStore;
  readonly #secret: SecretChecker;
  readonly #allow: IpAllowList | null;
  readonly #trustProxyHops: number;
  readonly #maxBody: number;
  readonly #path: string | undefined;
  readonly #agentsPath: string | undefined;
  readonly #ack: PushResponse;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onRefused: ((refused: RefusedPush) => void) | undefined;
  readonly #ownsStore: boolean;
  /** Stored with every event this receiver inserts. */
  readonly instanceId: string;
  readonly #committer: GroupCommitter<NewEvent, InsertResult>;
  readonly #dispatcher: Dispatcher;
  #inFlight = 0;
  #drainWaiters: Array<() => void> = [];
  #closing = false;
  #warnedShortChain = false;
  readonly #onShortChain = (entries: number): void => {
    if (this.#warnedShortChain) return;
    this.#warnedShortChain = true;
    this.#log.warn(
      `X-Forwarded-For had ${entries} entr${entries === 1 ? 'y' : 'ies'}, fewer than trustProxyHops (${this.#trustProxyHops}): ` +
        'using the socket address instead (logged once); check the proxy count or that every request passes the proxies',
    );
  };
  #closed: Promise<void> | null = null;
  readonly #stats: Omit<ReceiverStats, 'commits' | 'delivery'> = { requests: 0, stored: 0, duplicates: 0, conflicts: 0, unknown: 0, rejected: {} };

  /** Builds a receiver on an already open store; prefer {@link createPushReceiver}. */
  constructor(store: EventStore, options: PushReceiverOptions, ownsStore = false) {
    this.#secret = new SecretChecker(options.secret);
    this.#allow = options.allowIps && options.allowIps.length > 0 ? new IpAllowList(options.allowIps) : null;
    this.#trustProxyHops = options.trustProxyHops ?? 0;
    if (!Number.isInteger(this.#trustProxyHops) || this.#trustProxyHops < 0) throw new TypeError('trustProxyHops must be a non-negative integer');
    this.#maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isInteger(this.#maxBody) || this.#maxBody < 1) throw new TypeError('maxBodyBytes must be a positive integer (bytes)');
    if (options.path !== undefined && !options.path.startsWith('/')) throw new TypeError('path must start with "/"');
    this.#path = options.path;
    if (options.agentsPath !== undefined && (!options.agentsPath.startsWith('/') || options.agentsPath.endsWith('/'))) throw new TypeError('agentsPath must start with "/" and not end with "/"');
    this.#agentsPath = options.agentsPath;
    this.#onRefused = options.onRefused;
    this.#ack = buildAck(options.ack);
    this.#clock = options.clock ?? systemClock;
    this.#log = redactingLogger(options.logger ?? silentLogger);
    this.store = store;
    this.#ownsStore = ownsStore;
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
    if (typeof this.instanceId !== 'string' || this.instanceId === '' || this.instanceId.length > 200) {
      throw new TypeError('instanceId must be a non-empty string of at most 200 characters');
    }
    this.#committer = new GroupCommitter((events) => this.store.insert(events), {
      maxInFlight: store.kind === 'postgres' ? 2 : 1,
      ...options.groupCommit,
    });
    this.#dispatcher = new Dispatcher(store, this.#clock, this.#log, options.delivery);
  }

  /** Largest accepted body in bytes. */
  get maxBodyBytes(): number {
    return this.#maxBody;
  }

  /**
   * Registers a consumer of stored events; returns a function that removes it. Consumers run after the
   * push was acknowledged; a throw marks the event `failed` and `replay()` delivers it again.
   */
  onResult(handler: ResultHandler): () => void {
    if (typeof handler !== 'function') throw new TypeError('onResult(handler) needs a function');
    this.#dispatcher.handlers.add(handler);
    return () => void this.#dispatcher.handlers.delete(handler);
  }

  /** Handles one request; never throws (a store failure is a 503, so the sender retries). */
  async handle(req: PushRequest): Promise<PushResponse> {
    this.#inFlight++;
    this.#stats.requests++;
    try {
      const res = await this.#handle(req);
      if (res.status >= 400) {
        this.#stats.rejected[res.status] = (this.#stats.rejected[res.status] ?? 0) + 1;
        this.#refused(req, res);
      }
      return res;
    } catch (err) {
      this.#log.error('push handling failed', { error: (err as Error).message });
      this.#stats.rejected[500] = (this.#stats.rejected[500] ?? 0) + 1;
      const res = reject(500, 'internal error');
      this.#refused(req, res);
      return res;
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0 && this.#drainWaiters.length > 0) {
        const w = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const r of w) r();
      }
    }
  }

  #refused(req: PushRequest, res: PushResponse): void {
    const hook = this.#onRefused;
    if (!hook) return;
    let reason = '';
    try {
      reason = String((JSON.parse(res.body) as { message?: unknown }).message ?? '');
    } catch {
      reason = res.body.slice(0, 200);
    }
    // The secret may sit in the query (`?secret=`) or, for Agents callbacks, in the segment after the path.
    let path = redactText(req.url);
    const ap = this.#agentsPath;
    if (ap !== undefined && path.startsWith(`${ap}/`)) path = `${ap}/[REDACTED]${path.slice(ap.length + 1).replace(/^[^?]*/, '')}`;
    try {
      hook({
        status: res.status,
        reason: redactText(reason),
        method: req.method.toUpperCase(),
        path,
        remoteAddress: clientAddress(req.remoteAddress, header(req.headers, 'x-forwarded-for'), this.#trustProxyHops) ?? null,
      });
    } catch (err) {
      this.#log.warn('onRefused handler threw', { error: (err as Error).message });
    }
  }

  async #handle(req: PushRequest): Promise<PushResponse> {
    if (this.#closing) return early(503, 'receiver is shutting down', { 'retry-after': '5' });
    if (req.method.toUpperCase() !== 'POST') return early(405, 'method not allowed: pushes are POST', { allow: 'POST' });
    const target = splitTarget(req.url);
    if (target === null) return early(400, 'malformed request URL');
    const ap = this.#agentsPath;
    const agents = ap !== undefined && (target.path === ap || target.path.startsWith(`${ap}/`));
    if (!agents && this.#path !== undefined && target.path !== this.#path) return early(404, 'not found');

    // The allow-list is checked before the secret: a stranger learns nothing about the secret check.
    const peer = clientAddress(req.remoteAddress, header(req.headers, 'x-forwarded-for'), this.#trustProxyHops, this.#onShortChain);
    if (this.#allow && !this.#allow.allows(peer)) return early(403, 'address not allowed');
    const given = queryParam(target.query, 'secret') ?? (agents && target.path.length > ap!.length ? decodeSegment(target.path.slice(ap!.length + 1)) : null);
    if (!this.#secret.check(given)) return early(401, 'missing or wrong secret');

    const ctHeader = header(req.headers, 'content-type');
    const ct = parseContentType(ctHeader);
    if (!isAcceptedType(ct.type)) {
      return early(415, `unsupported content type "${ct.type}": send application/json`);
    }
    const decoder = decoderFor(ct.charset);
    if (!decoder) return early(415, `unsupported charset "${ct.charset ?? ''}"`);
    const declared = header(req.headers, 'content-length');
    if (declared !== undefined && Number(declared) > this.#maxBody) {
      return early(413, `body of ${declared} bytes exceeds the limit of ${this.#maxBody} bytes`);
    }

    const read = await readInput(req.body, this.#maxBody);
    if (!read.ok) {
      return read.reason === 'too_large' ? reject(413, read.detail, { connection: 'close' }) : reject(400, read.detail);
    }
    let text: string;
    try {
      text = decoder.decode(read.body);
    } catch {
      return reject(400, `body is not valid ${ct.charset ?? 'utf-8'} text`);
    }
    if (text.trim() === '') return reject(400, 'empty body: expected a JSON push');
    // Bounded before parsing: a body nested deeper is refused whole (422, nothing stored, a batch
    // included), so no reader ever walks it; 4xx, not 500, so the sender does not retry it forever.
    if (jsonDepth(text, MAX_PUSH_DEPTH) > MAX_PUSH_DEPTH) {
      return reject(422, `body nests deeper than ${MAX_PUSH_DEPTH} levels of objects/arrays: refused, nothing stored`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return reject(400, `body is not valid JSON: ${(err as Error).message}`);
    }

    const events = agents ? [parseAgentsCallback(value, read.body)] : parseBody(value, read.body);
    try {
      await this.#ingest({
        events,
        remoteAddress: req.remoteAddress ?? null,
        // A batch item was re-serialised by us as UTF-8 JSON, whatever charset the request used.
        contentType: events.length === 1 && events[0]!.raw === read.body ? (ctHeader ?? null) : 'application/json',
        source: 'push',
      });
    } catch (err) {
      this.#log.error('store commit failed; answering 503 so the sender retries', { error: (err as Error).message });
      return reject(503, 'storage unavailable, retry later', { 'retry-after': '5' });
    }
    // The Agents sender counts a delivery only when the body is `success` (§7.1).
    return agents ? AGENTS_ACK : this.#ack;
  }

  /** Stores parsed events through the group committer and queues the new ones for consumers. */
  async #ingest(i: Ingest): Promise<InsertResult[]> {
    const now = this.#clock.now();
    const rows: NewEvent[] = new Array(i.events.length);
    for (let k = 0; k < i.events.length; k++) {
      const p = i.events[k]!;
      rows[k] = {
        key: p.key, source: i.source, known: p.known, receivedAt: now, remoteAddress: i.remoteAddress,
        contentType: i.contentType, fields: p.fields, raw: p.raw, instanceId: this.instanceId,
      };
    }
    // One promise per request, however many events it carries.
    const results = await this.#committer.submitAll(rows);
    const fresh: ResultEvent[] = [];
    // Consumer views are built only when someone consumes; without consumers events stay pending.
    const wanted = this.#dispatcher.handlers.size > 0;
    results.forEach((r, idx) => {
      const p = i.events[idx]!;
      if (r.conflict) {
        // Same key as a stored push, different body: kept as a conflict record, never silently dropped.
        this.#stats.conflicts++;
        this.#log.warn(`push ${p.key} conflicts with a stored event (same key, different body); the stored event stays, the new body is kept as a conflict (zhichi results conflicts)`, { key: p.key });
        return;
      }
      if (!r.inserted || r.id === null) {
        this.#stats.duplicates++;
        return;
      }
      this.#stats.stored++;
      if (!p.known) this.#stats.unknown++;
      if (!wanted) return;
      const base = { id: r.id, key: p.key, source: i.source, receivedAt: now, fields: p.fields, body: p.body, raw: decodeRaw(p.raw, i.contentType), agents: agentsCallbackOf(p.key, p.body) };
      fresh.push(p.known && p.record ? { ...base, known: true, record: p.record } : { ...base, known: false, record: null });
    });
    this.#dispatcher.enqueue(fresh);
    return results;
  }

  /** Reconciles an Agents task against getCallRecordInfoList (see {@link reconcileAgents}); backfilled events reach the consumers too. */
  reconcileAgents(options: AgentsReconcileOptions): Promise<AgentsReconcileReport> {
    return reconcileAgents(
      this.store,
      options,
      async (events) => {
        const results = await this.#committer.submitAll(events);
        const fresh: ResultEvent[] = [];
        results.forEach((r, i) => {
          if (r.inserted && r.id !== null) fresh.push(toResultEvent({ ...storedShape(events[i]!), id: r.id }));
        });
        this.#dispatcher.enqueue(fresh);
        return results;
      },
      () => this.#clock.now(),
    );
  }

  /**
   * Redelivers stored events whose delivery is pending or failed to the current consumers, oldest
   * first. Events being delivered right now are skipped. Needs at least one consumer.
   */
  replay(options: ReplayOptions = {}): Promise<DeliveryCounts> {
    return replayStored(this.store, this.#dispatcher, options);
  }

  /** Reconciles a task against the API (see {@link reconcile}); backfilled events reach the consumers too. */
  reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
    return reconcile(
      this.store,
      options,
      async (events) => {
        const results = await this.#committer.submitAll(events.map((e) => ({ ...e, instanceId: this.instanceId })));
        const fresh: ResultEvent[] = [];
        results.forEach((r, i) => {
          if (r.inserted && r.id !== null) {
            const e = events[i]!;
            fresh.push(toResultEvent({ ...storedShape(e), id: r.id }));
          }
        });
        this.#dispatcher.enqueue(fresh);
        return results;
      },
      () => this.#clock.now(),
    );
  }

  /** Counters since start. */
  stats(): ReceiverStats {
    return {
      ...this.#stats,
      rejected: { ...this.#stats.rejected },
      commits: this.#committer.commits,
      delivery: { ...this.#dispatcher.totals },
    };
  }

  /** Resolves when no request is in flight, nothing awaits a commit and consumers are idle. */
  async drain(): Promise<void> {
    if (this.#inFlight > 0) await new Promise<void>((r) => this.#drainWaiters.push(r));
    await this.#committer.idle();
    await this.#dispatcher.idle();
  }

  /** Refuses new pushes (503), drains in-flight work, then closes the store if the receiver opened it. */
  close(): Promise<void> {
    this.#closing = true;
    this.#closed ??= (async () => {
      await this.drain();
      if (this.#ownsStore) await this.store.close();
    })();
    return this.#closed;
  }

  /** Never reveals the secret. */
  toJSON(): Record<string, unknown> {
    return { store: this.store.location, path: this.#path ?? null, maxBodyBytes: this.#maxBody };
  }
}

function storedShape(e: NewEvent) {
  const f = e.fields;
  return {
    key: e.key, source: e.source, known: e.known, receivedAt: e.receivedAt, remoteAddress: e.remoteAddress, contentType: e.contentType,
    taskId: f.taskId ?? null, outId: f.outId ?? null, callId: f.callId ?? null, attempt: f.attempt ?? null,
    telephone: f.telephone ?? null, callResult: f.callResult ?? null, callResultName: f.callResultName ?? null,
    startTime: f.startTime ?? null, answerTime: f.answerTime ?? null, endTime: f.endTime ?? null,
    ringDuration: f.ringDuration ?? null, talkDuration: f.talkDuration ?? null, intent: f.intent ?? null,
    hangupBy: f.hangupBy ?? null, eventType: f.eventType ?? null, raw: Buffer.from(e.raw),
    deliveryStatus: 'pending' as const, deliveryAttempts: 0, deliveryError: null, deliveredAt: null,
    instanceId: e.instanceId ?? null,
  };
}

const AGENTS_ACK: PushResponse = { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: AGENTS_CALLBACK_ACK };

function decodeSegment(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function buildAck(a: AckOptions = {}): PushResponse {
  const status = a.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 299) throw new TypeError('ack.status must be a 2xx status code');
  const body = a.body ?? PUSH_ACK;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const contentType = a.contentType ?? (typeof body === 'string' ? 'text/plain; charset=utf-8' : JSON_TYPE);
  return { status, headers: { 'content-type': contentType }, body: text };
}

async function readInput(body: BodyInput, limit: number): Promise<BodyReadResult> {
  if (typeof body === 'function') return body(limit);
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bytes.byteLength > limit) return { ok: false, reason: 'too_large', detail: `body exceeds the limit of ${limit} bytes` };
  return { ok: true, body: bytes };
}

/**
 * Opens the store (migrating it) and builds a receiver.
 * @example
 * const receiver = await createPushReceiver({ secret: process.env.PUSH_SECRET!, store: './zhichi-events.db' });
 * receiver.onResult((e) => console.log(e.fields.outId, e.fields.callResultName));
 * http.createServer(nodeHandler(receiver)).listen(8080);
 */
export async function createPushReceiver(options: PushReceiverOptions): Promise<PushReceiver> {
  // Validate the secret before touching the store, so a bad option fails fast and opens nothing.
  new SecretChecker(options.secret);
  if (options.store !== undefined && typeof options.store !== 'string') return new PushReceiver(options.store, options, false);
  const store = await openEventStore(resolveStoreLocation(options.store, options.env), options.storeOptions);
  try {
    return new PushReceiver(store, options, true);
  } catch (err) {
    await store.close();
    throw err;
  }
}
