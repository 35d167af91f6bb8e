import { z } from 'zod';

/**
 * The response envelope of every V5 endpoint: `{ code, message, content }` (api/sobot-v5.md §1).
 * `code == 200` is success. Unknown top-level keys are passed through.
 */
export function envelope<T extends z.ZodType>(content: T) {
  return z.looseObject({
    code: z.number(),
    message: z.string().optional(),
    content,
  });
}

/** Envelope with an unparsed content, used to read `code`/`message` before the content. */
export const rawEnvelope = z.looseObject({
  code: z.coerce.number(),
  message: z.string().optional().catch(undefined),
  content: z.unknown().optional(),
});
export type RawEnvelope = z.infer<typeof rawEnvelope>;

/** A V5 envelope as the server sent it. */
export interface Envelope<T> {
  code: number;
  message?: string | undefined;
  content: T;
  [key: string]: unknown;
}

/** Success code of the envelope (api/sobot-v5.md §1). */
export const SUCCESS_CODE = 200;
