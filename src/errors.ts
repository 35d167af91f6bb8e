import { redactText, redactValue } from './internal/redact.js';

/** Where a failed request went; carried by every request error. Never holds a secret. */
export interface RequestInfo {
  method?: string | undefined;
  /** Path relative to the base URL, query string redacted. */
  path?: string | undefined;
  /** Request id from the server's response headers, when present. */
  requestId?: string | undefined;
}

/** One broken rule of a validation: the field path and the rule. */
export interface ValidationIssue {
  /** Dotted path, e.g. `taskCronList[1].begin`. */
  path: string;
  /** The rule that was broken, e.g. `must be HH:mm (00:00–23:59)`. */
  message: string;
}

/**
 * Base class of every error this toolkit throws. Its message and `toJSON()` never contain
 * `apiSecret`, `apiKey` or a token (they are redacted).
 */
export class ZhichiError extends Error {
  override readonly name: string = 'ZhichiError';
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly requestId: string | undefined;

  constructor(message: string, info: RequestInfo = {}, options?: { cause?: unknown }) {
    // The cause is redacted here, once: `util.inspect(err)`, `console.log(err)` and a logger that
    // walks `err.cause` print it, and a fetch failure's message can hold the request URL.
    super(redactText(message), options?.cause !== undefined ? { cause: redactCause(options.cause) } : undefined);
    this.method = info.method;
    this.path = info.path !== undefined ? redactText(info.path) : undefined;
    this.requestId = info.requestId;
  }

  /** A JSON form safe to log. */
  toJSON(): Record<string, unknown> {
    return redactValue({
      name: this.name,
      message: this.message,
      method: this.method,
      path: this.path,
      requestId: this.requestId,
    }) as Record<string, unknown>;
  }
}

/**
 * A redacted copy of an error's cause: message, stack, nested causes (and `AggregateError.errors`)
 * with secrets removed, own fields (`code`, `errno`…) redacted as values. The copy keeps the cause's
 * prototype, so `instanceof` and the name still classify it; a {@link ZhichiError} is already
 * redacted and is kept as is. Non-error causes go through {@link redactValue}.
 */
export function redactCause(cause: unknown, depth = 0): unknown {
  if (cause instanceof ZhichiError) return cause;
  if (!(cause instanceof Error)) return redactValue(cause);
  if (depth > 8) return new Error('[cause chain truncated]');
  const copy = Object.create(Object.getPrototypeOf(cause) as object) as Error & Record<string, unknown>;
  const hidden = (k: string, v: unknown) => Object.defineProperty(copy, k, { value: v, enumerable: false, configurable: true, writable: true });
  for (const [k, v] of Object.entries(cause)) copy[k] = k === 'cause' || k === 'errors' ? undefined : redactValue(v);
  hidden('message', redactText(cause.message));
  hidden('stack', cause.stack !== undefined ? redactText(cause.stack) : `${cause.name}: ${redactText(cause.message)}`);
  if (cause.cause !== undefined) hidden('cause', redactCause(cause.cause, depth + 1));
  else delete copy['cause'];
  const errors = (cause as { errors?: unknown }).errors;
  if (Array.isArray(errors)) hidden('errors', errors.slice(0, 16).map((e) => redactCause(e, depth + 1)));
  else delete copy['errors'];
  return copy;
}

/** Bad input (task params, contacts, options, a CSV row...): names each field and the rule. */
export class ZhichiValidationError extends ZhichiError {
  override readonly name: string = 'ZhichiValidationError';
  readonly issues: ValidationIssue[];
  constructor(what: string, issues: ValidationIssue[], info: RequestInfo = {}) {
    super(`invalid ${what}: ${issues.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join('; ')}`, info);
    this.issues = issues;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: redactValue(this.issues) };
  }
}

/** A server reply that does not match a KNOWN part of the contract (assumed parts never throw). */
export class ZhichiResponseValidationError extends ZhichiValidationError {
  override readonly name: string = 'ZhichiResponseValidationError';
}

