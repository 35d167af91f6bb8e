import { z } from 'zod';

/**
 * Enumerations of the Agents API (api/sobot-agents.md §8). Every enum is OPEN: a value the spec does
 * not list passes through as a plain string, so a server that adds one never breaks a client.
 */

/** A zod schema accepting the known values and any other non-empty string (typed as `K | (string & {})`). */
export function openEnum<const K extends readonly [string, ...string[]]>(values: K) {
  return z.string().min(1, 'must be a non-empty string').describe(values.join(' | ')) as unknown as z.ZodType<K[number] | (string & {}), string>;
}

/** Task status names with their codes (§8.1). */
export const JOB_STATUS = {
  NOT_STARTED: 0, IN_PROCESS: 1, COMPLETED: 2, RUNNABLE: 3, USER_PAUSE: 4, SYSTEM_SUSPENDED: 5, TERMINATE: 6,
  IN_QUEUE: 7, SYSTEM_HANG_UP: 10, WAITING_FOR_REDIAL: 11, ACCOUNT_DISABLE: 12, MAINTAIN: 13,
} as const;
/** A task status name (open). */
export type JobStatus = keyof typeof JOB_STATUS | (string & {});
/** The known task status names. */
export const JOB_STATUS_NAMES = Object.keys(JOB_STATUS) as [keyof typeof JOB_STATUS, ...Array<keyof typeof JOB_STATUS>];
/** Open schema of a task status. */
export const jobStatus = openEnum(JOB_STATUS_NAMES);

/** Call result `resultStatus` with codes (§8.4); the codes are the toolkit's domain CALL_RESULT codes too. */
export const RESULT_STATUS = {
  ANSWERED: 0, NO_ANSWER: 1, BUSY: 2, POWER_OFF: 3, OUT_OF_SERVICE: 4, REFUSED: 5, VACANT_NUMBER: 6,
  CAN_NOT_CONNECT: 7, FROM_PHONE_ERROR: 8, SYSTEM_ERROR: 9, CALL_LOSS: 10, TRANSFER_ARTIFICIAL: 11,
  EXTENSION_NUMBER: 19, CALL_LIMIT: 19, LINE_INTERCEPT: 20,
} as const;
/** The known call result names. */
export const RESULT_STATUS_NAMES = Object.keys(RESULT_STATUS) as [keyof typeof RESULT_STATUS, ...Array<keyof typeof RESULT_STATUS>];
/** Open schema of a call result. */
export const resultStatus = openEnum(RESULT_STATUS_NAMES);
/** A call result name (open). */
export type ResultStatus = keyof typeof RESULT_STATUS | (string & {});

/** Name of a domain call-result code (first match; 19 is EXTENSION_NUMBER). */
export function resultStatusName(code: number): string {
  for (const [k, v] of Object.entries(RESULT_STATUS)) if (v === code) return k;
  return `UNKNOWN_${code}`;
}

/** Who hung up (§8.5). */
export const HANGUP_BY_NAMES = ['REMOTE_HANGUP', 'INITIAL_HANGUP', 'CS_HANGUP', 'OTHER_HANGUP'] as const;
/** Open schema of `hangupBy`. */
export const hangupBy = openEnum(HANGUP_BY_NAMES);

/** Task mode (§8.3). */
export const JOB_MODES = ['MANUAL', 'AUTO'] as const;
/** Open schema of a task mode. */
export const jobMode = openEnum(JOB_MODES);

/** Task caller type (§8.6). */
export const PHONE_TYPES = ['MOBILE', 'LANDLINE', 'CALL_POLICY_GROUP', 'UNFIXED_CALL'] as const;
/** Open schema of a task's caller type. */
export const phoneType = openEnum(PHONE_TYPES);

/** Bulk operation (§8.8). */
export const OPERATIONS = ['START', 'PAUSE'] as const;
/** Open schema of a bulk operation. */
export const operation = openEnum(OPERATIONS);

/** Redial trigger statuses (§8.9). */
export const REDIAL_CONDITIONS = ['CALL_LOSS', 'NO_ANSWER', 'BUSY', 'REFUSED', 'POWER_OFF', 'OUT_OF_SERVICE', 'CAN_NOT_CONNECT', 'FROM_PHONE_ERROR', 'SYSTEM_ERROR'] as const;
/** Open schema of a redial trigger. */
export const redialCondition = openEnum(REDIAL_CONDITIONS);

/** Built-in intent levels A–F with codes 0–5 (§8.7). */
export const INTENT_LEVELS = [
  { code: 0, name: 'A(较强)' }, { code: 1, name: 'B(一般)' }, { code: 2, name: 'C(无法判断)' },
  { code: 3, name: 'D(很少)' }, { code: 4, name: 'E(需要再次跟进)' }, { code: 5, name: 'F(无需再次跟进)' },
] as const;

/** Callback `dataType` values (§7.2, plus CALL_SUMMARY). */
export const DATA_TYPES = [
  'ROBOT_CALL_RECORD', 'ROBOT_CALL_JOB', 'ROBOT_CALL_SMS', 'CS_CALL_RECORD', 'QC_RECORD', 'FILER_TASK', 'ADD_WECHAT',
  'API_ROBOT_CALL_JOB_IMPORT_RESULT', 'API_CROWN_PACK_IMPORT_RESULT', 'CUSTOMER_BLACK_LIST', 'SMS_SEND_RECORD',
  'BATCH_SMS_SEND_RECORD', 'SMS_RECEPT_RECORD', 'BATCH_SMS_RECEPT_RECORD', 'UP_SMS_RECORD', 'BATCH_UP_SMS_RECORD',
  'ROBOT_CALL_GENDER', 'API_BLACK_LIST_IMPORT_RESULT', 'VIDEO_CALL_OUT_RECORD', 'MANUAL_INTENT_CHANGE', 'CALL_SUMMARY',
] as const;
/** Open schema of a callback `dataType`. */
export const dataType = openEnum(DATA_TYPES);
/** A callback type (open). */
export type DataType = (typeof DATA_TYPES)[number] | (string & {});
