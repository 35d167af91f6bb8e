import type { AddContactsResult, Contact, ContactDetail } from './contract/contact.js';
import type { Page } from './contract/common.js';
import type { RawEnvelope } from './contract/envelope.js';
import type { CallRecord, DialingResultsParams } from './contract/results.js';
import type { CallerNumber, Template } from './contract/resources.js';
import type { CreateTaskParams, SearchTasksParams, TaskInfo } from './contract/task.js';
import { ZhichiClient } from './client.js';
import { ZhichiError, ZhichiValidationError } from './errors.js';
import type { ClientOptions } from './options.js';
import { ApiCore } from './internal/core.js';
import { redactingLogger, silentLogger } from './internal/logger.js';
import { registerSecret } from './internal/redact.js';
import { resolveOptions } from './options.js';
import { systemClock } from './internal/clock.js';
import { transportFor } from './transport/http.js';

/**
 * The seed's result object: `isStatus()`, `getMessage()`, `getData()`. For business calls
 * `getData()` is the whole envelope `{code, message, content}` and `isStatus()` is false when its
 * code is not 200, or when the call failed (HTTP error, network): then `getData()` is null and
 * `getMessage()` says why.
 */
export class ZhichiResult<T = unknown> {
  constructor(
    private readonly status: boolean,
    private readonly message: string,
    private readonly data: T,
    /** The error behind a failed result, if any (secrets redacted). */
    readonly error?: ZhichiError,
  ) {}
  /** True when the call succeeded (envelope code 200). */
  isStatus(): boolean {
    return this.status;
  }
  /** The server's message, or the failure reason. */
  getMessage(): string {
    return this.message;
  }
  /** The payload: the envelope for business calls, `{ token }` for getToken. */
  getData(): T {
    return this.data;
  }
  /** `{ status, message, data }`, safe to log. */
  toJSON(): { status: boolean; message: string; data: T } {
    return { status: this.status, message: this.message, data: this.data };
  }
}

/** Envelope of a business call, typed by its content. */
export type EnvelopeOf<T> = RawEnvelope & { content?: T };

/** Data of `ZhichiFactory.getToken()`: the seed read `getData()['token']`. */
export interface TokenData {
  token: string;
  tokenType: string;
  expiresIn: number;
  createTime: number;
}

async function wrap<T>(fn: () => Promise<{ envelope: RawEnvelope }>): Promise<ZhichiResult<EnvelopeOf<T> | null>> {
  try {
    const { envelope } = await fn();
    return new ZhichiResult(envelope.code === 200, envelope.message ?? '', envelope as EnvelopeOf<T>);
  } catch (err) {
    // Bad parameters are the caller's bug: thrown, as the seed threw ValidateException.
    if (err instanceof ZhichiValidationError && !err.name.startsWith('ZhichiResponse')) throw err;
    if (err instanceof ZhichiError) return new ZhichiResult(false, err.message, null, err);
    throw err;
  }
}

/**
 * The seed-style API object returned by {@link ZhichiFactory.create}; method names and results as
 * in the PHP module (`Call/Zhichi`).
 */
export class ZhichiApi {
  private client: ZhichiClient;
  constructor(private readonly options: ClientOptions) {
    this.client = new ZhichiClient(options);
  }

  /** Uses a fixed token from now on (the seed's `create()->setToken()` order). */
  setToken(token: string): this {
    this.client = new ZhichiClient({ ...this.options, token });
    return this;
  }

  private get core(): ApiCore {
    return this.client._core;
  }

