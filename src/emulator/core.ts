import { CONTACT_STATUS, RETRY_CONDITION, TASK_STATUS, enumName, windowSpans, type CronWindow } from '../contract/index.js';
import { redactingLogger, silentLogger, type Logger } from '../internal/logger.js';
import { WindowCalendar, ZoneOffsets } from './calendar.js';
import { VirtualClock } from './clock.js';
import { Dialer } from './dialer.js';
import { FaultInjector } from './faults.js';
import type { ResolvedOptions } from './options.js';
import { PushDelivery } from './pushes.js';
import { Prng } from './random.js';
import { TaskState, type TaskDomain } from './store.js';
import type { MinuteWindow } from './calendar.js';
import { TokenAuthority } from './tokens.js';

/**
 * The emulator's whole state, independent of HTTP: clock, tokens, tasks, dialer, pushes, faults.
 * The HTTP layer (server.ts) calls `sync()` before every request so answers reflect the clock.
 */
export class EmulatorCore {
  readonly clock: VirtualClock;
  readonly tokens: TokenAuthority;
  readonly dialer: Dialer;
  readonly pushes: PushDelivery;
  readonly faults: FaultInjector;
  readonly logger: Logger;
  readonly tasks = new Map<string, TaskState>();
  private readonly zone: ZoneOffsets;
  private readonly idRng: Prng;
  readonly counters = { requests: 0, controlRequests: 0, byEndpoint: {} as Record<string, number>, byCode: {} as Record<string, number> };

  constructor(readonly opts: ResolvedOptions) {
    this.logger = opts.logger ? redactingLogger(opts.logger) : silentLogger;
    const clockOpts: { mode: 'real' | 'manual'; speed: number; start?: number } = { mode: opts.clock.mode, speed: opts.clock.speed };
    if (opts.clock.start !== undefined) clockOpts.start = opts.clock.start;
    this.clock = new VirtualClock(clockOpts);
    this.tokens = new TokenAuthority(
      { expiresIn: opts.expiresIn, tokenMintsPerMinute: opts.tokenMintsPerMinute, revokeOnMint: opts.revokeOnMint, companyId: opts.companyId },
      this.clock,
    );
    this.zone = new ZoneOffsets(opts.timeZone);
    this.idRng = new Prng(opts.seed ^ 0x7a5c1d);
    this.pushes = new PushDelivery(opts.push, opts.seed, opts.companyId, this.clock, this.logger);
    this.dialer = new Dialer(opts.seed, opts.robotCount, this.clock.now(), (task, rec, final) => {
      this.pushes.onCallFinished(task, rec, final, this.dialer.now);
      task.onCall?.(rec, final);
    });
    this.faults = new FaultInjector(opts.seed);
    this.faults.set(opts.faults);
  }

  /** Simulates up to the clock's now and starts pushes that became due. */
  sync(): void {
    const now = this.clock.now();
    this.dialer.runUntil(now);
    for (const hook of this.syncHooks) hook(now);
    this.pushes.tick(now);
  }

  /** Run after every simulation step, before pushes start (an API surface observes its tasks here). */
  readonly syncHooks: Array<(now: number) => void> = [];

  /** Extra sections of `stats()` by name (an API surface adds its counters). */
  readonly statsHooks: Record<string, () => unknown> = {};

  /** Advances the clock by `ms` and simulates everything due (manual and real mode alike). */
  advance(ms: number): number {
    this.clock.advance(ms);
    this.sync();
    return this.clock.now();
  }

  /** Creates a task from validated V5 params (caller checked templates, numbers, robots). */
  createTask(params: Record<string, unknown>): TaskState {
    // A cross-midnight window (22:00–02:00) is two spans; the calendar merges them across days.
    const windows = windowSpans(params.taskCronList as CronWindow[]).map((w) => ({ begin: w.begin, end: w.end }));
    return this.addTask(params, v5Domain(params, this.clock.now()), windows);
  }

  /**
   * Registers a task given in domain terms (any API generation) with its daily windows; `params`
   * is kept as the wire body for echoing. Task ids are 32 hex: the id namespace, then the seeded generator.
   */
  addTask(params: Record<string, unknown>, domain: TaskDomain, windows: readonly MinuteWindow[]): TaskState {
    // Task ids: the run's id namespace, then 24 hex from the seeded generator. A restarted emulator
    // (new namespace) never reuses an earlier run's ids, as a real server would not; the same seed and
    // namespace give the same ids again. callIds start with their task's id, so they follow.
    const ns = this.opts.idNamespace;
    let taskId = ns + this.idRng.hex(24);
    while (this.tasks.has(taskId)) taskId = ns + this.idRng.hex(24);
    const task = new TaskState({
      seq: this.tasks.size,
      taskId,
      params,
      createTime: this.clock.now(),
      calendar: new WindowCalendar(this.zone, windows),
      domain,
    });
    this.tasks.set(taskId, task);
    this.dialer.addTask(task);
    this.dialer.kick();
    return task;
  }

