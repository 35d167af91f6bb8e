import { z } from 'zod';
import { dataType, hangupBy, jobStatus, resultStatus } from './enums.js';
import { callDetailLine } from './records.js';

/** Callback bodies `{dataType, data}` (api/sobot-agents.md §7). Tolerant: unknown keys and types pass. */

/** The body every callback has (§7.1). */
export const agentsCallback = z.looseObject({ dataType, data: z.unknown() });
/** A callback body. */
export type AgentsCallback = z.infer<typeof agentsCallback>;

/** The only acknowledgement the sender accepts: the body `success` (§7.1, [Y]). */
export const AGENTS_CALLBACK_ACK = 'success';

const id = z.union([z.number(), z.string().regex(/^\d+$/)]).transform((v) => Number(v));

/** `data` of ROBOT_CALL_RECORD (§7.3). */
export const callRecordCallback = z.looseObject({
  callRecordId: id,
  robotCallJobId: id,
  tenantId: z.number().nullish(),
  robotCallRobotName: z.string().nullish(),
  dialogFlowId: z.number().nullish(),
  tenantPhoneNumberId: z.number().nullish(),
  customerPersonName: z.string().nullish(),
  calledPhoneNumber: z.string(),
  startTime: z.string().nullish(),
  endTime: z.string().nullish(),
  resultStatus,
  hangupBy: hangupBy.nullish(),
  chatDuration: z.number().nullish(),
  chatRound: z.number().nullish(),
  intentLevelTagId: z.number().nullish(),
  intentLevelCode: z.number().nullish(),
  intentLevelDetailName: z.string().nullish(),
  fullAudioUrl: z.string().nullish(),
  redialTimes: z.number().nullish(),
  properties: z.record(z.string(), z.unknown()).nullish(),
  callDetailList: z.array(callDetailLine).nullish(),
});
/** A call record callback. */
export type CallRecordCallback = z.infer<typeof callRecordCallback>;

/** `data` of ROBOT_CALL_JOB (§7.4); `updateTime` is the emulator's (assumed) and optional. */
export const jobStatusCallback = z.looseObject({ robotCallJobId: id, tenantId: z.number().nullish(), status: jobStatus, updateTime: z.string().nullish() });

const importedPerson = z.looseObject({ phoneNumber: z.string().nullish(), name: z.string().nullish(), errMsg: z.string().nullish(), properties: z.record(z.string(), z.unknown()).nullish() });
/** `data` of API_ROBOT_CALL_JOB_IMPORT_RESULT (§7.5): at most 50 customers per callback. */
export const importResultCallback = z.looseObject({
  robotCallJobId: id,
  batchId: z.string(),
  successCustomerPersons: z.array(importedPerson).nullish(),
  failCustomerPersons: z.array(importedPerson).nullish(),
});
/** An import-result callback. */
export type ImportResultCallback = z.infer<typeof importResultCallback>;
/** Customers per import-result callback (§7.5). */
export const IMPORT_CALLBACK_CHUNK = 50;

/** `data` of FILER_TASK (§7.6). */
export const filteredCallback = z.looseObject({ filteredRobotCallTaskId: id, robotCallJobId: id, calledPhoneNumber: z.string().nullish(), filterType: z.string().nullish(), filterReason: z.string().nullish() });
/** `data` of CALL_SUMMARY (§7.8). */
export const callSummaryCallback = z.looseObject({ callRecordId: id, calljobId: id.nullish(), tenantId: z.number().nullish(), summary: z.string().max(500).nullish() });
