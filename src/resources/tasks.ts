import { ENDPOINTS } from '../contract/endpoints.js';
import {
  createTaskParams, searchTasksParams, type CreateTaskParams, type CreateTaskResult, type SearchTasksParams, type TaskInfo,
} from '../contract/task.js';
import type { Page } from '../contract/common.js';
import { ZhichiHttpError, ZhichiUnknownOutcomeError } from '../errors.js';
import type { ApiCore } from '../internal/core.js';
import { isRetryableError } from '../internal/core.js';
import { iteratePages } from '../internal/paging.js';
import { parseOrThrow } from '../internal/validate.js';
import { EnumNames } from '../contract/enums.js';
import { nameTask } from '../internal/names.js';
import { backoffDelay, sleep, type RetryOptions } from '../transport/retry.js';

/** Options of {@link TasksResource.create}. */
export interface CreateTaskOptions {
  signal?: AbortSignal;
  /**
   * Retry a failed create safely (docs/api-contract.md, "Writes whose outcome is unknown"): the tasks
   * of that name are listed before the first attempt; after an attempt whose answer was lost, the
   * task is looked for over a settle period, and the create is sent again only if no new task of
   * that name appeared.
   * @default true
   */
  retry?: boolean;
}

/** Result of create: the task id, and `recovered: true` when a lost answer's task was found instead. */
export type CreatedTask = CreateTaskResult & { recovered?: boolean };

/** Polls of the settle period after a lost answer. */
const SETTLE_POLLS = 8;

/** Method and path of create task, for its errors. */
const CREATE_INFO = { method: 'POST', path: ENDPOINTS.createTask.path };

/** Tasks: create, detail, search (api/sobot-v5.md §3.2, §3.7, §3.8). */
export class TasksResource {
  constructor(
    private readonly core: ApiCore,
    private readonly retry: { maxRetries: number; retry: Required<RetryOptions>; settleMs: number },
    private readonly enums: EnumNames = new EnumNames(),
  ) {}

  /**
   * Creates a task. Params are validated before any network call (every rule of the contract,
   * each error naming the field). A retry never creates a second task for an attempt the server
   * still holds: see {@link CreateTaskOptions.retry}; when a look-up cannot tell, it throws
   * {@link ZhichiUnknownOutcomeError} naming the task.
   * @example
   * const { taskId } = await client.tasks.create({ taskName: 'Renewals', templateId, robotNum: 2,
   *   taskCronList: [{ begin: '09:00', end: '20:00' }], aniList: ['01052226451'], timeType: 2,
   *   startTime: Date.now() + 300_000, endTime: Date.now() + 86_400_000 });
   */
  async create(params: CreateTaskParams, opts: CreateTaskOptions = {}): Promise<CreatedTask> {
    const valid = parseOrThrow(createTaskParams, params, 'task params', CREATE_INFO);
    const body = { ...valid, companyId: this.core.companyId };
    const maxRetries = opts.retry === false ? 0 : this.retry.maxRetries;
    // Tasks of this name that exist before this call are never ours: no server time is compared
    // with a local one (the server's clock may be hours off).
    const before = maxRetries > 0 ? await this.idsByName(valid.taskName, opts.signal) : undefined;
    for (let attempt = 0; ; attempt++) {
      const sentAt = performance.now();
      try {
        const { content } = await this.core.call('createTask', { body, retry: false, signal: opts.signal });
        return content as CreatedTask;
      } catch (err) {
        if (before === undefined || !isRetryableError(err)) throw err;
        // The attempt may have reached the server. An HTTP answer means the server is done with
        // it: one look settles it. A timeout or a reset means the server may still hold it: look
        // over the settle period, counted from when the attempt was sent.
        const answered = err instanceof ZhichiHttpError;
        const settleLeft = answered ? 0 : Math.max(0, this.retry.settleMs - (performance.now() - sentAt));
        const found = await this.settle(valid.taskName, before, settleLeft, err, opts.signal);
        if (found) return { taskId: found.taskId, recovered: true };
        if (attempt >= maxRetries) throw err;
        await sleep(backoffDelay(attempt, this.retry.retry), opts.signal);
      }
    }
  }

