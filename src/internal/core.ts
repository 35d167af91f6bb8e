import { ENDPOINTS, fillPath, type EndpointName } from '../contract/endpoints.js';
import { rawEnvelope, SUCCESS_CODE, type RawEnvelope } from '../contract/envelope.js';
import type { TokenContent } from '../contract/token.js';
import {
  ZhichiAuthenticationError, ZhichiBusinessError, ZhichiConnectionError, ZhichiHttpError, ZhichiResponseValidationError,
  issuesFromZod, type RequestInfo,
} from '../errors.js';
import type { TokenManager } from '../auth/token-manager.js';
import type { Logger } from './logger.js';
import { redactText } from './redact.js';
import type { Transport } from '../transport/http.js';
import { isRetryableStatus } from '../transport/retry.js';
import type { z } from 'zod';

/** Arguments of one endpoint call. */
export interface CallArgs {
  pathParams?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Safe to repeat (reads, idempotent writes). @default true for GET */
  retry?: boolean;
  signal?: AbortSignal | undefined;
  /** Throw ZhichiBusinessError on `code != 200`. @default true */
  throwOnBusiness?: boolean;
}

/** Result of one call: the whole envelope (as the server sent it) and its typed content. */
export interface CallResult<T> {
  envelope: RawEnvelope;
  content: T;
  /** The server's request id (envelope `requestId`, else a request-id response header), when it sent one. */
  requestId?: string | undefined;
}

/** Response headers that carry a request id (the transport's list). */
const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-requestid', 'x-trace-id', 'traceid'];
function headerRequestId(h: Record<string, string | undefined>): string | undefined {
  for (const k of REQUEST_ID_HEADERS) if (h[k]) return h[k];
  return undefined;
}

/** Where the access token of a call comes from: managed (mint/refresh) or fixed (the seed's setToken). */
export type TokenSource = { kind: 'managed'; manager: TokenManager } | { kind: 'fixed'; token: string };

/** The part of the client shared by ZhichiClient, its resources and ZhichiFactory: one request path. */
export class ApiCore {
  constructor(
    readonly transport: Transport,
    readonly companyId: string | undefined,
    readonly tokens: TokenSource | undefined,
    readonly logger: Logger,
  ) {}

  private async token(): Promise<string> {
    if (!this.tokens) throw new ZhichiAuthenticationError(401, '', { path: 'no token: configure apiKey/apiSecret or a token' });
    return this.tokens.kind === 'fixed' ? this.tokens.token : this.tokens.manager.getToken();
  }

  /** Calls a business endpoint with the bearer token; on HTTP 401 refreshes once and replays once. */
  async call<N extends Exclude<EndpointName, 'token'>>(name: N, args: CallArgs = {}): Promise<CallResult<z.output<(typeof ENDPOINTS)[N]['content']>>> {
    const ep = ENDPOINTS[name] as { method: 'GET' | 'POST'; path: string; content: z.ZodType; known: boolean };
    if (this.companyId === undefined) throw new ZhichiAuthenticationError(401, '', { path: 'companyId is not configured' });
    const path = fillPath(ep.path, { companyId: this.companyId, ...args.pathParams });
    const send = (token: string) =>
      this.transport.send({
        method: ep.method,
        path,
        query: args.query,
        body: args.body,
        retry: args.retry ?? ep.method === 'GET',
        signal: args.signal,
        headers: { authorization: `Bearer ${token}` },
      });
    let token = await this.token();
    let res;
    try {
      res = await send(token);
    } catch (err) {
      // 401 means the token expired or was revoked (api/sobot-v5.md §6): refresh once, replay once.
      if (!(err instanceof ZhichiAuthenticationError) || this.tokens?.kind !== 'managed') throw err;
      await this.tokens.manager.invalidate(token);
      token = await this.tokens.manager.getToken();
      res = await send(token);
    }
    const out = this.decode(ep, res.text, { method: ep.method, path, requestId: headerRequestId(res.headers) }, args.throwOnBusiness ?? true);
    return out as CallResult<z.output<(typeof ENDPOINTS)[N]['content']>>;
  }

  /** Calls `GET tokens` once (no cache). */
  async mintToken(apiKey: string, apiSecret: string, signal?: AbortSignal): Promise<CallResult<TokenContent>> {
    const res = await this.transport.send({ method: 'GET', path: ENDPOINTS.token.path, query: { apiKey, apiSecret }, retry: true, sensitive: true, signal });
    return this.decode(ENDPOINTS.token, res.text, { method: 'GET', path: 'tokens', requestId: headerRequestId(res.headers) }, true, true);
  }

  /** Decodes an envelope: business errors, known-shape checks, tolerant assumed shapes. */
  decode<S extends z.ZodType>(ep: { content: S; known: boolean }, text: string, info: RequestInfo, throwOnBusiness: boolean, sensitive = false): CallResult<z.output<S>> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // A token answer cut mid-token is not JSON, and redaction cannot spot half a token: quote nothing.
      const got = sensitive ? `${Buffer.byteLength(text)} bytes, not quoted: the answer of a credential request` : JSON.stringify(redactText(text.slice(0, 80)));
      throw new ZhichiResponseValidationError('response', [{ path: '', message: `must be JSON (got ${got})` }], info);
    }
    let envelope: RawEnvelope;
    if (json !== null && typeof json === 'object' && typeof (json as { code?: unknown }).code === 'number' && typeof ((json as { message?: unknown }).message ?? '') === 'string') {
      envelope = json as RawEnvelope; // fast path: already the envelope shape
    } else {
      const env = rawEnvelope.safeParse(json);
      if (!env.success) throw new ZhichiResponseValidationError('response envelope', issuesFromZod(env.error.issues), info);
      envelope = env.data;
    }
    const requestId = typeof envelope.requestId === 'string' ? envelope.requestId : info.requestId;
    if (envelope.code !== SUCCESS_CODE) {
      if (throwOnBusiness) throw new ZhichiBusinessError(envelope.code, envelope.message ?? '', envelope, { ...info, requestId });
      return { envelope, content: envelope.content as z.output<S>, requestId };
    }
    const parsed = ep.content.safeParse(envelope.content);
    if (parsed.success) return { envelope, content: parsed.data, requestId };
    if (ep.known) throw new ZhichiResponseValidationError('response content', issuesFromZod(parsed.error.issues, 'content'), { ...info, requestId });
    // An assumed shape did not match: keep the server's content untouched rather than reject it.
    this.logger.warn(`zhichi: response of ${info.method} ${info.path} does not match the assumed contract; passing it through`, {
      issues: issuesFromZod(parsed.error.issues, 'content').slice(0, 5),
    });
    return { envelope, content: envelope.content as z.output<S>, requestId };
  }
}

/** True for failures after which repeating the request may succeed. */
export function isRetryableError(err: unknown): boolean {
  if (err instanceof ZhichiConnectionError) return true;
  return err instanceof ZhichiHttpError && !(err instanceof ZhichiAuthenticationError) && isRetryableStatus(err.status);
}
