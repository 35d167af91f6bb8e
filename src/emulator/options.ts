import { randomBytes } from 'node:crypto';
import type { Logger } from '../internal/logger.js';
import { checkTimeZone } from './calendar.js';
import type { ClockMode } from './clock.js';
import { parseFaultConfig, type FaultConfig } from './faults.js';
import type { PushOptions } from './pushes.js';

/** Options of {@link startEmulator}; every field is optional. */
export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Accepted apiKey. @default env ZHICHI_KEY ?? 'demo-key' */
  apiKey?: string;
  /** Accepted apiSecret. @default env ZHICHI_SECRET ?? 'demo-secret' */
  apiSecret?: string;
  /** The emulated company's id. @default env ZHICHI_COMPANY_ID ?? 'demo-company' */
  companyId?: string;
  /** Seed of every random choice (task ids, call outcomes, push duplicates/reordering, faults). @default 1 */
  seed?: number;
  /**
   * The first 8 hex characters of every task id (and so of every callId, which starts with its task's
   * id): ids stay unique across runs, as a real server's are, while everything else a seed decides
   * stays reproducible. Give the same value to get the same ids again. 8 lowercase hex characters.
   * @default env ZHICHI_EMULATOR_ID_NAMESPACE, else random at each start
   */
  idNamespace?: string;
  /** Token lifetime, seconds. @default 86400 */
  expiresIn?: number;
  /** Robots of the company (`GET robots/count`, and the cap on calls at once across tasks). @default 10 */
  robotCount?: number;
  /** Token mints allowed per minute of emulator time; 0 or undefined = unlimited. */
  tokenMintsPerMinute?: number;
  /** A new mint revokes every earlier token. @default false */
  revokeOnMint?: boolean;
  /** Virtual clock: `real` (wall time × speed, the default) or `manual` (moves on advance only). */
  clock?: { mode?: ClockMode; speed?: number; start?: number };
  /** Time zone of the calling windows. @default 'Asia/Shanghai' */
  timeZone?: string;
  /** Push delivery: duplicate/reorder rates, timeout, attempts, backoff, concurrency. */
  push?: PushOptions;
  /** Faults active from the start (same shape as `POST /__emulator/faults`). */
  faults?: FaultConfig;
  /** Environment for the ZHICHI_* fallbacks. @default process.env */
  env?: Record<string, string | undefined>;
  /** Where the emulator logs (redacted). @default silent */
  logger?: Logger;
  /** Entries kept in `GET /__emulator/requests`. @default 1000 */
  requestLogLimit?: number;
  /** Real-time period of the simulation ticker in `real` clock mode, ms. @default 50 */
  tickMs?: number;
  /** The Agents (apiOpen/v1) surface on the same port. */
  agents?: AgentsEmulatorOptions;
  /**
   * Strict mode: refuse (code 400, naming the field and the rule) what the default mode coerces as a
   * Jackson backend would: numbers as strings, `9:00` windows, phone numbers with `+86` or
   * separators, outIds outside the URL-safe set; and POST bodies whose Content-Type is not JSON
   * (HTTP 415). For testing a client's exact wire format. @default false
   */
  strict?: boolean;
}

/** Options of the emulator's Agents surface (api/sobot-agents.md). */
export interface AgentsEmulatorOptions {
  /** Accepted appKey. @default env ZHICHI_AGENTS_APP_KEY ?? 'demo-app-key' */
  appKey?: string;
  /** Accepted appSecret. @default env ZHICHI_AGENTS_APP_SECRET ?? 'demo-app-secret' */
  appSecret?: string;
  /** Accepted tenantSign. @default env ZHICHI_AGENTS_TENANT_SIGN ?? 'demo-tenant' */
  tenantSign?: string;
  /** Tenant callback URL at start (also set by `isv/updateIsvInfo`). @default env ZHICHI_AGENTS_CALLBACK_URL, else none */
  callbackUrl?: string;
  /** Largest |emulator time − timestamp header| accepted, ms (the real skew is undocumented). @default 300000 */
  maxSkewMs?: number;
  /** Callback attempts before giving up (§7.1: up to 10). @default 10 */
  callbackAttempts?: number;
  /** Emulator-time delay before the first callback retry, ms; doubles per retry (§7.1: 1, 2, 4, 8… min). @default 60000 */
  callbackRetryBaseMs?: number;
}

/** Options after defaults and checks. */
export interface ResolvedOptions {
  port: number;
  host: string;
  apiKey: string;
  apiSecret: string;
  companyId: string;
  seed: number;
  idNamespace: string;
  expiresIn: number;
  robotCount: number;
  tokenMintsPerMinute: number;
  revokeOnMint: boolean;
  clock: { mode: ClockMode; speed: number; start: number | undefined };
  timeZone: string;
  push: PushOptions;
  faults: FaultConfig;
  logger: Logger | undefined;
  requestLogLimit: number;
  tickMs: number;
  agents: { appKey: string; appSecret: string; tenantSign: string; callbackUrl: string | null; maxSkewMs: number; callbackAttempts: number; callbackRetryBaseMs: number };
  strict: boolean;
}

/** Every default of the emulator in one place. */
export const EMULATOR_DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  apiKey: 'demo-key',
  apiSecret: 'demo-secret',
  companyId: 'demo-company',
  seed: 1,
  expiresIn: 86_400,
  robotCount: 10,
  timeZone: 'Asia/Shanghai',
  requestLogLimit: 1000,
  tickMs: 50,
  agentsAppKey: 'demo-app-key',
  agentsAppSecret: 'demo-app-secret',
  agentsTenantSign: 'demo-tenant',
  agentsMaxSkewMs: 300_000,
} as const;

function int(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`${name} must be an integer between ${min} and ${max} (got ${JSON.stringify(v)})`);
  }
  return v;
}

