import type { z } from 'zod';
import { AGENTS_ENDPOINTS, agentsAuthHeaders, agentsEnvelope, AGENTS_CODE, type AgentsCredentials, type AgentsEndpointName, type AgentsEnvelope } from '../contract/agents/index.js';
import { ZhichiHttpError, ZhichiResponseValidationError, agentsErrorFor, issuesFromZod, type RequestInfo } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import type { Logger } from '../internal/logger.js';
import { redactText } from '../internal/redact.js';
import { parseOrThrow } from '../internal/validate.js';
import type { Transport } from '../transport/http.js';

/** Options of one Agents call. */
export interface AgentsCallOptions {
  signal?: AbortSignal | undefined;
  /** Override whether the transport may resend the request. @default the endpoint's `idempotent` */
  retry?: boolean;
}

/** An Agents answer: the typed `data`, the whole envelope and the raw body text. */
export interface AgentsResult<T> {
  data: T;
  envelope: AgentsEnvelope;
  /** The response body exactly as received. */
  raw: string;
}

type Data<N extends AgentsEndpointName> = z.output<(typeof AGENTS_ENDPOINTS)[N]['data']>;
type Input<N extends AgentsEndpointName> = z.input<(typeof AGENTS_ENDPOINTS)[N]['in']>;

/** The one request path of the Agents client: validation, signature headers, envelope decoding, typed errors. */
export class AgentsCore {
  constructor(
    readonly transport: Transport,
    private readonly creds: AgentsCredentials,
    private readonly clock: Clock,
    readonly logger: Logger,
  ) {}

  /** Calls endpoint `name` with `input` (body for POST/PATCH, query for GET), validated first. */
  async call<N extends AgentsEndpointName>(name: N, input: Input<N>, opts: AgentsCallOptions = {}): Promise<AgentsResult<Data<N>>> {
    const ep = AGENTS_ENDPOINTS[name];
    const info: RequestInfo = { method: ep.method, path: ep.path };
    const valid = parseOrThrow(ep.in, input, `${name} ${ep.method === 'GET' ? 'query' : 'body'}`, info) as unknown;
    let query: Record<string, string | number | undefined> | undefined;
    let body: unknown;
    if (ep.method === 'GET') {
      query = {};
      for (const [k, v] of Object.entries(valid as Record<string, unknown>)) {
        if (v === undefined || v === null) continue;
        query[k] = typeof v === 'number' || typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : JSON.stringify(v);
      }
    } else body = valid;
    let text: string;
    try {
      const res = await this.transport.send({
        method: ep.method,
        path: ep.path,
        query,
        body,
        retry: opts.retry ?? ep.idempotent,
        signal: opts.signal,
        // A fresh timestamp per attempt: a retry after a long backoff is not refused as stale.
        headersFor: () => agentsAuthHeaders(this.creds, this.clock.now()),
      });
      text = res.text;
    } catch (err) {
      // Whether the HTTP status mirrors the envelope code is undocumented (§10 #4): an HTTP error
      // carrying an envelope is reported as that envelope's typed error.
      if (err instanceof ZhichiHttpError) {
        const env = tryEnvelope(err.body);
        if (env && env.code !== AGENTS_CODE.OK) throw agentsErrorFor(env.code, env.resultMsg ?? '', env, { ...info, requestId: env.requestId ?? undefined });
      }
      throw err;
    }
    return this.decode(ep.data as z.ZodType<Data<N>>, text, info);
  }

  /** Decodes an envelope; a `data` that does not match the (partly assumed) schema is passed through with a warning. */
  decode<T>(schema: z.ZodType<T>, text: string, info: RequestInfo): AgentsResult<T> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ZhichiResponseValidationError('response', [{ path: '', message: `must be JSON (got ${JSON.stringify(redactText(text.slice(0, 80)))})` }], info);
    }
    const env = agentsEnvelope.safeParse(json);
    if (!env.success) throw new ZhichiResponseValidationError('Agents response envelope', issuesFromZod(env.error.issues), info);
    const envelope = env.data;
    const requestId = envelope.requestId ?? undefined;
    if (envelope.code !== AGENTS_CODE.OK) throw agentsErrorFor(envelope.code, envelope.resultMsg ?? '', envelope, { ...info, requestId });
    const parsed = schema.safeParse(envelope.data);
    if (parsed.success) return { data: parsed.data, envelope, raw: text };
    this.logger.warn(`zhichi agents: data of ${info.method} ${info.path} does not match the contract; passing it through`, {
      issues: issuesFromZod(parsed.error.issues, 'data').slice(0, 5),
    });
    return { data: envelope.data as T, envelope, raw: text };
  }
}

function tryEnvelope(text: string): AgentsEnvelope | undefined {
  try {
    const r = agentsEnvelope.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
