import type { EmulatorCore } from './core.js';
import { parseFaultConfig } from './faults.js';
import type { EmulatorServer } from './server.js';

/** Answer of a control endpoint: plain JSON, no envelope. */
export interface ControlReply {
  status: number;
  body: unknown;
}

function num(q: URLSearchParams, key: string, dflt: number): number {
  const v = q.get(key);
  if (v === null || v.trim() === '') return dflt;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : dflt;
}

function json(raw: Buffer | null): { ok: true; value: unknown } | { ok: false } {
  if (!raw || raw.length === 0) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

const bad = (error: string): ControlReply => ({ status: 400, body: { error } });

function clockView(core: EmulatorCore): Record<string, unknown> {
  const now = core.clock.now();
  return { now, iso: new Date(now).toISOString(), mode: core.clock.mode, speed: core.clock.speed, simulatedUntil: core.dialer.now, timeZone: core.opts.timeZone };
}

/**
 * Control endpoints under `/__emulator/` (no token: a local test tool). See docs/emulator.md for
 * each one. `path` is the part after `/__emulator/`.
 */
export async function handleControl(core: EmulatorCore, server: EmulatorServer, method: string, path: string, query: URLSearchParams, raw: Buffer | null): Promise<ControlReply> {
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET stats':
      core.sync();
      return { status: 200, body: core.stats() };
    case 'POST tokens/revoke':
      return { status: 200, body: { revoked: core.tokens.revokeAll() } };
    case 'GET requests': {
      const { first, entries } = server.requestLog.slice(num(query, 'since', 0), num(query, 'limit', Number.MAX_SAFE_INTEGER));
      return { status: 200, body: { total: server.requestLog.total, first, entries } };
    }
    case 'GET clock':
      core.sync();
      return { status: 200, body: clockView(core) };
    case 'POST clock/advance': {
      const b = json(raw);
      if (!b.ok) return bad('body must be JSON {"ms": N}');
      const v = b.value as { ms?: unknown; to?: unknown; drain?: unknown };
      let ms: number;
      if (v.to !== undefined) {
        if (typeof v.to !== 'number' || !Number.isFinite(v.to)) return bad('to must be epoch milliseconds');
        ms = v.to - core.clock.now();
        if (ms < 0) return bad('to must not be before the current emulator time (the clock only moves forward)');
      } else {
        if (typeof v.ms !== 'number' || !Number.isFinite(v.ms) || v.ms < 0) return bad('ms must be a non-negative number of milliseconds');
        ms = v.ms;
      }
      core.advance(ms);
      if (v.drain === true) await core.pushes.drain();
      return { status: 200, body: { ...clockView(core), pushes: core.pushes.stats() } };
    }
    case 'GET faults':
      return { status: 200, body: core.faults.get() };
    case 'POST faults': {
      const b = json(raw);
      if (!b.ok) return bad('body must be JSON');
      try {
        const cfg = parseFaultConfig(b.value);
        core.faults.set(cfg);
        return { status: 200, body: core.faults.get() };
      } catch (e) {
        return bad((e as Error).message);
      }
    }
    case 'GET pushes': {
      core.sync();
      const { first, entries } = core.pushes.log.slice(num(query, 'since', 0), num(query, 'limit', Number.MAX_SAFE_INTEGER));
      return { status: 200, body: { ...core.pushes.stats(), total: core.pushes.log.total, first, attempts: entries } };
    }
    case 'POST pushes/drain':
      core.sync();
      await core.pushes.drain();
      return { status: 200, body: core.pushes.stats() };
    default:
      return { status: 404, body: { error: `no such control endpoint: ${method} /__emulator/${path}` } };
  }
}
