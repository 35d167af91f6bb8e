import { z } from 'zod';

/**
 * The Agents response envelope `{code, data, requestId, resultMsg, host, errorStackTrace}`
 * (api/sobot-agents.md §1.2). `code == 200` is success; unknown keys pass through.
 */
export const agentsEnvelope = z.looseObject({
  code: z.coerce.number({ error: 'must be a number' }),
  data: z.unknown().optional(),
  requestId: z.string().nullish().catch(undefined),
  resultMsg: z.string().nullish().catch(undefined),
  host: z.string().nullish().catch(undefined),
  errorStackTrace: z.unknown().optional(),
});
/** An Agents envelope as the server sent it. */
export type AgentsEnvelope = z.infer<typeof agentsEnvelope>;

/** Envelope codes (§1.2, [Y]). */
export const AGENTS_CODE = {
  OK: 200,
  /** 校验数据错误: validation or signature failure. */
  UNAUTHORIZED: 401,
  /** 权限不足. */
  FORBIDDEN: 403,
  /** 资源未找到. */
  NOT_FOUND: 404,
  /** 参数错误. */
  BAD_PARAMETER: 412,
  /** 未知错误. */
  UNKNOWN: 500,
} as const;

/** The page envelope of list data (§1): `{number, pageSize, totalElements, pages, content}`. */
export function agentsPage<T extends z.ZodType>(item: T) {
  return z.looseObject({
    number: z.coerce.number().int().optional(),
    pageSize: z.coerce.number().int().optional(),
    totalElements: z.coerce.number().int().nonnegative(),
    pages: z.coerce.number().int().nonnegative().optional(),
    content: z.array(item),
  });
}
/** A page of items. */
export interface AgentsPage<T> {
  number?: number | undefined;
  pageSize?: number | undefined;
  totalElements: number;
  pages?: number | undefined;
  content: T[];
  [key: string]: unknown;
}
