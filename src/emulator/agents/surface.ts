import type { z } from 'zod';
import { CALL_RESULT } from '../../contract/index.js';
import {
  AGENTS_CODE, AGENTS_ENDPOINTS, IMPORT_CALLBACK_CHUNK, INTENT_LEVELS, RESULT_STATUS, hhmmMinutes, resultStatusName,
  type AgentsEndpointName, type JobStatus, type createJobBody, type customerPerson,
} from '../../contract/agents/index.js';
import { issuesFromZod } from '../../errors.js';
import { redactText, registerSecret } from '../../internal/redact.js';
import type { MinuteWindow } from '../calendar.js';
import type { EmulatorCore } from '../core.js';
import { Prng } from '../random.js';
import type { TaskDomain } from '../store.js';
import { verifySignature } from './auth.js';
import { AgentsJob } from './job.js';
import {
  AGENTS_BLACKLIST, AGENTS_BLACK_GROUPS, AGENTS_LINES, AGENTS_POLICY_GROUPS, AGENTS_RISK_STRATEGIES, AGENTS_SCRIPTS, AGENTS_TENANT,
} from './seed.js';
import { formatLocal, formatLocalDate, parseLocal } from './time.js';

/** An answer of the Agents surface: HTTP status and the envelope. */
export interface AgentsReply {
  status: number;
  body: { code: number; data: unknown; requestId: string; resultMsg: string; host: string; errorStackTrace: null };
}

type Out = { code: number; data: unknown; msg: string };
const ok = (data: unknown, msg = '执行成功'): Out => ({ code: AGENTS_CODE.OK, data, msg });
const err = (code: number, msg: string, data: unknown = null): Out => ({ code, data, msg });
const notFound = (what: string): Out => err(AGENTS_CODE.NOT_FOUND, `资源未找到: ${what}`);

/** Status name → label used in refusals like 该任务状态(已完成)不可开始. */
const STATUS_LABEL: Record<string, string> = {
  NOT_STARTED: '未开始', IN_PROCESS: '进行中', COMPLETED: '已完成', RUNNABLE: '可运行', USER_PAUSE: '用户暂停', SYSTEM_SUSPENDED: '系统暂停',
  TERMINATE: '已终止', IN_QUEUE: '排队中', SYSTEM_HANG_UP: '系统挂起', WAITING_FOR_REDIAL: '等待重呼',
};
const PAUSABLE = new Set(['IN_PROCESS', 'SYSTEM_SUSPENDED', 'IN_QUEUE', 'WAITING_FOR_REDIAL', 'RUNNABLE']);
const STARTABLE = new Set(['NOT_STARTED', 'USER_PAUSE', 'SYSTEM_HANG_UP']);
/** Phone rule of the emulator (ASSUMED): a mainland mobile or a landline with area code; no extensions. */
const PHONE = /^(?:1[3-9]\d{9}|0\d{9,11})$/;
/** Query parameters read as numbers / booleans (everything arrives as text in a GET). */
const NUMERIC_QUERY = new Set(['pageNum', 'pageSize', 'robotCallJobId', 'callRecordId', 'botId', 'intentLevelTagId', 'phoneNumberId', 'type']);
const BOOLEAN_QUERY = new Set(['order', 'local']);
const DAY_MS = 86_400_000;

const ROUTES = new Map<string, AgentsEndpointName>(Object.entries(AGENTS_ENDPOINTS).map(([n, e]) => ['/' + e.path, n as AgentsEndpointName]));

/**
 * The Agents (apiOpen/v1) surface of the emulator: signature check, every endpoint of
 * api/sobot-agents.md §2 over the shared campaign engine, and the tenant callbacks (§7).
 */
export class AgentsSurface {
  readonly jobs = new Map<number, AgentsJob>();
  private readonly byName = new Map<string, AgentsJob>();
  private nextJobId = 1001;
  private nextFilterId = 1;
  private requestSeq = 0;
  private readonly rng: Prng;
  #callbackUrl: string | null = null;

  /** The tenant callback URL (§5.5). */
  get callbackUrl(): string | null {
    return this.#callbackUrl;
  }
  /**
   * Sets the callback URL. A receiver may carry its secret as the last path segment
   * (`/agents/<secret>`, docs/agents.md): a last segment of 16+ characters is treated as a secret and
   * redacted wherever the emulator logs the URL.
   */
  set callbackUrl(url: string | null) {
    this.#callbackUrl = url;
    if (url === null) return;
    try {
      const last = new URL(url).pathname.split('/').pop() ?? '';
      if (last.length >= 16) registerSecret(decodeURIComponent(last));
    } catch {
      /* checked as an http(s) URL before it gets here */
    }
  }
  readonly counters = { requests: 0, refusedSignatures: 0, callbacks: {} as Record<string, number>, callbacksWithoutUrl: 0 };

  constructor(private readonly core: EmulatorCore) {
    this.callbackUrl = core.opts.agents.callbackUrl;
    this.rng = new Prng(core.opts.seed ^ 0xa6e175);
    core.statsHooks.agents = () => this.statsSnapshot();
    core.syncHooks.push((now) => {
      for (const j of this.jobs.values()) this.observe(j, now);
    });
  }

  /** Counters for `GET /__emulator/stats` (`agents` section) and `handle.agentsStats()`; the callback URL redacted. */
  statsSnapshot(): Record<string, unknown> {
    const url = this.#callbackUrl;
    return { ...this.counters, callbacks: { ...this.counters.callbacks }, jobs: this.jobs.size, callbackUrl: url === null ? null : redactText(url) };
  }

  /** The endpoint of a request path, `methodMismatch`, or null when the path is not an Agents one. */
  static match(method: string, path: string): AgentsEndpointName | 'methodMismatch' | null {
    const name = ROUTES.get(path);
    if (name === undefined) return null;
    return AGENTS_ENDPOINTS[name].method === method ? name : 'methodMismatch';
  }

