import type { z } from 'zod';
import {
  BUSINESS_CODE, ENDPOINTS, addContactsBody, addContactsBodyAnyOutId, createTaskParams, dialingResultsParams, searchTasksParams, tokenQuery,
  type EndpointName,
} from '../contract/index.js';
import { formatPath, issuesFromZod } from '../errors.js';
import type { EmulatorCore } from './core.js';
import { coerceBody } from './coerce.js';
import { SEED_NUMBERS, SEED_TEMPLATES } from './seed-data.js';
import type { TaskState } from './store.js';

/** An answer of the API: HTTP status plus the `{code, message, content}` envelope. */
export interface Reply {
  status: number;
  code: number;
  message: string;
  content: unknown;
}

/** What a handler gets: path parameters, query and JSON body. */
export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  authorization: string | undefined;
}

/** Envelope message of a success ([D]: the token example answers "成功"). */
export const OK_MESSAGE = '成功';

const ok = (content: unknown): Reply => ({ status: 200, code: BUSINESS_CODE.SUCCESS, message: OK_MESSAGE, content });
/** A business error: HTTP 200 with an envelope code other than 200. */
export const fail = (code: number, message: string, content: unknown = null): Reply => ({ status: 200, code, message, content });

function invalid(what: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): Reply {
  const list = issuesFromZod(issues);
  const text = list.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join('; ');
  return fail(BUSINESS_CODE.PARAM_INVALID, `invalid ${what}: ${text}`, { issues: list });
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): { ok: true; data: z.output<S> } | { ok: false; reply: Reply } {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, data: r.data } : { ok: false, reply: invalid(what, r.error.issues) };
}

/**
 * Parses a request body: the Jackson-style coercion layer (coerce.ts), then the exact contract.
 * In strict mode every coercion the layer would make is refused instead, with the contract's own
 * issues, so one answer names every field and rule.
 */
function parseBody<S extends z.ZodType>(core: EmulatorCore, name: EndpointName, schema: S, body: unknown, what: string): { ok: true; data: z.output<S> } | { ok: false; reply: Reply } {
  const { body: coerced, coercions } = coerceBody(name, body);
  const refused = core.opts.strict ? coercions.map((c) => ({ path: c.path, message: `${c.message} (strict mode)` })) : [];
  const r = schema.safeParse(coerced);
  if (r.success && refused.length === 0) return { ok: true, data: r.data };
  return { ok: false, reply: invalid(what, [...refused, ...(r.success ? [] : r.error.issues)]) };
}

/** A compiled route: the endpoint name and the path template split in segments. */
interface Route {
  name: EndpointName;
  method: string;
  segs: Array<{ lit: string } | { param: string }>;
}

const ROUTES: Route[] = Object.entries(ENDPOINTS).map(([name, e]) => ({
  name: name as EndpointName,
  method: e.method,
  segs: e.path.split('/').map((s) => (s.startsWith('{') ? { param: s.slice(1, -1) } : { lit: s })),
}));

/** Finds the endpoint of a request path (segments after `/api/6.0.0/`); `methodMismatch` when only the method is wrong. */
export function matchRoute(method: string, segs: string[]): { name: EndpointName; params: Record<string, string> } | 'methodMismatch' | null {
  let mismatch = false;
  for (const r of ROUTES) {
    if (r.segs.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let hit = true;
    for (let i = 0; i < segs.length; i++) {
      const s = r.segs[i]!;
      const v = segs[i]!;
      if ('lit' in s) {
        if (s.lit !== v) {
          hit = false;
          break;
        }
      } else params[s.param] = v;
    }
    if (!hit) continue;
    if (r.method !== method) {
      mismatch = true;
      continue;
    }
    return { name: r.name, params };
  }
  return mismatch ? 'methodMismatch' : null;
}

/** Query strings carry text; these numeric search fields are converted when they look like integers. */
function numericQuery(q: URLSearchParams, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of q) out[k] = keys.includes(k) && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  return out;
}

/**
 * The PHP module repeats `companyId`/`taskId`/`outId` in the query and the body (sobot-v5.md §3.3,
 * §3.4, §3.7): equal to the path they are ignored, different they are a parameter error.
 */
function checkRepeated(req: ApiRequest): Reply | null {
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
  for (const key of ['companyId', 'taskId', 'outId'] as const) {
    const p = req.params[key];
    if (p === undefined) continue;
    const q = req.query.get(key);
    if (q !== null && q !== p) return fail(BUSINESS_CODE.PARAM_INVALID, `invalid request: ${key} in the query must equal the ${key} in the path`);
    const b = body[key];
    if (b !== undefined && b !== null && String(b) !== p) return fail(BUSINESS_CODE.PARAM_INVALID, `invalid request: ${key} in the body must equal the ${key} in the path`);
  }
  return null;
}

