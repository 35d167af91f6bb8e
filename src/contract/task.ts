import { z } from 'zod';
import { epochMs, foldPageAlias, id } from './common.js';
import { CALLER_ID } from './phone.js';
import { RETRY_CONDITION } from './enums.js';

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/** Minutes since midnight of an `HH:mm` string; `24:00` is allowed as a window end. */
export function minutesOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/**
 * Minute spans `[begin, end)` of daily windows, each tagged with its window's index. A window whose
 * end is earlier than its begin runs across midnight (ASSUMED: nothing shows Sobot refuses or
 * accepts it; night-shift campaigns exist) and gives two spans, `begin–24:00` and `00:00–end`.
 * Empty spans (equal ends) are left out.
 */
export function windowSpans(windows: ReadonlyArray<{ begin: string; end: string }>): Array<{ i: number; begin: number; end: number }> {
  const out: Array<{ i: number; begin: number; end: number }> = [];
  windows.forEach((w, i) => {
    const b = minutesOfDay(w.begin);
    const e = minutesOfDay(w.end);
    if (!Number.isFinite(b) || !Number.isFinite(e) || b === e) return;
    if (b < e) out.push({ i, begin: b, end: e });
    else {
      out.push({ i, begin: b, end: 24 * 60 });
      if (e > 0) out.push({ i, begin: 0, end: e });
    }
  });
  return out;
}

/** One daily calling window `{begin, end}` in `HH:mm` [C]; `end` may be `24:00`; an end before begin runs across midnight. */
export const cronWindow = z.looseObject({
  begin: z.string({ error: 'must be a string HH:mm' }).regex(HHMM, 'must be HH:mm (00:00–23:59)'),
  end: z
    .string({ error: 'must be a string HH:mm' })
    .refine((s) => HHMM.test(s) || s === '24:00', 'must be HH:mm (00:00–24:00)'),
});
export type CronWindow = z.infer<typeof cronWindow>;

const positiveInt = (what = 'must be a positive integer') =>
  z.number({ error: what }).int(what).positive(what);

/** One redial rule [C]; `retryTime` unit is minutes (assumed), `retryCondition` per RETRY_CONDITION. */
export const retryRule = z.looseObject({
  retryNum: positiveInt(),
  retryTime: positiveInt(),
  retryCondition: z
    .number({ error: 'must be a known retry condition code' })
    .refine((c) => RETRY_CONDITION[c] !== undefined, {
      message: `must be a known retry condition code (${Object.keys(RETRY_CONDITION).join(', ')})`,
    }),
});
export type RetryRule = z.infer<typeof retryRule>;

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Body of `POST companies/{companyId}/tasks` (api/sobot-v5.md §3.2, fields [C], rules [I]).
 * Unknown keys are passed through to the server untouched.
 */
