import { z } from 'zod';

/** `content` of `GET tokens` (api/sobot-v5.md §3.1, known [D]). */
export const tokenContent = z.looseObject({
  accessToken: z.string().min(1),
  tokenType: z.string().default('Bearer'),
  /** Lifetime in seconds from `createTime` (86400 today). */
  expiresIn: z.coerce.number().int().positive(),
  /** Creation time, epoch ms. */
  createTime: z.coerce.number().int().nonnegative(),
});
export type TokenContent = z.infer<typeof tokenContent>;

/** Query of `GET tokens`. */
export const tokenQuery = z.object({
  apiKey: z.string().min(1, 'is required'),
  apiSecret: z.string().min(1, 'is required'),
});
