import type { z } from 'zod';
import { ZhichiValidationError, issuesFromZod, type RequestInfo } from '../errors.js';

/** Parses `value` with `schema`, or throws a {@link ZhichiValidationError} naming every broken field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string, info: RequestInfo = {}, prefix = ''): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ZhichiValidationError(what, issuesFromZod(r.error.issues, prefix), info);
}
