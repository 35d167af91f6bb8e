import { MAX_PUSH_DEPTH, parseStoredBody } from './json-depth.js';
import { createHash } from 'node:crypto';
import { CALL_RESULT, HANGUP_BY, pushEvent, type PushEvent } from '../contract/index.js';

/**
 * Fields the receiver pulls out of a push when present. The V5 push payload is not documented
 * (api/sobot-v5.md §3.11), so every field is optional and may come from an alias.
 */
export interface ExtractedFields {
  taskId?: string;
  outId?: string;
  callId?: string;
  /** 1 for the first call, 2 for the first redial, ... */
  attempt?: number;
  telephone?: string;
  /** CALL_RESULT code. */
  callResult?: number;
  /** Name of the outcome as sent, or the CALL_RESULT name of `callResult`. */
  callResultName?: string;
  /** Epoch ms. */
  startTime?: number;
  /** Epoch ms. */
  answerTime?: number;
  /** Epoch ms. */
  endTime?: number;
  /** Seconds. */
  ringDuration?: number;
  /** Seconds. */
  talkDuration?: number;
  intent?: string;
  hangupBy?: number;
  eventType?: string;
}

/** One event found in a push body: its raw text, its parsed value, what we could extract, and its dedup key. */
export interface ParsedEvent {
  /** True when the item matches the contract's `pushEvent` schema exactly. */
  known: boolean;
  /** The contract-typed record when `known`, else null. */
  record: PushEvent | null;
  fields: ExtractedFields;
  /** The parsed JSON of this item. */
  body: unknown;
  /** Raw bytes stored for this item: the request body itself, or one item's JSON when a body carries a list. */
  raw: Uint8Array;
  /** Deterministic dedup key (see {@link eventKey}). */
  key: string;
}

// Keys are matched after lower-casing and removing `_`/`-`, so `task_id`, `TaskId` and `task-id` all match.
// Aliases come from the Sobot Agents push (robotCallJobId, callRecordId, calledPhoneNumber, resultStatus,
// chatDuration, intentLevelCode: api/sobot-v5.md §10) and from common naming habits.
const ALIASES: Record<keyof ExtractedFields, readonly string[]> = {
  taskId: ['taskid', 'robotcalljobid', 'jobid', 'calltaskid'],
  outId: ['outid', 'externalid', 'bizid', 'businessid', 'reference', 'referenceid'],
  callId: ['callid', 'callrecordid', 'recordid', 'calluuid', 'sessionid'],
  attempt: ['attempt', 'attemptno', 'callattempt', 'calltimes', 'dialtimes', 'dialcount'],
  telephone: ['telephone', 'phone', 'phonenumber', 'mobile', 'calledphonenumber', 'customerphone', 'callee', 'callednumber', 'tel'],
  callResult: ['callresult', 'result', 'resultstatus', 'callstatus', 'dialresult', 'resultcode'],
  callResultName: ['callresultname', 'resultname', 'resultstatusname', 'callstatusname'],
  startTime: ['starttime', 'callstarttime', 'begintime', 'dialtime', 'calltime'],
  answerTime: ['answertime', 'connecttime', 'pickuptime', 'answeredtime'],
  endTime: ['endtime', 'callendtime', 'hanguptime', 'finishtime'],
  ringDuration: ['ringduration', 'ringseconds', 'ringsecs'],
  talkDuration: ['talkduration', 'chatduration', 'callduration', 'duration', 'billsec', 'talkseconds'],
  intent: ['intent', 'intentlevel', 'intentlevelcode', 'intentlabel', 'intenttag', 'intentname'],
  hangupBy: ['hangupby', 'hangupside', 'hangupparty'],
  eventType: ['eventtype', 'event', 'datatype', 'type', 'pushtype'],
};

// Wrappers a sender may put the record in (Agents style `{dataType, data}`, envelopes `{content}`...).
const WRAPPERS = ['data', 'content', 'record', 'result', 'body', 'payload', 'callrecord', 'detail'];

const MAX_ID = 256;
const HANGUP_NAMES: Record<string, number> = {
  CUSTOMER: HANGUP_BY.CUSTOMER,
  REMOTE_HANGUP: HANGUP_BY.CUSTOMER,
  ROBOT: HANGUP_BY.ROBOT,
  INITIAL_HANGUP: HANGUP_BY.ROBOT,
  SYSTEM: HANGUP_BY.OTHER,
  OTHER: HANGUP_BY.OTHER,
  OTHER_HANGUP: HANGUP_BY.OTHER,
};

