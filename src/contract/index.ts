// Internal barrel of the wire contract. The public surface re-exports from here by name (src/index.ts).
export { envelope, rawEnvelope, SUCCESS_CODE, type Envelope, type RawEnvelope } from './envelope.js';
export { tokenContent, tokenQuery, type TokenContent } from './token.js';
export { id, epochMs, pageParams, page, foldPageAlias, OUT_ID_SAFE, OUT_ID_RULE, outIdProblem, pathSegmentProblem, type Page, type PageParams } from './common.js';
export {
  cronWindow, retryRule, createTaskParams, createTaskContent, taskInfo, searchTasksParams, minutesOfDay, windowSpans,
  type CronWindow, type RetryRule, type CreateTaskParams, type ValidCreateTaskParams, type CreateTaskResult,
  type TaskInfo, type SearchTasksParams,
} from './task.js';
export {
  contactItem, contactItemAnyOutId, addContactsBody, addContactsBodyAnyOutId, addContactsContent, contactDetail, MAX_CONTACTS_PER_REQUEST,
  type Contact, type ValidContact, type AddContactsResult, type ContactDetail,
} from './contact.js';
export { callRecord, dialingResultsParams, type CallRecord, type DialingResultsParams } from './results.js';
export { robotsCountContent, template, templatesContent, callerNumber, numbersContent, type Template, type CallerNumber } from './resources.js';
export { pushEvent, PUSH_EVENT_CALL_RESULT, PUSH_ACK, type PushEvent } from './push.js';
export { normalizePhone, CALLER_ID, type PhoneResult } from './phone.js';
export {
  BUSINESS_CODE, TIME_TYPE, PUSH_TYPE, CALL_RESULT, RETRY_CONDITION, TASK_STATUS, CONTACT_STATUS, INTENT_LABELS, HANGUP_BY,
  callResultName, enumName, ENUM_TABLES, EnumNames, type EnumKind, type EnumOverrides, type CallResultName, type CallResultCode, type TaskStatusName,
} from './enums.js';
export { ENDPOINTS, fillPath, type EndpointName } from './endpoints.js';
