import { z } from 'zod';

/** Sobot ids: 32-hex in practice [C]; any non-empty string is accepted. */
export const id = z.string().min(1, 'must be a non-empty string');

/** Epoch milliseconds. Values below 1e12 look like seconds and are rejected. */
export const epochMs = z
  .number({ error: 'must be a number (epoch milliseconds)' })
  .int('must be an integer (epoch milliseconds)')
  .refine((v) => v >= 1e12, { message: 'must be epoch milliseconds (this looks like seconds)' })
  .refine((v) => v < 1e14, { message: 'must be epoch milliseconds (value too large)' });

/** Paging request fields (assumed names, Sobot house style `pageNo`/`pageSize`). */
export const pageParams = z.looseObject({
  pageNo: z.number().int().positive().optional(),
  pageSize: z.number().int().positive().max(1000).optional(),
});
export type PageParams = z.infer<typeof pageParams>;

/** A page of items (assumed shape). Known fields typed, unknown passed through. */
export function page<T extends z.ZodType>(item: T) {
  return z.looseObject({
    total: z.coerce.number().int().nonnegative(),
    pageNo: z.coerce.number().int().positive().optional(),
    pageSize: z.coerce.number().int().positive().optional(),
    list: z.array(item),
  });
}
export interface Page<T> {
  total: number;
  pageNo?: number | undefined;
  pageSize?: number | undefined;
  list: T[];
  [key: string]: unknown;
}
