import { Agent, request } from 'undici';
import { PUSH_EVENT_CALL_RESULT, PUSH_TYPE } from '../contract/index.js';
import type { Clock } from '../internal/clock.js';
import type { Logger } from '../internal/logger.js';
import { redactText } from '../internal/redact.js';
import { hashInts, unit } from './random.js';
import { RingLog } from './ring.js';
import type { TaskState } from './store.js';

/** Push delivery options. */
export interface PushOptions {
  /** Share of pushes delivered twice (0–1). @default 0 */
  duplicateRate?: number;
  /** Share of pushes held back and delivered after the next one (0–1). @default 0 */
  reorderRate?: number;
  /** Real-time timeout of one delivery attempt, ms. @default 5000 */
  timeoutMs?: number;
  /** Delivery attempts per push before giving up. @default 5 */
  maxAttempts?: number;
  /** Virtual-time delay before the first retry, ms; doubles per retry. @default 60000 */
  retryBaseMs?: number;
  /** Cap of the retry delay, virtual ms. @default 3600000 */
  retryMaxMs?: number;
  /** Deliveries in flight at once. @default 4 */
  concurrency?: number;
  /** Delivery attempts kept in the log of `GET /__emulator/pushes`. @default 100000 */
  logLimit?: number;
}

/** One delivery attempt, as listed by `GET /__emulator/pushes`. */
export interface PushAttempt {
  /** Order in which attempts were sent (0-based, deterministic in manual-clock mode). */
  seq: number;
  /** Id of the logical push; a duplicate carries the same id (also sent as header `x-push-id`). */
  pushId: number;
  taskId: string;
  outId: string;
  callId: string;
  /** Call attempt (1 = first call). */
  attempt: number;
  /** Delivery attempt of this copy (1 = first try). */
  delivery: number;
  duplicate: boolean;
  url: string;
  /** Emulator time of the attempt, epoch ms (the payload's pushTime). */
  time: number;
  /** HTTP status, or null when no answer (timeout, connection error) or still in flight. */
  status: number | null;
  error: string | null;
  /** Real milliseconds the attempt took. */
  ms: number | null;
  /** `pending` in flight, `delivered` 2xx, `retry` failed and rescheduled, `failed` failed for good. */
  outcome: 'pending' | 'delivered' | 'retry' | 'failed';
  /** Emulator time of the next retry when outcome is `retry`. */
  retryAt?: number;
}

/**
 * A delivery given whole by its caller (the Agents surface's callbacks): the engine does not know its
 * wire format, only where it goes, how it is acknowledged and how often it is retried.
 */
export interface PushMessage {
  url: string;
  /** Built at send time, with the emulator time of the attempt. */
  body: (now: number) => string;
  /** What the attempt log shows. */
  taskId: string;
  outId: string;
  callId: string;
  attempt: number;
  /** True when the answer acknowledges the delivery. @default any 2xx */
  accepts?: (status: number, body: string) => boolean;
  /** Attempts before giving up. @default the delivery's maxAttempts */
  maxAttempts?: number;
  /** Virtual delay before the first retry, ms; doubles per retry. @default the delivery's retryBaseMs */
  retryBaseMs?: number;
  /** Cap of one retry delay, virtual ms. @default the delivery's retryMaxMs */
  retryMaxMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

interface Job {
  pushId: number;
  task: TaskState | null;
  msg: PushMessage | null;
  rec: number;
  duplicate: boolean;
  delivery: number;
  dueAt: number;
}

/**
 * Delivers pushes for finished calls (ASSUMED rules, api/sobot-v5.md §3.11): POST JSON
 * `pushEvent` to the task's pushUrl; pushType 2 pushes every finished call, pushType 1 only the
 * final attempt per contact. Non-2xx or no answer within `timeoutMs` is retried with exponential
 * backoff in emulator time. Duplicates and reordering are seeded per push.
 */
export class PushDelivery {
  private readonly ready: Job[] = [];
  private readyHead = 0;
  private held: Job[] | null = null;
  private scheduled: Job[] = [];
  private inFlight = 0;
  private seq = 0;
  private closed = false;
  private pumpQueued = false;
  private waiters: Array<() => void> = [];
  private readonly agent: Agent;
  readonly log: RingLog<PushAttempt>;
  readonly counts = { pushes: 0, copies: 0, duplicates: 0, reordered: 0, attempts: 0, delivered: 0, failedAttempts: 0, gaveUp: 0 };
  private readonly o: Required<PushOptions>;

