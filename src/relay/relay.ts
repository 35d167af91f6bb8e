import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../internal/clock.js';
import { redactingLogger, silentLogger, type Logger } from '../internal/logger.js';
import { redactText } from '../internal/redact.js';
import { eventJson } from '../push/event-json.js';
import { isPostgresLocation, openEventStore, redactLocation } from '../push/store.js';
import { PublishError, brokerOf, openPublisher, redactUrl, type OutMessage, type Publisher, type PublisherOptions } from './publisher.js';
import { RelayLeaseLostError, sleep, type PositionedEvent, type RelayPosition, type RelaySource, type RelayStatus } from './source.js';

/** Options of {@link createRelay}. */
export interface RelayOptions extends PublisherOptions {
  /** The event store: a SQLite file path or a `postgres://` URL (`?schema=` selects the schema). */
  store: string;
  /** The broker: `nats://host:4222` (JetStream), `redis://host:6379` (BullMQ) or `amqp://user:pass@host:5672` (RabbitMQ). */
  to: string;
  /**
   * Name of the relay's cursor in the store. Relays with the same name share one cursor (one publishes
   * at a time, the others stand by); another name is an independent relay (another broker). @default 'default'
   */
  name?: string;
  /** PostgreSQL schema, when not given as `?schema=` on the URL. @default 'public' */
  schema?: string;
  /** Events read and published per batch (one cursor write each). @default 500 */
  batchSize?: number;
  /**
   * How often a following relay looks for new events without a notification (SQLite always polls;
   * PostgreSQL is woken by NOTIFY and polls only as a backstop), and how often a standby asks for the lead.
   * @default 200 on SQLite, 1000 on PostgreSQL
   */
  pollMs?: number;
  /** SQLite lease of the publishing relay; a relay silent for longer is replaced. @default 15000 */
  leaseMs?: number;
  /** Longest wait between retries after a broker or store error (doubling from 100 ms). @default 5000 */
  maxRetryMs?: number;
  /** Name of this relay process in the cursor row. @default `<hostname>:<pid>:<random>` */
  instanceId?: string;
  /** A ready publisher instead of one opened from `to` (tests, custom brokers). */
  publisher?: Publisher;
  /** Source of time for lag and the lease. @default the system clock */
  clock?: Clock;
  /** Warnings and errors (redacted). @default silent */
  logger?: Logger;
}

/** Counters of this relay process. */
export interface RelayMetrics {
  /** Events confirmed by the broker since this relay started. */
  published: number;
  /** Failed publish or store attempts since start. */
  errors: number;
  /** Age (ms) of the oldest unpublished event at the last read; 0 when caught up; null before the first read. */
  lagMs: number | null;
  /** Whether this relay currently publishes (holds the lock or lease). */
  leader: boolean;
  /** Cursor position after the last advance. */
  position: RelayPosition | null;
  lastError: string | null;
}

/** Result of {@link Relay.runOnce}. */
export interface RelayRunReport {
  /** Events confirmed in this run. */
  published: number;
  /** False when another relay of the same name holds the lead: this run published nothing. */
  leader: boolean;
  position: RelayPosition | null;
}

/**
 * The transactional outbox relay: reads stored events in store order from a durable cursor, publishes each
 * batch to the broker and moves the cursor only after the broker confirmed it. A crash between the two
 * publishes that batch again on restart, under the same keys, so the broker (JetStream, BullMQ) or the
 * consumer (RabbitMQ, by message-id) drops the copy: every stored event reaches the broker, once per key.
 */
export class Relay {
  readonly name: string;
  readonly instanceId: string;
  readonly #open: () => Promise<RelaySource>;
  readonly #openPublisher: () => Promise<Publisher>;
  readonly #ownsPublisher: boolean;
  readonly #batch: number;
  readonly #pollMs: number;
  readonly #maxRetryMs: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  #source: RelaySource | null = null;
  #publisher: Publisher | null = null;
  #retryMs = 100;
  readonly #m: RelayMetrics = { published: 0, errors: 0, lagMs: null, leader: false, position: null, lastError: null };

  /** Use {@link createRelay}. */
  constructor(
    name: string, instanceId: string, open: () => Promise<RelaySource>, publisher: (() => Promise<Publisher>) | Publisher,
    o: { batchSize: number; pollMs: number; maxRetryMs: number; clock: Clock; logger: Logger },
  ) {
    this.name = name;
    this.instanceId = instanceId;
    this.#open = open;
    this.#ownsPublisher = typeof publisher === 'function';
    if (typeof publisher === 'function') this.#openPublisher = publisher;
    else {
      this.#publisher = publisher;
      this.#openPublisher = async () => publisher;
    }
    this.#batch = o.batchSize;
    this.#pollMs = o.pollMs;
    this.#maxRetryMs = o.maxRetryMs;
    this.#clock = o.clock;
    this.#log = o.logger;
  }

