/**
 * Seeded randomness for the emulator. Everything that must be reproducible (task ids, call
 * outcomes, push duplication/reordering, faults) comes from here, never from Math.random.
 */

/** 32-bit integer finaliser (lowbias32): a cheap, well-mixed hash of one 32-bit value. */
export function mix32(x: number): number {
  let a = x >>> 0;
  a ^= a >>> 16;
  a = Math.imul(a, 0x7feb352d);
  a ^= a >>> 15;
  a = Math.imul(a, 0x846ca68b);
  a ^= a >>> 16;
  return a >>> 0;
}

/** Hash of several integers, order-sensitive; the result is a 32-bit unsigned integer. */
export function hashInts(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) h = mix32(h ^ mix32((p >>> 0) + Math.imul(Math.floor(p / 0x100000000), 0x9e3779b1)));
  return h;
}

/** Maps a 32-bit unsigned integer to [0, 1). */
export function unit(h: number): number {
  return (h >>> 0) / 0x100000000;
}

/** Hash of a string (FNV-1a then mixed), for seeding from names. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/**
 * A small sequential PRNG (mulberry32). Used where draws happen in a deterministic order
 * (task ids in creation order, faults in request order).
 */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = mix32(seed ^ 0x6d2b79f5) >>> 0;
  }
  /** A generator whose state starts at `state` as is (no seed mixing): plain mulberry32. */
  static fromState(state: number): Prng {
    const p = new Prng(0);
    p.s = state >>> 0;
    return p;
  }
  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Next float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x100000000;
  }
  /** `n` random bytes as lowercase hex. */
  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += this.nextU32().toString(16).padStart(8, '0');
    return out.slice(0, chars);
  }
}

/** Plain mulberry32 from `seed`: a deterministic float in [0, 1) per call (demo files, benches, tests). */
export function mulberry32(seed: number): () => number {
  const p = Prng.fromState(seed);
  return () => p.next();
}