  constructor(opts: PushOptions, private readonly seed: number, private readonly companyId: string, private readonly clock: Clock, private readonly logger: Logger) {
    this.o = {
      duplicateRate: opts.duplicateRate ?? 0,
      reorderRate: opts.reorderRate ?? 0,
      timeoutMs: opts.timeoutMs ?? 5000,
      maxAttempts: opts.maxAttempts ?? 5,
      retryBaseMs: opts.retryBaseMs ?? 60_000,
      retryMaxMs: opts.retryMaxMs ?? 3_600_000,
      concurrency: opts.concurrency ?? 4,
      logLimit: opts.logLimit ?? 100_000,
    };
    this.agent = new Agent({ connections: this.o.concurrency, keepAliveTimeout: 10_000 });
    this.log = new RingLog(this.o.logLimit);
  }

  /** Hook for the dialer: queues the push(es) a finished call causes. */
  onCallFinished(task: TaskState, rec: number, final: boolean, now: number): void {
    if (task.pushMode === 0) return;
    if (task.pushMode === PUSH_TYPE.FINAL_RESULT && !final) return;
    this.queue(task, null, rec, now);
  }

  /** Queues a caller-built delivery (same duplicates, reordering and retries as call pushes). */
  sendMessage(msg: PushMessage, now: number): void {
    this.queue(null, msg, -1, now);
  }

  private queue(task: TaskState | null, msg: PushMessage | null, rec: number, now: number): void {
    const pushId = this.seq++;
    this.counts.pushes++;
    const dup = this.o.duplicateRate > 0 && unit(hashInts(this.seed, 0xd0b1e, pushId)) < this.o.duplicateRate;
    const hold = this.o.reorderRate > 0 && unit(hashInts(this.seed, 0x5e0de5, pushId)) < this.o.reorderRate;
    const jobs: Job[] = [{ pushId, task, msg, rec, duplicate: false, delivery: 1, dueAt: now }];
    if (dup) {
      jobs.push({ pushId, task, msg, rec, duplicate: true, delivery: 1, dueAt: now });
      this.counts.duplicates++;
    }
    if (this.held) {
      // The held push goes out after this one: that is the reordering.
      for (const j of jobs) this.enqueue(j);
      for (const j of this.held) this.enqueue(j);
      this.held = null;
    } else if (hold) {
      this.held = jobs;
      this.counts.reordered++;
    } else for (const j of jobs) this.enqueue(j);
  }

  /** Moves retries due at `now` to the ready queue and starts deliveries. */
  tick(now: number): void {
    if (this.scheduled.length > 0) {
      const due = this.scheduled.filter((j) => j.dueAt <= now);
      if (due.length > 0) {
        this.scheduled = this.scheduled.filter((j) => j.dueAt > now);
        // Retries go out in due order, then push order: deterministic.
        due.sort((a, b) => a.dueAt - b.dueAt || a.pushId - b.pushId || Number(a.duplicate) - Number(b.duplicate));
        for (const j of due) this.enqueue(j);
      }
    }
    // A push held for reordering waits for the next push only until the batch is delivered.
    if (this.held) {
      for (const j of this.held) this.enqueue(j);
      this.held = null;
    }
    this.schedulePump();
  }

  /** Pushes queued or in flight now (not counting retries scheduled for later). */
  pending(): number {
    return this.ready.length - this.readyHead + (this.held?.length ?? 0) + this.inFlight;
  }

  /** Snapshot of the counters. */
  stats(): Record<string, number | null> {
    let nextRetryAt: number | null = null;
    for (const j of this.scheduled) if (nextRetryAt === null || j.dueAt < nextRetryAt) nextRetryAt = j.dueAt;
    return {
      ...this.counts,
      queued: this.ready.length - this.readyHead + (this.held?.length ?? 0),
      inFlight: this.inFlight,
      scheduledRetries: this.scheduled.length,
      nextRetryAt,
      pending: this.pending(),
    };
  }

