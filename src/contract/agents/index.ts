/** The Agents (apiOpen/v1) wire contract: one source for the Agents client, emulator surface and receiver. */
export { agentsSignature, agentsAuthHeaders, signatureString, AGENTS_API_VERSION, type AgentsCredentials } from './signature.js';
export { agentsEnvelope, agentsPage, AGENTS_CODE, type AgentsEnvelope, type AgentsPage } from './envelope.js';
export {
  JOB_STATUS, JOB_STATUS_NAMES, RESULT_STATUS, RESULT_STATUS_NAMES, HANGUP_BY_NAMES, JOB_MODES, PHONE_TYPES, OPERATIONS, REDIAL_CONDITIONS,
  INTENT_LEVELS, DATA_TYPES, openEnum, resultStatusName, jobStatus, resultStatus, hangupBy, jobMode, phoneType, operation, redialCondition, dataType,
  type JobStatus, type ResultStatus, type DataType,
} from './enums.js';
export {
  DATETIME, DATE, longId, hhmmMinutes, inactiveTime, robotCallJob, createJobBody, modifyJobBody, jobIdBody, jobIdData, checkAllBody, checkAllData,
  executeJobsBody, executeJobsData, MAX_ASYNC_IMPORT, MAX_SYNC_IMPORT, customerPerson, importAsyncBody, importAsyncData, importSyncBody,
  updateAiCountBody, reAddCustomerBody, getJobsQuery, jobListItem, getJobsData, jobIdQuery, jobPropertiesData, jobDetailData, jobStatsData,
  jobStatsInfoListBody, jobStatsInfoListData,
  type RobotCallJob, type CreateJobBody, type ModifyJobBody, type CustomerPerson, type JobListItem, type JobDetail, type JobStats,
} from './job.js';
export {
  MAX_RECORDS_PAGE, callDetailLine, callRecordsBody, agentsCallRecord, callRecordsData, callDetailQuery, callDetailData, infoListCountBody,
  infoListCountData, filterRecordBody, filterRecord, filterRecordData, callStatsQuery, callStatsData, callCostQuery, callCostData,
  type CallRecordsQuery, type AgentsCallRecord,
} from './records.js';
export {
  botListQuery, bot, botListData, botInfoQuery, phoneLine, phoneListData, policyGroupsData, rcsListBody, rcsListData, blackGroupsQuery,
  blackGroupsData, tenantData, updateIsvBody, intentTagGroupsData, intentTagQuery, intentTagData, type Bot, type PhoneLine,
} from './tenant.js';
export {
  agentsCallback, AGENTS_CALLBACK_ACK, callRecordCallback, jobStatusCallback, importResultCallback, IMPORT_CALLBACK_CHUNK, filteredCallback,
  callSummaryCallback, type AgentsCallback, type CallRecordCallback, type ImportResultCallback,
} from './callbacks.js';
export { AGENTS_ENDPOINTS, AGENTS_PREFIX, AGENTS_BOT_INFO_PATH, type AgentsEndpoint, type AgentsEndpointName } from './endpoints.js';
