import type { z } from 'zod';
import {
  AGENTS_ENDPOINTS, createJobBody, type CreateJobBody, type JobDetail, type JobListItem, type JobStats, type ModifyJobBody,
  type checkAllBody, type executeJobsBody, type getJobsQuery, type AgentsPage, type checkAllData, type executeJobsData, type jobStatsInfoListData,
} from '../contract/agents/index.js';
import { ZhichiHttpError, ZhichiUnknownOutcomeError } from '../errors.js';
import { isRetryableError } from '../internal/core.js';
import { parseOrThrow } from '../internal/validate.js';
import { backoffDelay, type RetryOptions } from '../transport/retry.js';
import type { AgentsCore } from './core.js';
import type { WindowPacer } from './pacer.js';

type Opts = { signal?: AbortSignal | undefined };
/** Result of {@link AgentsJobs.create}: the id, and `recovered: true` when a lost answer's task was found by name. */
export interface CreatedJob {
  robotCallJobId: number;
  recovered?: boolean;
}

/** Polls of the settle period after a lost create answer. */
const SETTLE_POLLS = 8;
const CREATE_INFO = { method: 'POST', path: AGENTS_ENDPOINTS.createJob.path };

/** Tasks (robotCallJob): create, start, pause, modify, stop, delete, bulk, list, detail, stats (api/sobot-agents.md §3). */
export class AgentsJobs {
  constructor(
    private readonly core: AgentsCore,
    private readonly pacer: WindowPacer,
    private readonly retry: { maxRetries: number; retry: Required<RetryOptions>; settleMs: number },
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  ) {}

  /**
   * Creates a task. Paced at the documented 30 per minute (waits, never fails for it). A retry never
   * creates a second task: the name is unique per account, so after an attempt whose answer was lost
   * the task is looked up by name (over a settle period) before anything is sent again; when the
   * look-up cannot tell, {@link ZhichiUnknownOutcomeError} names the task.
   * @example
   * const { robotCallJobId } = await agents.jobs.create({ robotCallJob: { name: 'Renewals', dialogFlowId: 11,
   *   mode: 'MANUAL', dailyStartTime: '09:00', dailyEndTime: '20:00', robotCount: 2, phoneType: 'LANDLINE' },
   *   concurrencyQuota: 2, jobPhoneNumberIdList: [501] });
   */
  async create(body: CreateJobBody, opts: Opts & { retry?: boolean } = {}): Promise<CreatedJob> {
    const valid = parseOrThrow(createJobBody, body, 'createJob body', CREATE_INFO);
    const name = valid.robotCallJob.name;
    const maxRetries = opts.retry === false ? 0 : this.retry.maxRetries;
    // Since names are unique, a task of this name that exists already means the create would fail anyway.
    for (let attempt = 0; ; attempt++) {
      await this.pacer.acquire(opts.signal);
      const sentAt = performance.now();
      try {
        const { data } = await this.core.call('createJob', valid, { retry: false, signal: opts.signal });
        return { robotCallJobId: Number(data.robotCallJobId) };
      } catch (err) {
        if (maxRetries === 0 || !isRetryableError(err)) throw err;
        const answered = err instanceof ZhichiHttpError;
        const settleLeft = answered ? 0 : Math.max(0, this.retry.settleMs - (performance.now() - sentAt));
        const found = await this.settle(name, settleLeft, err, opts.signal);
        if (found) return { robotCallJobId: found.robotCallJobId, recovered: true };
        if (attempt >= maxRetries) throw err;
        await this.sleep(backoffDelay(attempt, this.retry.retry), opts.signal);
      }
    }
  }

  private async settle(name: string, settleMs: number, cause: unknown, signal: AbortSignal | undefined): Promise<JobListItem | undefined> {
    for (let poll = 0; ; poll++) {
      let found: JobListItem | undefined;
      try {
        found = await this.findByName(name, { signal });
      } catch (lookupErr) {
        throw new ZhichiUnknownOutcomeError(`task "${name}"`, CREATE_INFO, { cause: lookupErr instanceof Error ? lookupErr : cause });
      }
      if (found || poll >= SETTLE_POLLS || settleMs === 0) return found;
      await this.sleep(settleMs / SETTLE_POLLS, signal);
    }
  }

