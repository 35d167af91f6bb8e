/** A bounded log: keeps the last `limit` entries and counts the ones it dropped. */
export class RingLog<T> {
  private readonly buf: T[] = [];
  private start = 0;
  /** Entries ever added (the sequence number of the next entry). */
  total = 0;
  constructor(readonly limit: number) {}

  add(entry: T): void {
    if (this.limit <= 0) {
      this.total++;
      return;
    }
    if (this.buf.length < this.limit) this.buf.push(entry);
    else {
      this.buf[this.start] = entry;
      this.start = (this.start + 1) % this.limit;
    }
    this.total++;
  }

  /** Entries with sequence number ≥ `since` (oldest first), at most `limit`. */
  slice(since = 0, limit = Number.POSITIVE_INFINITY): { first: number; entries: T[] } {
    const n = this.buf.length;
    const first = this.total - n;
    const from = Math.max(since, first);
    const out: T[] = [];
    for (let s = from; s < this.total && out.length < limit; s++) out.push(this.buf[(this.start + (s - first)) % n]!);
    return { first, entries: out };
  }
}
