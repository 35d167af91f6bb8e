import { systemClock } from '../internal/clock.js';
import { redactingLogger, silentLogger } from '../internal/logger.js';
import { registerSecret } from '../internal/redact.js';
import { transportFor } from '../transport/http.js';
import { sleep as timerSleep } from '../transport/retry.js';
import { AgentsAccount, AgentsScripts } from './account.js';
import { AgentsCore } from './core.js';
import { AgentsCustomers } from './customers.js';
import { AgentsJobs } from './jobs.js';
import { resolveAgentsOptions, type AgentsClientOptions } from './options.js';
import { WindowPacer } from './pacer.js';
import { AgentsRecords } from './records.js';

/**
 * Typed, validated client of the Sobot 行业语音 Agents API (`apiOpen/v1`, api/sobot-agents.md): every
 * request signed (`appkey`, `timestamp` in ms, `signature`), every envelope code a typed error.
 *
 * @example
 * const agents = new AgentsClient({ appKey, appSecret, tenantSign });
 * const [script] = await agents.scripts.list();
 * const { robotCallJobId } = await agents.jobs.create(body);
 * await agents.customers.importAsync(robotCallJobId, [{ phoneNumber: '13800138000' }]);
 * await agents.jobs.start(robotCallJobId);
 * for await (const r of agents.records.iterate({ robotCallJobId })) console.log(r.calledPhoneNumber, r.resultStatus);
 */
export class AgentsClient {
  /** Tasks: create (paced, never duplicated), start, pause, modify, stop, delete, bulk, list, stats. */
  readonly jobs: AgentsJobs;
  /** Customer import (async, split above 10,000; sync ≤ 100). */
  readonly customers: AgentsCustomers;
  /** Call records (paged at 20), detail, counts, filtered records, daily and billing statistics. */
  readonly records: AgentsRecords;
  /** Scripts (Agents). */
  readonly scripts: AgentsScripts;
  /** Lines, policy groups, risk strategies, blacklist groups, intent tags, tenant, callback URL. */
  readonly account: AgentsAccount;
  /** Host root (ends with `/`). */
  readonly baseUrl: string;
  /** @internal The shared request path. */
  readonly _core: AgentsCore;

  /** Builds a client; throws ZhichiValidationError at once on bad or missing options. */
  constructor(options: AgentsClientOptions = {}) {
    const o = resolveAgentsOptions(options);
    registerSecret(o.appSecret);
    registerSecret(o.tenantSign);
    const logger = redactingLogger(options.logger ?? silentLogger);
    const clock = options.clock ?? systemClock;
    const sleep = options.sleep ?? timerSleep;
    const transport = transportFor(options, o, logger, clock, sleep);
    this.baseUrl = o.baseUrl;
    this._core = new AgentsCore(transport, { appKey: o.appKey, appSecret: o.appSecret, tenantSign: o.tenantSign }, clock, logger);
    const pacer = new WindowPacer(o.createsPerMinute, 60_000, () => clock.now(), sleep);
    this.jobs = new AgentsJobs(this._core, pacer, transport.retryPolicy, sleep);
    this.customers = new AgentsCustomers(this._core, o.importConcurrency);
    this.records = new AgentsRecords(this._core);
    this.scripts = new AgentsScripts(this._core);
    this.account = new AgentsAccount(this._core, o.tenantSign);
  }
}
