import { CALL_RESULT, CONTACT_STATUS, callResultName, type CallRecord } from '../contract/index.js';
import type { WindowCalendar } from './calendar.js';
import { intentLabel } from './outcomes.js';

/**
 * Compact per-task state. Contacts and call records live in parallel typed arrays (a few dozen
 * bytes each), so a task with a million contacts and their redials fits in a few hundred MB; the
 * JSON objects the API returns are built only when asked for.
 */

function grow<T extends Float64Array | Int32Array | Uint8Array | Uint16Array | Int8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = Math.max(1024, a.length);
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** A FIFO of int32 values (contact indexes waiting for a redial). */
export class IntQueue {
  private buf = new Int32Array(256);
  private head = 0;
  private tail = 0;
  get size(): number {
    return this.tail - this.head;
  }
  push(v: number): void {
    if (this.tail === this.buf.length) {
      const live = this.tail - this.head;
      // Compact in place when the dead prefix is large, otherwise double.
      if (this.head > this.buf.length / 2) this.buf.copyWithin(0, this.head, this.tail);
      else {
        const b = new Int32Array(this.buf.length * 2);
        b.set(this.buf.subarray(this.head, this.tail));
        this.buf = b;
      }
      this.head = 0;
      this.tail = live;
    }
    this.buf[this.tail++] = v;
  }
  peek(): number {
    return this.head < this.tail ? this.buf[this.head]! : -1;
  }
  shift(): number {
    return this.head < this.tail ? this.buf[this.head++]! : -1;
  }
}

/** A redial rule of the task, with its per-contact usage counter and its queue. */
export interface RedialRule {
  retryNum: number;
  /** Redial delay in ms (`retryTime` is in minutes, ASSUMED). */
  delayMs: number;
  /** Bitmask over CALL_RESULT codes that trigger this rule. */
  mask: number;
  /** Redials used per contact under this rule. */
  used: Uint16Array;
  /** Contacts waiting for a redial under this rule, in due order (delay is constant per rule). */
  queue: IntQueue;
}

/**
 * A task in domain terms, whichever API generation created it: the engine (dialer, calendar,
 * outcomes, pushes) reads only these, never a wire field name.
 */
export interface TaskDomain {
  taskName: string;
  /** First instant calls may start, epoch ms. */
  startAt: number;
  /** Instant the task expires, epoch ms (+Infinity: never). */
  endAt: number;
  /** Calls of this task at once. */
  robotNum: number;
  /** Caller numbers, rotated per contact and attempt. */
  aniList: string[];
  /** Redial rules: up to `retryNum` redials `delayMs` after a call ending with one of `results` (CALL_RESULT codes). */
  rules: ReadonlyArray<{ retryNum: number; delayMs: number; results: readonly number[] }>;
  /** V5 push target of this task, or null (the Agents surface delivers its own callbacks). */
  pushUrl: string | null;
  /** 0 = no push, 1 = final result per contact, 2 = every call (PUSH_TYPE). */
  pushMode: number;
  /** Not dialled while true (Agents: not yet started, paused or stopped). @default false */
  held?: boolean;
}

/** Everything the emulator knows about one task. */
export class TaskState {
  /** Creation index (0-based), used to seed outcomes. */
  readonly seq: number;
  readonly taskId: string;
  readonly taskName: string;
  /** The create-task body as validated (unknown keys kept), echoed by task detail. */
  readonly params: Record<string, unknown>;
  readonly createTime: number;
  /** First instant calls may start (startTime for timeType 2, createTime otherwise). */
  readonly startAt: number;
  /** Instant the task expires (endTime for timeType 2, +Infinity otherwise). */
  readonly endAt: number;
  /** Calls of this task at once (the Agents surface changes it: updateAiCount, modify). */
  robotNum: number;
  /** Daily windows (replaced by an Agents modify). */
  calendar: WindowCalendar;
  readonly rules: RedialRule[];
  readonly aniList: string[];
  readonly pushUrl: string | null;
  /** 0 = no push, 1 = final result per contact, 2 = every call (PUSH_TYPE). */
  readonly pushMode: number;

  expired = false;
  /** No new call starts while held (calls in flight finish); set by the Agents surface. */
  held = false;
  /** Called after each finished call of this task, after the V5 push hook (the Agents surface listens here). */
  onCall: ((record: number, final: boolean) => void) | null = null;
  active = 0;
  finished = 0;
  answered = 0;

  // Contacts, in the order added.
  count = 0;
  readonly outIds: string[] = [];
  readonly outIndex = new Map<string, number>();
  private phoneNum = new Float64Array(0);
  private phoneLen = new Uint8Array(0);
  /** Template variables as JSON text, only for contacts that have any. */
  readonly vars = new Map<number, string>();
  status = new Uint8Array(0);
  attempts = new Uint16Array(0);
  lastRec = new Int32Array(0);
  nextCall = new Float64Array(0);
  /** Next never-dialed contact. */
  freshNext = 0;

  // Finished call records, in end-time order (then callId order, which is the index).
  recs = 0;
  recContact = new Int32Array(0);
  recAttempt = new Uint16Array(0);
  recResult = new Uint8Array(0);
  recStart = new Float64Array(0);
  recRing = new Uint16Array(0);
  recTalk = new Uint16Array(0);
  recIntent = new Int8Array(0);
  recHangup = new Uint8Array(0);
  recAni = new Uint8Array(0);
  /** Previous record of the same contact, -1 for the first. */
  recPrev = new Int32Array(0);

