import { z } from 'zod';

/** Sobot ids: 32-hex in practice [C]; any non-empty string is accepted. */
export const id = z.string().min(1, 'must be a non-empty string');

/** Epoch milliseconds. Values below 1e12 look like seconds and are rejected. */
export const epochMs = z
  .number({ error: 'must be a number (epoch milliseconds)' })
  .int('must be an integer (epoch milliseconds)')
  .refine((v) => v >= 1e12, { message: 'must be epoch milliseconds (this looks like seconds)' })
  .refine((v) => v < 1e14, { message: 'must be epoch milliseconds (value too large)' });

/**
 * Characters allowed in an `outId` (assumed safe set): RFC 3986 unreserved characters, which no
 * gateway rewrites or refuses in a path segment. The PHP module puts `outId` into the path
 * unescaped (`A/B` becomes two segments, a 404) and many Java gateways refuse `%2F`, so an outId
 * outside this set could be stored but never looked up.
 */
export const OUT_ID_SAFE = /^[A-Za-z0-9._~-]{1,64}$/;
/** The rule of {@link OUT_ID_SAFE}, as error messages state it. */
export const OUT_ID_RULE = 'must be 1–64 characters of A–Z a–z 0–9 - . _ ~ (safe in a URL path), and not "." or ".."';

/** Why `v` cannot be an outId, or null when it can. */
export function outIdProblem(v: string): string | null {
  return OUT_ID_SAFE.test(v) && v !== '.' && v !== '..' ? null : OUT_ID_RULE;
}

/**
 * Why `v` cannot be put into a URL path segment, or null. `.` and `..` are dot segments: URL
 * resolution (and every proxy on the way) would rewrite the path to another endpoint.
 */
export function pathSegmentProblem(v: string): string | null {
  if (v === '') return 'must be a non-empty string';
  if (v === '.' || v === '..') return 'must not be "." or ".." (a dot segment would change the path)';
  return null;
}

/**
 * Paging request fields. Sobot's sibling APIs page with `pageNum`/`pageSize` (Agents `getJobs`,
 * api/sobot-v5.md §10), so `pageNum` is what is sent; `pageNo` (our earlier, assumed name) is
 * accepted as an alias of it. Both given and different is an error.
 */
export const pageParams = z.looseObject({
  pageNum: z.number().int().positive().optional(),
  pageNo: z.number().int().positive().optional(),
  pageSize: z.number().int().positive().max(1000).optional(),
});
export type PageParams = z.input<typeof pageParams>;

/**
 * Folds the `pageNo` alias into `pageNum` (use in a transform). Reports a conflict on `pageNo`.
 */
export function foldPageAlias<T extends { pageNum?: number | undefined; pageNo?: number | undefined }>(v: T, ctx: z.RefinementCtx): T {
  const { pageNo, ...rest } = v;
  if (pageNo !== undefined && rest.pageNum !== undefined && pageNo !== rest.pageNum) {
    ctx.addIssue({ code: 'custom', path: ['pageNo'], message: `is an alias of pageNum: give one of them (got pageNum ${rest.pageNum}, pageNo ${pageNo})` });
    return z.NEVER;
  }
  const pageNum = rest.pageNum ?? pageNo;
  // The type keeps `pageNo` optional; at run time it is gone (folded into pageNum).
  return (pageNum === undefined ? rest : { ...rest, pageNum }) as T;
}

/** A page of items (assumed shape). Known fields typed, unknown passed through. */
export function page<T extends z.ZodType>(item: T) {
  return z.looseObject({
    total: z.coerce.number().int().nonnegative(),
    pageNum: z.coerce.number().int().positive().optional(),
    pageNo: z.coerce.number().int().positive().optional(),
    pageSize: z.coerce.number().int().positive().optional(),
    list: z.array(item),
  });
}
export interface Page<T> {
  total: number;
  pageNum?: number | undefined;
  pageNo?: number | undefined;
  pageSize?: number | undefined;
  list: T[];
  [key: string]: unknown;
}
