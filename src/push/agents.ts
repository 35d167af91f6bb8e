import { createHash } from 'node:crypto';
import { HANGUP_BY } from '../contract/index.js';
import {
  RESULT_STATUS, agentsCallback, callRecordCallback, callSummaryCallback, filteredCallback, importResultCallback, jobStatusCallback,
  type AgentsCallRecord, type AgentsCallback, type CallRecordsQuery,
} from '../contract/agents/index.js';
import { extractFields, parseTime, type ExtractedFields, type ParsedEvent } from './extract.js';
import type { EventStore, InsertResult, NewEvent } from './store.js';

/**
 * Agents (apiOpen/v1) callbacks in the receiver's one store (api/sobot-agents.md §7): each
 * `{dataType, data}` body becomes one event with a key that repeats for a resend, and a call record
 * fills the same result columns as a V5 push (outcome, intent, durations, attempt).
 */

/** Every stored Agents event's key starts with this (how replay tells the generations apart). */
export const AGENTS_KEY_PREFIX = 'agents:';

const HANGUP: Record<string, number> = { REMOTE_HANGUP: HANGUP_BY.CUSTOMER, INITIAL_HANGUP: HANGUP_BY.ROBOT, CS_HANGUP: HANGUP_BY.OTHER, OTHER_HANGUP: HANGUP_BY.OTHER };
const sha = (s: Uint8Array | string) => createHash('sha256').update(s).digest('hex');

