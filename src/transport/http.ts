import {
  ZhichiAbortError, ZhichiConnectionError, ZhichiError, ZhichiRedirectError, ZhichiTimeoutError, httpErrorFor, type RequestInfo,
} from '../errors.js';
import type { Clock } from '../internal/clock.js';
import type { Logger } from '../internal/logger.js';
import type { ClientOptions, ResolvedOptions } from '../options.js';
import { redactText } from '../internal/redact.js';
import { DEFAULT_RETRY, backoffDelay, isRetryableStatus, parseRetryAfter, sleep as realSleep, type RetryOptions } from './retry.js';

/** One HTTP exchange as the transport sees it. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/** What a sender is given: the request, the caller's signal and the per-attempt timeout. */
export interface SendInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/**
 * What actually sends bytes: undici by default, or a user-supplied `fetch`. A sender enforces
 * `timeoutMs` itself and throws an error classified by {@link isTimeoutError} when it fires.
 */
export type Sender = (url: string, init: SendInit) => Promise<HttpResponse>;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** True for the timeout errors of undici and of `AbortSignal.timeout`. */
export function isTimeoutError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && TIMEOUT_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError') return true;
  return e.cause !== undefined && e.cause !== err && isTimeoutError(e.cause);
}

/** A request relative to the base URL. */
export interface TransportRequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Path relative to the base URL, e.g. `companies/x/tasks`. */
  path: string;
  query?: Record<string, string | number | undefined> | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  /** Headers computed afresh for every attempt (the Agents signature carries a timestamp). */
  headersFor?: () => Record<string, string>;
  /** Retry on connection errors, timeouts, 408, 429 and 5xx. Only for requests safe to repeat. */
  retry: boolean;
  /**
   * The request or its answer holds a credential (`GET tokens`: the apiSecret goes out, a token comes
   * back): an error never quotes the response body, not even redacted (a body cut mid-token would
   * defeat pattern redaction).
   */
  sensitive?: boolean;
  signal?: AbortSignal | undefined;
}

