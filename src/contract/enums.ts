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

/**
 * Who hung up (assumed). Aligned with Sobot V6's `hangupDisposition` (1 other, 2 agent, 3 customer):
 * the robot is the agent of a robot call. Until this release our assumed table was the reverse
 * (1 customer, 2 robot, 3 system).
 */
export const HANGUP_BY = { OTHER: 1, ROBOT: 2, CUSTOMER: 3 } as const;

/** Name lookup for a small enum object: `UNKNOWN_<code>` for a code not in it. */
export function enumName(table: Readonly<Record<string, number>>, code: number): string {
  for (const [name, c] of Object.entries(table)) if (c === code) return name;
  return `UNKNOWN_${code}`;
}

/**
 * Every open enum of the V5 wire, by the name the `enums` client option uses. Open: a code that is
 * not in a table is never a validation failure on a response; it passes through as the number and
 * is named `UNKNOWN_<code>`.
 */
export const ENUM_TABLES = {
  callResult: CALL_RESULT,
  hangupBy: HANGUP_BY,
  taskStatus: TASK_STATUS,
  contactStatus: CONTACT_STATUS,
  timeType: TIME_TYPE,
  pushType: PUSH_TYPE,
  retryCondition: Object.fromEntries(Object.entries(RETRY_CONDITION).map(([code, r]) => [r.name, Number(code)])) as Readonly<Record<string, number>>,
} as const satisfies Record<string, Readonly<Record<string, number>>>;
/** Name of an enum in {@link ENUM_TABLES}. */
export type EnumKind = keyof typeof ENUM_TABLES;

/**
 * The `enums` client option: per enum, code → name entries that replace or extend our assumed
 * table, so a real account's table can be plugged in without a release. Example:
 * `{ callResult: { 21: 'BUSY_X' }, hangupBy: { 1: 'OTHER', 2: 'AGENT', 3: 'CUSTOMER' } }`.
 */
export type EnumOverrides = { readonly [K in EnumKind]?: Readonly<Record<number, string>> };

/** Names codes of the open enums: the user's overrides first, then our tables, then `UNKNOWN_<code>`. */
export class EnumNames {
  private readonly maps = new Map<EnumKind, Map<number, string>>();
  /** Builds the lookup; throws a TypeError naming a bad entry (unknown enum, non-integer code, empty name). */
  constructor(overrides: EnumOverrides = {}) {
    for (const kind of Object.keys(ENUM_TABLES) as EnumKind[]) {
      const m = new Map<number, string>();
      for (const [name, code] of Object.entries(ENUM_TABLES[kind])) if (!m.has(code)) m.set(code, name);
      this.maps.set(kind, m);
    }
    for (const [kind, table] of Object.entries(overrides ?? {})) {
      const m = this.maps.get(kind as EnumKind);
      if (!m) throw new TypeError(`enums.${kind} is not an enum (one of ${Object.keys(ENUM_TABLES).join(', ')})`);
      if (table === undefined) continue;
      if (typeof table !== 'object' || table === null) throw new TypeError(`enums.${kind} must be an object of code: name`);
      for (const [code, name] of Object.entries(table as Record<string, unknown>)) {
        if (!/^-?\d+$/.test(code)) throw new TypeError(`enums.${kind}: key ${JSON.stringify(code)} must be an integer code`);
        if (typeof name !== 'string' || name.trim() === '') throw new TypeError(`enums.${kind}.${code} must be a non-empty name`);
        m.set(Number(code), name);
      }
    }
  }
  /** The name of `code` in enum `kind`; `UNKNOWN_<code>` when neither the overrides nor our table know it. */
  name(kind: EnumKind, code: number): string {
    return this.maps.get(kind)?.get(code) ?? `UNKNOWN_${code}`;
  }
  /** The code of `name` in enum `kind`, or undefined. */
  code(kind: EnumKind, name: string): number | undefined {
    for (const [c, n] of this.maps.get(kind) ?? []) if (n === name) return c;
    return undefined;
  }
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