  /** True for paths this surface owns (`/apiOpen/v1/...` and the bot-info path). */
  static owns(path: string): boolean {
    return path.startsWith('/apiOpen/v1/') || path.startsWith('/apiOpenNew/v1/');
  }

  /** Answers one request whose route matched; `body` is the parsed JSON (undefined for GET). */
  handle(name: AgentsEndpointName, query: URLSearchParams, headers: Record<string, string | string[] | undefined>, body: unknown): AgentsReply {
    this.counters.requests++;
    const now = this.core.clock.now();
    const a = this.core.opts.agents;
    const verdict = verifySignature(headers, { appKey: a.appKey, appSecret: a.appSecret, tenantSign: a.tenantSign }, now, a.maxSkewMs);
    let out: Out;
    if (!verdict.ok) {
      this.counters.refusedSignatures++;
      out = err(AGENTS_CODE.UNAUTHORIZED, verdict.message);
    } else {
      const ep = AGENTS_ENDPOINTS[name];
      const input = ep.method === 'GET' ? queryObject(query) : body;
      const r = (ep.in as z.ZodType).safeParse(input);
      if (!r.success) {
        const issues = issuesFromZod(r.error.issues);
        out = err(AGENTS_CODE.BAD_PARAMETER, `参数错误: ${issues.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join('; ')}`, { issues });
      } else out = this.route(name, r.data as Record<string, unknown>, now);
    }
    return { status: 200, body: { code: out.code, data: out.data, requestId: this.requestId(), resultMsg: out.msg, host: 'zhichi-emulator', errorStackTrace: null } };
  }

  /** An envelope for a path or method this surface does not serve. */
  refusal(code: number, msg: string): AgentsReply {
    return { status: code, body: { code, data: null, requestId: this.requestId(), resultMsg: msg, host: 'zhichi-emulator', errorStackTrace: null } };
  }

  private requestId(): string {
    let n = this.requestSeq++;
    let s = '';
    for (let i = 0; i < 8; i++) {
      s = String.fromCharCode(65 + (n % 26)) + s;
      n = Math.floor(n / 26);
    }
    return s;
  }

  private route(name: AgentsEndpointName, b: Record<string, unknown>, now: number): Out {
    switch (name) {
      case 'createJob': return this.create(b as z.output<typeof createJobBody>, now);
      case 'modifyJob': return this.modify(b as z.output<typeof createJobBody>, now);
      case 'startJob': return this.withJob(b, (j) => this.start(j, now));
      case 'pauseJob': return this.withJob(b, (j) => this.pause(j, now));
      case 'stopJob': return this.withJob(b, (j) => this.stop(j, now));
      case 'deleteJob': return this.withJob(b, (j) => this.remove(j, now));
      case 'checkAll': return this.checkAll(b, now);
      case 'executeJobs': return this.executeJobs(b, now);
      case 'importCustomerAsync': return this.withJob(b, (j) => this.importAsync(j, b, now));
      case 'importCustomer': return this.withJob(b, (j) => this.importSync(j, b, now));
      case 'updateAiCount': return this.withJob(b, (j) => {
        if (Number(b.robotCount) > this.core.opts.robotCount) return err(AGENTS_CODE.BAD_PARAMETER, `参数错误: robotCount must be at most the tenant's ${this.core.opts.robotCount} AI seats`);
        j.task.robotNum = Number(b.robotCount);
        this.core.dialer.kick();
        return ok(null);
      });
      case 'reAddCustomerToJob': return this.withJob(b, (j) => {
        const bad: number[] = [];
        for (const id of b.customerPersonIds as number[]) {
          const c = j.contactIndex(id);
          if (c < 0 || !j.reAdd(c, this.core.dialer.now)) bad.push(id);
        }
        if (bad.length) return err(AGENTS_CODE.BAD_PARAMETER, `参数错误: customerPersonIds ${bad.slice(0, 10).join(', ')} are unknown or not finished yet`);
        this.core.dialer.kick();
        this.observe(j, now);
        return ok(null);
      });
      case 'getJobs': return this.list(b, now);
      case 'getJobProperties': return this.withJob(b, (j) => ok(scriptOf(j.dialogFlowId)?.variables.slice() ?? [], '获取成功'));
      case 'getJobDetail': return this.withJob(b, (j) => ok(this.detail(j, now), '获取成功'));
      case 'getJobStats': return this.withJob(b, (j) => ok(this.stats(j), '获取成功'));
      case 'getJobStatsInfoList': {
        const out: Record<string, { taskTotal: number; taskCompleted: number }> = {};
        for (const id of b as unknown as string[]) {
          const j = this.live(Number(id));
          if (j) out[id] = { taskTotal: j.task.count, taskCompleted: j.task.finished };
        }
        return ok(out, '获取成功');
      }
      case 'callStatsInfo': return this.callStats(b);
      case 'callCostStatsInfo': return this.costStats(b);
      case 'getCallRecordInfoList': return this.withJob(b, (j) => ok(this.records(j, b), '获取成功'));
      case 'callDetail': {
        const id = Number(b.callRecordId);
        const j = this.live(Math.floor((id - 1) / 100_000_000));
        const r = j ? j.recordIndex(id) : -1;
        if (!j || r < 0) return notFound(`callRecordId ${id}`);
        const rec = j.record(r, this.core.timeZone);
        const c = j.task.recContact[r]!;
        return ok({ ...rec, customerPerson: { customerPersonId: j.customerId(c), name: j.names.get(c) ?? null, phoneNumber: j.task.phone(c), properties: j.task.variables(c) ?? {} } }, '获取成功');
      }
      case 'getInfoListCount': return this.withJob(b, (j) => ok(this.matching(j, b).length, '获取成功'));
      case 'getFilterRecord': return this.withJob(b, (j) => ok(j.filtered.filter((f) => f.phone === b.calledPhoneNumber).slice(0, 20).map((f) => this.filteredWire(j, f)), '获取成功'));
      case 'getV3BotList': {
        const from = typeof b.startUpdateTime === 'string' ? b.startUpdateTime : '';
        const to = typeof b.endUpdateTime === 'string' ? b.endUpdateTime : '9999';
        return ok(AGENTS_SCRIPTS.map(botWire).filter((s) => s.updateTime >= from && s.updateTime <= to), '获取成功');
      }
      case 'getBotInfoById': {
        const s = scriptOf(Number(b.botId));
        return s ? ok(botWire(s), '获取成功') : notFound(`botId ${String(b.botId)}`);
      }
      case 'getPhoneList': return ok(AGENTS_LINES.map((l) => ({ ...l, localBillRate: 10, otherBillRate: 12, areaCode: l.phoneNumber.startsWith('0') ? l.phoneNumber.slice(0, 3) : null })), '获取成功');
      case 'getPolicyGroups': return ok(AGENTS_POLICY_GROUPS.slice(), '获取成功');
      case 'rcsList': return ok(page(AGENTS_RISK_STRATEGIES.filter((s) => !b.name || s.strategyName.includes(String(b.name))), b), '获取成功');
      case 'blackGroups': return ok(page(AGENTS_BLACK_GROUPS.filter((g) => !b.name || g.name.includes(String(b.name))), b), '获取成功');
      case 'getTenant': return ok({ ...AGENTS_TENANT }, '获取成功');
      case 'updateIsvInfo': {
        if (b.tenantSign !== this.core.opts.agents.tenantSign) return err(AGENTS_CODE.FORBIDDEN, '权限不足: tenantSign does not match this account');
        if (typeof b.callbackUrl === 'string') this.callbackUrl = b.callbackUrl;
        return ok(null);
      }
      case 'intentTagGroups': return ok([{ intentLevelTagId: 1, name: '默认意向标签组' }], '获取成功');
      case 'intentTag': return Number(b.intentLevelTagId) === 1 ? ok({ intentLevelTagId: 1, name: '默认意向标签组', details: INTENT_LEVELS.map((l) => ({ ...l })) }, '获取成功') : notFound(`intentLevelTagId ${String(b.intentLevelTagId)}`);
    }
  }