/** The result-model fields of an Agents call record (callback §7.3 or list item §4.1). */
export function agentsRecordFields(d: Record<string, unknown>): ExtractedFields {
  const f: ExtractedFields = { eventType: 'ROBOT_CALL_RECORD' };
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
  const set = <K extends keyof ExtractedFields>(k: K, v: ExtractedFields[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  set('taskId', str(d.robotCallJobId));
  set('callId', str(d.callRecordId));
  // Agents has no outId: the called number identifies the customer within a task (docs/agents.md).
  set('outId', str(d.calledPhoneNumber));
  set('telephone', str(d.calledPhoneNumber));
  const redials = typeof d.redialTimes === 'number' && Number.isInteger(d.redialTimes) && d.redialTimes >= 0 ? d.redialTimes : 0;
  f.attempt = redials + 1;
  const rs = str(d.resultStatus);
  if (rs !== undefined) {
    f.callResultName = rs;
    const code = (RESULT_STATUS as Record<string, number>)[rs];
    if (code !== undefined) f.callResult = code;
  }
  // Local times `yyyy-MM-dd HH:mm:ss` in the tenant's zone, read as China Standard Time (parseTime).
  set('startTime', parseTime(d.startTime));
  set('endTime', parseTime(d.endTime));
  if (typeof d.chatDuration === 'number' && d.chatDuration >= 0) f.talkDuration = d.chatDuration;
  // `C(待筛选)` → `C`; the list item calls it intentLevelName, the callback intentLevelDetailName.
  const label = str(d.intentLevelDetailName) ?? str(d.intentLevelName);
  if (label !== undefined) f.intent = /^[A-Z]\b|^[A-Z]\(/.test(label) ? label[0]! : label;
  const hb = str(d.hangupBy);
  if (hb !== undefined && HANGUP[hb] !== undefined) f.hangupBy = HANGUP[hb];
  return f;
}

/** Parses one Agents callback body into the event to store (key, fields, raw kept). */
export function parseAgentsCallback(value: unknown, raw: Uint8Array): ParsedEvent {
  const env = agentsCallback.safeParse(value);
  if (!env.success || typeof env.data.data !== 'object' || env.data.data === null) {
    // Not the `{dataType, data}` shape: keep it, identified by its bytes.
    return { known: false, record: null, fields: extractFields(value), body: value, raw, key: `${AGENTS_KEY_PREFIX}sha256:${sha(raw)}` };
  }
  const cb = env.data;
  const d = cb.data as Record<string, unknown>;
  const base = (known: boolean, key: string, fields: ExtractedFields): ParsedEvent => ({ known, record: null, fields: { ...fields, eventType: cb.dataType }, body: value, raw, key: AGENTS_KEY_PREFIX + key });
  const byBytes = `${cb.dataType}:sha256:${sha(raw)}`;
  const jobId = typeof d.robotCallJobId === 'number' || typeof d.robotCallJobId === 'string' ? String(d.robotCallJobId) : undefined;
  const taskField: ExtractedFields = jobId !== undefined ? { taskId: jobId } : {};
  switch (cb.dataType) {
    case 'ROBOT_CALL_RECORD': {
      const ok = callRecordCallback.safeParse(d).success;
      const f = agentsRecordFields(d);
      return base(ok, f.callId !== undefined ? `record:${f.callId}` : byBytes, f);
    }
    case 'API_ROBOT_CALL_JOB_IMPORT_RESULT': {
      const r = importResultCallback.safeParse(d);
      if (!r.success) return base(false, byBytes, taskField);
      // The callback has no chunk number: a chunk is named by the numbers it carries, so a resend
      // (same customers) has the same key and another chunk of the batch a different one.
      const phones = [...(r.data.successCustomerPersons ?? []), ...(r.data.failCustomerPersons ?? [])].map((p) => p.phoneNumber ?? '').sort();
      return base(true, `import:${r.data.robotCallJobId}:${r.data.batchId}:${sha(phones.join('\n')).slice(0, 32)}`, taskField);
    }
    case 'ROBOT_CALL_JOB': {
      const r = jobStatusCallback.safeParse(d);
      if (!r.success) return base(false, byBytes, taskField);
      // Without a time in the body (Sobot documents none), the bytes stand in for it.
      const when = r.data.updateTime ?? `sha256:${sha(raw)}`;
      return base(true, `job:${r.data.robotCallJobId}:${r.data.status}:${when}`, { ...taskField, callResultName: r.data.status });
    }
    case 'FILER_TASK': {
      const r = filteredCallback.safeParse(d);
      if (!r.success) return base(false, byBytes, taskField);
      const phone = r.data.calledPhoneNumber ?? undefined;
      return base(true, `filtered:${r.data.filteredRobotCallTaskId}`, { ...taskField, ...(phone ? { telephone: phone, outId: phone } : {}) });
    }
    case 'CALL_SUMMARY': {
      const r = callSummaryCallback.safeParse(d);
      if (!r.success) return base(false, byBytes, taskField);
      return base(true, `summary:${r.data.callRecordId}`, r.data.calljobId != null ? { taskId: String(r.data.calljobId) } : {});
    }
    default:
      return base(true, byBytes, taskField);
  }
}

/** The `{dataType, data}` of a stored Agents event, or null when it is not one. */
export function agentsCallbackOf(key: string, body: unknown): AgentsCallback | null {
  if (!key.startsWith(AGENTS_KEY_PREFIX)) return null;
  const r = agentsCallback.safeParse(body);
  return r.success ? r.data : null;
}

/** What reconciliation needs of an AgentsClient (structural, so a test double fits). */
export interface AgentsReconcileSource {
  records: { iterate(query: CallRecordsQuery): AsyncIterable<AgentsCallRecord> };
}

/** Options of {@link reconcileAgents}. */
export interface AgentsReconcileOptions {
  /** An AgentsClient, or anything shaped like {@link AgentsReconcileSource}. */
  client: AgentsReconcileSource;
  robotCallJobId: number;
}

/** Outcome of an Agents reconciliation: records listed, already stored, backfilled, and stored but not listed. */
export interface AgentsReconcileReport {
  robotCallJobId: number;
  apiRecords: number;
  alreadyStored: number;
  backfilled: number;
  /** callRecordIds of the backfilled records (first 1000). */
  backfilledIds: number[];
  /** Stored call records of the task that getCallRecordInfoList did not list. */
  storedNotInApi: number;
}

/**
 * Compares the stored ROBOT_CALL_RECORD events of a task with getCallRecordInfoList and stores
 * (source `reconcile`) every record no callback delivered, keyed like a callback so a late
 * delivery is a duplicate.
 */
export async function reconcileAgents(
  store: EventStore,
  o: AgentsReconcileOptions,
  sink: (events: NewEvent[]) => Promise<InsertResult[]> = (e) => store.insert(e),
  now: () => number = Date.now,
): Promise<AgentsReconcileReport> {
  const taskId = String(o.robotCallJobId);
  const stored = new Set((await store.identities(taskId)).map((i) => i.key).filter((k) => k.startsWith(`${AGENTS_KEY_PREFIX}record:`)));
  const listed = new Set<string>();
  const report: AgentsReconcileReport = { robotCallJobId: o.robotCallJobId, apiRecords: 0, alreadyStored: 0, backfilled: 0, backfilledIds: [], storedNotInApi: 0 };
  let batch: NewEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const res = await sink(batch);
    res.forEach((r, i) => {
      if (!r.inserted) return;
      report.backfilled++;
      if (report.backfilledIds.length < 1000) report.backfilledIds.push(Number(batch[i]!.fields.callId));
    });
    batch = [];
  };
  for await (const rec of o.client.records.iterate({ robotCallJobId: o.robotCallJobId })) {
    report.apiRecords++;
    const raw = Buffer.from(JSON.stringify({ dataType: 'ROBOT_CALL_RECORD', data: rec }));
    const p = parseAgentsCallback(JSON.parse(raw.toString('utf8')) as unknown, raw);
    listed.add(p.key);
    if (stored.has(p.key)) {
      report.alreadyStored++;
      continue;
    }
    batch.push({ key: p.key, source: 'reconcile', known: p.known, receivedAt: now(), remoteAddress: null, contentType: 'application/json', fields: p.fields, raw });
    if (batch.length >= 200) await flush();
  }
  await flush();
  for (const k of stored) if (!listed.has(k)) report.storedNotInApi++;
  return report;
}
