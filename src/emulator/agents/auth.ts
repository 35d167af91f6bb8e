import { timingSafeEqual } from 'node:crypto';
import { agentsSignature, type AgentsCredentials } from '../../contract/agents/index.js';

/** Why a request's signature headers were refused (answered with envelope 401). */
export type SignatureVerdict = { ok: true } | { ok: false; message: string };

type Headers = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Checks `appkey`, `timestamp` (epoch ms, within `maxSkewMs` of the emulator's clock) and
 * `signature` (api/sobot-agents.md §1.1). Header names are case-insensitive (Node lower-cases them).
 */
export function verifySignature(headers: Headers, creds: AgentsCredentials, now: number, maxSkewMs: number): SignatureVerdict {
  const appKey = one(headers.appkey);
  const ts = one(headers.timestamp);
  const sig = one(headers.signature);
  const missing = [appKey === undefined ? 'appkey' : '', ts === undefined ? 'timestamp' : '', sig === undefined ? 'signature' : ''].filter(Boolean);
  if (missing.length) return { ok: false, message: `校验数据错误: missing header ${missing.join(', ')}` };
  if (appKey !== creds.appKey) return { ok: false, message: '校验数据错误: unknown appkey' };
  if (!/^\d{1,16}$/.test(ts!)) return { ok: false, message: '校验数据错误: timestamp must be epoch milliseconds' };
  const skew = Math.abs(now - Number(ts));
  if (skew > maxSkewMs) return { ok: false, message: `校验数据错误: timestamp is stale (${Math.round(skew / 1000)} s from server time, at most ${Math.round(maxSkewMs / 1000)} s)` };
  const want = Buffer.from(agentsSignature(creds, ts!), 'utf8');
  const got = Buffer.from(sig!.toLowerCase(), 'utf8');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, message: '校验数据错误: wrong signature' };
  return { ok: true };
}