  private live(id: number): AgentsJob | undefined {
    const j = this.jobs.get(id);
    return j && !j.deleted ? j : undefined;
  }

  private withJob(b: Record<string, unknown>, f: (j: AgentsJob) => Out): Out {
    const j = this.live(Number(b.robotCallJobId));
    return j ? f(j) : notFound(`robotCallJobId ${String(b.robotCallJobId)}`);
  }

  /** Checks a create/modify body against the tenant (scripts, lines, seats, windows) and builds the engine view. */
  private plan(b: z.output<typeof createJobBody>, now: number): { domain: TaskDomain; windows: MinuteWindow[]; lines: number[] } | Out {
    const j = b.robotCallJob;
    const script = scriptOf(j.dialogFlowId);
    if (!script) return err(AGENTS_CODE.NOT_FOUND, `资源未找到: robotCallJob.dialogFlowId ${j.dialogFlowId}`);
    if (script.status !== 'APPROVED') return err(AGENTS_CODE.BAD_PARAMETER, `参数错误: robotCallJob.dialogFlowId ${j.dialogFlowId} is not APPROVED (${script.status})`);
    const lines = b.jobPhoneNumberIdList.map(Number);
    for (const id of lines) {
      if (j.phoneType === 'CALL_POLICY_GROUP') {
        if (!AGENTS_POLICY_GROUPS.some((g) => g.callPolicyGroupId === id)) return err(AGENTS_CODE.NOT_FOUND, `资源未找到: jobPhoneNumberIdList policy group ${id}`);
      } else if (!AGENTS_LINES.some((l) => l.tenantPhoneNumberId === id)) return err(AGENTS_CODE.NOT_FOUND, `资源未找到: jobPhoneNumberIdList line ${id}`);
    }
    // Default calling hours 09:00–20:00 (§3.1; adjustable only by Sobot).
    if (hhmmMinutes(j.dailyStartTime) < 9 * 60) return err(AGENTS_CODE.BAD_PARAMETER, '参数错误: robotCallJob.dailyStartTime must not be earlier than 09:00');
    if (hhmmMinutes(j.dailyEndTime) > 20 * 60) return err(AGENTS_CODE.BAD_PARAMETER, '参数错误: robotCallJob.dailyEndTime must not be later than 20:00');
    const concurrency = b.concurrencyQuota ?? j.robotCount;
    if (j.robotCount > this.core.opts.robotCount) return err(AGENTS_CODE.BAD_PARAMETER, `参数错误: robotCallJob.robotCount must be at most the tenant's ${this.core.opts.robotCount} AI seats`);
    const windows = dailyWindows(j.dailyStartTime, j.dailyEndTime, (j.inactiveTimeList ?? []) as Array<{ startTime: string; endTime: string }>);
    if (windows.length === 0) return err(AGENTS_CODE.BAD_PARAMETER, '参数错误: robotCallJob.inactiveTimeList leaves no calling time');
    const results = (j.redialCondition ?? []).map((n) => (RESULT_STATUS as Record<string, number>)[n]).filter((c): c is number => c !== undefined);
    const rules: Array<{ retryNum: number; delayMs: number; results: number[] }> = [];
    if (j.redialTimes !== undefined && j.redialInterval !== undefined && results.length > 0) rules.push({ retryNum: j.redialTimes, delayMs: j.redialInterval * 60_000, results });
    // The last rule is triggered by no result: reAddCustomerToJob re-queues customers through it.
    rules.push({ retryNum: 0, delayMs: 0, results: [] });
    let startAt = now;
    if (j.mode === 'AUTO') {
      startAt = parseLocal(this.core.timeZone, j.startTime!);
      if (!Number.isFinite(startAt)) return err(AGENTS_CODE.BAD_PARAMETER, '参数错误: robotCallJob.startTime must be yyyy-MM-dd HH:mm:ss');
    }
    const aniList = lines.map((id) => AGENTS_LINES.find((l) => l.tenantPhoneNumberId === id)?.phoneNumber ?? `policy-${id}`);
    return {
      domain: { taskName: j.name, startAt, endAt: Number.POSITIVE_INFINITY, robotNum: Math.min(concurrency, this.core.opts.robotCount), aniList, rules, pushUrl: null, pushMode: 0, held: j.mode === 'MANUAL' },
      windows,
      lines,
    };
  }