  /** `GET robots/count`: envelope content is the robot count. */
  getRobotsCount(): Promise<ZhichiResult<EnvelopeOf<number> | null>> {
    return wrap(() => this.core.call('robotsCount', { query: { companyId: this.client.companyId }, throwOnBusiness: false }));
  }
  /** `GET numbers`. */
  getNumbers(): Promise<ZhichiResult<EnvelopeOf<CallerNumber[]> | null>> {
    return wrap(() => this.core.call('numbers', { query: { companyId: this.client.companyId }, throwOnBusiness: false }));
  }
  /** `GET templates`. */
  getTemplates(): Promise<ZhichiResult<EnvelopeOf<Template[]> | null>> {
    return wrap(() => this.core.call('templates', { query: { companyId: this.client.companyId }, throwOnBusiness: false }));
  }
  /** `POST tasks` with the seed's params; validated first (throws ZhichiValidationError). */
  createTask(params: CreateTaskParams): Promise<ZhichiResult<EnvelopeOf<{ taskId: string }> | null>> {
    return wrap(async () => {
      const created = await this.client.tasks.create(params);
      return { envelope: { code: 200, message: 'success', content: created } };
    });
  }
  /** `POST tasks/{taskId}/task-contacts`; contacts validated first. */
  taskAddContact(taskId: string, contactList: Contact[]): Promise<ZhichiResult<EnvelopeOf<AddContactsResult> | null>> {
    return wrap(async () => {
      const content = await this.client.contacts.add(taskId, contactList);
      return { envelope: { code: 200, message: 'success', content } };
    });
  }
  /** `GET tasks/{taskId}/reference-task-contacts/{outId}`. */
  getReferenceTaskContacts(taskId: string, outId: string): Promise<ZhichiResult<EnvelopeOf<ContactDetail> | null>> {
    return wrap(() =>
      this.core.call('getContact', {
        pathParams: { taskId, outId },
        query: { companyId: this.client.companyId, taskId, outId },
        throwOnBusiness: false,
      }),
    );
  }
  /** `GET tasks/{taskId}`. */
  getTasksInfo(taskId: string): Promise<ZhichiResult<EnvelopeOf<TaskInfo> | null>> {
    return wrap(() => this.core.call('getTask', { pathParams: { taskId }, query: { companyId: this.client.companyId, taskId }, throwOnBusiness: false }));
  }
  /** `GET searchtasks` with optional filters. */
  getTasksList(params: SearchTasksParams = {}): Promise<ZhichiResult<EnvelopeOf<Page<TaskInfo>> | null>> {
    return wrap(async () => {
      const content = await this.client.tasks.search(params);
      return { envelope: { code: 200, message: 'success', content } };
    });
  }
  /** `POST tasks/{taskId}/dialing-results` with optional filters and paging. */
  getDialingResults(taskId: string, params: DialingResultsParams = {}): Promise<ZhichiResult<EnvelopeOf<Page<CallRecord>> | null>> {
    return wrap(async () => {
      const content = await this.client.results.list(taskId, params);
      return { envelope: { code: 200, message: 'success', content } };
    });
  }
}

/**
 * The seed's entry point, in TypeScript:
 * `await new ZhichiFactory().setToken(t).create().getRobotsCount()`.
 * Company id and credentials fall back to `ZHICHI_COMPANY_ID`, `ZHICHI_KEY`, `ZHICHI_SECRET`.
 * Unlike the seed, `create()` without `setToken()` uses the managed token (cached, refreshed)
 * instead of throwing.
 */
export class ZhichiFactory {
  private readonly options: ClientOptions;
  constructor(options: ClientOptions = {}) {
    this.options = { ...options };
  }
  /** Uses this access token for every call (no minting, no refresh). */
  setToken(token: string): this {
    this.options.token = token;
    return this;
  }
  /** Sets the company id. */
  setCompanyId(companyId: string): this {
    this.options.companyId = companyId;
    return this;
  }
  /** Sets the base URL (e.g. the emulator's). */
  setBaseUrl(baseUrl: string): this {
    this.options.baseUrl = baseUrl;
    return this;
  }
  /** The API object; throws ZhichiValidationError on missing configuration. */
  create(): ZhichiApi {
    return new ZhichiApi(this.options);
  }
  /**
   * Mints a token with the given (or configured) credentials: data `{ token, ... }`. This calls
   * the rate-limited token endpoint every time, as the seed did; cache the result (see
   * `ZhichiClient.getToken`, which does).
   */
  async getToken(apiKey?: string, apiSecret?: string): Promise<ZhichiResult<TokenData | null>> {
    const o = resolveOptions({ ...this.options, token: undefined, apiKey: apiKey ?? this.options.apiKey, apiSecret: apiSecret ?? this.options.apiSecret }, {
      credentials: true,
      companyId: false,
    });
    registerSecret(o.apiSecret);
    const logger = redactingLogger(this.options.logger ?? silentLogger);
    const transport = transportFor(this.options, o, logger, this.options.clock ?? systemClock);
    const core = new ApiCore(transport, o.companyId, undefined, logger);
    try {
      const { envelope, content } = await core.mintToken(o.apiKey!, o.apiSecret!);
      registerSecret(content.accessToken);
      return new ZhichiResult(true, envelope.message ?? '', {
        token: content.accessToken,
        tokenType: content.tokenType,
        expiresIn: content.expiresIn,
        createTime: content.createTime,
      });
    } catch (err) {
      if (err instanceof ZhichiError) return new ZhichiResult<TokenData | null>(false, err.message, null, err);
      throw err;
    }
  }
}
