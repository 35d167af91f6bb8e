import { ENDPOINTS, type EndpointName as V5EndpointName } from '../contract/index.js';
import { AGENTS_ENDPOINTS, type AgentsEndpointName } from '../contract/agents/index.js';

/** A faultable endpoint: a V5 ENDPOINTS name or an Agents AGENTS_ENDPOINTS name. */
export type EndpointName = V5EndpointName | AgentsEndpointName;
import { Prng } from './random.js';

/** Fault rates of one endpoint (or of all). */
export interface FaultRates {
  /** Share of requests answered with `errorStatus` (0–1). */
  errorRate?: number;
  /** Extra delay before answering, real milliseconds. */
  latencyMs?: number;
  /** Share of requests whose connection is reset without an answer (0–1). */
  resetRate?: number;
}

/**
 * Fault injection for the API endpoints (`POST /__emulator/faults`; `{}` clears). Control
 * endpoints and pushes are never faulted.
 */
export interface FaultConfig extends FaultRates {
  /** Seed of the fault draws; draws happen in request order. @default the emulator seed */
  seed?: number;
  /**
   * Which endpoints are faulted: a list of ENDPOINTS / AGENTS_ENDPOINTS names (e.g. `['createTask']`), or a map of
   * name → rates overriding the top-level rates for that endpoint. @default every endpoint
   */
  endpoints?: EndpointName[] | Partial<Record<EndpointName, FaultRates>>;
  /** HTTP status of an injected error (400–599). @default 500 */
  errorStatus?: number;
  /** `Retry-After` header (seconds) on injected errors, e.g. with errorStatus 429 or 503. */
  retryAfter?: number;
  /** The next N faultable requests answer `errorStatus` before any rate applies (exact counts for tests). */
  failNext?: number;
}

/** What to do with one request. */
export interface FaultDecision {
  latencyMs: number;
  action: 'none' | 'error' | 'reset';
}

const NONE: FaultDecision = { latencyMs: 0, action: 'none' };

function checkRates(r: unknown, where: string): FaultRates {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new TypeError(`${where} must be an object`);
  const o = r as Record<string, unknown>;
  const out: FaultRates = {};
  for (const k of ['errorRate', 'resetRate'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new TypeError(`${where}${where ? '.' : ''}${k} must be a number between 0 and 1`);
    out[k] = v;
  }
  const l = o.latencyMs;
  if (l !== undefined) {
    if (typeof l !== 'number' || !(l >= 0 && l <= 600_000)) throw new TypeError(`${where}${where ? '.' : ''}latencyMs must be a number of milliseconds between 0 and 600000`);
    out.latencyMs = l;
  }
  if ((out.errorRate ?? 0) + (out.resetRate ?? 0) > 1) throw new TypeError(`${where}${where ? '.' : ''}errorRate + resetRate must not exceed 1`);
  return out;
}

/** Validates a fault config; throws a TypeError naming the field and the rule. */
export function parseFaultConfig(input: unknown): FaultConfig {
  const base = checkRates(input ?? {}, '');
  const o = (input ?? {}) as Record<string, unknown>;
  const cfg: FaultConfig = { ...base };
  if (o.seed !== undefined) {
    if (typeof o.seed !== 'number' || !Number.isInteger(o.seed)) throw new TypeError('seed must be an integer');
    cfg.seed = o.seed;
  }
  if (o.errorStatus !== undefined) {
    if (typeof o.errorStatus !== 'number' || !Number.isInteger(o.errorStatus) || o.errorStatus < 400 || o.errorStatus > 599) throw new TypeError('errorStatus must be an HTTP status between 400 and 599');
    cfg.errorStatus = o.errorStatus;
  }
  if (o.retryAfter !== undefined) {
    if (typeof o.retryAfter !== 'number' || !(o.retryAfter >= 0)) throw new TypeError('retryAfter must be a non-negative number of seconds');
    cfg.retryAfter = o.retryAfter;
  }
  if (o.failNext !== undefined) {
    if (typeof o.failNext !== 'number' || !Number.isInteger(o.failNext) || o.failNext < 0) throw new TypeError('failNext must be a non-negative integer');
    cfg.failNext = o.failNext;
  }
  const known = [...Object.keys(ENDPOINTS), ...Object.keys(AGENTS_ENDPOINTS)];
  const checkName = (n: string, where: string) => {
    if (!known.includes(n)) throw new TypeError(`${where} must be an endpoint name (${known.join(', ')}), got '${n}'`);
  };
  if (o.endpoints !== undefined) {
    if (Array.isArray(o.endpoints)) {
      o.endpoints.forEach((n, i) => checkName(String(n), `endpoints[${i}]`));
      cfg.endpoints = o.endpoints as EndpointName[];
    } else if (o.endpoints && typeof o.endpoints === 'object') {
      const map: Partial<Record<EndpointName, FaultRates>> = {};
      for (const [n, r] of Object.entries(o.endpoints)) {
        checkName(n, 'endpoints');
        map[n as EndpointName] = checkRates(r, `endpoints.${n}`);
      }
      cfg.endpoints = map;
    } else throw new TypeError('endpoints must be a list of endpoint names or a map of name to rates');
  }
  return cfg;
}

/** Decides, per API request, whether to delay, fail or reset it; counts what it did. */
export class FaultInjector {
  private cfg: FaultConfig = {};
  private rng: Prng;
  private failLeft = 0;
  readonly counts = { errors: 0, resets: 0, delayed: 0 };

  constructor(private readonly defaultSeed: number) {
    this.rng = new Prng(defaultSeed);
  }

  /** Replaces the configuration (`{}` clears every fault). */
  set(cfg: FaultConfig): void {
    this.cfg = cfg;
    this.rng = new Prng(cfg.seed ?? this.defaultSeed);
    this.failLeft = cfg.failNext ?? 0;
  }

  /** The current configuration. */
  get(): FaultConfig {
    return { ...this.cfg, ...(this.failLeft > 0 ? { failNext: this.failLeft } : {}) };
  }

  /** HTTP status of injected errors. */
  get errorStatus(): number {
    return this.cfg.errorStatus ?? 500;
  }

  /** `Retry-After` seconds of injected errors, if configured. */
  get retryAfter(): number | undefined {
    return this.cfg.retryAfter;
  }

  /** The fault for one request to endpoint `name`. */
  decide(name: EndpointName): FaultDecision {
    const cfg = this.cfg;
    let rates: FaultRates = cfg;
    const eps = cfg.endpoints;
    if (eps) {
      if (Array.isArray(eps)) {
        if (!eps.includes(name)) return NONE;
      } else {
        const r = eps[name];
        if (!r) return NONE;
        rates = { ...cfg, ...r };
      }
    }
    const latencyMs = rates.latencyMs ?? 0;
    if (latencyMs > 0) this.counts.delayed++;
    if (this.failLeft > 0) {
      this.failLeft--;
      this.counts.errors++;
      return { latencyMs, action: 'error' };
    }
    const reset = rates.resetRate ?? 0;
    const error = rates.errorRate ?? 0;
    if (reset === 0 && error === 0) return latencyMs > 0 ? { latencyMs, action: 'none' } : NONE;
    // One draw per faultable request, in arrival order: the same seed and request order give the same faults.
    const u = this.rng.next();
    if (u < reset) {
      this.counts.resets++;
      return { latencyMs, action: 'reset' };
    }
    if (u < reset + error) {
      this.counts.errors++;
      return { latencyMs, action: 'error' };
    }
    return { latencyMs, action: 'none' };
  }
}