  private create(b: z.output<typeof createJobBody>, now: number): Out {
    const name = b.robotCallJob.name;
    if (this.byName.has(name)) return err(AGENTS_CODE.BAD_PARAMETER, `参数错误: robotCallJob.name "${name}" already exists (task names are unique per account)`);
    const plan = this.plan(b, now);
    if ('code' in plan) return plan;
    const task = this.core.addTask(b as unknown as Record<string, unknown>, plan.domain, plan.windows);
    const id = this.nextJobId++;
    const job = new AgentsJob(id, name, String(b.robotCallJob.mode), b as unknown as Record<string, unknown>, task, Number(b.robotCallJob.dialogFlowId), plan.lines, now);
    job.applyHold();
    this.jobs.set(id, job);
    this.byName.set(name, job);
    task.onCall = (r) => this.onCall(job, r);
    return ok({ robotCallJobId: id });
  }

  private modify(b: z.output<typeof createJobBody>, now: number): Out {
    const id = Number(b.robotCallJob.robotCallJobId);
    const j = this.live(id);
    if (!j) return notFound(`robotCallJob.robotCallJobId ${id}`);
    const status = j.status(now);
    if (status === 'IN_PROCESS' || status === 'TERMINATE' || status === 'COMPLETED') return err(AGENTS_CODE.BAD_PARAMETER, `该任务状态(${STATUS_LABEL[status] ?? status})不可修改; pause it first`);
    const name = b.robotCallJob.name;
    const other = this.byName.get(name);
    if (other && other !== j) return err(AGENTS_CODE.BAD_PARAMETER, `参数错误: robotCallJob.name "${name}" already exists (task names are unique per account)`);
    const plan = this.plan(b, now);
    if ('code' in plan) return plan;
    const old = j.task.rules[0];
    const next = plan.domain.rules[0]!;
    if (plan.domain.rules.length !== j.task.rules.length || (old && next.results.length > 0 && (old.retryNum !== next.retryNum || old.delayMs !== next.delayMs))) {
      return err(AGENTS_CODE.BAD_PARAMETER, '参数错误: robotCallJob redial settings cannot change after creation (emulator limitation, docs/agents.md)');
    }
    this.byName.delete(j.name);
    j.name = name;
    this.byName.set(name, j);
    j.body = b as unknown as Record<string, unknown>;
    j.task.robotNum = plan.domain.robotNum;
    j.task.calendar = this.core.calendarFor(plan.windows);
    this.core.dialer.kick();
    return ok({ robotCallJobId: id });
  }

  private start(j: AgentsJob, now: number): Out {
    const s = j.status(now);
    if (j.mode === 'AUTO' && s === 'NOT_STARTED') return err(AGENTS_CODE.BAD_PARAMETER, '该任务为自动任务(AUTO)，将在 startTime 开始');
    if (s === 'COMPLETED' || s === 'TERMINATE') return err(AGENTS_CODE.BAD_PARAMETER, `该任务状态(${STATUS_LABEL[s]})不可开始`);
    j.started = true;
    j.paused = false;
    j.applyHold();
    this.core.dialer.kick();
    this.observe(j, now);
    return ok(null);
  }

  private pause(j: AgentsJob, now: number): Out {
    const s = j.status(now);
    if (s === 'USER_PAUSE') return ok(null);
    if (!PAUSABLE.has(s)) return err(AGENTS_CODE.BAD_PARAMETER, `该任务状态(${STATUS_LABEL[s] ?? s})不可暂停`);
    j.paused = true;
    j.applyHold();
    this.observe(j, now);
    return ok(null);
  }

  private stop(j: AgentsJob, now: number): Out {
    const s = j.status(now);
    if (s === 'TERMINATE') return ok(null);
    if (s === 'COMPLETED') return err(AGENTS_CODE.BAD_PARAMETER, '该任务状态(已完成)不可终止');
    j.stopped = true;
    j.applyHold();
    this.observe(j, now);
    return ok(null);
  }

  private remove(j: AgentsJob, now: number): Out {
    if (j.task.active > 0 || j.status(now) === 'IN_PROCESS') return err(AGENTS_CODE.BAD_PARAMETER, '该任务状态(进行中)不可删除; pause or stop it first');
    j.deleted = true;
    j.applyHold();
    this.byName.delete(j.name);
    return ok(null, '删除成功');
  }

  private checkAll(b: Record<string, unknown>, now: number): Out {
    const op = String(b.operation);
    const statusSet = (b.statusSet as string[] | undefined) ?? null;
    const executable: unknown[] = [];
    const unexecutable: unknown[] = [];
    for (const id of b.robotCallJobIdSet as number[]) {
      const j = this.live(id);
      if (!j) {
        unexecutable.push({ msg: `任务不存在: ${id}`, statsInfo: null });
        continue;
      }
      const s = j.status(now);
      if (statusSet && !statusSet.includes(s)) continue;
      if (typeof b.name === 'string' && !j.name.includes(b.name)) continue;
      const can = op === 'START' ? STARTABLE.has(s) && !(j.mode === 'AUTO' && s === 'NOT_STARTED') : op === 'PAUSE' ? PAUSABLE.has(s) : false;
      const wire = this.jobWire(j, now);
      if (can) executable.push(wire);
      else unexecutable.push({ msg: `该任务状态(${STATUS_LABEL[s] ?? s})不可${op === 'START' ? '开始' : op === 'PAUSE' ? '暂停' : op}`, statsInfo: wire.statsInfo });
    }
    return ok({ executable, unexecutable }, '获取成功');
  }

