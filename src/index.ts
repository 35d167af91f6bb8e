// Public surface of zhichi-outbound: named exports only.
export { ZhichiClient } from './client.js';
export { ZhichiFactory, ZhichiApi, ZhichiResult, SEED_SUCCESS, SEED_FAILED, SEED_TOKEN_FAILED, type TokenData, type TokenResultData, type EnvelopeOf } from './factory.js';
export { DEFAULTS, type ClientOptions } from './options.js';
export {
  ZhichiError, ZhichiValidationError, ZhichiResponseValidationError, ZhichiHttpError, ZhichiAuthenticationError,
  ZhichiBusinessError, ZhichiConnectionError, ZhichiTimeoutError, ZhichiAbortError, ZhichiTokenRateError, ZhichiUnknownOutcomeError, ZhichiCredentialsError, ZhichiRedirectError,
  type ValidationIssue, type RequestInfo,
} from './errors.js';
export { MemoryTokenStore, type TokenStore, type StoredToken, type MintWindow } from './auth/token-store.js';
export { RedisTokenStore, TokenStoreUnavailableError, type RedisTokenStoreOptions } from './auth/redis-token-store.js';
export { FileTokenStore, defaultTokenCachePath, type FileTokenStoreOptions } from './auth/file-token-store.js';
export { TokenManager, tokenKey, TOKEN_POLICY_DEFAULTS, type TokenPolicy } from './auth/token-manager.js';
export type { Logger } from './internal/logger.js';
export { ManualClock, systemClock, type Clock } from './internal/clock.js';
export type { RetryOptions } from './transport/retry.js';
export type { CreateTaskOptions, CreatedTask } from './resources/tasks.js';
export {
  createTaskParams, contactItem, addContactsBody, callRecord, pushEvent, taskInfo, contactDetail, tokenContent,
  normalizePhone, ENDPOINTS, CALL_RESULT, RETRY_CONDITION, TASK_STATUS, CONTACT_STATUS, TIME_TYPE, PUSH_TYPE,
  BUSINESS_CODE, INTENT_LABELS, MAX_CONTACTS_PER_REQUEST, PUSH_ACK, callResultName, HANGUP_BY, ENUM_TABLES, EnumNames,
  OUT_ID_SAFE, OUT_ID_RULE, windowSpans, type EnumKind, type EnumOverrides,
  type CreateTaskParams, type CronWindow, type RetryRule, type TaskInfo, type SearchTasksParams, type Contact,
  type ValidContact, type AddContactsResult, type ContactDetail, type CallRecord, type DialingResultsParams,
  type PushEvent, type Template, type CallerNumber, type TokenContent, type Page, type PhoneResult, type Envelope,
} from './contract/index.js';
