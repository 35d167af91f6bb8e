// The dashboard's wire: what the read model returns and the dashboard's HTTP API sends, written once
// and shared by the server (src/push/read-model.ts, src/dashboard/handler.ts) and the page
// (src/dashboard/web). Types only, no imports, so the browser build and the Node build both take it.

/** One task of the overview. */
export interface TaskSummary {
  taskId: string;
  /** Stored results (one per call attempt). */
  results: number;
  /** Stored results whose call was answered (`callResult` 0). */
  answered: number;
  /** answered / results, 0 when there is none. */
  answeredShare: number;
  /** Epoch ms of the last stored result. */
  lastReceivedAt: number | null;
}

/** Every task in the store. */
export interface Overview {
  tasks: TaskSummary[];
  /** Highest event id: changes whenever something is stored (the live view's cursor). */
  maxId: number;
}

/** How far a task is. `contacts` and `redialsPending` come from the API when one is configured (else null). */
export interface TaskProgress {
  results: number;
  answeredResults: number;
  /** Distinct contacts (outId) with at least one stored result. */
  contactsCalled: number;
  /** Distinct contacts with at least one answered call. */
  contactsAnswered: number;
  /** Stored results of attempt 2 or later. */
  redials: number;
  lastReceivedAt: number | null;
  /** Contacts of the task, as the API tells. */
  contacts: number | null;
  /** Contacts waiting for a redial, as the API tells. */
  redialsPending: number | null;
}

/** Calls of one outcome. */
export interface OutcomeCount {
  /** CALL_RESULT code; null when the push carried none. */
  callResult: number | null;
  /** CALL_RESULT name, `UNKNOWN_<code>` for a code we do not know, `NONE` without a code. */
  name: string;
  count: number;
}

/** Answered calls of one intent level. */
export interface IntentCount {
  /** Intent label as pushed; null when the answered call carried none. */
  intent: string | null;
  count: number;
}

/** Calls and answered calls that started in one hour of the day (in the task's time zone). */
export interface HourCount {
  /** 0–23. */
  hour: number;
  calls: number;
  answered: number;
  /** answered / calls, 0 when no call. */
  rate: number;
}

/** Answered calls whose talk time falls in [from, to) seconds; `to` null is open-ended. */
export interface TalkBucket {
  from: number;
  to: number | null;
  count: number;
}

/** Everything the task view shows, apart from the results table. */
export interface TaskStats {
  taskId: string;
  /** IANA zone the hours are counted in. */
  timeZone: string;
  progress: TaskProgress;
  /** By count, largest first. */
  outcomes: OutcomeCount[];
  /** By label; answered calls only. */
  intents: IntentCount[];
  /** 24 entries, hour 0 to 23. */
  hours: HourCount[];
  talk: TalkBucket[];
  maxId: number;
}

/** One row of the results table. */
export interface ResultRow {
  id: number;
  taskId: string | null;
  outId: string | null;
  /** Masked (`138****5678`) unless the caller asked for full numbers. */
  phone: string | null;
  callResult: number | null;
  outcome: string;
  intent: string | null;
  /** Seconds. */
  talkDuration: number | null;
  attempt: number | null;
  /** Epoch ms the call started, as pushed. */
  startTime: number | null;
  /** Epoch ms the receiver stored it. */
  receivedAt: number;
}

/** A page of results, newest first; pass `next` as `before` for the following page (null: none). */
export interface ResultPage {
  rows: ResultRow[];
  next: number | null;
}

/** GET api/meta. */
export interface DashboardMeta {
  kind: 'sqlite' | 'postgres';
  /** The store's location, credentials redacted. */
  location: string;
  /** Whether the store has the rollup tables (schema 3 or later). */
  rollups: boolean;
  /** IANA zone of the hour chart unless a task says otherwise. */
  timeZone: string;
  /** Largest page the results endpoint serves. */
  maxPage: number;
}

/** GET api/tasks/:id/stats: the read model's stats and the task's name as the API tells (null without an API). */
export type TaskStatsResponse = TaskStats & { name: string | null };

/** GET api/tasks/:id/results: a page, with the matching total on the first page (else null). */
export type ResultPageResponse = ResultPage & { total: number | null; timeZone: string };
