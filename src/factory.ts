import type { z } from 'zod';
import { addContactsBody, type AddContactsResult, type Contact, type ContactDetail } from './contract/contact.js';
import type { Page } from './contract/common.js';
import type { RawEnvelope } from './contract/envelope.js';
import { dialingResultsParams, type CallRecord, type DialingResultsParams } from './contract/results.js';
import type { CallerNumber, Template } from './contract/resources.js';
import { createTaskParams, searchTasksParams, type CreateTaskParams, type SearchTasksParams, type TaskInfo } from './contract/task.js';
import { ENDPOINTS } from './contract/endpoints.js';
import { SUCCESS_CODE } from './contract/envelope.js';
import { BUSINESS_CODE } from './contract/enums.js';
import { ZhichiClient } from './client.js';
import { ZhichiBusinessError, ZhichiError, ZhichiResponseValidationError, ZhichiValidationError } from './errors.js';
import type { ClientOptions } from './options.js';
import { ApiCore, type CallResult } from './internal/core.js';
import { parseOrThrow } from './internal/validate.js';
import { redactingLogger, silentLogger } from './internal/logger.js';
import { registerSecret } from './internal/redact.js';
import { resolveOptions } from './options.js';
import { systemClock } from './internal/clock.js';
import { transportFor } from './transport/http.js';

/** `getMessage()` of a successful call, as the PHP module says it. */
export const SEED_SUCCESS = 'success';
/** `getMessage()` of a failed call, as the PHP module says it (`Call/Zhichi::quest`). */
export const SEED_FAILED = 'API call failed';
/** `getMessage()` of `getToken()` when the server refused (code != 200), as the PHP factory says it. */
export const SEED_TOKEN_FAILED = 'api调用失败';

/**
 * The seed's result object: `isStatus()`, `getMessage()`, `getData()`, as the PHP module's
 * `ThirdPartyResponse`. For business calls `getData()` is the server's envelope
 * `{code, message, content}` exactly as it came, `isStatus()` is true when its code is 200, and
 * `getMessage()` is `success` or `API call failed`. The richer information is in `getError()` (our
 * error behind a failure) and `getRequestId()`. See docs/api-contract.md, "Seed style".
 */