/** The server answered with a non-2xx HTTP status. */
export class ZhichiHttpError extends ZhichiError {
  override readonly name: string = 'ZhichiHttpError';
  readonly status: number;
  /** Response body, truncated to 2 KiB and redacted. */
  readonly body: string;
  constructor(status: number, body: string, info: RequestInfo = {}) {
    super(`HTTP ${status} from ${info.method ?? ''} ${info.path ?? ''}`.trim(), info);
    this.status = status;
    this.body = redactText(body.slice(0, 2048));
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, body: this.body };
  }
}

/** HTTP 401: the token is expired or invalid (api/sobot-v5.md §6). */
export class ZhichiAuthenticationError extends ZhichiHttpError {
  override readonly name: string = 'ZhichiAuthenticationError';
}

/** HTTP 200 with an envelope `code != 200`: a business failure carrying the server's code and message. */
export class ZhichiBusinessError extends ZhichiError {
  override readonly name: string = 'ZhichiBusinessError';
  readonly code: number;
  readonly serverMessage: string;
  /** The whole envelope, redacted. */
  readonly envelope: unknown;
  constructor(code: number, serverMessage: string, envelope: unknown, info: RequestInfo = {}) {
    super(`business error ${code}: ${serverMessage} (${info.method ?? ''} ${info.path ?? ''})`, info);
    this.code = code;
    this.serverMessage = redactText(serverMessage);
    this.envelope = redactValue(envelope);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), code: this.code, serverMessage: this.serverMessage };
  }
}

/**
 * The token endpoint refused the credentials (a wrong or rotated apiKey / apiSecret): a business
 * error of `GET tokens`, so `code` and `serverMessage` are the server's. Thrown at once for the call
 * that met it and, without asking the server again, for this process's next calls until the mint
 * window passes. A bad secret's refusals never use a good secret's mint window: the token key is
 * bound to the credentials.
 */
export class ZhichiCredentialsError extends ZhichiBusinessError {
  override readonly name: string = 'ZhichiCredentialsError';
  constructor(refused: ZhichiBusinessError, retryInMs: number) {
    super(refused.code, refused.serverMessage, refused.envelope, { method: refused.method, path: refused.path, requestId: refused.requestId });
    this.message = redactText(
      `token request refused: business error ${refused.code}: ${refused.serverMessage} (GET tokens): ` +
        // 429 is the token endpoint's rate limit (BUSINESS_CODE.TOKEN_RATE_LIMITED, assumed): the credentials may be fine.
        (refused.code === 429 ? 'the server rate-limits token requests; ' : 'the server refused this apiKey / apiSecret; ') +
        `this process's calls fail at once for the next ${Math.ceil(retryInMs / 1000)} s without asking again`,
    );
  }
}

/**
 * The server answered a request with a redirect (3xx). No sender follows redirects: following one
 * would send the credentials (`GET tokens` carries the apiSecret) or a token to another origin.
 * The message names the target's origin only, never its path or query.
 */
export class ZhichiRedirectError extends ZhichiHttpError {
  override readonly name: string = 'ZhichiRedirectError';
  /** Origin of the `Location` header (`https://host:port`), or undefined when absent or unparsable. */
  readonly locationOrigin: string | undefined;
  constructor(status: number, location: string | undefined, info: RequestInfo = {}, base?: string) {
    super(status, '', info);
    let origin: string | undefined;
    try {
      origin = location ? new URL(location, base).origin : undefined;
    } catch {
      origin = undefined;
    }
    this.locationOrigin = origin;
    this.message = redactText(
      `HTTP ${status} redirect from ${info.method ?? ''} ${info.path ?? ''} to ${origin ?? 'an unknown location'} refused: ` +
        'redirects are never followed (they would carry credentials elsewhere); point baseUrl at the final address',
    );
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), locationOrigin: this.locationOrigin };
  }
}

/** The connection failed (refused, reset, DNS...). */
export class ZhichiConnectionError extends ZhichiError {
  override readonly name: string = 'ZhichiConnectionError';
}

