/**
 * A compact set of outId fingerprints, used to reject a row whose outId repeats an earlier row of
 * the same file. Keeping the strings of a million-row file would cost ~80 MB; a 64-bit fingerprint
 * and the line number cost 12 bytes per row (24 at the worst load factor), so memory stays flat.
 * Two different outIds share a fingerprint with probability ~n²/2^65 (≈3·10⁻⁸ for a million rows);
 * that is the only way a valid row could be rejected as a duplicate.
 */
export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private lines: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 14) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.lines = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** Number of distinct fingerprints stored. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds `key` seen on `line`. Returns 0 when it is new, or the line of the earlier row with the
   * same fingerprint (the row is then a duplicate and nothing is stored).
   */
  addOrGet(key: string, line: number): number {
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    // Final avalanche so that similar keys (order-1, order-2...) spread over the table.
    h1 ^= h1 >>> 16;
    h1 = Math.imul(h1, 0x85ebca6b);
    h1 ^= h1 >>> 13;
    h2 = Math.imul(h2 ^ key.length, 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    let hi = h1 >>> 0;
    const lo = h2 >>> 0;
    if (hi === 0 && lo === 0) hi = 1; // (0,0) marks an empty slot
    let i = (lo ^ Math.imul(hi, 0x27d4eb2d)) & this.mask;
    for (;;) {
      const sh = this.hi[i]!;
      const sl = this.lo[i]!;
      if (sh === 0 && sl === 0) break;
      if (sh === hi && sl === lo) return this.lines[i]! || 1;
      i = (i + 1) & this.mask;
    }
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.lines[i] = line;
    if (++this.count * 2 > this.mask) this.grow();
    return 0;
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    const cap = hi.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.lines = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < hi.length; j++) {
      const h = hi[j]!;
      const l = lo[j]!;
      if (h === 0 && l === 0) continue;
      let i = (l ^ Math.imul(h, 0x27d4eb2d)) & this.mask;
      while (this.hi[i] !== 0 || this.lo[i] !== 0) i = (i + 1) & this.mask;
      this.hi[i] = h;
      this.lo[i] = l;
      this.lines[i] = lines[j]!;
    }
  }
}