  constructor(init: {
    seq: number;
    taskId: string;
    params: Record<string, unknown>;
    createTime: number;
    calendar: WindowCalendar;
    domain: TaskDomain;
  }) {
    const d = init.domain;
    this.seq = init.seq;
    this.taskId = init.taskId;
    this.params = init.params;
    this.taskName = d.taskName;
    this.createTime = init.createTime;
    this.startAt = d.startAt;
    this.endAt = d.endAt;
    this.robotNum = d.robotNum;
    this.calendar = init.calendar;
    this.aniList = d.aniList.slice();
    this.pushUrl = d.pushUrl;
    this.pushMode = d.pushUrl ? d.pushMode : 0;
    this.held = d.held ?? false;
    this.rules = d.rules.map((r) => {
      let mask = 0;
      for (const code of r.results) mask |= 1 << code;
      return { retryNum: Math.min(r.retryNum, 65_535), delayMs: r.delayMs, mask, used: new Uint16Array(0), queue: new IntQueue() };
    });
  }

  /** Adds one contact; returns false when its outId is already in the task. */
  addContact(outId: string, phone: string, vars: Record<string, unknown> | null): boolean {
    if (this.outIndex.has(outId)) return false;
    const i = this.count;
    const n = i + 1;
    if (n > this.status.length) {
      this.phoneNum = grow(this.phoneNum, n);
      this.phoneLen = grow(this.phoneLen, n);
      this.status = grow(this.status, n);
      this.attempts = grow(this.attempts, n);
      this.lastRec = grow(this.lastRec, n);
      this.nextCall = grow(this.nextCall, n);
      for (const r of this.rules) r.used = grow(r.used, n);
    }
    this.outIds.push(outId);
    this.outIndex.set(outId, i);
    // Normalised phones are ≤ 12 digits: exact in a double; the length restores leading zeros.
    this.phoneNum[i] = Number(phone);
    this.phoneLen[i] = phone.length;
    this.status[i] = CONTACT_STATUS.WAITING;
    this.lastRec[i] = -1;
    if (vars) this.vars.set(i, JSON.stringify(vars));
    this.count = n;
    return true;
  }

  /** The normalised telephone of contact `i`. */
  phone(i: number): string {
    return String(this.phoneNum[i]).padStart(this.phoneLen[i]!, '0');
  }

  /** Template variables of contact `i`, or undefined. */
  variables(i: number): Record<string, unknown> | undefined {
    const v = this.vars.get(i);
    return v === undefined ? undefined : (JSON.parse(v) as Record<string, unknown>);
  }

  /** Appends a finished call; returns its record index. */
  appendRecord(c: number, attempt: number, result: number, start: number, ring: number, talk: number, intent: number, hangup: number, ani: number): number {
    const r = this.recs;
    const n = r + 1;
    if (n > this.recContact.length) {
      this.recContact = grow(this.recContact, n);
      this.recAttempt = grow(this.recAttempt, n);
      this.recResult = grow(this.recResult, n);
      this.recStart = grow(this.recStart, n);
      this.recRing = grow(this.recRing, n);
      this.recTalk = grow(this.recTalk, n);
      this.recIntent = grow(this.recIntent, n);
      this.recHangup = grow(this.recHangup, n);
      this.recAni = grow(this.recAni, n);
      this.recPrev = grow(this.recPrev, n);
    }
    this.recContact[r] = c;
    this.recAttempt[r] = attempt;
    this.recResult[r] = result;
    this.recStart[r] = start;
    this.recRing[r] = ring;
    this.recTalk[r] = talk;
    this.recIntent[r] = intent;
    this.recHangup[r] = hangup;
    this.recAni[r] = ani;
    this.recPrev[r] = this.lastRec[c]!;
    this.lastRec[c] = r;
    this.recs = n;
    return r;
  }

  /** End time (epoch ms) of record `r`. */
  recEnd(r: number): number {
    return this.recStart[r]! + (this.recRing[r]! + this.recTalk[r]!) * 1000;
  }

  /** The callId of record `r`: 32 hex, task prefix + zero-padded index, so ids sort like indexes. */
  callId(r: number): string {
    return this.taskId.slice(0, 20) + r.toString(16).padStart(12, '0');
  }

  /** Builds the wire object of record `r` (callRecord of the contract). */
  record(r: number, companyId: string): CallRecord {
    const c = this.recContact[r]!;
    const start = this.recStart[r]!;
    const ring = this.recRing[r]!;
    const result = this.recResult[r]!;
    const answered = result === CALL_RESULT.ANSWERED;
    const rec: CallRecord = {
      companyId,
      taskId: this.taskId,
      taskName: this.taskName,
      outId: this.outIds[c]!,
      telephone: this.phone(c),
      callId: this.callId(r),
      attempt: this.recAttempt[r]!,
      callResult: result,
      callResultName: callResultName(result),
      startTime: start,
      answerTime: answered ? start + ring * 1000 : null,
      endTime: this.recEnd(r),
      ringDuration: ring,
      talkDuration: this.recTalk[r]!,
      intent: intentLabel(this.recIntent[r]!),
      hangupBy: this.recHangup[r]!,
      aniNumber: this.aniList[this.recAni[r]!] ?? '',
    };
    const vars = this.variables(c);
    if (vars) rec.variables = vars;
    return rec;
  }

  /** Record indexes of contact `c`, oldest first. */
  recordsOf(c: number): number[] {
    const out: number[] = [];
    for (let r = this.lastRec[c]!; r >= 0; r = this.recPrev[r]!) out.push(r);
    return out.reverse();
  }

  /** CONTACT_STATUS of contact `c` as the API reports it (never-dialed contacts of an expired task: NOT_DIALED). */
  contactStatus(c: number): number {
    const s = this.status[c]!;
    return this.expired && s === CONTACT_STATUS.WAITING ? CONTACT_STATUS.NOT_DIALED : s;
  }
}
