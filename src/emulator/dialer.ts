import { CALL_RESULT, CONTACT_STATUS } from '../contract/index.js';
import { outcomeFor, type Outcome } from './outcomes.js';
import type { TaskState } from './store.js';

/** A call in progress (at most one per busy robot, so plain objects are fine here). */
interface ActiveCall {
  end: number;
  task: TaskState;
  contact: number;
  attempt: number;
  result: number;
  start: number;
  ring: number;
  talk: number;
  intent: number;
  hangup: number;
  ani: number;
  /** Start order, the last tie-breaker of the heap. */
  order: number;
}

/** Called for every finished call; `final` is true when the contact will not be dialed again. */
export type CallFinishedHook = (task: TaskState, record: number, final: boolean) => void;

function before(a: ActiveCall, b: ActiveCall): boolean {
  if (a.end !== b.end) return a.end < b.end;
  if (a.task.seq !== b.task.seq) return a.task.seq < b.task.seq;
  return a.order < b.order;
}

/**
 * The dialer: a discrete-event simulation driven by the virtual clock. `runUntil(t)` processes,
 * in time order, every call end, redial, window opening and expiry up to `t`, starting calls as
 * robots free up. It never reads the clock itself, so the same calls to `runUntil` give the same
 * calls whatever the wall time.
 */
export class Dialer {
  /** Time up to which everything has been simulated. */
  now: number;
  readonly tasks: TaskState[] = [];
  private live: TaskState[] = [];
  private readonly heap: ActiveCall[] = [];
  private order = 0;
  activeTotal = 0;
  callsStarted = 0;
  callsFinished = 0;
  private readonly scratch: Outcome = { result: 0, ring: 0, talk: 0, intent: -1, hangupBy: 0 };

  constructor(
    private readonly seed: number,
    readonly robotCount: number,
    start: number,
    private readonly onFinished: CallFinishedHook,
  ) {
    this.now = start;
  }

  /** Registers a new task (its first calls start on the next `runUntil`/`kick`). */
  addTask(task: TaskState): void {
    this.tasks.push(task);
    this.live.push(task);
  }

  /** Starts whatever can start at the current simulated time (after contacts were added). */
  kick(): void {
    this.dispatch(this.now);
  }

  /** Simulates everything due up to `target` (epoch ms). */
  runUntil(target: number): void {
    if (target < this.now) return;
    for (;;) {
      this.dispatch(this.now);
      // A task created with its end already past reports an event before now: handle it now.
      const t = Math.max(this.now, this.nextEventTime(this.now));
      if (t > target) break;
      this.now = t;
      const heap = this.heap;
      while (heap.length > 0 && heap[0]!.end <= t) this.finish(this.pop());
      for (let i = 0; i < this.live.length; i++) {
        const task = this.live[i]!;
        if (t >= task.endAt) {
          this.expire(task);
          this.live.splice(i--, 1);
        }
      }
    }
    this.now = target;
  }

  /** The earliest instant something happens after `now` (a call ends, a window opens, a redial is due, a task starts or expires). */
  private nextEventTime(now: number): number {
    let t = this.heap.length > 0 ? this.heap[0]!.end : Number.POSITIVE_INFINITY;
    const companyFree = this.activeTotal < this.robotCount;
    for (const task of this.live) {
      if (task.endAt < t) t = task.endAt;
      if (task.held) continue;
      if (task.startAt > now) {
        if (task.startAt < t) t = task.startAt;
        continue;
      }
      if (!companyFree || task.active >= task.robotNum) continue;
      let w = task.freshNext < task.count ? now : Number.POSITIVE_INFINITY;
      if (w > now) {
        for (const r of task.rules) {
          const c = r.queue.peek();
          if (c >= 0) {
            const due = task.nextCall[c]!;
            if (due < w) w = due;
          }
        }
      }
      if (w === Number.POSITIVE_INFINITY || w >= t) continue;
      const open = task.calendar.nextOpen(Math.max(w, now));
      // dispatch() already started everything startable at `now`, so an answer of `now` here
      // would loop; it cannot happen, but guard against it anyway.
      if (open > now && open < t && open < task.endAt) t = open;
    }
    return t;
  }