  private executeJobs(b: Record<string, unknown>, now: number): Out {
    const op = String(b.operation);
    const out: unknown[] = [];
    for (const e of b.executable as Array<{ robotCallJobId?: number }>) {
      if (e.robotCallJobId === undefined) continue;
      const j = this.live(Number(e.robotCallJobId));
      if (!j) {
        out.push({ robotCallJobId: e.robotCallJobId, robotCallJobName: null, msg: '任务不存在' });
        continue;
      }
      const r = op === 'START' ? this.start(j, now) : op === 'PAUSE' ? this.pause(j, now) : err(AGENTS_CODE.BAD_PARAMETER, `unknown operation ${op}`);
      out.push({ robotCallJobId: j.id, robotCallJobName: j.name, msg: r.code === AGENTS_CODE.OK ? '执行成功' : r.msg });
    }
    return ok(out);
  }

  /** Validates customers one by one; the valid ones join the task (api/sobot-agents.md §3.9). */
  private admit(j: AgentsJob, list: Array<z.output<typeof customerPerson>>, now: number): Array<{ person: Record<string, unknown>; errMsg: string | null }> {
    const vars = scriptOf(j.dialogFlowId)?.variables ?? [];
    const out: Array<{ person: Record<string, unknown>; errMsg: string | null }> = [];
    for (const p of list) {
      const phone = p.phoneNumber.trim();
      let errMsg: string | null = null;
      const missing = vars.filter((v) => p.properties?.[v] === undefined);
      if (!PHONE.test(phone)) errMsg = phone.includes('-') ? '号码格式错误(模拟器不支持分机号)' : '号码格式错误';
      else if (missing.length) errMsg = `缺少变量: ${missing.join(', ')}`;
      else if (j.task.outIndex.has(phone) || j.filtered.some((f) => f.phone === phone)) errMsg = '号码重复';
      if (errMsg === null) {
        if (AGENTS_BLACKLIST.has(phone)) {
          const f = { filteredRobotCallTaskId: this.nextFilterId++, phone, name: p.name ?? null, properties: p.properties ?? null, time: now };
          j.filtered.push(f);
          this.callback('FILER_TASK', this.filteredWire(j, f), { taskId: String(j.id), outId: phone, callId: `filter-${f.filteredRobotCallTaskId}`, attempt: 0 }, now);
        } else {
          j.task.addContact(phone, phone, p.properties && Object.keys(p.properties).length ? p.properties : null);
          if (p.name) j.names.set(j.task.count - 1, p.name);
        }
      }
      out.push({ person: { errMsg, phoneNumber: p.phoneNumber, properties: p.properties ?? {}, name: p.name ?? null, gender: p.gender ?? null, customerAttr: p.customerAttr ?? {}, alternatePhoneNumbers: p.alternatePhoneNumbers ?? [] }, errMsg });
    }
    this.core.dialer.kick();
    return out;
  }

  private importAsync(j: AgentsJob, b: Record<string, unknown>, now: number): Out {
    if (j.stopped) return err(AGENTS_CODE.BAD_PARAMETER, '该任务状态(已终止)不可导入');
    const batchId = typeof b.batchId === 'string' ? b.batchId : this.rng.hex(32);
    // A batch id seen before for this task is not imported twice (ASSUMED, docs/agents.md): a client
    // resending a call whose answer was lost gets the same answer and no duplicate customers.
    if (j.batches.has(batchId)) return ok({ batchId });
    j.batches.add(batchId);
    const results = this.admit(j, b.customerPersons as Array<z.output<typeof customerPerson>>, now);
    for (let i = 0; i < results.length; i += IMPORT_CALLBACK_CHUNK) {
      const chunk = results.slice(i, i + IMPORT_CALLBACK_CHUNK);
      const data = {
        robotCallJobId: j.id,
        batchId,
        successCustomerPersons: chunk.filter((x) => x.errMsg === null).map((x) => x.person),
        failCustomerPersons: chunk.filter((x) => x.errMsg !== null).map((x) => x.person),
      };
      this.callback('API_ROBOT_CALL_JOB_IMPORT_RESULT', data, { taskId: String(j.id), outId: batchId, callId: `${batchId}#${i / IMPORT_CALLBACK_CHUNK}`, attempt: 0 }, now);
    }
    this.observe(j, now);
    return ok({ batchId });
  }

  private importSync(j: AgentsJob, b: Record<string, unknown>, now: number): Out {
    if (j.stopped) return err(AGENTS_CODE.BAD_PARAMETER, '该任务状态(已终止)不可导入');
    const results = this.admit(j, b.customerPersons as Array<z.output<typeof customerPerson>>, now);
    const failed = results.map((r, i) => (r.errMsg ? `customerPersons[${i}].phoneNumber ${r.errMsg}` : '')).filter(Boolean);
    this.observe(j, now);
    return failed.length ? err(AGENTS_CODE.BAD_PARAMETER, `参数错误: ${failed.slice(0, 20).join('; ')}`, { failed: failed.length }) : ok(null);
  }

  private jobWire(j: AgentsJob, now: number): { robotCallJobId: number; robotCallJobName: string; name: string; status: JobStatus; statsInfo: Record<string, number>; [k: string]: unknown } {
    const status = j.status(now);
    return {
      robotCallJobId: j.id,
      robotCallJobName: j.name,
      name: j.name,
      status,
      createTime: formatLocal(this.core.timeZone, j.createTime),
      createUserName: 'api',
      hangUpType: null,
      hangUpReason: null,
      statsInfo: { robotCallJobId: j.id, completedTask: j.task.finished, totalTask: j.task.count, answeredTask: this.answeredCustomers(j), ablevelCustomer: this.abCustomers(j) },
    };
  }

