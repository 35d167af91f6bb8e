import type { Page } from '../contract/common.js';
import { dialingResultsParams, type CallRecord, type DialingResultsParams } from '../contract/results.js';
import type { ApiCore } from '../internal/core.js';
import { iteratePages } from '../internal/paging.js';
import { parseOrThrow } from '../internal/validate.js';
import { EnumNames } from '../contract/enums.js';
import { nameRecord } from '../internal/names.js';

/** Dialing results of a task (api/sobot-v5.md §3.5; filters and paging assumed). */
export class ResultsResource {
  constructor(private readonly core: ApiCore, private readonly enums: EnumNames = new EnumNames()) {}

  /** One page of call records. A read, so it is retried on transient failures. */
  async list(taskId: string, params: DialingResultsParams = {}, opts: { signal?: AbortSignal } = {}): Promise<Page<CallRecord>> {
    const valid = parseOrThrow(dialingResultsParams, params, 'dialing-results params');
    const { content } = await this.core.call('dialingResults', {
      pathParams: { taskId },
      body: { ...valid, taskId },
      retry: true,
      signal: opts.signal,
    });
    if (Array.isArray(content?.list)) for (const r of content.list) nameRecord(this.enums, r);
    return content;
  }

  /** Every call record matching `params`, across pages. */
  iterate(taskId: string, params: DialingResultsParams = {}, opts: { signal?: AbortSignal } = {}): AsyncGenerator<CallRecord> {
    // A page number in params (pageNum or its alias pageNo) is ignored: iteration starts at page 1.
    const { pageNum: _n, pageNo: _o, ...rest } = params;
    const pageSize = params.pageSize ?? 500;
    return iteratePages((pageNum) => this.list(taskId, { ...rest, pageNum, pageSize }, opts), pageSize);
  }
}