  private dispatch(now: number): void {
    let free = this.robotCount - this.activeTotal;
    if (free <= 0) return;
    const live = this.live;
    // Round-robin one call at a time over tasks in creation order, so tasks share the company's robots.
    let progress = true;
    while (free > 0 && progress) {
      progress = false;
      for (let i = 0; i < live.length && free > 0; i++) {
        const task = live[i]!;
        if (task.held || task.active >= task.robotNum || now < task.startAt || now >= task.endAt) continue;
        const c = this.nextContact(task, now);
        if (c < 0) continue;
        if (!task.calendar.isOpen(now)) continue;
        this.startCall(task, this.takeContact(task, now), now);
        free--;
        progress = true;
      }
    }
  }

  /** The contact to dial next without taking it: a due redial first, else the next fresh contact. */
  private nextContact(task: TaskState, now: number): number {
    let best = -1;
    let bestDue = Number.POSITIVE_INFINITY;
    for (const r of task.rules) {
      const c = r.queue.peek();
      if (c >= 0) {
        const due = task.nextCall[c]!;
        if (due <= now && due < bestDue) {
          best = c;
          bestDue = due;
        }
      }
    }
    if (best >= 0) return best;
    return task.freshNext < task.count ? task.freshNext : -1;
  }

  private takeContact(task: TaskState, now: number): number {
    let bestRule = -1;
    let bestDue = Number.POSITIVE_INFINITY;
    for (let k = 0; k < task.rules.length; k++) {
      const c = task.rules[k]!.queue.peek();
      if (c >= 0) {
        const due = task.nextCall[c]!;
        if (due <= now && due < bestDue) {
          bestRule = k;
          bestDue = due;
        }
      }
    }
    if (bestRule >= 0) return task.rules[bestRule]!.queue.shift();
    return task.freshNext++;
  }

  private startCall(task: TaskState, c: number, now: number): void {
    const attempt = task.attempts[c]! + 1;
    task.attempts[c] = attempt;
    task.status[c] = CONTACT_STATUS.CALLING;
    task.nextCall[c] = 0;
    const o = outcomeFor(this.seed, task.seq, c, attempt, this.scratch);
    const call: ActiveCall = {
      end: now + (o.ring + o.talk) * 1000,
      task,
      contact: c,
      attempt,
      result: o.result,
      start: now,
      ring: o.ring,
      talk: o.talk,
      intent: o.intent,
      hangup: o.hangupBy,
      // Caller IDs rotate per contact and attempt (ASSUMED; the real selection rule is unknown).
      ani: (c + attempt - 1) % task.aniList.length,
      order: this.order++,
    };
    task.active++;
    this.activeTotal++;
    this.callsStarted++;
    this.push(call);
  }

  private finish(call: ActiveCall): void {
    const task = call.task;
    const c = call.contact;
    const result = call.result;
    task.active--;
    this.activeTotal--;
    this.callsFinished++;
    const rec = task.appendRecord(c, call.attempt, result, call.start, call.ring, call.talk, call.intent, call.hangup, call.ani);
    if (result === CALL_RESULT.ANSWERED) task.answered++;
    let final = true;
    if (!task.expired) {
      // The first rule matching this result that still has redials left applies (ASSUMED).
      for (const rule of task.rules) {
        if ((rule.mask & (1 << result)) === 0 || rule.used[c]! >= rule.retryNum) continue;
        const due = call.end + rule.delayMs;
        // A redial that would fall after the task's end is never made: the result is final now.
        if (due < task.endAt) {
          rule.used[c] = rule.used[c]! + 1;
          task.nextCall[c] = due;
          task.status[c] = CONTACT_STATUS.WAITING_REDIAL;
          // Call ends are processed in time order and the delay is constant per rule: the queue stays sorted by due time.
          rule.queue.push(c);
          final = false;
        }
        break;
      }
    }
    if (final) {
      task.status[c] = CONTACT_STATUS.FINISHED;
      task.finished++;
    }
    this.onFinished(task, rec, final);
  }

  private expire(task: TaskState): void {
    task.expired = true;
    // Contacts waiting for a redial keep their last result as final (ASSUMED).
    for (const r of task.rules) {
      for (let c = r.queue.shift(); c >= 0; c = r.queue.shift()) {
        task.status[c] = CONTACT_STATUS.FINISHED;
        task.nextCall[c] = 0;
        task.finished++;
        this.onFinished(task, task.lastRec[c]!, true);
      }
    }
  }

  private push(call: ActiveCall): void {
    const h = this.heap;
    h.push(call);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): ActiveCall {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
