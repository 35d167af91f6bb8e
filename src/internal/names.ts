import type { EnumNames } from '../contract/enums.js';

/**
 * Derived names on records the typed client returns: set only where the server sent none, so the
 * server's own names are kept as they came. The raw envelope (ZhichiFactory's `getData()`) is never
 * touched: these run on the parsed copy.
 */
type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A call record: `callResultName` from `callResult`. */
export function nameRecord<T>(enums: EnumNames, r: T): T {
  const o: unknown = r;
  if (isRec(o) && typeof o.callResult === 'number' && o.callResultName === undefined) o.callResultName = enums.name('callResult', o.callResult);
  return r;
}

/** A task: `statusName` from `status`. */
export function nameTask<T>(enums: EnumNames, t: T): T {
  const o: unknown = t;
  if (isRec(o) && typeof o.status === 'number' && o.statusName === undefined) o.statusName = enums.name('taskStatus', o.status);
  return t;
}

/** A contact detail: `statusName` from `status`, and each of its `calls`. */
export function nameContact<T>(enums: EnumNames, c: T): T {
  const o: unknown = c;
  if (!isRec(o)) return c;
  if (typeof o.status === 'number' && o.statusName === undefined) o.statusName = enums.name('contactStatus', o.status);
  if (Array.isArray(o.calls)) for (const r of o.calls) nameRecord(enums, r);
  return c;
}
