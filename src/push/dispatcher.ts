import type { Clock } from '../internal/clock.js';
import type { Logger } from '../internal/logger.js';
import { redactText } from '../internal/redact.js';
import { toResultEvent, type ResultEvent, type ResultHandler } from './events.js';
import { GroupCommitter } from './group-commit.js';
import type { DeliveryStatus, DeliveryUpdate, EventStore } from './store.js';

/** Options of consumer delivery. */
export interface DeliveryOptions {
  /** Events handed to consumers at the same time (no ordering is promised: pushes arrive out of order anyway). @default 8 */
  concurrency?: number;
  /**
   * Events kept in memory waiting for a consumer. Beyond this the receiver stops queueing; the events
   * stay `pending` in the store and `replay()` delivers them. @default 10000
   */
  maxQueue?: number;
}

/** Counts of one delivery run. */
export interface DeliveryCounts {
  delivered: number;
  failed: number;
}

/**
 * Hands stored events to the registered consumers and records each outcome (`delivered`/`failed`) in
 * the store. Delivery is at-least-once: an event is stored before any consumer sees it, and one whose
 * outcome was not recorded (crash, failure) is delivered again by a replay.
 */
export class Dispatcher {
  readonly handlers = new Set<ResultHandler>();
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #concurrency: number;
  readonly #maxQueue: number;
  readonly #updates: GroupCommitter<DeliveryUpdate, void>;
  #queue: ResultEvent[] = [];
  /** Ids queued or being delivered, so a replay does not hand the same event out twice at once. */
  readonly #busy = new Set<number>();
  #running = 0;
  #overflowWarned = false;
  #idleWaiters: Array<() => void> = [];
  /** Totals since start. */
  readonly totals: DeliveryCounts & { dropped: number } = { delivered: 0, failed: 0, dropped: 0 };

  constructor(store: EventStore, clock: Clock, log: Logger, options: DeliveryOptions = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
    this.#concurrency = options.concurrency ?? 8;
    this.#maxQueue = options.maxQueue ?? 10_000;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) throw new TypeError('delivery.concurrency must be a positive integer');
    if (!Number.isInteger(this.#maxQueue) || this.#maxQueue < 0) throw new TypeError('delivery.maxQueue must be a non-negative integer');
    // Outcomes are written in groups too: one transaction per burst instead of one per event.
    this.#updates = new GroupCommitter<DeliveryUpdate, void>(async (u) => {
      await this.#store.setDelivery(u);
      return u.map(() => undefined);
    });
  }

  /** Queues freshly stored events for the consumers (no-op without consumers: they stay pending). */
  enqueue(events: readonly ResultEvent[]): void {
    if (this.handlers.size === 0) return;
    for (const e of events) {
      if (this.#queue.length >= this.#maxQueue) {
        this.totals.dropped++;
        if (!this.#overflowWarned) {
          this.#overflowWarned = true;
          this.#log.warn(`delivery queue full (${this.#maxQueue}); further events stay pending in the store until replay()`);
        }
        continue;
      }
      this.#busy.add(e.id);
      this.#queue.push(e);
    }
    this.#pump();
  }

  /** True when the event is queued or being delivered right now. */
  isBusy(id: number): boolean {
    return this.#busy.has(id);
  }

  /** Runs every consumer on one event, records the outcome, and tells whether all succeeded. */
  async deliver(e: ResultEvent): Promise<boolean> {
    let error: string | null = null;
    for (const h of [...this.handlers]) {
      try {
        await h(e);
      } catch (err) {
        error ??= redactText(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      }
    }
    const status = error === null ? 'delivered' : 'failed';
    if (error === null) this.totals.delivered++;
    else {
      this.totals.failed++;
      this.#log.warn(`consumer failed on event ${e.id}; it stays in the store for replay`, { error });
    }
    try {
      await this.#updates.submit({ id: e.id, status, error, at: this.#clock.now() });
    } catch (err) {
      // The event itself is safe; only its status is stale, so a replay may deliver it again (at-least-once).
      this.#log.error('could not record delivery status', { error: (err as Error).message });
    }
    return error === null;
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const e = this.#queue.shift()!;
      this.#running++;
      void this.deliver(e).finally(() => {
        this.#running--;
        this.#busy.delete(e.id);
        this.#pump();
        this.#checkIdle();
      });
    }
  }

  /** Resolves when no delivery is queued, running, or waiting for its status to be written. */
  async idle(): Promise<void> {
    if (this.#queue.length > 0 || this.#running > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
    await this.#updates.idle();
  }

  #checkIdle(): void {
    if (this.#queue.length === 0 && this.#running === 0 && this.#idleWaiters.length > 0) {
      const w = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const r of w) r();
    }
  }
}

/** Options of a replay. */
export interface ReplayOptions {
  /** Which delivery states to redeliver. @default ['pending', 'failed'] */
  statuses?: readonly DeliveryStatus[];
  taskId?: string;
  /** Stop after this many events. @default no limit */
  limit?: number;
}

/**
 * Redelivers stored events in the given delivery states to the dispatcher's consumers, oldest first,
 * one at a time (a replay is a catch-up, not a race). Events the dispatcher is delivering right now are
 * skipped. Needs at least one consumer.
 */
export async function replayStored(store: EventStore, dispatcher: Dispatcher, options: ReplayOptions = {}): Promise<DeliveryCounts> {
  if (dispatcher.handlers.size === 0) throw new Error('replay needs a consumer: register one with onResult(handler) first');
  const statuses = options.statuses ?? ['pending', 'failed'];
  const limit = options.limit ?? Infinity;
  if (limit !== Infinity && (!Number.isInteger(limit) || limit < 1)) throw new TypeError('limit must be a positive integer');
  // Receivers sharing a PostgreSQL schema replay one at a time (fleet lock): an event is not redelivered
  // by two of them at once.
  const run = () => replayLocked(store, dispatcher, options, statuses, limit);
  return store.exclusive ? store.exclusive('replay', run) : run();
}

async function replayLocked(
  store: EventStore, dispatcher: Dispatcher, options: ReplayOptions, statuses: readonly DeliveryStatus[], limit: number,
): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { delivered: 0, failed: 0 };
  let afterId = 0;
  let done = 0;
  while (done < limit) {
    const page = await store.query({
      afterId, delivery: statuses, limit: Math.min(500, limit - done), ...(options.taskId !== undefined ? { taskId: options.taskId } : {}),
    });
    if (page.length === 0) break;
    for (const e of page) {
      afterId = e.id;
      if (dispatcher.isBusy(e.id)) continue;
      if (await dispatcher.deliver(toResultEvent(e))) counts.delivered++;
      else counts.failed++;
      if (++done >= limit) break;
    }
  }
  await dispatcher.idle();
  return counts;
}