  private list(b: Record<string, unknown>, now: number): Out {
    const name = typeof b.name === 'string' ? b.name : '';
    const status = typeof b.status === 'string' ? b.status : null;
    const all = [...this.jobs.values()].filter((j) => !j.deleted && j.name.includes(name) && (status === null || j.status(now) === status));
    const rows = all.map((j) => ({
      robotCallJobId: j.id, name: j.name, status: j.status(now), createTime: formatLocal(this.core.timeZone, j.createTime).slice(0, 16),
      createdUserName: 'api', organizationName: AGENTS_TENANT.tenantName, hangUpType: null, hangUpReason: null,
      completedTask: j.task.finished, taskCallTotal: j.task.count,
    }));
    return ok(page(rows, b), '获取成功');
  }

  private detail(j: AgentsJob, now: number): Record<string, unknown> {
    const body = j.body as { robotCallJob: Record<string, unknown>; concurrencyQuota?: number; transferPhoneNumber?: string[] };
    return {
      taskCallTotal: j.task.count,
      completedTask: j.task.finished,
      filteredTask: j.filtered.length,
      createdByUserName: 'api',
      jobPhoneNumberList: j.lineIds.map((id) => {
        const l = AGENTS_LINES.find((x) => x.tenantPhoneNumberId === id);
        return { enabledStatus: 1, phoneNumber: l?.phoneName ?? `policy-${id}`, phoneType: l?.phoneType ?? 'CALL_POLICY_GROUP', tenantPhoneNumberId: id };
      }),
      policyGroupPhoneNumberList: [],
      transferPhoneNumber: body.transferPhoneNumber ?? [],
      robotCallJob: {
        ...body.robotCallJob,
        robotCallJobId: j.id,
        tenantId: AGENTS_TENANT.tenantId,
        dialogFlowName: scriptOf(j.dialogFlowId)?.name ?? null,
        name: j.name,
        status: j.status(now),
        robotCount: j.task.robotNum,
        baseRobotCount: body.robotCallJob.robotCount,
        baseConcurrencyQuota: body.concurrencyQuota ?? body.robotCallJob.robotCount,
        createTime: formatLocal(this.core.timeZone, j.createTime),
        updateTime: formatLocal(this.core.timeZone, now),
      },
    };
  }

  private answeredCustomers(j: AgentsJob): number {
    const t = j.task;
    const seen = new Uint8Array(t.count);
    let n = 0;
    for (let r = 0; r < t.recs; r++) {
      if (t.recResult[r] === CALL_RESULT.ANSWERED && !seen[t.recContact[r]!]) {
        seen[t.recContact[r]!] = 1;
        n++;
      }
    }
    return n;
  }

  private abCustomers(j: AgentsJob): number {
    const t = j.task;
    const seen = new Uint8Array(t.count);
    let n = 0;
    for (let r = 0; r < t.recs; r++) {
      const c = t.recContact[r]!;
      if (t.recIntent[r]! >= 0 && t.recIntent[r]! <= 1 && !seen[c]) {
        seen[c] = 1;
        n++;
      }
    }
    return n;
  }

  /** getJobStats (§3.16) from the engine's records: the same records the callbacks carried. */
  private stats(j: AgentsJob): Record<string, unknown> {
    const t = j.task;
    const dialResult: Record<string, number> = {};
    const intentLevel: Record<string, number> = {};
    const chatDuration: Record<string, number> = { LESS_10S: 0, F10S_T1MIN: 0, F1MIN_T2MIN: 0, F2MIN_T3MIN: 0, F3MIN_TMORE: 0 };
    const chatRound: Record<string, number> = { LESS_3: 0, F3_T6: 0, F6_T10: 0, F10_MORE: 0 };
    let talkTotal = 0;
    for (let r = 0; r < t.recs; r++) {
      const name = resultStatusName(t.recResult[r]!);
      dialResult[name] = (dialResult[name] ?? 0) + 1;
      const i = t.recIntent[r]!;
      if (i >= 0) {
        const k = INTENT_LEVELS[i]!.name.slice(0, 1);
        intentLevel[k] = (intentLevel[k] ?? 0) + 1;
      }
      if (t.recResult[r] === CALL_RESULT.ANSWERED) {
        const s = t.recTalk[r]!;
        talkTotal += s;
        chatDuration[s < 10 ? 'LESS_10S' : s < 60 ? 'F10S_T1MIN' : s < 120 ? 'F1MIN_T2MIN' : s < 180 ? 'F2MIN_T3MIN' : 'F3MIN_TMORE']!++;
        const rounds = Math.max(1, Math.floor(s / 15));
        chatRound[rounds < 3 ? 'LESS_3' : rounds < 6 ? 'F3_T6' : rounds < 10 ? 'F6_T10' : 'F10_MORE']!++;
      }
    }
    const answeredTask = this.answeredCustomers(j);
    return {
      customerNumber: t.count,
      answeredTask,
      answeredRate: t.finished > 0 ? answeredTask / t.finished : 0,
      answeredRateReal: t.finished > 0 ? answeredTask / t.finished : 0,
      taskTotalCompleted: t.finished,
      taskCallTotal: t.recs,
      totalAnsweredCall: t.answered,
      totalTask: t.count,
      taskProgress: t.count > 0 ? Math.round((t.finished / t.count) * 10_000) / 100 : 0,
      filteredTask: j.filtered.length,
      chatDuration,
      chatRound,
      chatDurationTotal: talkTotal,
      intentLevel,
      dialResult,
    };
  }

