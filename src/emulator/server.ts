import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BUSINESS_CODE, type EndpointName } from '../contract/index.js';
import { redactText } from '../internal/redact.js';
import { handleApi, matchRoute, type Reply } from './api.js';
import { handleControl } from './control.js';
import type { EmulatorCore } from './core.js';
import { RingLog } from './ring.js';
import { AgentsSurface } from './agents/surface.js';
import type { AgentsEndpointName } from '../contract/agents/index.js';

/** One line of `GET /__emulator/requests`. Paths are redacted (the token query carries apiSecret). */
export interface RequestLogEntry {
  seq: number;
  /** Emulator time, epoch ms. */
  time: number;
  /** Wall time, epoch ms. */
  realTime: number;
  method: string;
  path: string;
  endpoint: EndpointName | AgentsEndpointName | null;
  /** HTTP status; 0 when the connection was reset on purpose; null while the request is in progress. */
  status: number | null;
  /** Envelope code; null for a reset or while in progress. */
  code: number | null;
  /** Real milliseconds spent (including injected latency); null while in progress. */
  ms: number | null;
  fault?: 'error' | 'reset' | 'latency';
}

/** Base path of the API (sobot-v5.md §1). */
export const API_PREFIX = '/api/6.0.0/';
const MAX_BODY = 16 * 1024 * 1024;
const JSON_TYPE = 'application/json;charset=utf-8';

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 0 ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}


/**
 * `application/json` with any parameters (the PHP module's Guzzle sends `application/json`, the
 * Python script `application/json;charset=utf-8`: both are JSON).
 */
export function isJsonType(ct: string | undefined): boolean {
  return ct !== undefined && /^\s*application\/json\s*(?:;|$)/i.test(ct);
}

/**
 * Why a raw (still percent-encoded) path is refused, or null: an encoded `/` or `\` (`%2F`, `%5C`)
 * in a segment, or a dot segment (`.`, `..`, also encoded), as Java gateways refuse them.
 */
export function unsafeSegment(rawSegs: readonly string[]): string | null {
  for (const seg of rawSegs) {
    if (/%2f|%5c/i.test(seg)) return `an encoded "/" or "\\" (%2F, %5C) in a path segment is refused (segment ${JSON.stringify(seg)})`;
    let dec: string;
    try {
      dec = decodeURIComponent(seg);
    } catch {
      return `a path segment is not valid percent-encoding (segment ${JSON.stringify(seg)})`;
    }
    if (dec === '.' || dec === '..') return `a dot segment ("." or "..") is refused (segment ${JSON.stringify(seg)})`;
  }
  return null;
}

/** The HTTP front of the emulator: API under `/api/6.0.0/`, control under `/__emulator/`. */
export class EmulatorServer {
  readonly server: Server;
  readonly requestLog: RingLog<RequestLogEntry>;
  /** The Agents (apiOpen/v1) surface, on the same port and engine. */
  readonly agents: AgentsSurface;
  private reqSeq = 0;