  /** Counters of this process. */
  metrics(): RelayMetrics {
    return { ...this.#m, position: this.#m.position && { ...this.#m.position } };
  }

  /** The cursor row and the backlog behind it, as stored (all relays of this name together). */
  async status(): Promise<RelayStatus> {
    return (await this.#src()).status();
  }

  async #src(): Promise<RelaySource> {
    this.#source ??= await this.#open();
    return this.#source;
  }

  async #pub(): Promise<Publisher> {
    this.#publisher ??= await this.#openPublisher();
    return this.#publisher;
  }

  /**
   * Publishes the backlog and returns: everything stored before the call (and what arrives meanwhile)
   * up to the first empty read. Errors are thrown after the confirmed part was recorded.
   */
  async runOnce(): Promise<RelayRunReport> {
    const src = await this.#src();
    if (!(await src.acquire())) return { published: 0, leader: false, position: null };
    this.#m.leader = true;
    const before = this.#m.published;
    try {
      await this.#drain(src, new AbortController().signal);
    } finally {
      this.#m.leader = false;
      await src.release().catch(() => {});
    }
    return { published: this.#m.published - before, leader: true, position: this.#m.position };
  }

  /**
   * Follows the store until `signal` aborts: publishes the backlog, then each new event as it is stored.
   * A standby (another relay of the same name leads) waits and takes over when the leader goes away.
   * Broker and store errors are logged, counted and retried with backoff; they never end the loop.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const src = await this.#src();
        if (!this.#m.leader) {
          this.#m.leader = await src.acquire();
          if (!this.#m.leader) {
            await src.wait(this.#pollMs, signal);
            continue;
          }
          this.#log.info?.(`relay "${this.name}" (${this.instanceId}) leads`);
        }
        await this.#drain(src, signal);
        this.#retryMs = 100;
        await src.wait(this.#pollMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        await this.#failed(err);
        await sleep(this.#retryMs, signal);
        this.#retryMs = Math.min(this.#retryMs * 2, this.#maxRetryMs);
      }
    }
    if (this.#source && this.#m.leader) await this.#source.release().catch(() => {});
    this.#m.leader = false;
  }

  async #failed(err: unknown): Promise<void> {
    const msg = redactText((err as Error)?.message ?? String(err));
    this.#m.errors++;
    this.#m.lastError = msg;
    if (err instanceof RelayLeaseLostError) {
      this.#log.warn(`relay "${this.name}": ${msg}`);
      this.#m.leader = false;
      return;
    }
    this.#log.warn(`relay "${this.name}": ${msg}; retrying in ${this.#retryMs} ms`);
    await this.#source?.recordError(msg).catch(() => {});
    if (err instanceof PublishError) {
      // A fresh client next time: a closed AMQP channel or a broken connection does not heal in place.
      if (this.#ownsPublisher) {
        const p = this.#publisher;
        this.#publisher = null;
        await p?.close().catch(() => {});
      }
      return;
    }
    // A store error: reconnect (a lost PostgreSQL session also lost the lock, so lead again first).
    const s = this.#source;
    this.#source = null;
    this.#m.leader = false;
    await s?.close().catch(() => {});
  }

  async #drain(src: RelaySource, signal: AbortSignal): Promise<void> {
    let at = (await src.cursor()).position;
    this.#m.position = at;
    let rows = await src.read(at, this.#batch);
    while (!signal.aborted) {
      if (rows.length === 0) {
        this.#m.lagMs = 0;
        return;
      }
      this.#m.lagMs = Math.max(0, this.#clock.now() - rows[0]!.event.receivedAt);
      // A full batch: read the next one while this one is with the broker (the store and the broker
      // work at the same time; the cursor still moves only after each confirm, in order).
      const ahead = rows.length === this.#batch ? src.read(rows[rows.length - 1]!.position, this.#batch) : null;
      ahead?.catch(() => {});
      const pub = await this.#pub();
      let confirmed = rows.length;
      let failure: unknown = null;
      try {
        await pub.publish(rows.map(toMessage));
      } catch (err) {
        failure = err;
        confirmed = err instanceof PublishError ? err.confirmed : 0;
      }
      if (confirmed > 0) {
        const to = rows[confirmed - 1]!.position;
        await src.advance(at, to, confirmed);
        at = to;
        this.#m.position = to;
        this.#m.published += confirmed;
      }
      if (failure !== null) {
        await ahead?.catch(() => {});
        throw failure;
      }
      if (ahead === null) return;
      rows = await ahead;
    }
  }

  /** Releases the lead, closes the store connection and (if the relay opened it) the broker client. */
  async close(): Promise<void> {
    const s = this.#source;
    this.#source = null;
    await s?.close();
    if (this.#ownsPublisher) {
      const p = this.#publisher;
      this.#publisher = null;
      await p?.close();
    }
  }
}

/** The message of one stored event: body = the event as `results export --format json` writes it. */
export function toMessage(p: PositionedEvent): OutMessage {
  return { key: p.event.key, taskId: p.event.taskId, body: Buffer.from(JSON.stringify(eventJson(p.event))) };
}

const RELAY_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

function positiveInt(name: string, v: number | undefined, def: number): number {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`${name} must be a positive integer (got ${String(v)})`);
  return n;
}

