import { z } from 'zod';
import { foldPageAlias } from './common.js';

/**
 * One finished call attempt (assumed shape). The same record is what `dialing-results` lists and
 * what a push to `pushUrl` carries (see push.ts), so the receiver, the client and the emulator
 * share it. Times are epoch ms, durations seconds.
 */
export const callRecord = z.looseObject({
  companyId: z.string().optional(),
  taskId: z.string(),
  taskName: z.string().optional(),
  outId: z.string(),
  telephone: z.string(),
  /** Unique id of this call attempt. */
  callId: z.string(),
  /** 1 for the first call, 2 for the first redial, ... */
  attempt: z.number().int().positive(),
  /** CALL_RESULT code (assumed). */
  callResult: z.number().int(),
  callResultName: z.string().optional(),
  startTime: z.number(),
  answerTime: z.number().nullable().optional(),
  endTime: z.number(),
  ringDuration: z.number().optional(),
  talkDuration: z.number().optional(),
  /** Intent label of an answered call (A–F, assumed), null otherwise. */
  intent: z.string().nullable().optional(),
  hangupBy: z.number().nullable().optional(),
  /** Caller ID shown for this call. */
  aniNumber: z.string().optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
});
export type CallRecord = z.infer<typeof callRecord>;

/**
 * Body of `POST tasks/{taskId}/dialing-results` (assumed filter names). Paging is sent as
 * `pageNum` (Sobot's sibling APIs' name); `pageNo` is accepted as its alias and folded into it.
 */
export const dialingResultsParams = z
  .looseObject({
    pageNum: z.number().int().positive().optional(),
    /** Alias of `pageNum`. */
    pageNo: z.number().int().positive().optional(),
    pageSize: z.number().int().positive().max(1000).optional(),
    /** Only records with `endTime >= startTime` (epoch ms). */
    startTime: z.number().int().optional(),
    /** Only records with `endTime < endTime` (epoch ms). */
    endTime: z.number().int().optional(),
    outIds: z.array(z.string()).optional(),
    callResult: z.number().int().optional(),
  })
  .transform(foldPageAlias);
export type DialingResultsParams = z.input<typeof dialingResultsParams>;