  constructor(private readonly core: EmulatorCore) {
    this.agents = new AgentsSurface(core);
    this.requestLog = new RingLog(core.opts.requestLogLimit);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        core.logger.error(`emulator: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) this.send(res, 500, { code: BUSINESS_CODE.INTERNAL, message: 'internal error', content: null });
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 10_000;
  }

  private send(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
    const text = JSON.stringify(body);
    const headers: Record<string, string | number> = {
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(text),
      'x-request-id': String(this.reqSeq),
    };
    if (extra) Object.assign(headers, extra);
    res.writeHead(status, headers);
    res.end(text);
  }

  /** Logs a request when it arrives (so counts are right even while an injected latency holds it); `done` fills the outcome. */
  private log(method: string, url: string, endpoint: EndpointName | AgentsEndpointName | null): RequestLogEntry {
    const e: RequestLogEntry = {
      seq: this.requestLog.total,
      time: this.core.clock.now(),
      realTime: Date.now(),
      method,
      path: redactText(url),
      endpoint,
      status: null,
      code: null,
      ms: null,
    };
    this.requestLog.add(e);
    return e;
  }

  private done(e: RequestLogEntry, status: number, code: number | null, t0: number, fault?: RequestLogEntry['fault']): void {
    if (code !== null) {
      const k = String(code);
      const byCode = this.core.counters.byCode;
      byCode[k] = (byCode[k] ?? 0) + 1;
    }
    e.status = status;
    e.code = code;
    e.ms = Math.round((performance.now() - t0) * 100) / 100;
    if (fault) e.fault = fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    this.reqSeq++;
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const query = new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1));
    let raw: Buffer | null;
    try {
      raw = await readBody(req);
    } catch (e) {
      const status = (e as { status?: number }).status ?? 400;
      if (!res.destroyed) this.send(res, status, { code: BUSINESS_CODE.PARAM_INVALID, message: 'request body too large or unreadable', content: null });
      return;
    }

    if (path.startsWith('/__emulator/')) {
      this.core.counters.controlRequests++;
      const out = await handleControl(this.core, this, method, path.slice('/__emulator/'.length), query, raw);
      this.send(res, out.status, out.body);
      return;
    }

    if (AgentsSurface.owns(path)) {
      await this.handleAgents(req, res, method, path, url, query, raw, t0);
      return;
    }

    if (!path.startsWith(API_PREFIX)) {
      this.send(res, 404, { code: BUSINESS_CODE.NOT_FOUND, message: `no such path: ${path} (the API lives under ${API_PREFIX})`, content: null });
      return;
    }
    const core = this.core;
    core.counters.requests++;
    const rawSegs = path.slice(API_PREFIX.length).split('/').filter((s) => s !== '');
    const unsafe = unsafeSegment(rawSegs);
    if (unsafe !== null) {
      // As a Java gateway would (Tomcat refuses an encoded slash, Spring's StrictHttpFirewall an
      // encoded slash, backslash or dot segment): HTTP 400 before any routing.
      const body = { code: BUSINESS_CODE.PARAM_INVALID, message: `invalid path: ${unsafe}`, content: null };
      this.send(res, 400, body);
      this.done(this.log(method, url, null), 400, body.code, t0);
      return;
    }
    let segs: string[];
    try {
      segs = rawSegs.map(decodeURIComponent);
    } catch {
      segs = [];
    }
    const m = matchRoute(method, segs);
    if (m === null || m === 'methodMismatch') {
      const status = m === null ? 404 : 405;
      const body = { code: m === null ? BUSINESS_CODE.NOT_FOUND : status, message: m === null ? `no such endpoint: ${method} ${path}` : `method ${method} not allowed on ${path}`, content: null };
      this.send(res, status, body);
      this.done(this.log(method, url, null), status, body.code, t0);
      return;
    }
    core.counters.byEndpoint[m.name] = (core.counters.byEndpoint[m.name] ?? 0) + 1;
    const entry = this.log(method, url, m.name);

    const fault = core.faults.decide(m.name);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.action === 'reset') {
      this.done(entry, 0, null, t0, 'reset');
      req.socket.destroy();
      return;
    }
    if (fault.action === 'error') {
      const status = core.faults.errorStatus;
      const ra = core.faults.retryAfter;
      this.send(res, status, { code: status, message: 'injected fault', content: null }, ra !== undefined ? { 'retry-after': String(ra) } : undefined);
      this.done(entry, status, status, t0, 'error');
      return;
    }

    let body: unknown = undefined;
    if (raw && method !== 'GET') {
      const ct = req.headers['content-type'];
      if (core.opts.strict && !isJsonType(ct)) {
        // Strict mode: a Spring @RequestBody endpoint answers a body of another type 415.
        const rep = { code: 415, message: `invalid request: Content-Type must be application/json (with or without ;charset=utf-8), got ${JSON.stringify(ct ?? '')} (strict mode)`, content: null };
        this.send(res, 415, rep);
        this.done(entry, 415, rep.code, t0, fault.latencyMs > 0 ? 'latency' : undefined);
        return;
      }
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        const rep: Reply = { status: 200, code: BUSINESS_CODE.PARAM_INVALID, message: 'invalid request: body must be JSON', content: null };
        this.send(res, rep.status, { code: rep.code, message: rep.message, content: rep.content });
        this.done(entry, rep.status, rep.code, t0, fault.latencyMs > 0 ? 'latency' : undefined);
        return;
      }
    }
    // Bring the simulation up to the clock so the answer reflects every call until now.
    core.sync();
    const auth = req.headers.authorization;
    const rep = handleApi(core, m.name, { params: m.params, query, body, authorization: Array.isArray(auth) ? auth[0] : auth });
    this.send(res, rep.status, { code: rep.code, message: rep.message, content: rep.content });
    this.done(entry, rep.status, rep.code, t0, fault.latencyMs > 0 ? 'latency' : undefined);
  }

  /** The Agents surface: same faults, request log and simulation step as the V5 API, its own envelope. */
  private async handleAgents(req: IncomingMessage, res: ServerResponse, method: string, path: string, url: string, query: URLSearchParams, raw: Buffer | null, t0: number): Promise<void> {
    const core = this.core;
    const agents = this.agents;
    core.counters.requests++;
    const m = AgentsSurface.match(method, path);
    if (m === null || m === 'methodMismatch') {
      const rep = m === null ? agents.refusal(404, `资源未找到: no such endpoint ${method} ${path}`) : agents.refusal(405, `method ${method} not allowed on ${path}`);
      this.send(res, rep.status, rep.body);
      this.done(this.log(method, url, null), rep.status, rep.body.code, t0);
      return;
    }
    core.counters.byEndpoint[m] = (core.counters.byEndpoint[m] ?? 0) + 1;
    const entry = this.log(method, url, m);
    const fault = core.faults.decide(m);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.action === 'reset') {
      this.done(entry, 0, null, t0, 'reset');
      req.socket.destroy();
      return;
    }
    if (fault.action === 'error') {
      const status = core.faults.errorStatus;
      const ra = core.faults.retryAfter;
      const rep = agents.refusal(status, 'injected fault');
      this.send(res, status, rep.body, ra !== undefined ? { 'retry-after': String(ra) } : undefined);
      this.done(entry, status, status, t0, 'error');
      return;
    }
    let body: unknown = undefined;
    if (raw && method !== 'GET') {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        const rep = agents.refusal(412, '参数错误: body must be JSON');
        rep.status = 200;
        this.send(res, 200, rep.body);
        this.done(entry, 200, 412, t0, fault.latencyMs > 0 ? 'latency' : undefined);
        return;
      }
    }
    core.sync();
    const rep = agents.handle(m, query, req.headers, body);
    // A write may change what is due (a start, an import): simulate up to now again before pushes go.
    core.sync();
    this.send(res, rep.status, rep.body);
    this.done(entry, rep.status, rep.body.code, t0, fault.latencyMs > 0 ? 'latency' : undefined);
  }
}