/** An attempt took longer than `timeoutMs`. */
export class ZhichiTimeoutError extends ZhichiConnectionError {
  override readonly name: string = 'ZhichiTimeoutError';
}

/** The call was aborted by the caller's `signal`. */
export class ZhichiAbortError extends ZhichiError {
  override readonly name: string = 'ZhichiAbortError';
}

/** Token minting was refused locally because it would exceed the configured minimum interval. */
export class ZhichiTokenRateError extends ZhichiError {
  override readonly name: string = 'ZhichiTokenRateError';
}

/** Picks the error subclass for an HTTP status. */
export function httpErrorFor(status: number, body: string, info: RequestInfo): ZhichiHttpError {
  return status === 401 ? new ZhichiAuthenticationError(status, body, info) : new ZhichiHttpError(status, body, info);
}

/** Converts zod issues to {@link ValidationIssue}s with `a.b[0].c` paths. */
export function issuesFromZod(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, prefix = ''): ValidationIssue[] {
  return issues.map((i) => ({ path: formatPath(i.path, prefix), message: i.message }));
}

/** Formats a path as `a.b[0].c`. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/**
 * A write was sent, its answer was lost (timeout, reset, 5xx), and the look-up that should tell
 * whether the server applied it could not tell. The write may have taken effect: look it up
 * (`what` names it) before sending it again.
 */
export class ZhichiUnknownOutcomeError extends ZhichiError {
  override readonly name = 'ZhichiUnknownOutcomeError';
  constructor(
    /** What may exist on the server, e.g. `task "Renewals"`. */
    readonly what: string,
    info: RequestInfo = {},
    options?: { cause?: unknown },
  ) {
    super(`${what} may have been created: the answer was lost and a look-up could not tell; look it up before sending it again`, info, options);
  }
}

/**
 * An Agents API (apiOpen/v1) envelope with `code != 200` (api/sobot-agents.md §1.2). Subclasses by
 * code: {@link ZhichiAgentsAuthError} 401, {@link ZhichiAgentsForbiddenError} 403,
 * {@link ZhichiAgentsNotFoundError} 404, {@link ZhichiAgentsParameterError} 412,
 * {@link ZhichiAgentsServerError} 500; other codes are this class. `serverMessage` is `resultMsg`.
 */
export class ZhichiAgentsError extends ZhichiBusinessError {
  override readonly name: string = 'ZhichiAgentsError';
}
/** Envelope 401 (校验数据错误): wrong or stale signature, unknown appkey, or refused data. */
export class ZhichiAgentsAuthError extends ZhichiAgentsError {
  override readonly name: string = 'ZhichiAgentsAuthError';
}
/** Envelope 403 (权限不足). */
export class ZhichiAgentsForbiddenError extends ZhichiAgentsError {
  override readonly name: string = 'ZhichiAgentsForbiddenError';
}
/** Envelope 404 (资源未找到), e.g. an unknown robotCallJobId. */
export class ZhichiAgentsNotFoundError extends ZhichiAgentsError {
  override readonly name: string = 'ZhichiAgentsNotFoundError';
}
/** Envelope 412 (参数错误): the server refused a parameter. */
export class ZhichiAgentsParameterError extends ZhichiAgentsError {
  override readonly name: string = 'ZhichiAgentsParameterError';
}
/** Envelope 500 (未知错误). */
export class ZhichiAgentsServerError extends ZhichiAgentsError {
  override readonly name: string = 'ZhichiAgentsServerError';
}

/** Picks the Agents error subclass for an envelope code. */
export function agentsErrorFor(code: number, message: string, envelope: unknown, info: RequestInfo): ZhichiAgentsError {
  const C = { 401: ZhichiAgentsAuthError, 403: ZhichiAgentsForbiddenError, 404: ZhichiAgentsNotFoundError, 412: ZhichiAgentsParameterError, 500: ZhichiAgentsServerError } as Record<number, typeof ZhichiAgentsError>;
  return new (C[code] ?? ZhichiAgentsError)(code, message, envelope, info);
}
