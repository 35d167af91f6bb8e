/** Tables the set is split into, picked by the top bits of a fingerprint. */
const TABLE_BITS = 6;
const TABLES = 1 << TABLE_BITS;
/** Uint32 words per slot: fingerprint high, fingerprint low, line. */
const SLOT = 3;
/** A table grows once more than this share of its slots is used... */
const MAX_LOAD = 0.8;
/** ...by this factor, so that between growths it stays 64–80 % full. */
const GROWTH = 1.25;

/**
 * A compact set of outId fingerprints, used to reject a row whose outId repeats an earlier row of
 * the same file. Keeping the strings of a million-row file would cost ~80 MB; a 64-bit fingerprint
 * and the line number cost 12 bytes per slot, 15–19 bytes per row with the slots 64–80 % used
 * (~17 MB at 1M rows). Two different outIds share a fingerprint with probability ~n²/2^65
 * (≈3·10⁻⁸ for a million rows); that is the only way a valid row could be rejected as a duplicate.
 *
 * Memory is what shaped it. One power-of-two table at most half full cost 24–48 bytes per row, and
 * grew by allocating its double while the old one was still being copied: 12 + 24 MB at once near
 * 500k rows. Here the slots are split into 64 linear-probing tables picked by the fingerprint's top
 * bits; each grows on its own by a quarter, so growing copies 1/64 of the set at a time, and the
 * tables can be fuller (a home slot is picked by multiplying, so any size works). See `grow` for how
 * a replaced table's memory is given back at once.
 */
export class FingerprintSet {
  /** Per table, `SLOT` words per slot; (0, 0) in the first two words marks an empty slot. */
  private readonly tables: Uint32Array[] = [];
  /** Per table, the slots in use. */
  private readonly used = new Uint32Array(TABLES);
  private count = 0;

  constructor(initialCapacity = 1 << 14) {
    const slots = Math.max(8, Math.ceil(initialCapacity / MAX_LOAD / TABLES));
    for (let t = 0; t < TABLES; t++) this.tables.push(new Uint32Array(slots * SLOT));
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
    // Final avalanche so that similar keys (order-1, order-2...) spread over the tables.
    h1 ^= h1 >>> 16;
    h1 = Math.imul(h1, 0x85ebca6b);
    h1 ^= h1 >>> 13;
    h2 = Math.imul(h2 ^ key.length, 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    let hi = h1 >>> 0;
    const lo = h2 >>> 0;
    if (hi === 0 && lo === 0) hi = 1; // (0,0) marks an empty slot
    const t = hi >>> (32 - TABLE_BITS);
    const table = this.tables[t]!;
    const slots = table.length / SLOT;
    let at = home(lo, slots) * SLOT;
    for (;;) {
      const sh = table[at]!;
      const sl = table[at + 1]!;
      if (sh === 0 && sl === 0) break;
      if (sh === hi && sl === lo) return table[at + 2]! || 1;
      at += SLOT;
      if (at === table.length) at = 0;
    }
    table[at] = hi;
    table[at + 1] = lo;
    table[at + 2] = line;
    this.count++;
    if (++this.used[t]! > slots * MAX_LOAD) this.grow(t);
    return 0;
  }

  /** Moves table `t` into one a quarter bigger. */
  private grow(t: number): void {
    const old = this.tables[t]!;
    const slots = Math.ceil((old.length / SLOT) * GROWTH);
    const table = new Uint32Array(slots * SLOT);
    for (let from = 0; from < old.length; from += SLOT) {
      const hi = old[from]!;
      const lo = old[from + 1]!;
      if (hi === 0 && lo === 0) continue;
      let at = home(lo, slots) * SLOT;
      while (table[at] !== 0 || table[at + 1] !== 0) {
        at += SLOT;
        if (at === table.length) at = 0;
      }
      table[at] = hi;
      table[at + 1] = lo;
      table[at + 2] = old[from + 2]!;
    }
    this.tables[t] = table;
    // The old table's memory would go back only when V8 collects its wrapper, an old-generation
    // object, at the next full GC (up to ~150k rows later); keys spread evenly, so all 64 tables
    // grow close together and ~0.8× the set would wait with them (+13 MB at 1M rows, seen in peak
    // RSS). Transferring the buffer moves that memory to a clone nothing holds, which the next
    // young-generation GC (a few thousand rows later) frees.
    const freed = old.buffer as ArrayBuffer; // never shared: made by `new Uint32Array(n)`
    structuredClone(freed, { transfer: [freed] });
  }
}

/** The home slot of a fingerprint in a table of `slots` slots: `lo` scaled from [0, 2³²) (exact in doubles). */
function home(lo: number, slots: number): number {
  return Math.floor((lo / 4294967296) * slots);
}