// Senders reuse the same few key names in every push: remember their normal form (bounded).
const NORM = new Map<string, string>();
function normKey(k: string): string {
  let n = NORM.get(k);
  if (n === undefined) {
    n = k.toLowerCase().replace(/[_\-\s]/g, '');
    if (NORM.size < 4096) NORM.set(k, n);
  }
  return n;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asId(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  // NUL cannot be stored in a PostgreSQL text column; such a value is no usable id anyway (the raw body keeps it).
  return s.length > 0 && s.length <= MAX_ID && !s.includes('\u0000') ? s : undefined;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** An integer that fits a 32-bit column (codes and counters); anything else is not extracted. */
function asInt(v: unknown): number | undefined {
  const n = asNumber(v);
  return n !== undefined && Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 ? n : undefined;
}

// "yyyy-MM-dd HH:mm:ss" without zone is how the Agents push writes times (api/sobot-v5.md §10); Sobot is
// a mainland service, so such local times are read as China Standard Time (UTC+8).
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/** Reads a timestamp: epoch ms, epoch seconds, numeric string, CST local time or ISO 8601 with zone. */
export function parseTime(v: unknown): number | undefined {
  const n = asNumber(v);
  if (n !== undefined) {
    if (n >= 1e12 && n < 1e14) return Math.trunc(n);
    // Epoch seconds (1973..5138): the contract says ms, but senders often use seconds.
    if (n >= 1e8 && n < 1e11) return Math.trunc(n * 1000);
    return undefined;
  }
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const m = LOCAL_TIME.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, se, ms] = m;
    const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se ?? 0), Number((ms ?? '0').padEnd(3, '0')));
    return Number.isFinite(t) ? t - 8 * 3600_000 : undefined;
  }
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(s)) {
    const t = Date.parse(s);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

function readField<K extends keyof ExtractedFields>(key: K, v: unknown): ExtractedFields[K] | undefined {
  switch (key) {
    case 'taskId':
    case 'outId':
    case 'callId':
    case 'eventType':
      return asId(v) as ExtractedFields[K];
    case 'telephone':
      return asId(v) as ExtractedFields[K];
    case 'attempt': {
      const n = asInt(v);
      return (n !== undefined && n > 0 && n < 1e6 ? n : undefined) as ExtractedFields[K];
    }
    case 'callResult': {
      const n = asInt(v);
      if (n !== undefined) return n as ExtractedFields[K];
      return undefined;
    }
    case 'callResultName':
      return (typeof v === 'string' ? asId(v.slice(0, MAX_ID)) : undefined) as ExtractedFields[K];
    case 'startTime':
    case 'answerTime':
    case 'endTime':
      return parseTime(v) as ExtractedFields[K];
    case 'ringDuration':
    case 'talkDuration': {
      const n = asNumber(v);
      return (n !== undefined && n >= 0 ? n : undefined) as ExtractedFields[K];
    }
    case 'intent':
      return (v === null ? undefined : asId(v)) as ExtractedFields[K];
    case 'hangupBy': {
      const n = asInt(v);
      if (n !== undefined) return n as ExtractedFields[K];
      return (typeof v === 'string' ? HANGUP_NAMES[v.trim().toUpperCase()] : undefined) as ExtractedFields[K];
    }
  }
  return undefined;
}

const FIELDS = Object.keys(ALIASES) as Array<keyof ExtractedFields>;
// Normalised alias -> [field index, rank]; the rank is the alias's place in its list (0 = the contract's name).
const ALIAS_INDEX = new Map<string, readonly [number, number]>();
FIELDS.forEach((f, fi) => ALIASES[f].forEach((a, rank) => ALIAS_INDEX.set(a, [fi, rank])));
const WRAPPER_SET = new Set(WRAPPERS);

function collect(obj: Record<string, unknown>, out: ExtractedFields, depth: number): void {
  // One pass over the keys: each key is looked up once; candidates are kept per field with their rank.
  let cands: Array<Array<readonly [number, unknown]> | undefined> | undefined;
  let nested: Record<string, unknown>[] | undefined;
  for (const k in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
    const v = obj[k];
    const nk = normKey(k);
    const hit = ALIAS_INDEX.get(nk);
    if (hit !== undefined && out[FIELDS[hit[0]]!] === undefined && !isObject(v) && !Array.isArray(v)) {
      cands ??= [];
      (cands[hit[0]] ??= []).push([hit[1], v]);
    }
    if (depth < 2 && WRAPPER_SET.has(nk)) {
      if (isObject(v)) (nested ??= []).push(v);
      else if (typeof v === 'string' && v.trimStart().startsWith('{')) {
        // Some senders double-encode the record as a JSON string inside the wrapper.
        // Bounded like the body itself; not JSON (or too deep) after all: the raw body is stored anyway.
        const inner = parseStoredBody(v, MAX_PUSH_DEPTH);
        if (inner.ok && isObject(inner.value)) (nested ??= []).push(inner.value);
      }
    }
  }
  if (cands !== undefined) {
    cands.forEach((list, fi) => {
      if (list === undefined) return;
      const field = FIELDS[fi]!;
      // Aliases are tried in their listed order, so the contract's own name wins over a look-alike.
      if (list.length > 1) list.sort((a, b) => a[0] - b[0]);
      for (const [, v] of list) {
        // A string outcome such as "ANSWERED" is a name: map it to the CALL_RESULT code when we know it.
        if (field === 'callResult' && typeof v === 'string' && asInt(v) === undefined) {
          const name = asId(v.trim().toUpperCase().slice(0, MAX_ID));
          if (name === undefined) continue;
          if (out.callResultName === undefined) out.callResultName = name;
          const code = (CALL_RESULT as Record<string, number>)[name];
          if (code !== undefined) {
            out.callResult = code;
            break;
          }
          continue;
        }
        const val = readField(field, v);
        if (val !== undefined) {
          (out as Record<string, unknown>)[field] = val;
          break;
        }
      }
    });
  }
  // Outer fields win over nested ones: wrappers are searched only for what is still missing.
  if (nested !== undefined) for (const n of nested) collect(n, out, depth + 1);
}

/** Extracts the known fields from one JSON value, tolerating aliases, wrappers, strings for numbers and other time formats. */
export function extractFields(value: unknown): ExtractedFields {
  const out: ExtractedFields = {};
  if (!isObject(value)) return out;
  collect(value, out, 0);
  if (out.callResult !== undefined && out.callResultName === undefined) {
    for (const [name, code] of Object.entries(CALL_RESULT)) if (code === out.callResult) out.callResultName = name;
  }
  return out;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/**
 * The deduplication key of an event: the JSON array `[taskId, outId, callId, attempt]` when the event
 * names a task and either a call id or an outId with an attempt; otherwise `sha256:` + the hash of the
 * raw bytes, so an exact resend of an unidentifiable body is still stored once.
 */
export function eventKey(fields: ExtractedFields, raw: Uint8Array): string {
  const { taskId, outId, callId, attempt } = fields;
  if (taskId !== undefined && (callId !== undefined || (outId !== undefined && attempt !== undefined))) {
    return JSON.stringify([taskId, outId ?? null, callId ?? null, attempt ?? null]);
  }
  return `sha256:${sha256(raw)}`;
}

/** Builds the event of one JSON item: contract parse first, tolerant extraction when that fails. */
export function parseItem(value: unknown, raw: Uint8Array): ParsedEvent {
  // Fields always go through the tolerant, range-checked extraction, even for a contract-valid record:
  // the contract allows any number where a column holds 32 bits, and an empty outId.
  const fields = extractFields(value);
  const r = pushEvent.safeParse(value);
  if (r.success) return { known: true, record: r.data, fields, body: value, raw, key: eventKey(fields, raw) };
  return { known: false, record: null, fields, body: value, raw, key: eventKey(fields, raw) };
}

/**
 * Splits a parsed push body into events. A JSON array of objects is a batch: one event per item, each
 * storing that item's JSON (the request body as a whole has no single identity). Anything else is one
 * event storing the exact request bytes.
 */
export function parseBody(value: unknown, raw: Uint8Array): ParsedEvent[] {
  if (Array.isArray(value) && value.length > 0 && value.every(isObject)) {
    return value.map((item) => parseItem(item, Buffer.from(JSON.stringify(item))));
  }
  return [parseItem(value, raw)];
}
