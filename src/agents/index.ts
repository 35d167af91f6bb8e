/**
 * `zhichi-outbound/agents`: the client of the second generation, Sobot 行业语音 Agents (`apiOpen/v1`).
 * The wire contract lives in `src/contract/agents/`, shared with the emulator and the receiver.
 */
export { AgentsClient } from './client.js';
export { AGENTS_DEFAULTS, resolveAgentsOptions, type AgentsClientOptions } from './options.js';
export type { AgentsCallOptions, AgentsResult } from './core.js';
export type { CreatedJob, AgentsJobs } from './jobs.js';
export { newBatchId, type AsyncImportResult, type AgentsCustomers } from './customers.js';
export type { AgentsRecords } from './records.js';
export type { AgentsScripts, AgentsAccount } from './account.js';
export {
  agentsSignature, agentsAuthHeaders, signatureString, AGENTS_CODE, JOB_STATUS, RESULT_STATUS, DATA_TYPES, INTENT_LEVELS, AGENTS_ENDPOINTS,
  AGENTS_CALLBACK_ACK, MAX_ASYNC_IMPORT, MAX_RECORDS_PAGE,
  type AgentsCredentials, type AgentsEnvelope, type AgentsPage, type JobStatus, type ResultStatus, type DataType, type CreateJobBody,
  type ModifyJobBody, type CustomerPerson, type JobListItem, type JobDetail, type JobStats, type AgentsCallRecord, type CallRecordsQuery,
  type Bot, type PhoneLine, type AgentsCallback, type CallRecordCallback, type ImportResultCallback, type AgentsEndpointName,
} from '../contract/agents/index.js';
export {
  ZhichiError, ZhichiValidationError, ZhichiHttpError, ZhichiConnectionError, ZhichiTimeoutError, ZhichiUnknownOutcomeError,
  ZhichiAgentsError, ZhichiAgentsAuthError, ZhichiAgentsForbiddenError, ZhichiAgentsNotFoundError, ZhichiAgentsParameterError, ZhichiAgentsServerError,
} from '../errors.js';
