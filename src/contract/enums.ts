/**
 * Enumerations of the V5 API. None of these tables was readable in the official docs
 * (api/sobot-v5.md §4); every value here except the ones tagged [C] is ASSUMED and documented
 * as such in docs/api-contract.md. Codes unknown to us are always passed through as numbers.
 */

/** Task validity type. 2 = explicit window [C]; 1 = long-term, no end (assumed). */
export const TIME_TYPE = { LONG_TERM: 1, WINDOW: 2 } as const;

/** Push mode. 2 seen [C]; meaning assumed: 1 = final result per contact, 2 = every call attempt. */
export const PUSH_TYPE = { FINAL_RESULT: 1, EVERY_CALL: 2 } as const;

/** Outcome of one call attempt (assumed codes, modelled on Sobot Agents `resultStatus`). */
export const CALL_RESULT = {
  ANSWERED: 0,
  NO_ANSWER: 1,
  BUSY: 2,
  POWER_OFF: 3,
  OUT_OF_SERVICE: 4,
  REFUSED: 5,
  VACANT_NUMBER: 6,
  CAN_NOT_CONNECT: 7,
  SYSTEM_ERROR: 9,
} as const;
export type CallResultName = keyof typeof CALL_RESULT;
export type CallResultCode = (typeof CALL_RESULT)[CallResultName];

/** Name of a call-result code, or `UNKNOWN_<code>` for a code we do not know. */
export function callResultName(code: number): string {
  return enumName(CALL_RESULT, code);
}

/**
 * `taskRetryList[].retryCondition` codes (assumed; the seed uses 3).
 * Each maps to the call results that trigger a redial.
 */
export const RETRY_CONDITION: Readonly<Record<number, { name: string; results: readonly number[] }>> = {
  1: { name: 'NO_ANSWER', results: [CALL_RESULT.NO_ANSWER] },
  2: { name: 'BUSY', results: [CALL_RESULT.BUSY] },
  3: {
    name: 'NOT_CONNECTED',
    results: [
      CALL_RESULT.NO_ANSWER,
      CALL_RESULT.BUSY,
      CALL_RESULT.POWER_OFF,
      CALL_RESULT.OUT_OF_SERVICE,
      CALL_RESULT.REFUSED,
      CALL_RESULT.CAN_NOT_CONNECT,
      CALL_RESULT.SYSTEM_ERROR,
    ],
  },
  4: { name: 'REFUSED', results: [CALL_RESULT.REFUSED] },
  5: { name: 'POWER_OFF', results: [CALL_RESULT.POWER_OFF] },
  6: { name: 'UNREACHABLE', results: [CALL_RESULT.OUT_OF_SERVICE, CALL_RESULT.CAN_NOT_CONNECT] },
};

/** Task status (assumed). */
export const TASK_STATUS = {
  NOT_STARTED: 0,
  RUNNING: 1,
  WAITING: 2,
  FINISHED: 3,
  EXPIRED: 4,
} as const;
export type TaskStatusName = keyof typeof TASK_STATUS;

/** Status of one contact within a task (assumed). */
export const CONTACT_STATUS = {
  WAITING: 0,
  CALLING: 1,
  WAITING_REDIAL: 2,
  FINISHED: 3,
  NOT_DIALED: 4,
} as const;

/** Intent labels given to answered calls (assumed; Sobot uses per-tenant A–F style labels). */
export const INTENT_LABELS = ['A', 'B', 'C', 'D', 'E', 'F'] as const;

/** Who hung up (assumed). */
export const HANGUP_BY = { CUSTOMER: 1, ROBOT: 2, SYSTEM: 3 } as const;

/** Name lookup for a small enum object. */
export function enumName(table: Readonly<Record<string, number>>, code: number): string {
  for (const [name, c] of Object.entries(table)) if (c === code) return name;
  return `UNKNOWN_${code}`;
}

/**
 * Envelope `code` values for business errors (HTTP 200 with `code != 200`). Only 200 = success is
 * known (api/sobot-v5.md §6); the rest are ASSUMED, used by the emulator and matched by nobody
 * strictly: clients treat any `code != 200` as a business error and keep the server's message.
 */
export const BUSINESS_CODE = {
  SUCCESS: 200,
  PARAM_INVALID: 400,
  /** HTTP status 401 carries this code too (token expired or unknown). */
  TOKEN_INVALID: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  /** Token requested too often (the rate limit of api/sobot-v5.md §3.1). */
  TOKEN_RATE_LIMITED: 429,
  INTERNAL: 500,
  /** Wrong apiKey / apiSecret. */
  INVALID_CREDENTIALS: 10001,
  /** robotNum larger than the company's robots. */
  ROBOTS_EXCEEDED: 10002,
} as const;