function rate(v: unknown, name: string): void {
  if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) throw new TypeError(`${name} must be a number between 0 and 1`);
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new TypeError(`${name} must be a non-empty string`);
  return v;
}

/** Applies defaults and env fallbacks; throws a TypeError naming the bad option and the rule. */
export function resolveOptions(o: EmulatorOptions = {}): ResolvedOptions {
  const env = o.env ?? process.env;
  const D = EMULATOR_DEFAULTS;
  const timeZone = str(o.timeZone ?? D.timeZone, 'timeZone');
  checkTimeZone(timeZone);
  const push = o.push ?? {};
  rate(push.duplicateRate, 'push.duplicateRate');
  rate(push.reorderRate, 'push.reorderRate');
  if (push.timeoutMs !== undefined) int(push.timeoutMs, 'push.timeoutMs', 1);
  if (push.maxAttempts !== undefined) int(push.maxAttempts, 'push.maxAttempts', 1, 100);
  if (push.retryBaseMs !== undefined) int(push.retryBaseMs, 'push.retryBaseMs', 0);
  if (push.retryMaxMs !== undefined) int(push.retryMaxMs, 'push.retryMaxMs', 0);
  if (push.concurrency !== undefined) int(push.concurrency, 'push.concurrency', 1, 1000);
  if (push.logLimit !== undefined) int(push.logLimit, 'push.logLimit', 0);
  const clock = o.clock ?? {};
  const mode = clock.mode ?? 'real';
  if (mode !== 'real' && mode !== 'manual') throw new TypeError(`clock.mode must be 'real' or 'manual'`);
  const speed = clock.speed ?? 1;
  if (typeof speed !== 'number' || !(speed > 0 && Number.isFinite(speed))) throw new TypeError('clock.speed must be a positive number');
  if (clock.start !== undefined && (typeof clock.start !== 'number' || !Number.isFinite(clock.start) || clock.start < 0)) {
    throw new TypeError('clock.start must be epoch milliseconds');
  }
  let faults: FaultConfig = {};
  if (o.faults !== undefined) {
    try {
      faults = parseFaultConfig(o.faults);
    } catch (e) {
      throw new TypeError(`faults.${(e as Error).message}`);
    }
  }
  return {
    port: int(o.port ?? D.port, 'port', 0, 65_535),
    host: str(o.host ?? D.host, 'host'),
    apiKey: str(o.apiKey ?? env.ZHICHI_KEY ?? D.apiKey, 'apiKey'),
    apiSecret: str(o.apiSecret ?? env.ZHICHI_SECRET ?? D.apiSecret, 'apiSecret'),
    companyId: str(o.companyId ?? env.ZHICHI_COMPANY_ID ?? D.companyId, 'companyId'),
    seed: int(o.seed ?? D.seed, 'seed', -0x80000000, 0xffffffff),
    idNamespace: idNamespace(o.idNamespace ?? (env.ZHICHI_EMULATOR_ID_NAMESPACE || undefined)),
    expiresIn: int(o.expiresIn ?? D.expiresIn, 'expiresIn', 1),
    robotCount: int(o.robotCount ?? D.robotCount, 'robotCount', 0, 100_000),
    tokenMintsPerMinute: int(o.tokenMintsPerMinute ?? 0, 'tokenMintsPerMinute', 0),
    revokeOnMint: Boolean(o.revokeOnMint),
    clock: { mode, speed, start: clock.start },
    timeZone,
    push,
    faults,
    logger: o.logger,
    requestLogLimit: int(o.requestLogLimit ?? D.requestLogLimit, 'requestLogLimit', 0),
    tickMs: int(o.tickMs ?? D.tickMs, 'tickMs', 1, 60_000),
    agents: resolveAgents(o.agents ?? {}, env),
    strict: strictOption(o.strict),
  };
}

function strictOption(v: unknown): boolean {
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError('strict must be true or false');
  return v === true;
}

/** The id namespace: given (checked), else 8 random hex characters. */
function idNamespace(v: string | undefined): string {
  if (v === undefined) return randomBytes(4).toString('hex');
  if (typeof v !== 'string' || !/^[0-9a-f]{8}$/.test(v)) throw new TypeError(`idNamespace must be 8 lowercase hex characters, such as 0a1b2c3d (got ${JSON.stringify(v)})`);
  return v;
}

function resolveAgents(a: AgentsEmulatorOptions, env: Record<string, string | undefined>): ResolvedOptions['agents'] {
  const D = EMULATOR_DEFAULTS;
  const e = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  const callbackUrl = a.callbackUrl ?? e(env.ZHICHI_AGENTS_CALLBACK_URL) ?? null;
  if (callbackUrl !== null && !/^https?:\/\/./.test(callbackUrl)) throw new TypeError('agents.callbackUrl must be an absolute http(s) URL');
  return {
    appKey: str(a.appKey ?? e(env.ZHICHI_AGENTS_APP_KEY) ?? D.agentsAppKey, 'agents.appKey'),
    appSecret: str(a.appSecret ?? e(env.ZHICHI_AGENTS_APP_SECRET) ?? D.agentsAppSecret, 'agents.appSecret'),
    tenantSign: str(a.tenantSign ?? e(env.ZHICHI_AGENTS_TENANT_SIGN) ?? D.agentsTenantSign, 'agents.tenantSign'),
    callbackUrl,
    maxSkewMs: int(a.maxSkewMs ?? D.agentsMaxSkewMs, 'agents.maxSkewMs', 0),
    callbackAttempts: int(a.callbackAttempts ?? 10, 'agents.callbackAttempts', 1, 100),
    callbackRetryBaseMs: int(a.callbackRetryBaseMs ?? 60_000, 'agents.callbackRetryBaseMs', 0),
  };
}
