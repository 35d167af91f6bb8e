import { z } from 'zod';
import {
  checkAllBody, checkAllData, createJobBody, executeJobsBody, executeJobsData, getJobsData, getJobsQuery, importAsyncBody, importAsyncData,
  importSyncBody, jobDetailData, jobIdBody, jobIdData, jobIdQuery, jobPropertiesData, jobStatsData, jobStatsInfoListBody, jobStatsInfoListData,
  modifyJobBody, reAddCustomerBody, updateAiCountBody,
} from './job.js';
import {
  callCostData, callCostQuery, callDetailData, callDetailQuery, callRecordsBody, callRecordsData, callStatsData, callStatsQuery,
  filterRecordBody, filterRecordData, infoListCountBody, infoListCountData,
} from './records.js';
import {
  blackGroupsData, blackGroupsQuery, bot, botInfoQuery, botListData, botListQuery, intentTagData, intentTagGroupsData, intentTagQuery,
  phoneListData, policyGroupsData, rcsListBody, rcsListData, tenantData, updateIsvBody,
} from './tenant.js';

/** Base path of the Agents API (api/sobot-agents.md §1). */
export const AGENTS_PREFIX = 'apiOpen/v1/';
/** The one endpoint outside it (§1, §5.2). */
export const AGENTS_BOT_INFO_PATH = 'apiOpenNew/v1/bot/getBotInfoById';

const nullData = z.unknown();
const p = (s: string) => AGENTS_PREFIX + s;

/** One endpoint: method, path relative to the host, request schema (`in`: body for POST/PATCH, query for GET) and data schema. */
export interface AgentsEndpoint {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  in: z.ZodType;
  data: z.ZodType;
  /** Safe to send again after an unknown outcome (reads; state-setting writes). */
  idempotent: boolean;
}

/**
 * Every endpoint of the spec's index (§2), shared by the client (requests) and the emulator (routes).
 * Endpoints 25/26 (pending-callee deletion) and 29/30 (legacy scripts) are included for completeness.
 */
export const AGENTS_ENDPOINTS = {
  createJob: { method: 'POST', path: p('job/create'), in: createJobBody, data: jobIdData, idempotent: false },
  startJob: { method: 'POST', path: p('job/start'), in: jobIdBody, data: nullData, idempotent: true },
  pauseJob: { method: 'POST', path: p('job/pause'), in: jobIdBody, data: nullData, idempotent: true },
  modifyJob: { method: 'PATCH', path: p('job/modify'), in: modifyJobBody, data: jobIdData, idempotent: true },
  deleteJob: { method: 'POST', path: p('job/delete'), in: jobIdBody, data: nullData, idempotent: false },
  stopJob: { method: 'POST', path: p('job/stop'), in: jobIdBody, data: nullData, idempotent: true },
  checkAll: { method: 'POST', path: p('job/checkAll'), in: checkAllBody, data: checkAllData, idempotent: true },
  executeJobs: { method: 'POST', path: p('job/executeJobs'), in: executeJobsBody, data: executeJobsData, idempotent: true },
  importCustomerAsync: { method: 'POST', path: p('job/importCustomerAsync'), in: importAsyncBody, data: importAsyncData, idempotent: true },
  importCustomer: { method: 'POST', path: p('job/importCustomer'), in: importSyncBody, data: nullData, idempotent: false },
  updateAiCount: { method: 'POST', path: p('job/updateAiCount'), in: updateAiCountBody, data: nullData, idempotent: true },
  reAddCustomerToJob: { method: 'POST', path: p('job/reAddCustomerToJob'), in: reAddCustomerBody, data: nullData, idempotent: false },
  getJobs: { method: 'GET', path: p('job/getJobs'), in: getJobsQuery, data: getJobsData, idempotent: true },
  getJobProperties: { method: 'GET', path: p('job/getJobProperties'), in: jobIdQuery, data: jobPropertiesData, idempotent: true },
  getJobDetail: { method: 'GET', path: p('job/getJobDetail'), in: jobIdQuery, data: jobDetailData, idempotent: true },
  getJobStats: { method: 'GET', path: p('job/getJobStats'), in: jobIdQuery, data: jobStatsData, idempotent: true },
  getJobStatsInfoList: { method: 'POST', path: p('job/getJobStatsInfoList'), in: jobStatsInfoListBody, data: jobStatsInfoListData, idempotent: true },
  callStatsInfo: { method: 'GET', path: p('callStats/callStatsInfo'), in: callStatsQuery, data: callStatsData, idempotent: true },
  callCostStatsInfo: { method: 'GET', path: p('callStats/callCostStatsInfo'), in: callCostQuery, data: callCostData, idempotent: true },
  getCallRecordInfoList: { method: 'POST', path: p('callRecord/getCallRecordInfoList'), in: callRecordsBody, data: callRecordsData, idempotent: true },
  callDetail: { method: 'GET', path: p('callRecord/callDetail'), in: callDetailQuery, data: callDetailData, idempotent: true },
  getInfoListCount: { method: 'POST', path: p('callRecord/getInfoListCount'), in: infoListCountBody, data: infoListCountData, idempotent: true },
  getFilterRecord: { method: 'POST', path: p('filterRecord/getFilterRecord'), in: filterRecordBody, data: filterRecordData, idempotent: true },
  getV3BotList: { method: 'GET', path: p('dialogFlow/getV3BotList'), in: botListQuery, data: botListData, idempotent: true },
  getBotInfoById: { method: 'GET', path: AGENTS_BOT_INFO_PATH, in: botInfoQuery, data: bot, idempotent: true },
  getPhoneList: { method: 'GET', path: p('phone/getPhoneList'), in: z.looseObject({}), data: phoneListData, idempotent: true },
  getPolicyGroups: { method: 'GET', path: p('policyGroup/getIdAndNamePairList'), in: z.looseObject({}), data: policyGroupsData, idempotent: true },
  rcsList: { method: 'POST', path: p('rcs/list'), in: rcsListBody, data: rcsListData, idempotent: true },
  blackGroups: { method: 'GET', path: p('customerWhiteGroup/selectCustomerWhiteGroupPageList'), in: blackGroupsQuery, data: blackGroupsData, idempotent: true },
  getTenant: { method: 'GET', path: p('tenant/getTenant'), in: z.looseObject({}), data: tenantData, idempotent: true },
  updateIsvInfo: { method: 'POST', path: p('isv/updateIsvInfo'), in: updateIsvBody, data: nullData, idempotent: true },
  intentTagGroups: { method: 'GET', path: p('intentLevelTag/getUsedIntentLevelTagList'), in: z.looseObject({}), data: intentTagGroupsData, idempotent: true },
  intentTag: { method: 'GET', path: p('intentLevelTag/getIntentLevelTag'), in: intentTagQuery, data: intentTagData, idempotent: true },
} as const satisfies Record<string, AgentsEndpoint>;

/** Name of an Agents endpoint. */
export type AgentsEndpointName = keyof typeof AGENTS_ENDPOINTS;
