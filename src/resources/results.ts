import type { Page } from '../contract/common.js';
import { dialingResultsParams, type CallRecord, type DialingResultsParams } from '../contract/results.js';
import type { ApiCore } from '../internal/core.js';
import { iteratePages } from '../internal/paging.js';
import { parseOrThrow } from '../internal/validate.js';

/** Dialing results of a task (api/sobot-v5.md §3.5; filters and paging assumed). */
export class ResultsResource {
  constructor(private readonly core: ApiCore) {}

  /** One page of call records. A read, so it is retried on transient failures. */
  async list(taskId: string, params: DialingResultsParams = {}, opts: { signal?: AbortSignal } = {}): Promise<Page<CallRecord>> {
    const valid = parseOrThrow(dialingResultsParams, params, 'dialing-results params');
    const { content } = await this.core.call('dialingResults', {
      pathParams: { taskId },
      body: { ...valid, taskId },
      retry: true,
      signal: opts.signal,
    });
    return content;
  }

  /** Every call record matching `params`, across pages. */
  iterate(taskId: string, params: DialingResultsParams = {}, opts: { signal?: AbortSignal } = {}): AsyncGenerator<CallRecord> {
    const pageSize = params.pageSize ?? 500; // pageNo in params is ignored: iteration starts at page 1
    return iteratePages((pageNo) => this.list(taskId, { ...params, pageNo, pageSize }, opts), pageSize);
  }
}