  /** Record indexes of a task matching the list/count filters (§4.1, §4.3). */
  private matching(j: AgentsJob, b: Record<string, unknown>): number[] {
    const t = j.task;
    const statuses = Array.isArray(b.resultStatuses) && b.resultStatuses.length ? new Set((b.resultStatuses as string[]).map((n) => (RESULT_STATUS as Record<string, number>)[n] ?? -1)) : null;
    const intents = Array.isArray(b.intentLevelCodes) && b.intentLevelCodes.length ? new Set(b.intentLevelCodes as number[]) : null;
    const phone = typeof b.calledPhoneNumber === 'string' && b.calledPhoneNumber !== '' ? b.calledPhoneNumber : null;
    const phoneIdx = phone !== null ? t.outIndex.get(phone) ?? -2 : -1;
    const one = b.callRecordId !== undefined ? j.recordIndex(Number(b.callRecordId)) : null;
    const hang = typeof b.hangupBy === 'string' ? b.hangupBy : null;
    const min = typeof b.chatDurationMin === 'number' ? b.chatDurationMin : null;
    const max = typeof b.chatDurationMax === 'number' ? b.chatDurationMax : null;
    const zone = this.core.timeZone;
    const from = typeof b.earliestCreationTime === 'string' ? parseLocal(zone, b.earliestCreationTime) : null;
    const to = typeof b.latestCreationTime === 'string' ? parseLocal(zone, b.latestCreationTime) : null;
    const filtered = statuses || intents || phoneIdx !== -1 || one !== null || hang || min !== null || max !== null || from !== null || to !== null || b.lastCallRecord === true;
    if (!filtered) return Array.from({ length: t.recs }, (_, r) => r);
    const candidates = one !== null ? (one >= 0 ? [one] : []) : phoneIdx >= 0 ? t.recordsOf(phoneIdx) : phoneIdx === -2 ? [] : null;
    const out: number[] = [];
    const test = (r: number) => {
      if (statuses && !statuses.has(t.recResult[r]!)) return;
      if (intents && !intents.has(t.recIntent[r]!)) return;
      if (hang && j.record(r, zone).hangupBy !== hang) return;
      if (min !== null && t.recTalk[r]! < min) return;
      if (max !== null && t.recTalk[r]! > max) return;
      if (from !== null && t.recStart[r]! < from) return;
      if (to !== null && t.recStart[r]! > to) return;
      if (b.lastCallRecord === true && t.lastRec[t.recContact[r]!] !== r) return;
      out.push(r);
    };
    if (candidates) candidates.forEach(test);
    else for (let r = 0; r < t.recs; r++) test(r);
    return out;
  }

  private records(j: AgentsJob, b: Record<string, unknown>): Record<string, unknown> {
    const rs = this.matching(j, b);
    const pageNum = typeof b.pageNum === 'number' ? b.pageNum : 1;
    const pageSize = typeof b.pageSize === 'number' ? b.pageSize : 20;
    const zone = this.core.timeZone;
    return {
      number: pageNum, pageSize, totalElements: rs.length, pages: Math.ceil(rs.length / pageSize),
      content: rs.slice((pageNum - 1) * pageSize, pageNum * pageSize).map((r) => j.record(r, zone)),
    };
  }

  private callStats(b: Record<string, unknown>): Out {
    const zone = this.core.timeZone;
    const from = String(b.startDate);
    const to = String(b.endDate);
    const days = new Map<string, { calls: number; answered: number; chat: number; rounds: number }>();
    for (let d = parseLocal(zone, from); formatLocalDate(zone, d) <= to; d += DAY_MS) days.set(formatLocalDate(zone, d), { calls: 0, answered: 0, chat: 0, rounds: 0 });
    for (const j of this.jobs.values()) {
      const t = j.task;
      for (let r = 0; r < t.recs; r++) {
        const day = days.get(formatLocalDate(zone, t.recStart[r]!));
        if (!day) continue;
        day.calls++;
        if (t.recResult[r] === CALL_RESULT.ANSWERED) {
          day.answered++;
          day.chat += t.recTalk[r]!;
          day.rounds += Math.max(1, Math.floor(t.recTalk[r]! / 15));
        }
      }
    }
    const rows = [...days.entries()].map(([date, v]) => ({ date, callTaskCompleted: v.calls, answeredCall: v.answered, answeredTaskRate: v.calls ? v.answered / v.calls : 0, chatTime: v.chat, chatRound: v.rounds }));
    if (b.order === false) rows.reverse();
    return ok(rows, '获取成功');
  }

  private costStats(b: Record<string, unknown>): Out {
    const zone = this.core.timeZone;
    const from = String(b.startDate);
    const to = String(b.endDate);
    const per = new Map<string, { localDate: string; phoneNumberId: number; answeredCall: number; chat: number; billMin: number }>();
    for (const j of this.jobs.values()) {
      const t = j.task;
      for (let r = 0; r < t.recs; r++) {
        if (t.recResult[r] !== CALL_RESULT.ANSWERED) continue;
        const date = formatLocalDate(zone, t.recStart[r]!);
        if (date < from || date > to) continue;
        const line = j.lineIds[t.recAni[r]!] ?? 0;
        if (b.phoneNumberId !== undefined && Number(b.phoneNumberId) !== line) continue;
        const k = `${date}|${line}`;
        const e = per.get(k) ?? { localDate: date, phoneNumberId: line, answeredCall: 0, chat: 0, billMin: 0 };
        e.answeredCall++;
        e.chat += t.recTalk[r]!;
        e.billMin += Math.ceil(t.recTalk[r]! / 60);
        per.set(k, e);
      }
    }
    // ASSUMED rate: 10 fen per billed minute.
    const list = [...per.values()].map((e) => {
      const l = AGENTS_LINES.find((x) => x.tenantPhoneNumberId === e.phoneNumberId);
      return { ...e, phoneNumberName: l?.phoneName ?? null, phoneNumber: l?.phoneNumber ?? null, phoneType: l?.phoneType ?? null, local: true, chatTimeList: e.chat, billChatTimeList: e.billMin, callCostList: e.billMin * 10, myChatTimeList: e.billMin, myCallCostList: e.billMin / 10 };
    });
    return ok({ callCostStatsPhoneNumberList: list, smsCostInfoList: [] }, '获取成功');
  }

