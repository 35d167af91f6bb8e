import { CALL_RESULT, CONTACT_STATUS, HANGUP_BY } from '../../contract/index.js';
import { INTENT_LEVELS, resultStatusName, type JobStatus } from '../../contract/agents/index.js';
import type { ZoneOffsets } from '../calendar.js';
import type { TaskState } from '../store.js';
import { AGENTS_TENANT } from './seed.js';
import { formatLocal } from './time.js';

/** Agents names of the engine's hang-up codes (§8.5). */
const HANGUP_NAME: Record<number, string> = { [HANGUP_BY.CUSTOMER]: 'REMOTE_HANGUP', [HANGUP_BY.ROBOT]: 'INITIAL_HANGUP', [HANGUP_BY.OTHER]: 'OTHER_HANGUP' };

/** Record ids: the job id times this, plus the record index (ids sort like record indexes). */
const RECORD_ID_STRIDE = 100_000_000;
/** Customer ids: the job id times this, plus the contact index. */
const CUSTOMER_ID_STRIDE = 100_000_000;

/** One filtered (not dialled) customer (FILER_TASK, §7.6). */
export interface FilteredCustomer {
  filteredRobotCallTaskId: number;
  phone: string;
  name: string | null;
  properties: Record<string, string> | null;
  time: number;
}

/**
 * An Agents task over an engine task: the wire state the engine does not model (mode, started,
 * paused, terminated, names, batches) plus the mapping of engine records to Agents wire objects.
 */
export class AgentsJob {
  started: boolean;
  paused = false;
  stopped = false;
  deleted = false;
  /** Last status announced by ROBOT_CALL_JOB. */
  lastStatus: JobStatus;
  readonly batches = new Set<string>();
  readonly names = new Map<number, string>();
  readonly filtered: FilteredCustomer[] = [];
  /** Index of the engine rule that re-queues customers for reAddCustomerToJob (a rule no result triggers). */
  readonly reAddRule: number;

  constructor(
    readonly id: number,
    public name: string,
    readonly mode: string,
    public body: Record<string, unknown>,
    readonly task: TaskState,
    readonly dialogFlowId: number,
    readonly lineIds: readonly number[],
    readonly createTime: number,
  ) {
    this.started = mode !== 'MANUAL';
    this.lastStatus = 'NOT_STARTED';
    this.reAddRule = task.rules.length - 1;
  }

  /** Engine hold: no new calls unless started, not paused and not stopped. */
  applyHold(): void {
    this.task.held = !this.started || this.paused || this.stopped || this.deleted;
  }

  /** The task status now (ASSUMED state machine over the engine, docs/agents.md). */
  status(now: number): JobStatus {
    const t = this.task;
    if (this.stopped) return 'TERMINATE';
    if (!this.started || now < t.startAt) return 'NOT_STARTED';
    if (this.paused) return 'USER_PAUSE';
    if (t.count > 0 && t.finished === t.count && t.active === 0) return 'COMPLETED';
    if (t.active > 0) return 'IN_PROCESS';
    if (t.freshNext >= t.count && t.count > 0) return 'WAITING_FOR_REDIAL';
    return t.calendar.isOpen(now) ? 'IN_PROCESS' : 'RUNNABLE';
  }

  /** Call record id of engine record `r`. */
  recordId(r: number): number {
    return this.id * RECORD_ID_STRIDE + r + 1;
  }
  /** Engine record index of a call record id, or -1. */
  recordIndex(callRecordId: number): number {
    const r = callRecordId - this.id * RECORD_ID_STRIDE - 1;
    return r >= 0 && r < this.task.recs ? r : -1;
  }
  /** Customer id of contact `c`. */
  customerId(c: number): number {
    return this.id * CUSTOMER_ID_STRIDE + c + 1;
  }
  /** Contact index of a customer id, or -1. */
  contactIndex(customerPersonId: number): number {
    const c = customerPersonId - this.id * CUSTOMER_ID_STRIDE - 1;
    return c >= 0 && c < this.task.count ? c : -1;
  }

  /** Re-queues contact `c` to be called again now (reAddCustomerToJob); false when it is not finished. */
  reAdd(c: number, now: number): boolean {
    const t = this.task;
    if (t.status[c] !== CONTACT_STATUS.FINISHED) return false;
    t.status[c] = CONTACT_STATUS.WAITING_REDIAL;
    t.nextCall[c] = now;
    t.finished--;
    t.rules[this.reAddRule]!.queue.push(c);
    return true;
  }

  /**
   * The wire object of engine record `r`: the same object for the ROBOT_CALL_RECORD callback
   * (§7.3 names: intentLevelCode, intentLevelDetailName) and for getCallRecordInfoList (§4.1 names:
   * intentLevel, intentLevelName), so a receiver can compare them field for field.
   */
  record(r: number, zone: ZoneOffsets): Record<string, unknown> {
    const t = this.task;
    const c = t.recContact[r]!;
    const result = t.recResult[r]!;
    const intent = t.recIntent[r]!;
    const level = intent >= 0 ? INTENT_LEVELS[intent] : undefined;
    const talk = t.recTalk[r]!;
    const answered = result === CALL_RESULT.ANSWERED;
    const callRecordId = this.recordId(r);
    const chatRound = answered ? Math.max(1, Math.floor(talk / 15)) : 0;
    const lineIdx = t.recAni[r]!;
    const props = t.variables(c) ?? {};
    return {
      callRecordId,
      tenantId: AGENTS_TENANT.tenantId,
      robotCallJobId: this.id,
      robotCallRobotName: this.name,
      dialogFlowId: this.dialogFlowId,
      tenantPhoneNumberId: this.lineIds[lineIdx] ?? this.lineIds[0] ?? null,
      robotCallTaskId: this.customerId(c),
      customerPersonId: this.customerId(c),
      customerPersonName: this.names.get(c) ?? null,
      calledPhoneNumber: t.phone(c),
      startTime: formatLocal(zone, t.recStart[r]!),
      endTime: formatLocal(zone, t.recEnd(r)),
      resultStatus: resultStatusName(result),
      hangupBy: HANGUP_NAME[t.recHangup[r]!] ?? 'OTHER_HANGUP',
      chatDuration: talk,
      chatRound,
      intentLevelTagId: 1,
      intentLevelCode: level ? level.code : null,
      intentLevelDetailName: level ? level.name : null,
      intentLevel: level ? level.code : null,
      intentLevelName: level ? level.name : null,
      fullAudioUrl: answered ? `https://emulator.invalid/audio/${callRecordId}.wav` : null,
      redialTimes: t.recAttempt[r]! - 1,
      properties: props,
      callDetailList: transcript(callRecordId, chatRound),
    };
  }
}

/** A deterministic transcript of `rounds` exchanges (robot line, customer line). */
function transcript(callRecordId: number, rounds: number): Array<{ callDetailId: number; type: string; text: string }> {
  const out: Array<{ callDetailId: number; type: string; text: string }> = [];
  for (let i = 0; i < rounds && i < 20; i++) {
    out.push({ callDetailId: callRecordId * 100 + 2 * i, type: 'ROBOT', text: i === 0 ? '您好，这里是智齿外呼演示，请问现在方便吗？' : `第${i + 1}轮：请问还有什么问题？` });
    out.push({ callDetailId: callRecordId * 100 + 2 * i + 1, type: 'PERSON', text: i === 0 ? '方便，你说。' : '好的，知道了。' });
  }
  return out;
}
