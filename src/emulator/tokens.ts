import { randomBytes } from 'node:crypto';
import type { Clock } from '../internal/clock.js';

/** Token options of the emulator. */
export interface TokenAuthorityOptions {
  expiresIn: number;
  tokenMintsPerMinute: number;
  revokeOnMint: boolean;
  companyId: string;
}

/** Why a mint was refused or what a check found. */
export type TokenCheck = { ok: true; companyId: string } | { ok: false; reason: 'missing' | 'unknown' | 'expired' };

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/**
 * Issues and checks bearer tokens. Tokens are opaque random strings shaped like a JWT
 * (api/sobot-v5.md §3.1 says the token is a JWT; nothing may rely on its content). Expiry is read
 * from the emulator's clock, so a manual clock expires tokens deterministically.
 */
export class TokenAuthority {
  private readonly tokens = new Map<string, { expiresAt: number; companyId: string }>();
  private readonly mints: number[] = [];
  issued = 0;
  revocations = 0;

  constructor(private readonly opts: TokenAuthorityOptions, private readonly clock: Clock) {}

  /** True when one more mint now would exceed `tokenMintsPerMinute` (a sliding minute of emulator time). */
  rateLimited(): boolean {
    const limit = this.opts.tokenMintsPerMinute;
    if (!limit) return false;
    const now = this.clock.now();
    while (this.mints.length > 0 && this.mints[0]! <= now - 60_000) this.mints.shift();
    return this.mints.length >= limit;
  }

  /** Mints a token for the configured company. */
  mint(): { accessToken: string; tokenType: 'Bearer'; expiresIn: number; createTime: number } {
    const now = this.clock.now();
    if (this.opts.revokeOnMint) this.tokens.clear();
    const exp = now + this.opts.expiresIn * 1000;
    const accessToken = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: this.opts.companyId, iat: Math.floor(now / 1000), exp: Math.floor(exp / 1000), jti: randomBytes(8).toString('hex') })}.${randomBytes(32).toString('base64url')}`;
    this.tokens.set(accessToken, { expiresAt: exp, companyId: this.opts.companyId });
    this.issued++;
    if (this.opts.tokenMintsPerMinute) this.mints.push(now);
    // Drop expired tokens now and then so a long run does not grow the map.
    if (this.tokens.size > 1024) for (const [k, v] of this.tokens) if (v.expiresAt <= now) this.tokens.delete(k);
    return { accessToken, tokenType: 'Bearer', expiresIn: this.opts.expiresIn, createTime: now };
  }

  /** Checks an `Authorization` header value. */
  check(header: string | undefined): TokenCheck {
    if (!header) return { ok: false, reason: 'missing' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = m ? m[1]! : header.trim();
    const t = this.tokens.get(token);
    if (!t) return { ok: false, reason: 'unknown' };
    if (this.clock.now() >= t.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, companyId: t.companyId };
  }

  /** Invalidates every token issued so far. */
  revokeAll(): number {
    const n = this.activeCount();
    this.tokens.clear();
    this.revocations++;
    return n;
  }

  /** Tokens currently valid. */
  activeCount(): number {
    const now = this.clock.now();
    let n = 0;
    for (const t of this.tokens.values()) if (t.expiresAt > now) n++;
    return n;
  }
}