/** Where the store is and how to reach it from the relay's own connection. */
function storeTarget(location: string, schema: string | undefined): { url: string; schema: string } | { file: string } {
  if (!isPostgresLocation(location)) return { file: location };
  const u = new URL(location);
  const s = schema ?? u.searchParams.get('schema') ?? 'public';
  u.searchParams.delete('schema');
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(s)) throw new TypeError(`schema must be a plain SQL identifier (letters, digits, _), got "${s}"`);
  return { url: u.toString(), schema: s };
}

async function sourceOpener(o: { store: string; schema?: string | undefined; name: string; instanceId: string; leaseMs: number; clock: Clock }): Promise<() => Promise<RelaySource>> {
  const target = storeTarget(o.store, o.schema);
  // Opening the store runs its migrations (the cursor table is migration 4), then the relay keeps its own connection.
  const store = await openEventStore(o.store, 'schema' in target ? { schema: target.schema } : {});
  await store.close();
  const now = () => o.clock.now();
  if ('file' in target) {
    const { SqliteRelaySource } = await import('./sqlite-source.js');
    return () => SqliteRelaySource.open(target.file, o.name, o.instanceId, o.leaseMs, now);
  }
  const { PostgresRelaySource } = await import('./postgres-source.js');
  return () => PostgresRelaySource.open(target.url, target.schema, o.name, o.instanceId, now);
}

/**
 * Builds a relay from the store to a broker. Nothing is published until {@link Relay.runOnce} or
 * {@link Relay.run}; the broker client is imported and connected on the first publish.
 * @example
 * const relay = await createRelay({ store: 'postgres://app@db/zhichi', to: 'nats://127.0.0.1:4222' });
 * const ac = new AbortController();
 * process.once('SIGTERM', () => ac.abort());
 * await relay.run(ac.signal);
 * await relay.close();
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  if (typeof options.store !== 'string' || options.store.trim() === '') throw new TypeError('store must be a SQLite file path or a postgres:// URL');
  if (options.publisher === undefined) {
    if (typeof options.to !== 'string') throw new TypeError('to must be a nats://, redis:// or amqp:// URL');
    brokerOf(options.to);
  }
  const name = options.name ?? 'default';
  if (!RELAY_NAME.test(name)) throw new TypeError(`name must be 1-100 characters of A-Z a-z 0-9 _ . : - (got "${name}")`);
  const pg = isPostgresLocation(options.store);
  const batchSize = positiveInt('batchSize', options.batchSize, 500);
  const pollMs = positiveInt('pollMs', options.pollMs, pg ? 1000 : 200);
  const leaseMs = positiveInt('leaseMs', options.leaseMs, 15_000);
  const maxRetryMs = positiveInt('maxRetryMs', options.maxRetryMs, 5000);
  const instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const clock = options.clock ?? systemClock;
  const logger = redactingLogger(options.logger ?? silentLogger);
  let open: () => Promise<RelaySource>;
  try {
    open = await sourceOpener({ store: options.store, schema: options.schema, name, instanceId, leaseMs, clock });
  } catch (err) {
    throw new Error(`relay: cannot open store ${redactLocation(options.store)}: ${(err as Error).message}`);
  }
  const { store: _s, to, name: _n, schema: _sc, batchSize: _b, pollMs: _p, leaseMs: _l, maxRetryMs: _r, instanceId: _i, publisher, clock: _c, logger: _lg, ...names } = options;
  const pub: (() => Promise<Publisher>) | Publisher = publisher ?? (() => openPublisher(to, names).catch((err: Error) => {
    throw new PublishError(`${err.message} (${redactUrl(to)})`, 0, { cause: err });
  }));
  return new Relay(name, instanceId, open, pub, { batchSize, pollMs, maxRetryMs, clock, logger });
}

/** Reads a relay's cursor and backlog without connecting to any broker (`zhichi relay --status`). */
export async function readRelayStatus(store: string, options: { name?: string; schema?: string } = {}): Promise<RelayStatus> {
  const name = options.name ?? 'default';
  if (!RELAY_NAME.test(name)) throw new TypeError(`name must be 1-100 characters of A-Z a-z 0-9 _ . : - (got "${name}")`);
  const open = await sourceOpener({ store, schema: options.schema, name, instanceId: 'status', leaseMs: 1, clock: systemClock });
  const src = await open();
  try {
    return await src.status();
  } finally {
    await src.close();
  }
}