export const createTaskParams = z
  .looseObject({
    companyId: z.string().optional(),
    taskName: z.string({ error: 'must be a non-empty string' }).trim().min(1, 'must be a non-empty string'),
    templateId: z.string({ error: 'must be a non-empty string' }).trim().min(1, 'must be a non-empty string'),
    robotNum: positiveInt(),
    taskCronList: z.array(cronWindow, { error: 'must be a list of {begin, end} windows' }).min(1, 'must have at least one window'),
    taskRetryList: z.array(retryRule, { error: 'must be a list of redial rules' }).optional(),
    aniList: z
      .array(z.string({ error: 'must be a phone-number string' }).regex(CALLER_ID, 'must be a phone-number string (digits, optional +)'), {
        error: 'must be a list of caller numbers',
      })
      .min(1, 'must have at least one caller number'),
    timeType: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 (long-term) or 2 (start/end window)' }),
    startTime: epochMs.optional(),
    endTime: epochMs.optional(),
    pushFlag: z.union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1' }).optional(),
    pushType: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }).optional(),
    pushUrl: z.string({ error: 'must be an absolute http(s) URL' }).refine(isHttpUrl, 'must be an absolute http(s) URL').optional(),
  })
  .superRefine((t, ctx) => {
    // Windows: begin != end; an end before its begin runs across midnight; no two windows overlap
    // (touching is allowed).
    for (const [i, w] of t.taskCronList.entries()) {
      if (minutesOfDay(w.begin) === minutesOfDay(w.end)) {
        ctx.addIssue({ code: 'custom', path: ['taskCronList', i, 'end'], message: 'must differ from begin (an end earlier than begin runs across midnight, e.g. 22:00–02:00)' });
      }
    }
    const sorted = windowSpans(t.taskCronList).sort((a, b) => a.begin - b.begin);
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1]!;
      const cur = sorted[k]!;
      if (cur.begin < prev.end && cur.i !== prev.i) {
        const [a, b] = cur.i > prev.i ? [cur.i, prev.i] : [prev.i, cur.i];
        ctx.addIssue({ code: 'custom', path: ['taskCronList', a], message: `must not overlap window taskCronList[${b}]` });
      }
    }
    if (t.timeType === 2) {
      if (t.startTime === undefined) ctx.addIssue({ code: 'custom', path: ['startTime'], message: 'is required when timeType is 2' });
      if (t.endTime === undefined) ctx.addIssue({ code: 'custom', path: ['endTime'], message: 'is required when timeType is 2' });
      if (t.startTime !== undefined && t.endTime !== undefined && t.endTime <= t.startTime) {
        ctx.addIssue({ code: 'custom', path: ['endTime'], message: 'must be later than startTime' });
      }
    }
    if (t.pushFlag === 1) {
      if (t.pushType === undefined) ctx.addIssue({ code: 'custom', path: ['pushType'], message: 'is required when pushFlag is 1' });
      if (t.pushUrl === undefined) ctx.addIssue({ code: 'custom', path: ['pushUrl'], message: 'is required when pushFlag is 1' });
    }
  });
/** Create-task parameters as the caller writes them. */
export type CreateTaskParams = z.input<typeof createTaskParams>;
/** Create-task parameters after validation. */
export type ValidCreateTaskParams = z.output<typeof createTaskParams>;

/** `content` of create task (assumed: `{ taskId }`; a bare id string is accepted too). */
export const createTaskContent = z.union([
  z.looseObject({ taskId: id }),
  z.string().min(1).transform((taskId) => ({ taskId })),
]);
export type CreateTaskResult = { taskId: string; [key: string]: unknown };

/** Task detail as returned by `GET tasks/{taskId}` and in `searchtasks` (assumed fields). */
export const taskInfo = z.looseObject({
  taskId: id,
  taskName: z.string().optional(),
  templateId: z.string().optional(),
  robotNum: z.number().optional(),
  // Response side: open. A window or a redial rule the server echoes is never refused here (an
  // unknown retryCondition code, a 9:00 window): the request rules are ours, not the server's.
  taskCronList: z.array(z.looseObject({ begin: z.string().optional(), end: z.string().optional() })).optional(),
  taskRetryList: z.array(z.looseObject({ retryNum: z.number().optional(), retryTime: z.number().optional(), retryCondition: z.number().optional() })).optional(),
  aniList: z.array(z.string()).optional(),
  timeType: z.number().optional(),
  startTime: z.number().nullable().optional(),
  endTime: z.number().nullable().optional(),
  pushFlag: z.number().optional(),
  pushType: z.number().nullable().optional(),
  pushUrl: z.string().nullable().optional(),
  /** TASK_STATUS code (assumed). */
  status: z.number().optional(),
  statusName: z.string().optional(),
  createTime: z.number().optional(),
  /** Contacts added. */
  contactCount: z.number().optional(),
  /** Contacts with a final result. */
  finishedCount: z.number().optional(),
  /** Contacts whose call was answered at least once. */
  answeredCount: z.number().optional(),
  /** Call attempts made (first calls + redials). */
  callCount: z.number().optional(),
  /** Calls in progress right now. */
  activeCalls: z.number().optional(),
});
export type TaskInfo = z.infer<typeof taskInfo>;

/** Query of `GET searchtasks` (assumed names); `pageNum` is sent, `pageNo` is its alias. */
export const searchTasksParams = z
  .looseObject({
    taskName: z.string().optional(),
    status: z.number().int().optional(),
    pageNum: z.number().int().positive().optional(),
    /** Alias of `pageNum`. */
    pageNo: z.number().int().positive().optional(),
    pageSize: z.number().int().positive().max(1000).optional(),
  })
  .transform(foldPageAlias);
export type SearchTasksParams = z.input<typeof searchTasksParams>;