export class ZhichiResult<T = unknown> {
  constructor(
    private readonly status: boolean,
    private readonly message: string,
    private readonly data: T,
    /** The error behind a failed result, if any (secrets redacted). */
    readonly error?: ZhichiError,
    private readonly requestId?: string,
  ) {}
  /** True when the call succeeded (envelope code 200). */
  isStatus(): boolean {
    return this.status;
  }
  /** `success` or `API call failed` (getToken: `api调用失败` when the server refused), as the PHP module. */
  getMessage(): string {
    return this.message;
  }
  /**
   * The payload: the server's envelope, unchanged, for business calls; `{ token, ... }` for
   * getToken. A request refused before sending (bad parameters) has an envelope-shaped
   * `{ code: 400, message, content: { issues }, local: true }` naming every field and rule; a call
   * that got no envelope (network, HTTP error) has null.
   */
  getData(): T {
    return this.data;
  }
  /** Our error behind a failed result (a ZhichiError subclass), or null for a success or a plain business failure's absence of one. */
  getError(): ZhichiError | null {
    return this.error ?? null;
  }
  /** The server's request id (envelope `requestId` or a request-id response header), or null. */
  getRequestId(): string | null {
    return this.requestId ?? this.error?.requestId ?? null;
  }
  /** `{ status, message, data, requestId }`, safe to log. */
  toJSON(): { status: boolean; message: string; data: T; requestId: string | null } {
    return { status: this.status, message: this.message, data: this.data, requestId: this.getRequestId() };
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

/** Data of a `getToken()` result: the token on success, the server's envelope when it refused (`token` undefined), null when no envelope came. */
export type TokenResultData = TokenData | (EnvelopeOf<unknown> & { token?: undefined });

/** The envelope-shaped data of a request refused before sending: every field and rule, as the emulator's code-400 answer. */
function localRefusal(err: ZhichiValidationError): EnvelopeOf<never> {
  return { code: BUSINESS_CODE.PARAM_INVALID, message: err.message, content: { issues: err.issues } as never, local: true };
}

/** Validates with a contract schema; throws ZhichiValidationError, which {@link run} turns into a failed result. */
function check<S extends z.ZodType>(schema: S, value: unknown, what: string, path: string): z.output<S> {
  return parseOrThrow(schema, value, what, { path });
}

async function run<T>(fn: () => Promise<CallResult<unknown>>): Promise<ZhichiResult<EnvelopeOf<T> | null>> {
  try {
    const r = await fn();
    const ok = r.envelope.code === SUCCESS_CODE;
    return new ZhichiResult(ok, ok ? SEED_SUCCESS : SEED_FAILED, r.envelope as EnvelopeOf<T>, undefined, r.requestId);
  } catch (err) {
    // Seed style never throws for a failed call: a bad parameter is a failed result naming every
    // field and rule (the PHP module let the server answer it); the typed client keeps throwing.
    if (err instanceof ZhichiValidationError && !(err instanceof ZhichiResponseValidationError)) {
      return new ZhichiResult<EnvelopeOf<T> | null>(false, SEED_FAILED, localRefusal(err), err);
    }
    // A refused token mint (managed token) carries the token endpoint's envelope.
    if (err instanceof ZhichiBusinessError) return new ZhichiResult<EnvelopeOf<T> | null>(false, SEED_FAILED, err.envelope as EnvelopeOf<T>, err);
    if (err instanceof ZhichiError) return new ZhichiResult<EnvelopeOf<T> | null>(false, SEED_FAILED, null, err);
    throw err;
  }
}

/**
 * The seed-style API object returned by {@link ZhichiFactory.create}; method names, requests and
 * results as in the PHP module (`Call/Zhichi`): each method sends one request (no retry of writes,
 * as the PHP module), the same query and body fields, and answers the server's envelope.
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
  private get companyId(): string {
    return this.client.companyId;
  }

  /** `GET robots/count` (query `companyId`, as the PHP module): envelope content is the robot count. */
  getRobotsCount(): Promise<ZhichiResult<EnvelopeOf<number> | null>> {
    return run(() => this.core.call('robotsCount', { query: { companyId: this.companyId }, throwOnBusiness: false }));
  }
  /** `GET numbers`, without a query string (as the PHP module). */
  getNumbers(): Promise<ZhichiResult<EnvelopeOf<CallerNumber[]> | null>> {
    return run(() => this.core.call('numbers', { throwOnBusiness: false }));
  }
  /** `GET templates`, without a query string (as the PHP module). */
  getTemplates(): Promise<ZhichiResult<EnvelopeOf<Template[]> | null>> {
    return run(() => this.core.call('templates', { throwOnBusiness: false }));
  }
  /** `POST tasks` with the seed's params and `companyId` in the body; a bad param is a failed result naming it. */
  createTask(params: CreateTaskParams): Promise<ZhichiResult<EnvelopeOf<{ taskId: string }> | null>> {
    return run(async () => {
      const valid = check(createTaskParams, params, 'task params', ENDPOINTS.createTask.path);
      return this.core.call('createTask', { body: { companyId: this.companyId, ...valid }, retry: false, throwOnBusiness: false });
    });
  }
  /** `POST tasks/{taskId}/task-contacts` with `{ contactList, taskId }`; contacts validated first (a failed result names each). */
  taskAddContact(taskId: string, contactList: Contact[]): Promise<ZhichiResult<EnvelopeOf<AddContactsResult> | null>> {
    return run(async () => {
      const valid = check(addContactsBody, { taskId, contactList }, 'contacts', ENDPOINTS.addContacts.path);
      return this.core.call('addContacts', { pathParams: { taskId }, body: { contactList: valid.contactList, taskId }, retry: false, throwOnBusiness: false });
    });
  }
  /** `GET tasks/{taskId}/reference-task-contacts/{outId}` with `companyId`, `taskId`, `outId` repeated in the query. */
  getReferenceTaskContacts(taskId: string, outId: string): Promise<ZhichiResult<EnvelopeOf<ContactDetail> | null>> {
    return run(() =>
      this.core.call('getContact', {
        pathParams: { taskId, outId },
        query: { companyId: this.companyId, taskId, outId },
        throwOnBusiness: false,
      }),
    );
  }
  /** `GET tasks/{taskId}` with `companyId`, `taskId` in the query. */
  getTasksInfo(taskId: string): Promise<ZhichiResult<EnvelopeOf<TaskInfo> | null>> {
    return run(() => this.core.call('getTask', { pathParams: { taskId }, query: { companyId: this.companyId, taskId }, throwOnBusiness: false }));
  }
  /** `GET searchtasks` with the given filters plus `companyId` in the query. */
  getTasksList(params: SearchTasksParams = {}): Promise<ZhichiResult<EnvelopeOf<Page<TaskInfo>> | null>> {
    return run(async () => {
      const valid = check(searchTasksParams, params, 'search params', ENDPOINTS.searchTasks.path);
      const query: Record<string, string | number | undefined> = {};
      for (const [k, v] of Object.entries(valid)) if (typeof v === 'string' || typeof v === 'number') query[k] = v;
      query.companyId = this.companyId;
      return this.core.call('searchTasks', { query, throwOnBusiness: false });
    });
  }
  /** `POST tasks/{taskId}/dialing-results` with optional filters and paging (not in the PHP module; as the Python script). */
  getDialingResults(taskId: string, params: DialingResultsParams = {}): Promise<ZhichiResult<EnvelopeOf<Page<CallRecord>> | null>> {
    return run(async () => {
      const valid = check(dialingResultsParams, params, 'dialing-results params', ENDPOINTS.dialingResults.path);
      return this.core.call('dialingResults', { pathParams: { taskId }, body: { ...valid, taskId }, retry: true, throwOnBusiness: false });
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
   * Mints a token with the given (or configured) credentials: data `{ token, ... }`; refused, data
   * is the server's envelope and the message `api调用失败`, as in the PHP factory. This calls
   * the rate-limited token endpoint every time, as the seed did; cache the result (see
   * `ZhichiClient.getToken`, which does).
   */
  async getToken(apiKey?: string, apiSecret?: string): Promise<ZhichiResult<TokenResultData | null>> {
    const o = resolveOptions({ ...this.options, token: undefined, apiKey: apiKey ?? this.options.apiKey, apiSecret: apiSecret ?? this.options.apiSecret }, {
      credentials: true,
      companyId: false,
    });
    registerSecret(o.apiSecret);
    const logger = redactingLogger(this.options.logger ?? silentLogger);
    const transport = transportFor(this.options, o, logger, this.options.clock ?? systemClock);
    const core = new ApiCore(transport, o.companyId, undefined, logger);
    try {
      const { content } = await core.mintToken(o.apiKey!, o.apiSecret!);
      registerSecret(content.accessToken);
      return new ZhichiResult<TokenResultData | null>(true, SEED_SUCCESS, {
        token: content.accessToken,
        tokenType: content.tokenType,
        expiresIn: content.expiresIn,
        createTime: content.createTime,
      });
    } catch (err) {
      // As the PHP factory: a refusal (code != 200) is `api调用失败` with the server's envelope; a
      // request that failed is `HttpRequestException: …` (the PHP Http class's message).
      if (err instanceof ZhichiBusinessError) return new ZhichiResult<TokenResultData | null>(false, SEED_TOKEN_FAILED, err.envelope as EnvelopeOf<unknown>, err);
      if (err instanceof ZhichiError) return new ZhichiResult<TokenResultData | null>(false, `HttpRequestException: ${err.message}`, null, err);
      throw err;
    }
  }
}