function findTask(core: EmulatorCore, taskId: string | undefined): TaskState | Reply {
  const t = taskId === undefined ? undefined : core.tasks.get(taskId);
  return t ?? fail(BUSINESS_CODE.NOT_FOUND, `task ${taskId ?? ''} not found`);
}

const isReply = (x: unknown): x is Reply => typeof x === 'object' && x !== null && 'status' in x && 'code' in x && 'message' in x;

function pageOf(pageNum: number | undefined, pageSize: number | undefined) {
  const no = pageNum ?? 1;
  const size = pageSize ?? 20;
  return { no, size, from: (no - 1) * size };
}

/** Token endpoint (no bearer token): sobot-v5.md §3.1. */
function token(core: EmulatorCore, req: ApiRequest): Reply {
  const q = parse(tokenQuery, { apiKey: req.query.get('apiKey') ?? '', apiSecret: req.query.get('apiSecret') ?? '' }, 'token request');
  if (!q.ok) return q.reply;
  if (q.data.apiKey !== core.opts.apiKey || q.data.apiSecret !== core.opts.apiSecret) {
    return fail(BUSINESS_CODE.INVALID_CREDENTIALS, 'invalid credentials: apiKey or apiSecret is wrong');
  }
  if (core.tokens.rateLimited()) {
    return fail(BUSINESS_CODE.TOKEN_RATE_LIMITED, `token requested too often: at most ${core.opts.tokenMintsPerMinute} per minute, cache the token for its lifetime`);
  }
  return ok(core.tokens.mint());
}

function createTask(core: EmulatorCore, req: ApiRequest): Reply {
  const p = parseBody(core, 'createTask', createTaskParams, req.body, 'create-task params');
  if (!p.ok) return p.reply;
  const t = p.data;
  if (t.robotNum > core.opts.robotCount) {
    return fail(BUSINESS_CODE.ROBOTS_EXCEEDED, `robotNum must be at most the company's robot count (${core.opts.robotCount}), got ${t.robotNum}`);
  }
  if (!SEED_TEMPLATES.some((x) => x.templateId === t.templateId)) {
    return fail(BUSINESS_CODE.PARAM_INVALID, `invalid create-task params: templateId must be one of the company's templates (GET templates), got '${t.templateId}'`);
  }
  const bad = t.aniList.findIndex((n) => !SEED_NUMBERS.some((x) => x.number === n));
  if (bad >= 0) {
    return fail(BUSINESS_CODE.PARAM_INVALID, `invalid create-task params: ${formatPath(['aniList', bad])} must be one of the company's caller numbers (GET numbers), got '${t.aniList[bad]}'`);
  }
  const task = core.createTask(t as Record<string, unknown>);
  return ok({ taskId: task.taskId });
}

function addContacts(core: EmulatorCore, req: ApiRequest): Reply {
  const task = findTask(core, req.params.taskId);
  if (isReply(task)) return task;
  // Strict mode holds outIds to the contract's URL-safe set; by default any outId is stored, as a
  // server taking it from a JSON body would (only its look-up by path is at risk).
  const p = parseBody(core, 'addContacts', core.opts.strict ? addContactsBody : addContactsBodyAnyOutId, req.body, 'contacts');
  if (!p.ok) return p.reply;
  const list = p.data.contactList;
  if (task.expired) {
    // ASSUMED: an expired task takes no more contacts; each is reported in failList.
    return ok({ successCount: 0, duplicateCount: 0, failCount: list.length, failList: list.map((c) => ({ outId: c.outId, telephone: c.telephone, reason: 'task has expired' })) });
  }
  let success = 0;
  let dup = 0;
  for (const c of list) {
    const { outId, telephone, ...rest } = c;
    const vars = Object.keys(rest).length > 0 ? rest : null;
    if (task.addContact(outId, telephone, vars)) success++;
    else dup++;
  }
  // Contacts added while the task runs are dialed at once if robots are free.
  core.dialer.kick();
  return ok({ successCount: success, duplicateCount: dup, failCount: 0, failList: [] });
}

function getContact(core: EmulatorCore, req: ApiRequest): Reply {
  const task = findTask(core, req.params.taskId);
  if (isReply(task)) return task;
  const c = task.outIndex.get(req.params.outId ?? '');
  if (c === undefined) return fail(BUSINESS_CODE.NOT_FOUND, `contact with outId ${req.params.outId ?? ''} not found in task ${task.taskId}`);
  return ok(core.contactDetail(task, c));
}

