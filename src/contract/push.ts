import { z } from 'zod';
import { callRecord } from './results.js';

/**
 * Body Sobot POSTs to `pushUrl` for a finished call (ASSUMED: the V5 push payload is not
 * documented, api/sobot-v5.md §3.11). It is a {@link callRecord} plus an event type and the
 * push time. Receivers must tolerate anything else: see push/ for the tolerant extraction.
 */
export const pushEvent = callRecord.extend({
  eventType: z.string().optional(),
  pushTime: z.number().optional(),
});
export type PushEvent = z.infer<typeof pushEvent>;

/** Event type the emulator sends for a finished call. */
export const PUSH_EVENT_CALL_RESULT = 'CALL_RESULT';

/** Default acknowledgement body expected from a receiver (assumed). */
export const PUSH_ACK = { code: 200, message: 'success' } as const;
