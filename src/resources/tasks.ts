import { ENDPOINTS } from '../contract/endpoints.js';
import {
  createTaskParams, searchTasksParams, type CreateTaskParams, type CreateTaskResult, type SearchTasksParams, type TaskInfo,
} from '../contract/task.js';
import type { Page } from '../contract/common.js';
import { ZhichiError } from '../errors.js';
import type { ApiCore } from '../internal/core.js';
import { isRetryableError } from '../internal/core.js';
import { iteratePages } from '../internal/paging.js';
import { parseOrThrow } from '../internal/validate.js';
import { backoffDelay, sleep, type RetryOptions } from '../transport/retry.js';

/** Options of {@link TasksResource.create}. */
export interface CreateTaskOptions {
  signal?: AbortSignal;
  /**
   * Retry a failed create safely: before each retry the task is looked up by its exact name, and
   * an existing task created since this call began is returned instead of creating another.
   * @default true
   */
  retry?: boolean;
}

/** Result of create: the task id, and `recovered: true` when a retry found the task already created. */
export type CreatedTask = CreateTaskResult & { recovered?: boolean };

/** Tasks: create, detail, search (api/sobot-v5.md §3.2, §3.7, §3.8). */
export class TasksResource {
  constructor(
    private readonly core: ApiCore,
    private readonly retry: { maxRetries: number; retry: Required<RetryOptions>; now: () => number },
  ) {}

  /**
   * Creates a task. Params are validated before any network call (every rule of the contract,
   * each error naming the field). Retries never create a duplicate task (see {@link CreateTaskOptions.retry}).
   * @example
   * const { taskId } = await client.tasks.create({ taskName: 'Renewals', templateId, robotNum: 2,
   *   taskCronList: [{ begin: '09:00', end: '20:00' }], aniList: ['01052226451'], timeType: 2,
   *   startTime: Date.now() + 300_000, endTime: Date.now() + 86_400_000 });
   */
  async create(params: CreateTaskParams, opts: CreateTaskOptions = {}): Promise<CreatedTask> {
    const valid = parseOrThrow(createTaskParams, params, 'task params', { method: 'POST', path: ENDPOINTS.createTask.path });
    const body = { ...valid, companyId: this.core.companyId };
    const started = this.retry.now();
    const maxRetries = opts.retry === false ? 0 : this.retry.maxRetries;
    for (let attempt = 0; ; attempt++) {
      try {
        const { content } = await this.core.call('createTask', { body, retry: false, signal: opts.signal });
        return content as CreatedTask;
      } catch (err) {
        if (!isRetryableError(err) || attempt >= maxRetries) throw err;
        // The failed attempt may have reached the server: look before creating again.
        let existing: TaskInfo | undefined;
        try {
          existing = await this.findByName(valid.taskName, { createdSince: started - 60_000, signal: opts.signal });
        } catch (lookupErr) {
          throw new ZhichiError(`create task failed and the task could not be looked up to avoid a duplicate: ${(err as Error).message}`, {
            method: 'POST',
            path: ENDPOINTS.createTask.path,
          }, { cause: lookupErr });
        }
        if (existing) return { taskId: existing.taskId, recovered: true };
        await sleep(backoffDelay(attempt, this.retry.retry), opts.signal);
      }
    }
  }

  /** Task detail with status and counters. */
  async get(taskId: string, opts: { signal?: AbortSignal } = {}): Promise<TaskInfo> {
    const { content } = await this.core.call('getTask', {
      pathParams: { taskId },
      query: { companyId: this.core.companyId, taskId },
      signal: opts.signal,
    });
    return content;
  }

  /** One page of the task search. */
  async search(params: SearchTasksParams = {}, opts: { signal?: AbortSignal } = {}): Promise<Page<TaskInfo>> {
    const valid = parseOrThrow(searchTasksParams, params, 'search params');
    const query: Record<string, string | number | undefined> = { companyId: this.core.companyId };
    for (const [k, v] of Object.entries(valid)) if (typeof v === 'string' || typeof v === 'number') query[k] = v;
    const { content } = await this.core.call('searchTasks', { query, signal: opts.signal });
    return content;
  }

  /** Every task matching `params`, across pages. */
  list(params: SearchTasksParams = {}, opts: { signal?: AbortSignal } = {}): AsyncGenerator<TaskInfo> {
    const pageSize = params.pageSize ?? 100;
    return iteratePages((pageNo) => this.search({ ...params, pageNo, pageSize }, opts), pageSize);
  }

  /** The task whose name is exactly `taskName` (newest first), optionally created since a time. */
  async findByName(taskName: string, opts: { createdSince?: number; signal?: AbortSignal | undefined } = {}): Promise<TaskInfo | undefined> {
    let best: TaskInfo | undefined;
    for await (const t of this.list({ taskName }, opts.signal ? { signal: opts.signal } : {})) {
      if (t.taskName !== taskName) continue;
      if (opts.createdSince !== undefined && typeof t.createTime === 'number' && t.createTime < opts.createdSince) continue;
      if (!best || (t.createTime ?? 0) > (best.createTime ?? 0)) best = t;
    }
    return best;
  }
}