  /** Resolves once nothing is queued or in flight (retries scheduled for a later emulator time excluded). */
  drain(): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    this.schedulePump();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops delivering and closes connections. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
    await this.agent.destroy().catch(() => {});
  }

  private enqueue(j: Job): void {
    this.ready.push(j);
    this.counts.copies++;
  }

  private schedulePump(): void {
    if (this.pumpQueued || this.closed) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    if (this.held && this.ready.length - this.readyHead === 0 && this.inFlight === 0) {
      for (const j of this.held) this.enqueue(j);
      this.held = null;
    }
    while (this.inFlight < this.o.concurrency && this.readyHead < this.ready.length) {
      const j = this.ready[this.readyHead]!;
      (this.ready as Array<Job | undefined>)[this.readyHead++] = undefined;
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
      this.inFlight++;
      void this.send(j);
    }
    if (this.pending() === 0) for (const w of this.waiters.splice(0)) w();
  }

  private async send(j: Job): Promise<void> {
    const now = this.clock.now();
    let url: string;
    let body: string;
    let headers: Record<string, string> = {};
    let entry: PushAttempt;
    const base = { seq: this.log.total, pushId: j.pushId, delivery: j.delivery, duplicate: j.duplicate, time: now, status: null, error: null, ms: null, outcome: 'pending' as const };
    if (j.msg) {
      url = j.msg.url;
      body = j.msg.body(now);
      headers = j.msg.headers ?? {};
      entry = { ...base, taskId: j.msg.taskId, outId: j.msg.outId, callId: j.msg.callId, attempt: j.msg.attempt, url: redactText(url) };
    } else {
      const task = j.task!;
      const rec = task.record(j.rec, this.companyId);
      url = task.pushUrl!;
      // Receivers authenticate with a secret in the pushUrl query (docs/receiver.md): never log it.
      entry = { ...base, taskId: task.taskId, outId: rec.outId, callId: rec.callId, attempt: rec.attempt, url: redactText(url) };
      body = JSON.stringify({ ...rec, eventType: PUSH_EVENT_CALL_RESULT, pushTime: now });
    }
    this.log.add(entry);
    this.counts.attempts++;
    const t0 = performance.now();
    let ok = false;
    try {
      const res = await request(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json;charset=utf-8', 'user-agent': 'zhichi-emulator', 'x-push-id': String(j.pushId), ...headers },
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      entry.status = res.statusCode;
      const accepts = j.msg?.accepts;
      if (accepts) {
        const text = await res.body.text().catch(() => '');
        ok = accepts(res.statusCode, text);
        if (!ok) entry.error = `HTTP ${res.statusCode}, body not an acknowledgement`;
      } else {
        await res.body.dump().catch(() => {});
        ok = res.statusCode >= 200 && res.statusCode < 300;
        if (!ok) entry.error = `HTTP ${res.statusCode}`;
      }
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      entry.error = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timeout after ${this.o.timeoutMs} ms` : (e.code ?? e.message ?? 'error');
    }
    entry.ms = Math.round(performance.now() - t0);
    this.inFlight--;
    if (this.closed) return;
    if (ok) {
      entry.outcome = 'delivered';
      this.counts.delivered++;
    } else {
      this.counts.failedAttempts++;
      if (j.delivery < (j.msg?.maxAttempts ?? this.o.maxAttempts) && !this.closed) {
        const delay = Math.min(j.msg?.retryMaxMs ?? this.o.retryMaxMs, (j.msg?.retryBaseMs ?? this.o.retryBaseMs) * 2 ** (j.delivery - 1));
        j.delivery++;
        j.dueAt = now + delay;
        entry.outcome = 'retry';
        entry.retryAt = j.dueAt;
        this.scheduled.push(j);
      } else {
        entry.outcome = 'failed';
        this.counts.gaveUp++;
        this.logger.warn(`push to ${url} failed for good after ${j.delivery} attempts (${entry.error ?? ''})`);
      }
    }
    this.pump();
  }
}