export interface TransportOptions {
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  /** How long a write whose outcome is unknown is looked for before it is sent again. @default 4 x timeoutMs */
  settleMs?: number | undefined;
  retry: Required<RetryOptions>;
  sender: Sender;
  logger: Logger;
  signal?: AbortSignal | undefined;
  now: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/**
 * Sender over undici's dispatcher with a keep-alive pool, loaded lazily. It uses undici's
 * low-level `dispatch` handler API rather than `request()`: the body is a few hundred bytes of
 * JSON, so collecting chunks directly avoids a stream per response, and the per-attempt timeout
 * aborts through the dispatch controller instead of an AbortSignal per request.
 */
export function undiciSender(): Sender {
  let loading: Promise<typeof import('undici')> | undefined;
  let agent: import('undici').Agent | undefined;
  return async (url, init) => {
    if (!agent) {
      loading ??= import('undici');
      const undici = await loading;
      agent ??= new undici.Agent({ keepAliveTimeout: 10_000, connections: 128 });
    }
    const slash = url.indexOf('/', url.indexOf('//') + 2);
    const origin = slash < 0 ? url : url.slice(0, slash);
    const path = slash < 0 ? '/' : url.slice(slash);
    const user = init.signal;
    return new Promise<HttpResponse>((resolve, reject) => {
      let controller: import('undici').Dispatcher.DispatchController | undefined;
      let pendingAbort: Error | undefined;
      const abort = (reason: Error) => {
        if (controller) controller.abort(reason);
        else pendingAbort = reason;
      };
      const timer = setTimeout(() => abort(new TimeoutAbort(init.timeoutMs)), init.timeoutMs);
      const onUserAbort = () => abort(user!.reason instanceof Error ? user!.reason : new Error('aborted'));
      user?.addEventListener('abort', onUserAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        user?.removeEventListener('abort', onUserAbort);
      };
      let status = 0;
      let headers: Record<string, string | undefined> = {};
      const chunks: Buffer[] = [];
      agent!.dispatch(
        { origin, path, method: init.method as 'GET' | 'POST' | 'PATCH', headers: init.headers, body: init.body ?? null },
        {
          onRequestStart(c) {
            controller = c;
            if (pendingAbort) c.abort(pendingAbort);
          },
          onResponseStart(_c, statusCode, h) {
            status = statusCode;
            headers = h as Record<string, string | undefined>;
          },
          onResponseData(_c, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            done();
            const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
            resolve({ status, headers, text });
          },
          onResponseError(_c, err) {
            done();
            reject(err);
          },
        },
      );
    });
  };
}

/** Abort reason of a per-attempt timeout (classified by {@link isTimeoutError}). */
class TimeoutAbort extends Error {
  override readonly name = 'TimeoutError';
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

/**
 * Sender over a WHATWG `fetch` (user-injected, e.g. for a proxy or a test double). Redirects are not
 * followed (`redirect: 'manual'`): the 3xx comes back to the transport, which throws
 * {@link ZhichiRedirectError}, as with the undici sender (whose dispatcher never follows them).
 */
export function fetchSender(fetchFn: typeof fetch): Sender {
  return async (url, init) => {
    const timeout = AbortSignal.timeout(init.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const res = await fetchFn(url, { method: init.method, headers: init.headers, body: init.body ?? null, signal, redirect: 'manual' });
    // A browser-style fetch answers a manual redirect with an opaque response (type 'opaqueredirect', status 0).
    if (res.type === 'opaqueredirect') return { status: 307, headers: {}, text: '' };
    const text = await res.text();
    const headers: Record<string, string | undefined> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { status: res.status, headers, text };
  };
}

const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-requestid', 'x-trace-id', 'traceid'];

/** Sends requests with per-attempt timeouts and safe retries; maps failures to ZhichiError subclasses. */
export class Transport {
  /** The retry settings of this transport, for callers that run their own retry loop (create task). */
  readonly retryPolicy: { maxRetries: number; retry: Required<RetryOptions>; settleMs: number };

  constructor(private readonly o: TransportOptions) {
    this.retryPolicy = { maxRetries: o.maxRetries, retry: o.retry, settleMs: o.settleMs ?? 4 * o.timeoutMs };
  }

  /** Absolute URL of a relative path plus query. */
  url(path: string, query?: TransportRequest['query']): string {
    let url = this.o.baseUrl + path;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.append(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    return url;
  }

  /** Sends `req`; resolves with a 2xx response, or throws. Retries only when `req.retry`. */
  async send(req: TransportRequest): Promise<HttpResponse> {
    const url = this.url(req.path, req.query);
    const info: RequestInfo = { method: req.method, path: redactText(url.slice(this.o.baseUrl.length)) };
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json;charset=utf-8';
    }
    const sleep = this.o.sleep ?? realSleep;
    const maxAttempts = req.retry ? this.o.maxRetries + 1 : 1;
    const firstStarted = this.o.now();
    // Within the request's budget (retry.maxElapsedMs) a retry may still start after `delay`.
    const inBudget = (delay: number) => this.o.now() - firstStarted + delay <= this.o.retry.maxElapsedMs;
    for (let attempt = 0; ; attempt++) {
      const userSignal = req.signal ?? this.o.signal;
      if (userSignal?.aborted) throw new ZhichiAbortError('request aborted', info, { cause: userSignal.reason });
      const started = this.o.now();
      let res: HttpResponse | undefined;
      let failure: ZhichiError | undefined;
      try {
        const init: SendInit = { method: req.method, headers: req.headersFor ? { ...headers, ...req.headersFor() } : headers, signal: userSignal, timeoutMs: this.o.timeoutMs };
        if (body !== undefined) init.body = body;
        res = await this.o.sender(url, init);
      } catch (err) {
        if (userSignal?.aborted) throw new ZhichiAbortError('request aborted', info, { cause: userSignal.reason });
        if (isTimeoutError(err)) failure = new ZhichiTimeoutError(`timed out after ${this.o.timeoutMs} ms`, info, { cause: err });
        else failure = new ZhichiConnectionError(`connection failed: ${errMessage(err)}`, info, { cause: err });
      }
      const canRetry = attempt + 1 < maxAttempts;
      if (res) {
        const requestId = requestIdOf(res.headers);
        this.o.logger.debug?.('zhichi request', { method: req.method, path: info.path, status: res.status, ms: this.o.now() - started, attempt });
        if (res.status >= 200 && res.status < 300) return res;
        if (res.status >= 300 && res.status < 400) throw new ZhichiRedirectError(res.status, res.headers['location'], { ...info, requestId }, url);
        const ra = parseRetryAfter(res.headers['retry-after'], Date.now());
        const delay = backoffDelay(attempt, this.o.retry, this.o.random, ra);
        if (!(canRetry && isRetryableStatus(res.status) && inBudget(delay))) {
          throw httpErrorFor(res.status, req.sensitive ? '' : res.text, { ...info, requestId });
        }
        this.o.logger.warn(`zhichi: HTTP ${res.status} on ${req.method} ${info.path}, retry ${attempt + 1}/${maxAttempts - 1} in ${delay} ms`);
        await sleep(delay, userSignal);
        continue;
      }
      const delay = backoffDelay(attempt, this.o.retry, this.o.random);
      if (!canRetry || !inBudget(delay)) throw failure!;
      this.o.logger.warn(`zhichi: ${failure!.message} on ${req.method} ${info.path}, retry ${attempt + 1}/${maxAttempts - 1} in ${delay} ms`);
      await sleep(delay, userSignal);
    }
  }
}

function requestIdOf(h: Record<string, string | undefined>): string | undefined {
  for (const k of REQUEST_ID_HEADERS) if (h[k]) return h[k];
  return undefined;
}

function errMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * The transport of a client built from its options: ZhichiClient, ZhichiFactory.getToken and
 * AgentsClient build theirs here, so both honour the same timeout, retries, fetch, signal and clock.
 */
export function transportFor(
  options: Pick<ClientOptions, 'retry' | 'fetch' | 'signal'>,
  o: Pick<ResolvedOptions, 'baseUrl' | 'timeoutMs' | 'maxRetries'> & { writeSettleMs?: number | undefined },
  logger: Logger,
  clock: Clock,
  sleep?: TransportOptions['sleep'],
): Transport {
  return new Transport({
    baseUrl: o.baseUrl,
    timeoutMs: o.timeoutMs,
    maxRetries: o.maxRetries,
    settleMs: o.writeSettleMs,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    sender: options.fetch ? fetchSender(options.fetch) : undiciSender(),
    logger,
    signal: options.signal,
    now: () => clock.now(),
    ...(sleep ? { sleep } : {}),
  });
}
