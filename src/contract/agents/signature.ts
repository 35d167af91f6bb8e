import { createHash } from 'node:crypto';

/** The API version that enters the signature (api/sobot-agents.md §1.1). */
export const AGENTS_API_VERSION = 'v1';

/** The credentials a signature is made from. `appSecret` and `tenantSign` are never sent. */
export interface AgentsCredentials {
  appKey: string;
  appSecret: string;
  tenantSign: string;
}

/**
 * The string that is hashed (api/sobot-agents.md §1.1): `tenantSign` as a bare prefix, then the
 * key=value pairs in the documented order, joined by `&`.
 */
export function signatureString(c: AgentsCredentials, timestamp: number | string, version: string = AGENTS_API_VERSION): string {
  return `${c.tenantSign}appKey=${c.appKey}&appSecret=${c.appSecret}&tenantSign=${c.tenantSign}&version=${version}&timestamp=${timestamp}`;
}

/** SHA-256 over the UTF-8 bytes of {@link signatureString}, lowercase hex. */
export function agentsSignature(c: AgentsCredentials, timestamp: number | string, version: string = AGENTS_API_VERSION): string {
  return createHash('sha256').update(signatureString(c, timestamp, version), 'utf8').digest('hex');
}

/** The three headers of every Agents request (timestamp in epoch ms), plus `version: v1` (harmless, [Y]). */
export function agentsAuthHeaders(c: AgentsCredentials, timestampMs: number): Record<string, string> {
  return { appkey: c.appKey, timestamp: String(timestampMs), signature: agentsSignature(c, timestampMs), version: AGENTS_API_VERSION };
}
