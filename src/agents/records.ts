import type { z } from 'zod';
import {
  MAX_RECORDS_PAGE, type AgentsCallRecord, type AgentsPage, type CallRecordsQuery, type callCostData, type callCostQuery, type callDetailData,
  type callStatsData, type callStatsQuery, type filterRecordBody, type filterRecordData, type infoListCountBody,
} from '../contract/agents/index.js';
import type { AgentsCore } from './core.js';

type Opts = { signal?: AbortSignal | undefined };

/** Call records, call detail, counts, filtered records, daily and billing statistics (api/sobot-agents.md §3.18–§4). */
export class AgentsRecords {
  constructor(private readonly core: AgentsCore) {}

  /** One page of completed call records (at most 20 per call, §4.1). */
  async list(query: CallRecordsQuery, opts: Opts = {}): Promise<AgentsPage<AgentsCallRecord>> {
    return (await this.core.call('getCallRecordInfoList', { pageSize: MAX_RECORDS_PAGE, ...query }, opts)).data as AgentsPage<AgentsCallRecord>;
  }

  /** Every record matching `query`, paging at 20 until `totalElements` or a short page (`pageNum`/`pageSize` of `query` are ignored). */
  async *iterate(query: CallRecordsQuery, opts: Opts = {}): AsyncGenerator<AgentsCallRecord> {
    let seen = 0;
    for (let pageNum = 1; ; pageNum++) {
      const page = await this.list({ ...query, pageNum, pageSize: MAX_RECORDS_PAGE }, opts);
      for (const r of page.content) yield r;
      seen += page.content.length;
      if (page.content.length < MAX_RECORDS_PAGE || seen >= page.totalElements) return;
    }
  }

  /** One call with its transcript (§4.2). */
  async detail(callRecordId: number, opts: Opts = {}): Promise<z.output<typeof callDetailData>> {
    return (await this.core.call('callDetail', { callRecordId }, opts)).data;
  }
  /** Number of called records matching (§4.3). */
  async count(body: z.input<typeof infoListCountBody>, opts: Opts = {}): Promise<number> {
    return Number((await this.core.call('getInfoListCount', body, opts)).data);
  }
  /** Filtered (not dialled) records of one number (§4.4). */
  async filtered(body: z.input<typeof filterRecordBody>, opts: Opts = {}): Promise<z.output<typeof filterRecordData>> {
    return (await this.core.call('getFilterRecord', body, opts)).data;
  }
  /** Daily call statistics of the tenant (§3.18). */
  async dailyStats(query: z.input<typeof callStatsQuery>, opts: Opts = {}): Promise<z.output<typeof callStatsData>> {
    return (await this.core.call('callStatsInfo', query, opts)).data;
  }
  /** Billing statistics (§3.19). */
  async costStats(query: z.input<typeof callCostQuery>, opts: Opts = {}): Promise<z.output<typeof callCostData>> {
    return (await this.core.call('callCostStatsInfo', query, opts)).data;
  }
}
