import { normalizePhone } from '../contract/phone.js';
import type { EndpointName } from '../contract/index.js';

/**
 * What a Java/Jackson backend such as Sobot's most likely does with the JSON a PHP or Python client
 * sends (ASSUMED: nothing shows Sobot's mapper settings; these are Jackson's defaults, where
 * `ALLOW_COERCION_OF_SCALARS` is on): an integer field takes a string of digits (`"2"`, a ms
 * timestamp as a string), a string field takes a number. Two more are our choices, also assumed:
 * a window `"9:00"` is read as `"09:00"`, and a phone number with `+86`, spaces or dashes is read as
 * its digits (see normalizePhone).
 *
 * The emulator applies this layer to request bodies only, before the exact contract
 * (`src/contract`), so the contract stays exact and the TypeScript client keeps sending proper
 * types. In strict mode every coercion this layer would make is a refusal instead, naming the
 * field and the rule, so a client bug is not hidden.
 */

/** One value the layer changed (default mode) or refuses (strict mode). */
export interface Coercion {
  path: Array<string | number>;
  /** The rule, as a strict refusal states it. */
  message: string;
}

/** Which fields of a body are coerced, and how. */
interface Spec {
  /** Integer fields: a string of digits becomes the number. */
  ints?: readonly string[];
  /** String fields: a number becomes its decimal string. */
  strings?: readonly string[];
  /** Lists of strings: each number item becomes its decimal string. */
  stringLists?: readonly string[];
  /** `HH:mm` fields: `H:mm` becomes `0H:mm`. */
  times?: readonly string[];
  /** Phone fields: anything normalizePhone accepts becomes the normalised digits. */
  phones?: readonly string[];
  /** Lists of objects, each coerced by its own spec. */
  lists?: Readonly<Record<string, Spec>>;
}

const INTEGER = /^-?\d+$/;
const SHORT_HOUR = /^\d:[0-5]\d$/;

/** Request bodies coerced, by endpoint. Query strings are text on the wire and are converted where they are read. */
const SPECS: Partial<Record<EndpointName, Spec>> = {
  createTask: {
    ints: ['robotNum', 'timeType', 'startTime', 'endTime', 'pushFlag', 'pushType'],
    strings: ['taskName', 'templateId'],
    stringLists: ['aniList'],
    lists: {
      taskCronList: { times: ['begin', 'end'] },
      taskRetryList: { ints: ['retryNum', 'retryTime', 'retryCondition'] },
    },
  },
  addContacts: {
    lists: { contactList: { strings: ['outId'], phones: ['telephone'] } },
  },
  dialingResults: {
    ints: ['pageNum', 'pageNo', 'pageSize', 'startTime', 'endTime', 'callResult'],
    stringLists: ['outIds'],
  },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function apply(obj: Record<string, unknown>, spec: Spec, at: Array<string | number>, out: Coercion[]): Record<string, unknown> {
  const o = { ...obj };
  for (const k of spec.ints ?? []) {
    const v = o[k];
    if (typeof v === 'string' && INTEGER.test(v)) {
      o[k] = Number(v);
      out.push({ path: [...at, k], message: `must be a JSON number, not the string ${JSON.stringify(v)}` });
    }
  }
  for (const k of spec.strings ?? []) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v)) {
      o[k] = String(v);
      out.push({ path: [...at, k], message: `must be a JSON string, not the number ${v}` });
    }
  }
  for (const k of spec.stringLists ?? []) {
    const v = o[k];
    if (!Array.isArray(v)) continue;
    o[k] = v.map((item: unknown, i) => {
      if (typeof item !== 'number' || !Number.isFinite(item)) return item;
      out.push({ path: [...at, k, i], message: `must be a JSON string, not the number ${item}` });
      return String(item);
    });
  }
  for (const k of spec.times ?? []) {
    const v = o[k];
    if (typeof v === 'string' && SHORT_HOUR.test(v)) {
      o[k] = `0${v}`;
      out.push({ path: [...at, k], message: `must be HH:mm with a two-digit hour ("0${v}"), not ${JSON.stringify(v)}` });
    }
  }
  for (const k of spec.phones ?? []) {
    const v = o[k];
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const r = normalizePhone(v);
    if (r.ok && r.phone !== v) {
      o[k] = r.phone;
      out.push({
        path: [...at, k],
        message: `must be the normalised number ${JSON.stringify(r.phone)} (a JSON string of digits, without +86, spaces or dashes), not ${JSON.stringify(v)}`,
      });
    }
  }
  for (const [k, sub] of Object.entries(spec.lists ?? {})) {
    const v = o[k];
    if (!Array.isArray(v)) continue;
    o[k] = v.map((item: unknown, i) => (isObject(item) ? apply(item, sub, [...at, k, i], out) : item));
  }
  return o;
}

/**
 * Coerces the body of one request as a Jackson backend would. Returns the new body (the input is
 * never changed) and every coercion made; a body of an endpoint without a spec, or not an object,
 * is returned as it is.
 */
export function coerceBody(name: EndpointName, body: unknown): { body: unknown; coercions: Coercion[] } {
  const spec = SPECS[name];
  if (!spec || !isObject(body)) return { body, coercions: [] };
  const coercions: Coercion[] = [];
  return { body: apply(body, spec, [], coercions), coercions };
}