  private filteredWire(j: AgentsJob, f: { filteredRobotCallTaskId: number; phone: string; name: string | null; properties: Record<string, string> | null; time: number }): Record<string, unknown> {
    return {
      filteredRobotCallTaskId: f.filteredRobotCallTaskId, tenantId: AGENTS_TENANT.tenantId, robotCallJobId: j.id, dialogFlowId: j.dialogFlowId,
      customerPersonId: null, customerPersonName: f.name, gender: null, calledPhoneNumber: f.phone, properties: f.properties ?? {},
      filterType: 'SHARE_WHITE_LIST', filterReason: '号码在账号黑名单中', tenantPhoneNumberId: j.lineIds[0] ?? null, location: null,
      createTime: formatLocal(this.core.timeZone, f.time), filterCount: 1,
    };
  }

  /** After every finished call: its record (and summary) callbacks, then any status change. */
  private onCall(j: AgentsJob, r: number): void {
    const now = this.core.dialer.now;
    const t = j.task;
    const callRecordId = j.recordId(r);
    const ids = { taskId: String(j.id), outId: t.phone(t.recContact[r]!), callId: String(callRecordId), attempt: t.recAttempt[r]! };
    const zone = this.core.timeZone;
    this.callbackLazy('ROBOT_CALL_RECORD', () => j.record(r, zone), ids, now);
    if (t.recResult[r] === CALL_RESULT.ANSWERED) {
      this.callbackLazy('CALL_SUMMARY', () => ({ callRecordId, calljobId: j.id, tenantId: AGENTS_TENANT.tenantId, summary: `客户接听，通话 ${t.recTalk[r]} 秒，意向 ${INTENT_LEVELS[t.recIntent[r]!]?.name ?? '未知'}。`, properties: t.variables(t.recContact[r]!) ?? {} }), { ...ids, callId: `${callRecordId}#summary` }, now);
    }
    this.observe(j, now);
  }

  /** Sends ROBOT_CALL_JOB when the status differs from the last one announced (§7.4: every change). */
  private observe(j: AgentsJob, now: number): void {
    if (j.deleted) return;
    const s = j.status(now);
    if (s === j.lastStatus) return;
    j.lastStatus = s;
    const updateTime = formatLocal(this.core.timeZone, now);
    this.callback('ROBOT_CALL_JOB', { robotCallJobId: j.id, tenantId: AGENTS_TENANT.tenantId, status: s, updateTime }, { taskId: String(j.id), outId: s, callId: `job-${j.id}-${s}-${updateTime}`, attempt: 0 }, now);
  }

  private callback(dataType: string, data: unknown, ids: { taskId: string; outId: string; callId: string; attempt: number }, now: number): void {
    const text = JSON.stringify({ dataType, data });
    this.callbackLazy(dataType, () => data, ids, now, text);
  }

  /** Queues a callback `{dataType, data}` to the tenant URL; acknowledged only by the body `success` (§7.1). */
  private callbackLazy(dataType: string, data: () => unknown, ids: { taskId: string; outId: string; callId: string; attempt: number }, now: number, text?: string): void {
    const url = this.callbackUrl;
    this.counters.callbacks[dataType] = (this.counters.callbacks[dataType] ?? 0) + 1;
    if (url === null) {
      this.counters.callbacksWithoutUrl++;
      return;
    }
    const a = this.core.opts.agents;
    this.core.pushes.sendMessage(
      {
        url,
        body: () => text ?? JSON.stringify({ dataType, data: data() }),
        ...ids,
        accepts: (status, body) => status >= 200 && status < 300 && body.trim() === 'success',
        maxAttempts: a.callbackAttempts,
        retryBaseMs: a.callbackRetryBaseMs,
        retryMaxMs: DAY_MS,
        headers: { 'x-zhichi-datatype': dataType },
      },
      now,
    );
  }
}

function scriptOf(id: number): (typeof AGENTS_SCRIPTS)[number] | undefined {
  return AGENTS_SCRIPTS.find((s) => s.dialogFlowId === id);
}

function botWire(s: (typeof AGENTS_SCRIPTS)[number]): { updateTime: string; [k: string]: unknown } {
  const { variables: _v, ...rest } = s;
  void _v;
  return { ...rest, createTime: '2026-01-01 09:00:00', updateTime: '2026-01-02 09:00:00' };
}

function page<T>(all: readonly T[], b: Record<string, unknown>): { number: number; pageSize: number; totalElements: number; pages: number; content: T[] } {
  const pageNum = typeof b.pageNum === 'number' ? b.pageNum : 1;
  const pageSize = typeof b.pageSize === 'number' ? b.pageSize : 20;
  return { number: pageNum, pageSize, totalElements: all.length, pages: Math.ceil(all.length / pageSize), content: all.slice((pageNum - 1) * pageSize, pageNum * pageSize) };
}

/** A GET query as an object: numeric and boolean parameters converted (a query carries text only). */
function queryObject(q: URLSearchParams): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of q) {
    if (NUMERIC_QUERY.has(k) && /^\d+$/.test(v)) o[k] = Number(v);
    else if (BOOLEAN_QUERY.has(k) && (v === 'true' || v === 'false')) o[k] = v === 'true';
    else o[k] = v;
  }
  return o;
}

/** The daily calling window minus the no-call windows, as engine minute windows. */
export function dailyWindows(start: string, end: string, inactive: ReadonlyArray<{ startTime: string; endTime: string }>): MinuteWindow[] {
  let parts: MinuteWindow[] = [{ begin: hhmmMinutes(start), end: hhmmMinutes(end) }];
  for (const w of inactive) {
    const b = hhmmMinutes(w.startTime);
    const e = hhmmMinutes(w.endTime);
    parts = parts.flatMap((p) => {
      if (e <= p.begin || b >= p.end) return [p];
      const out: MinuteWindow[] = [];
      if (b > p.begin) out.push({ begin: p.begin, end: b });
      if (e < p.end) out.push({ begin: e, end: p.end });
      return out;
    });
  }
  return parts;
}
