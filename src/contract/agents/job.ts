import { z } from 'zod';
import { agentsPage } from './envelope.js';
import { jobMode, jobStatus, operation, phoneType, redialCondition } from './enums.js';

/**
 * Task (robotCallJob) schemas of the Agents API (api/sobot-agents.md §3). Requests are checked with
 * the documented rules, each error naming the field; responses are tolerant (unknown keys kept).
 */

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
/** `yyyy-MM-dd HH:mm:ss` (§1). */
export const DATETIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
/** `yyyy-MM-dd` (§1). */
export const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** A Long id: a positive integer, or its decimal string (coerced). */
export const longId = z.coerce
  .number<number | string>({ error: 'must be a positive integer id' })
  .int('must be a positive integer id')
  .positive('must be a positive integer id')
  .max(Number.MAX_SAFE_INTEGER, 'must be a safe integer');

const hhmm = z.string({ error: 'must be a string HH:mm' }).regex(HHMM, 'must be HH:mm (00:00–23:59)');
const datetime = z.string({ error: 'must be a string yyyy-MM-dd HH:mm:ss' }).regex(DATETIME, 'must be yyyy-MM-dd HH:mm:ss');
const posInt = (max?: number, what = 'must be a positive integer') => {
  const s = z.number({ error: what }).int(what).positive(what);
  return max === undefined ? s : s.max(max, `must be at most ${max}`);
};

/** Minutes of the day of an `HH:mm`. */
export function hhmmMinutes(s: string): number {
  return Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
}

/** A no-call window of the day (§3.1 `inactiveTimeList`). */
export const inactiveTime = z.looseObject({ startTime: hhmm, endTime: hhmm }).refine((w) => hhmmMinutes(w.endTime) > hhmmMinutes(w.startTime), {
  message: 'endTime must be after startTime',
  path: ['endTime'],
});

/** The `robotCallJob` object of create/modify (§3.1). */
export const robotCallJob = z
  .looseObject({
    robotCallJobId: longId.optional(),
    name: z.string({ error: 'must be a non-empty string' }).trim().min(1, 'must be a non-empty string').max(50, 'must be at most 50 characters'),
    dialogFlowId: longId,
    mode: jobMode,
    startTime: datetime.optional(),
    dailyStartTime: hhmm,
    dailyEndTime: hhmm,
    robotCount: posInt(),
    phoneType,
    inactiveTimeList: z.array(inactiveTime, { error: 'must be a list of {startTime, endTime}' }).max(3, 'must have at most 3 windows').optional(),
    description: z.string().optional(),
    redialCondition: z.array(redialCondition, { error: 'must be a list of result statuses' }).optional(),
    redialInterval: z.number({ error: 'must be an integer of minutes' }).int('must be an integer of minutes').min(6, 'must be at least 6 (minutes)').max(1440, 'must be at most 1440 (minutes)').optional(),
    redialTimes: z.number({ error: 'must be an integer' }).int('must be an integer').min(1, 'must be at least 1').max(10, 'must be at most 10').optional(),
  })
  .superRefine((j, ctx) => {
    if (hhmmMinutes(j.dailyEndTime) <= hhmmMinutes(j.dailyStartTime)) ctx.addIssue({ code: 'custom', path: ['dailyEndTime'], message: 'must be after dailyStartTime' });
    if (j.mode === 'AUTO' && j.startTime === undefined) ctx.addIssue({ code: 'custom', path: ['startTime'], message: 'is required when mode is AUTO' });
    const redial = [j.redialCondition !== undefined && j.redialCondition.length > 0, j.redialInterval !== undefined, j.redialTimes !== undefined];
    if (redial.some(Boolean) && !redial.every(Boolean)) {
      const missing = (['redialCondition', 'redialInterval', 'redialTimes'] as const).filter((_, i) => !redial[i]);
      for (const m of missing) ctx.addIssue({ code: 'custom', path: [m], message: 'is required with the other redial fields (auto-redial)' });
    }
  });
/** A task's attributes on create/modify. */
export type RobotCallJob = z.input<typeof robotCallJob>;