  /** A calendar of daily windows in the emulator's zone. */
  calendarFor(windows: readonly MinuteWindow[]): WindowCalendar {
    return new WindowCalendar(this.zone, windows);
  }

  /** The zone of the calling windows (and of the Agents API's local times). */
  get timeZone(): ZoneOffsets {
    return this.zone;
  }

  /** TASK_STATUS of a task now (ASSUMED state machine, see docs/emulator.md). */
  taskStatus(task: TaskState): number {
    const now = this.dialer.now;
    if (now < task.startAt) return TASK_STATUS.NOT_STARTED;
    if (task.count > 0 && task.finished === task.count && task.active === 0) return TASK_STATUS.FINISHED;
    if (task.expired || now >= task.endAt) return task.active > 0 ? TASK_STATUS.RUNNING : TASK_STATUS.EXPIRED;
    return task.calendar.isOpen(now) ? TASK_STATUS.RUNNING : TASK_STATUS.WAITING;
  }

  /** The taskInfo object of the contract: everything sent at creation plus status and counters. */
  taskInfo(task: TaskState): Record<string, unknown> {
    const status = this.taskStatus(task);
    const { companyId: _c, ...params } = task.params;
    void _c;
    return {
      ...params,
      taskId: task.taskId,
      status,
      statusName: enumName(TASK_STATUS, status),
      createTime: task.createTime,
      contactCount: task.count,
      finishedCount: task.finished,
      answeredCount: task.answered,
      callCount: task.recs,
      activeCalls: task.active,
    };
  }

  /** The contactDetail object of contact `c`, with every finished attempt. */
  contactDetail(task: TaskState, c: number): Record<string, unknown> {
    const recs = task.recordsOf(c);
    const calls = recs.map((r) => task.record(r, this.opts.companyId));
    const last = calls[calls.length - 1];
    const answered = calls.find((x) => x.intent != null);
    const status = task.contactStatus(c);
    const out: Record<string, unknown> = {
      taskId: task.taskId,
      outId: task.outIds[c],
      telephone: task.phone(c),
      status,
      statusName: enumName(CONTACT_STATUS, status),
      attempts: task.attempts[c],
      lastCallResult: last ? last.callResult : null,
      lastCallTime: last ? last.endTime : null,
      nextCallTime: status === CONTACT_STATUS.WAITING_REDIAL ? task.nextCall[c] : null,
      intent: answered?.intent ?? null,
      calls,
    };
    const vars = task.variables(c);
    if (vars) out.variables = vars;
    return out;
  }

  /** Counters for `GET /__emulator/stats`. */
  stats(): Record<string, unknown> {
    let contacts = 0;
    let calls = 0;
    for (const t of this.tasks.values()) {
      contacts += t.count;
      calls += t.recs;
    }
    return {
      tokensIssued: this.tokens.issued,
      tokensActive: this.tokens.activeCount(),
      tokenRevocations: this.tokens.revocations,
      requests: this.counters.requests,
      requestsByEndpoint: { ...this.counters.byEndpoint },
      responsesByCode: { ...this.counters.byCode },
      controlRequests: this.counters.controlRequests,
      faults: { ...this.faults.counts },
      tasks: this.tasks.size,
      contacts,
      calls,
      activeCalls: this.dialer.activeTotal,
      robotCount: this.opts.robotCount,
      pushes: this.pushes.stats(),
      clock: { now: this.clock.now(), simulatedUntil: this.dialer.now, mode: this.clock.mode, speed: this.clock.speed },
      // Memory of the emulator's process (the campaign benchmark reads it), bytes.
      memory: { rss: process.memoryUsage.rss(), maxRss: process.resourceUsage().maxRSS * 1024 },
      ...Object.fromEntries(Object.entries(this.statsHooks).map(([k, f]) => [k, f()])),
    };
  }
}

/** The domain view of a V5 create-task body (api/sobot-v5.md §3.2; timeType 2 = explicit window). */
function v5Domain(p: Record<string, unknown>, createTime: number): TaskDomain {
  const timed = p.timeType === 2;
  const pushUrl = p.pushFlag === 1 && typeof p.pushUrl === 'string' ? p.pushUrl : null;
  const rules = (p.taskRetryList as Array<{ retryNum: number; retryTime: number; retryCondition: number }> | undefined) ?? [];
  return {
    taskName: String(p.taskName),
    startAt: timed ? Number(p.startTime) : createTime,
    endAt: timed ? Number(p.endTime) : Number.POSITIVE_INFINITY,
    robotNum: Number(p.robotNum),
    aniList: (p.aniList as string[]).slice(),
    // `retryTime` is in minutes (ASSUMED).
    rules: rules.map((r) => ({ retryNum: r.retryNum, delayMs: r.retryTime * 60_000, results: RETRY_CONDITION[r.retryCondition]?.results ?? [] })),
    pushUrl,
    pushMode: pushUrl ? Number(p.pushType) : 0,
  };
}
