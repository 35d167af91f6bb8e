import type { z } from 'zod';
import type {
  AgentsPage, Bot, PhoneLine, blackGroupsData, blackGroupsQuery, botListQuery, intentTagData, intentTagGroupsData, policyGroupsData,
  rcsListBody, rcsListData, tenantData,
} from '../contract/agents/index.js';
import type { AgentsCore } from './core.js';

type Opts = { signal?: AbortSignal | undefined };

/** Scripts (Agents) of the tenant (§5.1, §5.2). */
export class AgentsScripts {
  constructor(private readonly core: AgentsCore) {}
  /** Every v3 script, optionally by update-time range. */
  async list(query: z.input<typeof botListQuery> = {}, opts: Opts = {}): Promise<Bot[]> {
    return (await this.core.call('getV3BotList', query, opts)).data;
  }
  /** One script by id (served under `apiOpenNew/v1`). */
  async get(botId: number, opts: Opts = {}): Promise<Bot> {
    return (await this.core.call('getBotInfoById', { botId }, opts)).data;
  }
}

/** Caller lines, call-policy groups, risk strategies, blacklist groups, intent tags, tenant and callback URL (§5.4–§6, §8.7). */
export class AgentsAccount {
  constructor(private readonly core: AgentsCore, private readonly tenantSign: string) {}
  /** Caller lines (`tenantPhoneNumberId` goes in `jobPhoneNumberIdList`). */
  async lines(opts: Opts = {}): Promise<PhoneLine[]> {
    return (await this.core.call('getPhoneList', {}, opts)).data;
  }
  /** Call-policy groups. */
  async policyGroups(opts: Opts = {}): Promise<z.output<typeof policyGroupsData>> {
    return (await this.core.call('getPolicyGroups', {}, opts)).data;
  }
  /** Risk-control strategies (one page). */
  async riskStrategies(body: z.input<typeof rcsListBody> = {}, opts: Opts = {}): Promise<z.output<typeof rcsListData>> {
    return (await this.core.call('rcsList', body, opts)).data;
  }
  /** Account blacklist groups (one page). */
  async blacklistGroups(query: z.input<typeof blackGroupsQuery> = {}, opts: Opts = {}): Promise<z.output<typeof blackGroupsData> & AgentsPage<unknown>> {
    return (await this.core.call('blackGroups', query, opts)).data as z.output<typeof blackGroupsData> & AgentsPage<unknown>;
  }
  /** Intent tag groups in use. */
  async intentTagGroups(opts: Opts = {}): Promise<z.output<typeof intentTagGroupsData>> {
    return (await this.core.call('intentTagGroups', {}, opts)).data;
  }
  /** Codes and names of one intent tag group. */
  async intentTags(intentLevelTagId: number, opts: Opts = {}): Promise<z.output<typeof intentTagData>> {
    return (await this.core.call('intentTag', { intentLevelTagId }, opts)).data;
  }
  /** Tenant id and name. */
  async tenant(opts: Opts = {}): Promise<z.output<typeof tenantData>> {
    return (await this.core.call('getTenant', {}, opts)).data;
  }
  /** Sets the tenant-wide callback URL (and the SMS one) (§5.5). */
  async setCallbackUrl(callbackUrl: string, opts: Opts & { smsCallbackUrl?: string } = {}): Promise<void> {
    const body: { tenantSign: string; callbackUrl: string; smsCallbackUrl?: string } = { tenantSign: this.tenantSign, callbackUrl };
    if (opts.smsCallbackUrl !== undefined) body.smsCallbackUrl = opts.smsCallbackUrl;
    await this.core.call('updateIsvInfo', body, opts);
  }
}