/** Body of `POST job/create` (§3.1). `concurrencyQuota` may be omitted for MOBILE. */
export const createJobBody = z
  .looseObject({
    robotCallJob,
    concurrencyQuota: posInt().optional(),
    jobPhoneNumberIdList: z.array(longId, { error: 'must be a list of tenantPhoneNumberId' }).min(1, 'must have at least one line'),
    transferPhoneNumber: z.array(z.string()).optional(),
  })
  .superRefine((b, ctx) => {
    const pt = b.robotCallJob.phoneType;
    if (pt !== 'MOBILE' && b.concurrencyQuota === undefined) ctx.addIssue({ code: 'custom', path: ['concurrencyQuota'], message: 'is required unless phoneType is MOBILE' });
    if (pt !== 'MOBILE' && b.jobPhoneNumberIdList.length !== 1) ctx.addIssue({ code: 'custom', path: ['jobPhoneNumberIdList'], message: 'must hold exactly one id unless phoneType is MOBILE' });
  });
/** Create-task input. */
export type CreateJobBody = z.input<typeof createJobBody>;

/** Body of `PATCH job/modify` (§3.4): create's body with `robotCallJob.robotCallJobId`. */
export const modifyJobBody = createJobBody.superRefine((b, ctx) => {
  if (b.robotCallJob.robotCallJobId === undefined) ctx.addIssue({ code: 'custom', path: ['robotCallJob', 'robotCallJobId'], message: 'is required' });
});
/** Modify-task input. */
export type ModifyJobBody = z.input<typeof modifyJobBody>;

/** `{robotCallJobId}` of start/pause/stop/delete (§3.2–3.6). */
export const jobIdBody = z.looseObject({ robotCallJobId: longId });
/** `data` of create/modify (§3.1, [Y]). */
export const jobIdData = z.looseObject({ robotCallJobId: longId });

/** Body of `POST job/checkAll` (§3.7). */
export const checkAllBody = z.looseObject({
  operation,
  robotCallJobIdSet: z.array(longId, { error: 'must be a list of task ids' }),
  statusSet: z.array(jobStatus).optional(),
  name: z.string().optional(),
  beginCreateDate: z.string().regex(DATE, 'must be yyyy-MM-dd').optional(),
  endCreateDate: z.string().regex(DATE, 'must be yyyy-MM-dd').optional(),
});
const statsInfo = z.looseObject({ robotCallJobId: longId.optional(), completedTask: z.number().optional(), totalTask: z.number().optional(), answeredTask: z.number().optional(), ablevelCustomer: z.number().optional() });
/** One task in checkAll's answer. */
export const checkJob = z.looseObject({
  robotCallJobId: longId, robotCallJobName: z.string().optional(), createTime: z.string().optional(), status: jobStatus.optional(),
  hangUpType: z.string().nullish(), hangUpReason: z.string().nullish(), statsInfo: statsInfo.nullish(),
});
/** `data` of checkAll. */
export const checkAllData = z.looseObject({
  executable: z.array(checkJob),
  unexecutable: z.array(z.looseObject({ msg: z.string().nullish(), statsInfo: statsInfo.nullish() })),
});

/** Body of `POST job/executeJobs` (§3.8). */
export const executeJobsBody = z.looseObject({
  operation,
  executable: z.array(z.looseObject({ robotCallJobId: longId.optional() }), { error: 'must be a list of tasks' }),
});
/** `data` of executeJobs: a per-task outcome. */
export const executeJobsData = z.array(z.looseObject({ robotCallJobId: longId, robotCallJobName: z.string().nullish(), msg: z.string().nullish() }));

/** Largest `customerPersons` list of one importCustomerAsync call (§3.9). */
export const MAX_ASYNC_IMPORT = 10_000;
/** Largest `customerPersons` list of one importCustomer call (§3.10). */
export const MAX_SYNC_IMPORT = 100;

/** One customer of an import (§3.9). Phone ≤ 32 characters; other checks are the server's (callback errMsg). */
export const customerPerson = z.looseObject({
  phoneNumber: z.string({ error: 'must be a string' }).min(1, 'must be a non-empty string').max(32, 'must be at most 32 characters'),
  name: z.string().optional(),
  gender: z.string().optional(),
  properties: z.record(z.string(), z.string({ error: 'must be a string value' })).optional(),
  customerAttr: z.record(z.string(), z.array(z.unknown())).optional(),
  alternatePhoneNumbers: z.array(z.string()).optional(),
});
/** An imported customer. */
export type CustomerPerson = z.input<typeof customerPerson>;