function dialingResults(core: EmulatorCore, req: ApiRequest): Reply {
  const task = findTask(core, req.params.taskId);
  if (isReply(task)) return task;
  const p = parseBody(core, 'dialingResults', dialingResultsParams, req.body ?? {}, 'dialing-results params');
  if (!p.ok) return p.reply;
  const f = p.data;
  const { size, from, no } = pageOf(f.pageNum, f.pageSize);
  // Records are stored in end-time order with callIds increasing: the stored order is the answer's order.
  let candidates: number[] | null = null;
  if (f.outIds) {
    candidates = [];
    for (const o of new Set(f.outIds)) {
      const c = task.outIndex.get(o);
      if (c !== undefined) candidates.push(...task.recordsOf(c));
    }
    candidates.sort((a, b) => a - b);
  }
  let lo = 0;
  if (!candidates && f.startTime !== undefined) {
    // Binary search on end time (non-decreasing by construction).
    let hi = task.recs;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (task.recEnd(mid) < f.startTime) lo = mid + 1;
      else hi = mid;
    }
  }
  const match = (r: number) =>
    (f.startTime === undefined || task.recEnd(r) >= f.startTime) &&
    (f.endTime === undefined || task.recEnd(r) < f.endTime) &&
    (f.callResult === undefined || task.recResult[r] === f.callResult);
  const list: unknown[] = [];
  let total = 0;
  const take = (r: number) => {
    if (!match(r)) return;
    if (total >= from && list.length < size) list.push(task.record(r, core.opts.companyId));
    total++;
  };
  if (candidates) for (const r of candidates) take(r);
  else if (f.endTime === undefined && f.callResult === undefined) {
    // Fast path: only a start bound, the total is arithmetic.
    total = task.recs - lo;
    for (let r = lo + from; r < task.recs && list.length < size; r++) list.push(task.record(r, core.opts.companyId));
  } else for (let r = lo; r < task.recs; r++) take(r);
  // pageNum as the sibling APIs name it; pageNo repeated for readers of the earlier (assumed) shape.
  return ok({ total, pageNum: no, pageNo: no, pageSize: size, list });
}

function robotsCount(core: EmulatorCore): Reply {
  return ok(core.opts.robotCount);
}

function getTask(core: EmulatorCore, req: ApiRequest): Reply {
  const task = findTask(core, req.params.taskId);
  if (isReply(task)) return task;
  return ok(core.taskInfo(task));
}

function searchTasks(core: EmulatorCore, req: ApiRequest): Reply {
  const q = numericQuery(req.query, ['status', 'pageNum', 'pageNo', 'pageSize']);
  const p = parse(searchTasksParams, q, 'search params');
  if (!p.ok) return p.reply;
  const f = p.data;
  const { size, from, no } = pageOf(f.pageNum, f.pageSize);
  const all = [...core.tasks.values()].reverse(); // newest first (ASSUMED)
  const hits = all.filter((t) => (f.taskName === undefined || t.taskName.includes(f.taskName)) && (f.status === undefined || core.taskStatus(t) === f.status));
  return ok({ total: hits.length, pageNum: no, pageNo: no, pageSize: size, list: hits.slice(from, from + size).map((t) => core.taskInfo(t)) });
}

function templates(): Reply {
  return ok(SEED_TEMPLATES);
}

function numbers(): Reply {
  return ok(SEED_NUMBERS);
}

/** Endpoint handlers by ENDPOINTS name. */
export const HANDLERS: Record<EndpointName, (core: EmulatorCore, req: ApiRequest) => Reply> = {
  token,
  createTask,
  addContacts,
  getContact,
  dialingResults,
  robotsCount,
  getTask,
  searchTasks,
  templates,
  numbers,
};

/**
 * Runs one API request after routing: authentication (HTTP 401 for a missing, unknown, expired or
 * revoked token, sobot-v5.md §6), company check, repeated-parameter check, then the handler.
 */
export function handleApi(core: EmulatorCore, name: EndpointName, req: ApiRequest): Reply {
  if (name !== 'token') {
    const auth = core.tokens.check(req.authorization);
    if (!auth.ok) {
      const why = auth.reason === 'missing' ? 'missing bearer token' : auth.reason === 'expired' ? 'token expired' : 'invalid token';
      return { status: 401, code: BUSINESS_CODE.TOKEN_INVALID, message: `${why}: fetch a new token`, content: null };
    }
    if (req.params.companyId !== auth.companyId) {
      return fail(BUSINESS_CODE.FORBIDDEN, `companyId ${req.params.companyId ?? ''} does not belong to this token`);
    }
    const rep = checkRepeated(req);
    if (rep) return rep;
  }
  return HANDLERS[name](core, req);
}
