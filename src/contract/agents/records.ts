import { z } from 'zod';
import { agentsPage } from './envelope.js';
import { hangupBy, resultStatus } from './enums.js';
import { DATE, DATETIME, longId } from './job.js';

/** Call records, statistics and filtered records (api/sobot-agents.md §3.18–3.19, §4). */

/** Records per getCallRecordInfoList call (§4.1: Sobot caps a call at 20). */
export const MAX_RECORDS_PAGE = 20;

/** One transcript line. */
export const callDetailLine = z.looseObject({ text: z.string().nullish(), type: z.string().nullish(), callDetailId: longId.nullish() });

/** Body of `POST callRecord/getCallRecordInfoList` (§4.1). */
export const callRecordsBody = z.looseObject({
  robotCallJobId: longId,
  hangupBy: hangupBy.optional(),
  customerGroupId: longId.optional(),
  dialogFlowId: longId.optional(),
  resultStatuses: z.array(resultStatus).optional(),
  intentLevelCodes: z.array(z.number().int()).optional(),
  calledPhoneNumber: z.string().optional(),
  callRecordId: longId.optional(),
  customerPersonName: z.string().optional(),
  lastCallRecord: z.boolean().optional(),
  chatDurationMin: z.number().int().nonnegative().optional(),
  chatDurationMax: z.number().int().nonnegative().optional(),
  pageNum: z.number().int('must be an integer').positive('must be a positive integer').optional(),
  pageSize: z.number().int('must be an integer').positive('must be a positive integer').max(MAX_RECORDS_PAGE, `must be at most ${MAX_RECORDS_PAGE}`).optional(),
});
/** Filters of the record list. */
export type CallRecordsQuery = z.input<typeof callRecordsBody>;

/** One completed call (§4.1 content[]). */
export const agentsCallRecord = z.looseObject({
  callRecordId: longId,
  robotCallJobId: longId,
  tenantId: z.number().nullish(),
  dialogFlowId: longId.nullish(),
  robotCallTaskId: z.number().nullish(),
  customerPersonId: z.number().nullish(),
  customerPersonName: z.string().nullish(),
  calledPhoneNumber: z.string(),
  phoneNumberId: z.number().nullish(),
  resultStatus,
  hangupBy: hangupBy.nullish(),
  intentLevel: z.number().nullish(),
  intentLevelName: z.string().nullish(),
  intentLevelTagId: z.number().nullish(),
  startTime: z.string().nullish(),
  endTime: z.string().nullish(),
  chatDuration: z.number().nullish(),
  chatRound: z.number().nullish(),
  redialTimes: z.number().nullish(),
  fullAudioUrl: z.string().nullish(),
  callDetailList: z.array(callDetailLine).nullish(),
  properties: z.record(z.string(), z.unknown()).nullish(),
});
/** A completed call. */
export type AgentsCallRecord = z.infer<typeof agentsCallRecord>;
/** `data` of getCallRecordInfoList. */
export const callRecordsData = agentsPage(agentsCallRecord);

/** Query of `GET callRecord/callDetail` (§4.2). */
export const callDetailQuery = z.looseObject({ callRecordId: longId });
/** `data` of callDetail. */
export const callDetailData = z.looseObject({ callRecordId: longId, robotCallJobId: longId.nullish(), callDetailList: z.array(callDetailLine).nullish(), resultStatus: resultStatus.nullish() });

/** Body of `POST callRecord/getInfoListCount` (§4.3). */
export const infoListCountBody = z.looseObject({
  robotCallJobId: longId,
  calledPhoneNumber: z.string().optional(),
  resultStatuses: z.array(resultStatus).optional(),
  intentLevelCodes: z.array(z.number().int()).optional(),
  earliestCreationTime: z.string().regex(DATETIME, 'must be yyyy-MM-dd HH:mm:ss').optional(),
  latestCreationTime: z.string().regex(DATETIME, 'must be yyyy-MM-dd HH:mm:ss').optional(),
});
/** `data` of getInfoListCount: the count (inferred). */
export const infoListCountData = z.coerce.number().int().nonnegative();

/** Body of `POST filterRecord/getFilterRecord` (§4.4). */
export const filterRecordBody = z.looseObject({
  robotCallJobId: longId,
  calledPhoneNumber: z.string({ error: 'is required (a phone number)' }).min(1, 'must be a non-empty string'),
  customerPersonName: z.string().optional(),
  filterType: z.string().optional(),
  startTime: z.string().regex(DATETIME, 'must be yyyy-MM-dd HH:mm:ss').optional(),
  endTime: z.string().regex(DATETIME, 'must be yyyy-MM-dd HH:mm:ss').optional(),
});
/** One filtered record. */
export const filterRecord = z.looseObject({ filteredRobotCallTaskId: longId, robotCallJobId: longId.nullish(), calledPhoneNumber: z.string().nullish(), filterType: z.string().nullish(), filterReason: z.string().nullish() });
/** `data` of getFilterRecord. */
export const filterRecordData = z.array(filterRecord);

/** Query of `GET callStats/callStatsInfo` (§3.18). */
export const callStatsQuery = z.looseObject({
  startDate: z.string({ error: 'is required (yyyy-MM-dd)' }).regex(DATE, 'must be yyyy-MM-dd'),
  endDate: z.string({ error: 'is required (yyyy-MM-dd)' }).regex(DATE, 'must be yyyy-MM-dd'),
  order: z.boolean().optional(),
});
/** `data` of callStatsInfo. */
export const callStatsData = z.array(z.looseObject({ date: z.string(), callTaskCompleted: z.number().nullish(), answeredCall: z.number().nullish(), answeredTaskRate: z.number().nullish(), chatTime: z.number().nullish(), chatRound: z.number().nullish() }));

/** Query of `GET callStats/callCostStatsInfo` (§3.19). */
export const callCostQuery = z.looseObject({
  startDate: z.string({ error: 'is required (yyyy-MM-dd)' }).regex(DATE, 'must be yyyy-MM-dd'),
  endDate: z.string({ error: 'is required (yyyy-MM-dd)' }).regex(DATE, 'must be yyyy-MM-dd'),
  local: z.boolean().optional(),
  phoneNumberId: longId.optional(),
  type: z.number().int().min(0).max(4, 'must be 0–4').optional(),
  callInCostType: z.string().optional(),
});
/** `data` of callCostStatsInfo. */
export const callCostData = z.looseObject({ callCostStatsPhoneNumberList: z.array(z.looseObject({ phoneNumberId: z.number().nullish(), answeredCall: z.number().nullish() })).nullish() });