/** Body of `POST job/importCustomerAsync` (§3.9). */
export const importAsyncBody = z.looseObject({
  robotCallJobId: longId,
  batchId: z.string().min(1).max(64, 'must be at most 64 characters').optional(),
  customerPersons: z.array(customerPerson, { error: 'must be a list of customers' }).min(1, 'must have at least one customer').max(MAX_ASYNC_IMPORT, `must have at most ${MAX_ASYNC_IMPORT} customers per call`),
});
/** `data` of importCustomerAsync: the batch id (inferred shape: a string, or `{batchId}`). */
export const importAsyncData = z.union([z.string(), z.looseObject({ batchId: z.string() })]);

/** Body of `POST job/importCustomer` (§3.10). */
export const importSyncBody = z.looseObject({
  robotCallJobId: longId,
  customerPersons: z.array(customerPerson, { error: 'must be a list of customers' }).min(1, 'must have at least one customer').max(MAX_SYNC_IMPORT, `must have at most ${MAX_SYNC_IMPORT} customers per call`),
});

/** Body of `POST job/updateAiCount` (§3.11). */
export const updateAiCountBody = z.looseObject({ robotCallJobId: longId, robotCount: posInt() });

/** Body of `POST job/reAddCustomerToJob` (§3.12). */
export const reAddCustomerBody = z.looseObject({ robotCallJobId: longId, customerPersonIds: z.array(longId).min(1, 'must have at least one id') });

/** Query of `GET job/getJobs` (§3.13). */
export const getJobsQuery = z.looseObject({
  name: z.string().optional(),
  status: jobStatus.optional(),
  pageNum: posInt().optional(),
  pageSize: posInt(100).optional(),
});
/** One task of the list. */
export const jobListItem = z.looseObject({
  robotCallJobId: longId, name: z.string(), status: jobStatus, createTime: z.string().nullish(),
  createdUserName: z.string().nullish(), organizationName: z.string().nullish(), hangUpType: z.string().nullish(), hangUpReason: z.string().nullish(),
  completedTask: z.number().nullish(), taskCallTotal: z.number().nullish(),
});
/** A task of the list. */
export type JobListItem = z.infer<typeof jobListItem>;
/** `data` of getJobs. */
export const getJobsData = agentsPage(jobListItem);

/** `{robotCallJobId}` query of getJobProperties / getJobDetail / getJobStats. */
export const jobIdQuery = z.looseObject({ robotCallJobId: longId });
/** `data` of getJobProperties (§3.14). */
export const jobPropertiesData = z.array(z.string());

/** `data` of getJobDetail (§3.15). */
export const jobDetailData = z.looseObject({
  taskCallTotal: z.number().nullish(),
  completedTask: z.number().nullish(),
  filteredTask: z.number().nullish(),
  createdByUserName: z.string().nullish(),
  jobPhoneNumberList: z.array(z.looseObject({ enabledStatus: z.number().nullish(), phoneNumber: z.string().nullish(), phoneType: phoneType.nullish(), tenantPhoneNumberId: longId.nullish() })).nullish(),
  robotCallJob: z.looseObject({ robotCallJobId: longId.optional(), name: z.string().optional(), status: jobStatus.optional(), mode: jobMode.optional() }),
});
/** A task's detail. */
export type JobDetail = z.infer<typeof jobDetailData>;

/** `data` of getJobStats (§3.16). */
export const jobStatsData = z.looseObject({
  customerNumber: z.number().nullish(),
  answeredRate: z.number().nullish(),
  answeredTask: z.number().nullish(),
  taskTotalCompleted: z.number().nullish(),
  taskCallTotal: z.number().nullish(),
  totalAnsweredCall: z.number().nullish(),
  totalTask: z.number().nullish(),
  taskProgress: z.number().nullish(),
  chatDuration: z.record(z.string(), z.number()).nullish(),
  intentLevel: z.record(z.string(), z.number()).nullish(),
  dialResult: z.record(z.string(), z.number()).nullish(),
});
/** Task statistics. */
export type JobStats = z.infer<typeof jobStatsData>;

/** Body of `POST job/getJobStatsInfoList` (§3.17): a bare array of task ids as strings. */
export const jobStatsInfoListBody = z.array(z.string().regex(/^\d+$/, 'must be a task id of digits'), { error: 'must be a list of task ids' }).min(1, 'must have at least one id');
/** `data` of getJobStatsInfoList: keyed by task id. */
export const jobStatsInfoListData = z.record(z.string(), z.looseObject({ taskTotal: z.number().nullish(), taskCompleted: z.number().nullish() }));
