import { z } from 'zod';

/** `content` of `GET robots/count`: a bare integer (api/sobot-v5.md §3.6, known [C]). */
export const robotsCountContent = z.number().int().nonnegative();

/** One script template of `GET templates` (assumed fields). */
export const template = z.looseObject({
  templateId: z.string(),
  templateName: z.string().optional(),
  /** Placeholder names the script expects on each contact (assumed). */
  variables: z.array(z.string()).optional(),
  status: z.number().optional(),
});
export type Template = z.infer<typeof template>;
export const templatesContent = z.array(template);

/** One caller-ID resource of `GET numbers` (assumed fields). */
export const callerNumber = z.looseObject({
  number: z.string(),
  numberType: z.string().optional(),
  province: z.string().optional(),
  city: z.string().optional(),
  status: z.number().optional(),
});
export type CallerNumber = z.infer<typeof callerNumber>;
export const numbersContent = z.array(callerNumber);