  /**
   * Looks for a task named `taskName` that is not in `before`, polling over `settleMs`. A look-up
   * that fails leaves the outcome unknown: {@link ZhichiUnknownOutcomeError}.
   */
  private async settle(taskName: string, before: ReadonlySet<string>, settleMs: number, cause: unknown, signal: AbortSignal | undefined): Promise<TaskInfo | undefined> {
    const pause = settleMs / SETTLE_POLLS;
    for (let poll = 0; ; poll++) {
      let found: TaskInfo | undefined;
      try {
        found = await this.findByName(taskName, { exclude: before, signal });
      } catch (lookupErr) {
        throw new ZhichiUnknownOutcomeError(`task "${taskName}"`, CREATE_INFO, {
          cause: lookupErr instanceof Error ? lookupErr : cause,
        });
      }
      if (found || poll >= SETTLE_POLLS || settleMs === 0) return found;
      await sleep(pause, signal);
    }
  }

  /** Ids of the tasks named exactly `taskName`. */
  private async idsByName(taskName: string, signal: AbortSignal | undefined): Promise<Set<string>> {
    return new Set((await this.named(taskName, signal)).map((t) => t.taskId));
  }

  /** Every task named exactly `taskName` (the search matches more loosely), across pages. */
  private async named(taskName: string, signal: AbortSignal | undefined): Promise<TaskInfo[]> {
    const out: TaskInfo[] = [];
    for await (const t of this.list({ taskName }, signal ? { signal } : {})) if (t.taskName === taskName) out.push(t);
    return out;
  }

  /** Task detail with status and counters. */
  async get(taskId: string, opts: { signal?: AbortSignal } = {}): Promise<TaskInfo> {
    const { content } = await this.core.call('getTask', {
      pathParams: { taskId },
      query: { companyId: this.core.companyId, taskId },
      signal: opts.signal,
    });
    return nameTask(this.enums, content);
  }

  /** One page of the task search. */
  async search(params: SearchTasksParams = {}, opts: { signal?: AbortSignal } = {}): Promise<Page<TaskInfo>> {
    const valid = parseOrThrow(searchTasksParams, params, 'search params');
    const query: Record<string, string | number | undefined> = { companyId: this.core.companyId };
    for (const [k, v] of Object.entries(valid)) if (typeof v === 'string' || typeof v === 'number') query[k] = v;
    const { content } = await this.core.call('searchTasks', { query, signal: opts.signal });
    if (Array.isArray(content?.list)) for (const t of content.list) nameTask(this.enums, t);
    return content;
  }

  /** Every task matching `params`, across pages. */
  list(params: SearchTasksParams = {}, opts: { signal?: AbortSignal } = {}): AsyncGenerator<TaskInfo> {
    const { pageNum: _n, pageNo: _o, ...rest } = params;
    const pageSize = params.pageSize ?? 100;
    return iteratePages((pageNum) => this.search({ ...rest, pageNum, pageSize }, opts), pageSize);
  }

  /** The task whose name is exactly `taskName` (newest first), leaving out the ids in `exclude`. */
  async findByName(taskName: string, opts: { exclude?: ReadonlySet<string>; signal?: AbortSignal | undefined } = {}): Promise<TaskInfo | undefined> {
    let best: TaskInfo | undefined;
    for (const t of await this.named(taskName, opts.signal)) {
      if (opts.exclude?.has(t.taskId)) continue;
      // Newest by the server's own createTime: server times are compared only with each other.
      if (!best || (t.createTime ?? 0) > (best.createTime ?? 0)) best = t;
    }
    return best;
  }
}
