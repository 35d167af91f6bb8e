import { createHash, hash as cryptoHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { registerSecret } from '../internal/redact.js';

/** Minimum length of a push secret: it is the only thing keeping strangers from writing results. */
export const MIN_SECRET_LENGTH = 16;

// One-shot crypto.hash (Node >= 20.12) where available: half the cost of a Hash object per request.
const oneShot = (cryptoHash as unknown as ((alg: string, data: string, enc: 'buffer') => Buffer) | undefined);
const digest = (s: string): Buffer => (oneShot ? oneShot('sha256', s, 'buffer') : createHash('sha256').update(s, 'utf8').digest());

/**
 * Checks the `secret` query parameter against one or more configured secrets (several allow rotation).
 * Both sides are hashed first so that `timingSafeEqual` compares equal-length buffers and the time
 * taken reveals neither the secret's length nor a matching prefix.
 */
export class SecretChecker {
  readonly #digests: Buffer[];

  constructor(secrets: string | readonly string[]) {
    const list = typeof secrets === 'string' ? [secrets] : [...secrets];
    if (list.length === 0) throw new TypeError(`secret is required (a string of at least ${MIN_SECRET_LENGTH} characters)`);
    list.forEach((s, i) => {
      if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) {
        const where = list.length > 1 ? `secret[${i}]` : 'secret';
        throw new TypeError(`${where} must be a string of at least ${MIN_SECRET_LENGTH} characters`);
      }
      registerSecret(s);
    });
    this.#digests = list.map(digest);
  }

  /** True when `given` equals one of the secrets; every secret is compared, so timing does not tell which. */
  check(given: string | null | undefined): boolean {
    const d = digest(given ?? '');
    let ok = false;
    for (const want of this.#digests) ok = timingSafeEqual(d, want) || ok;
    return ok && given != null && given !== '';
  }

  /** Never reveals the secrets. */
  toJSON(): string {
    return '[SecretChecker]';
  }
}

/** Strips the IPv4-mapped IPv6 prefix (`::ffff:1.2.3.4`) that dual-stack sockets report for IPv4 peers. */
export function normalizeIp(addr: string): string {
  const a = addr.trim();
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? m[1]! : a;
}

/**
 * An IP allow-list of exact addresses and CIDR ranges, IPv4 and IPv6 (`203.0.113.7`, `10.0.0.0/8`,
 * `2001:db8::/32`). An invalid entry fails when the list is built, naming the entry.
 */
export class IpAllowList {
  readonly #list = new BlockList();
  readonly entries: readonly string[];

  constructor(entries: readonly string[]) {
    this.entries = [...entries];
    entries.forEach((raw, i) => {
      const entry = String(raw).trim();
      const slash = entry.indexOf('/');
      const addr = normalizeIp(slash >= 0 ? entry.slice(0, slash) : entry);
      const family = isIP(addr);
      if (family === 0) throw new TypeError(`allowIps[${i}] must be an IP address or CIDR range (got "${entry}")`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) {
        this.#list.addAddress(addr, type);
        return;
      }
      const bitsText = entry.slice(slash + 1);
      const bits = Number(bitsText);
      const max = family === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(bitsText) || bits > max) {
        throw new TypeError(`allowIps[${i}] prefix length must be 0–${max} (got "${entry}")`);
      }
      this.#list.addSubnet(addr, bits, type);
    });
  }

  /** True when the address is on the list; an unknown or malformed address is never allowed. */
  allows(address: string | undefined): boolean {
    if (!address) return false;
    const a = normalizeIp(address);
    const family = isIP(a);
    if (family === 0) return false;
    return this.#list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The client address to check: the socket peer, or, behind `trustProxyHops` reverse proxies, the
 * address that many hops from the right of `X-Forwarded-For` (the left-most entries are client-supplied
 * and cannot be trusted). A chain with fewer entries than `trustProxyHops` did not pass through every
 * trusted proxy (or the proxy count is misconfigured): none of its entries can be trusted, so the socket
 * peer is used and `onShortChain` is told how many entries there were.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | undefined,
  trustProxyHops: number,
  onShortChain?: (entries: number) => void,
): string | undefined {
  if (trustProxyHops <= 0) return remoteAddress;
  const chain = forwardedFor ? forwardedFor.split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (chain.length < trustProxyHops) {
    onShortChain?.(chain.length);
    return remoteAddress;
  }
  return chain[chain.length - trustProxyHops];
}
