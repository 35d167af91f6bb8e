import { TokenManager, tokenKey } from './auth/token-manager.js';
import { MemoryTokenStore, defaultMemoryTokenStore, type StoredToken, type TokenStore } from './auth/token-store.js';
import { acquireSharedRedisTokenStore, RedisTokenStore } from './auth/redis-token-store.js';
import { ApiCore } from './internal/core.js';
import { systemClock } from './internal/clock.js';
import { redactingLogger, silentLogger, type Logger } from './internal/logger.js';
import { registerSecret } from './internal/redact.js';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './options.js';
import { ContactsResource } from './resources/contacts.js';
import { NumbersResource, RobotsResource, TemplatesResource } from './resources/company.js';
import { ResultsResource } from './resources/results.js';
import { TasksResource } from './resources/tasks.js';
import { transportFor } from './transport/http.js';
import { EnumNames } from './contract/enums.js';
import { ZhichiValidationError } from './errors.js';

/**
 * Typed, validated client for every Sobot outbound-robot V5 endpoint.
 *
 * @example
 * const client = new ZhichiClient({ apiKey, apiSecret, companyId });
 * const robots = await client.robots.count();
 * const { taskId } = await client.tasks.create(params);
 * await client.contacts.add(taskId, [{ outId: 'order-1', telephone: '13800138000' }]);
 * for await (const r of client.results.iterate(taskId)) console.log(r.outId, r.callResultName);
 */
export class ZhichiClient {
  /** Create, read and search tasks. */
  readonly tasks: TasksResource;
  /** Add contacts to a task, look one up by outId. */
  readonly contacts: ContactsResource;
  /** Dialing results of a task. */
  readonly results: ResultsResource;
  /** Robot count. */
  readonly robots: RobotsResource;
  /** Caller numbers. */
  readonly numbers: NumbersResource;
  /** Script templates. */
  readonly templates: TemplatesResource;
  /** The company every call is made for. */
  readonly companyId: string;
  /** Base URL (ends with `/`). */
  readonly baseUrl: string;
  /**
   * Names of enum codes with the `enums` option applied: `client.enums.name('callResult', 21)` is
   * the user's name, ours, or `UNKNOWN_21`. Records the client returns carry `callResultName` /
   * `statusName` from here when the server sent none.
   */
  readonly enums: EnumNames;

  /** @internal The shared request path, used by ZhichiFactory. */
  readonly _core: ApiCore;
  private readonly manager: TokenManager | undefined;
  private readonly store: TokenStore | undefined;
  private readonly ownsStore: boolean;

  /** Builds a client; throws ZhichiValidationError at once on bad or missing options. */
  constructor(options: ClientOptions = {}) {
    const o = resolveOptions(options, { credentials: true, companyId: true });
    try {
      this.enums = new EnumNames(options.enums);
    } catch (e) {
      throw new ZhichiValidationError('client options', [{ path: '', message: (e as Error).message }]);
    }
    registerSecret(o.apiSecret);
    registerSecret(o.token);
    const logger = redactingLogger(options.logger ?? silentLogger);
    const clock = options.clock ?? systemClock;
    const transport = transportFor(options, o, logger, clock);
    this.companyId = o.companyId!;
    this.baseUrl = o.baseUrl;
    const created = createTokenStore(options, o, logger);
    this.store = created.store;
    this.ownsStore = created.owned;
    let core: ApiCore;
    if (o.token !== undefined) {
      this.manager = undefined;
      core = new ApiCore(transport, this.companyId, { kind: 'fixed', token: o.token }, logger);
    } else {
      const apiKey = o.apiKey!;
      const apiSecret = o.apiSecret!;
      const manager = new TokenManager({
        store: this.store!,
        key: tokenKey(o.tokenKeyPrefix, o.baseUrl, apiKey, apiSecret, this.companyId),
        mint: async () => (await core.mintToken(apiKey, apiSecret)).content,
        now: () => clock.now(),
        refreshMarginMs: o.tokenRefreshMarginMs,
        logger,
        policy: options.tokenPolicy,
      });
      this.manager = manager;
      core = new ApiCore(transport, this.companyId, { kind: 'managed', manager }, logger);
    }
    this._core = core;
    this.tasks = new TasksResource(core, transport.retryPolicy, this.enums);
    this.contacts = new ContactsResource(core, this.enums);
    this.results = new ResultsResource(core, this.enums);
    this.robots = new RobotsResource(core);
    this.numbers = new NumbersResource(core);
    this.templates = new TemplatesResource(core);
  }

  /**
   * A valid access token (cached, minted once, refreshed before expiry). `refresh: true` forces a
   * new one, as the seed's `getToken(true)` did after a 401.
   */
  async getToken(opts: { refresh?: boolean } = {}): Promise<string> {
    if (!this.manager) return this.fixedToken();
    return this.manager.getToken(opts);
  }

  /** Expiry details of the current token (minting one if none is cached). */
  async tokenInfo(opts: { refresh?: boolean } = {}): Promise<StoredToken | { accessToken: string; fixed: true }> {
    if (!this.manager) return { accessToken: this.fixedToken(), fixed: true };
    return this.manager.getStored(opts);
  }

  private fixedToken(): string {
    const t = this._core.tokens;
    return t?.kind === 'fixed' ? t.token : '';
  }

  /** The token manager (undefined with a fixed token); for diagnostics. */
  get tokenManager(): TokenManager | undefined {
    return this.manager;
  }

  /** Releases connections held by a token store this client created (e.g. Redis). */
  async close(): Promise<void> {
    if (this.ownsStore) await this.store?.close?.();
  }
}

/**
 * The token store of a client: the given one; else Redis when `redisUrl` / `ZHICHI_REDIS_URL` is
 * set (one connection per process and URL, shared by every client and ZhichiFactory); else the
 * process-wide memory store. A client with its own clock (tests, the emulator) gets stores on it.
 */
function createTokenStore(options: ClientOptions, o: ResolvedOptions, _logger: Logger): { store: TokenStore; owned: boolean } {
  if (options.tokenStore) return { store: options.tokenStore, owned: false };
  // A fixed token (the seed's setToken) is never cached: no connection for it.
  if (o.token !== undefined) return { store: defaultMemoryTokenStore, owned: false };
  if (o.redisUrl !== undefined) {
    if (options.clock) return { store: new RedisTokenStore({ url: o.redisUrl, now: () => options.clock!.now() }), owned: true };
    // The client owns a handle whose close releases its reference to the shared connection.
    return { store: acquireSharedRedisTokenStore(o.redisUrl), owned: true };
  }
  if (options.clock) return { store: new MemoryTokenStore(() => options.clock!.now()), owned: false };
  return { store: defaultMemoryTokenStore, owned: false };
}