  /** The task named exactly `name` (the list filter is fuzzy), or undefined. */
  async findByName(name: string, opts: Opts = {}): Promise<JobListItem | undefined> {
    for await (const j of this.iterate({ name }, opts)) if (j.name === name) return j;
    return undefined;
  }

  /** Starts a MANUAL task (§3.2). */
  async start(robotCallJobId: number, opts: Opts = {}): Promise<void> {
    await this.core.call('startJob', { robotCallJobId }, opts);
  }
  /** Pauses a task; in-flight calls finish first (§3.3). */
  async pause(robotCallJobId: number, opts: Opts = {}): Promise<void> {
    await this.core.call('pauseJob', { robotCallJobId }, opts);
  }
  /** Terminates a task for good (§3.6). */
  async stop(robotCallJobId: number, opts: Opts = {}): Promise<void> {
    await this.core.call('stopJob', { robotCallJobId }, opts);
  }
  /** Deletes a task (§3.5); not resent after an unknown outcome. */
  async delete(robotCallJobId: number, opts: Opts = {}): Promise<void> {
    await this.core.call('deleteJob', { robotCallJobId }, opts);
  }
  /** Modifies a task (§3.4): the create body plus `robotCallJob.robotCallJobId`. */
  async modify(body: ModifyJobBody, opts: Opts = {}): Promise<{ robotCallJobId: number }> {
    const { data } = await this.core.call('modifyJob', body, opts);
    return { robotCallJobId: Number(data.robotCallJobId) };
  }
  /** Changes the AI seat count (§3.11). */
  async updateAiCount(robotCallJobId: number, robotCount: number, opts: Opts = {}): Promise<void> {
    await this.core.call('updateAiCount', { robotCallJobId, robotCount }, opts);
  }
  /** Re-queues already-called customers (§3.12). */
  async reAddCustomers(robotCallJobId: number, customerPersonIds: number[], opts: Opts = {}): Promise<void> {
    await this.core.call('reAddCustomerToJob', { robotCallJobId, customerPersonIds }, opts);
  }
  /** Which tasks a bulk START/PAUSE could act on (§3.7). */
  async checkAll(body: z.input<typeof checkAllBody>, opts: Opts = {}): Promise<z.output<typeof checkAllData>> {
    return (await this.core.call('checkAll', body, opts)).data;
  }
  /** Bulk START/PAUSE (§3.8); one outcome per task. */
  async executeJobs(body: z.input<typeof executeJobsBody>, opts: Opts = {}): Promise<z.output<typeof executeJobsData>> {
    return (await this.core.call('executeJobs', body, opts)).data;
  }
  /** One page of the task list (§3.13). */
  async list(query: z.input<typeof getJobsQuery> = {}, opts: Opts = {}): Promise<AgentsPage<JobListItem>> {
    return (await this.core.call('getJobs', query, opts)).data as AgentsPage<JobListItem>;
  }
  /** Every task matching `query`, across pages (page size 100, the documented maximum). */
  async *iterate(query: z.input<typeof getJobsQuery> = {}, opts: Opts = {}): AsyncGenerator<JobListItem> {
    const pageSize = typeof query.pageSize === 'number' ? query.pageSize : 100;
    let seen = 0;
    for (let pageNum = 1; ; pageNum++) {
      const page = await this.list({ ...query, pageNum, pageSize }, opts);
      for (const j of page.content) yield j;
      seen += page.content.length;
      if (page.content.length < pageSize || seen >= page.totalElements) return;
    }
  }
  /** Variables of the task's script and SMS (§3.14): the `properties` keys of an import. */
  async properties(robotCallJobId: number, opts: Opts = {}): Promise<string[]> {
    return (await this.core.call('getJobProperties', { robotCallJobId }, opts)).data;
  }
  /** Task detail (§3.15). */
  async detail(robotCallJobId: number, opts: Opts = {}): Promise<JobDetail> {
    return (await this.core.call('getJobDetail', { robotCallJobId }, opts)).data;
  }
  /** Task statistics (§3.16). */
  async stats(robotCallJobId: number, opts: Opts = {}): Promise<JobStats> {
    return (await this.core.call('getJobStats', { robotCallJobId }, opts)).data;
  }
  /** Totals and completed counts of many tasks (§3.17). */
  async statsInfoList(ids: ReadonlyArray<number | string>, opts: Opts = {}): Promise<z.output<typeof jobStatsInfoListData>> {
    return (await this.core.call('getJobStatsInfoList', ids.map(String), opts)).data;
  }
}
