/**
 * Daily calling windows (`taskCronList`) in a time zone, as absolute epoch-ms intervals.
 * Touching windows merge, so `22:00–24:00` + `00:00–02:00` is one stretch across midnight.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a clear error unless `timeZone` is an IANA zone this Node knows. */
export function checkTimeZone(timeZone: string): void {
  try {
    formatterFor(timeZone);
  } catch {
    throw new RangeError(`timeZone must be an IANA time zone such as 'Asia/Shanghai' (got '${timeZone}')`);
  }
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** UTC offsets of one zone, cached per hour (zones change offset on hour boundaries). */
export class ZoneOffsets {
  private readonly cache = new Map<number, number>();
  private readonly fmt: Intl.DateTimeFormat;
  constructor(readonly timeZone: string) {
    this.fmt = formatterFor(timeZone);
  }

  /** Offset (local − UTC) in ms at instant `t`. */
  offsetAt(t: number): number {
    const bucket = Math.floor(t / HOUR);
    const hit = this.cache.get(bucket);
    if (hit !== undefined) return hit;
    const at = bucket * HOUR;
    const p: Record<string, number> = {};
    for (const part of this.fmt.formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    const off = local - at;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(bucket, off);
    return off;
  }

  /** Local day number (days since 1970-01-01 in local time) of instant `t`. */
  localDay(t: number): number {
    return Math.floor((t + this.offsetAt(t)) / DAY);
  }

  /** The instant of local wall time `localMs` (ms since the local epoch). */
  toUtc(localMs: number): number {
    const guess = localMs - this.offsetAt(localMs);
    return localMs - this.offsetAt(guess);
  }
}

/** A window in minutes of the day, end exclusive; end may be 1440 (24:00). */
export interface MinuteWindow {
  begin: number;
  end: number;
}

/**
 * The calling windows of one task. `isOpen(t)` and `nextOpen(t)` answer in O(1) on the hot path by
 * remembering the last stretch (open or closed) they found.
 */
export class WindowCalendar {
  private readonly days = new Map<number, Array<[number, number]>>();
  // Last answered stretch: [from, to) is open (or closed) for the whole span.
  private spanFrom = 1;
  private spanTo = 0;
  private spanOpen = false;

  constructor(private readonly zone: ZoneOffsets, private readonly windows: readonly MinuteWindow[]) {}

  /** True when a call may start at `t`. */
  isOpen(t: number): boolean {
    if (t >= this.spanFrom && t < this.spanTo) return this.spanOpen;
    this.locate(t);
    return this.spanOpen;
  }

  /** The first instant ≥ t at which the windows are open. */
  nextOpen(t: number): number {
    if (this.isOpen(t)) return t;
    return this.spanTo;
  }

  /** The end of the open stretch containing `t` (or `t` when closed). */
  openUntil(t: number): number {
    return this.isOpen(t) ? this.spanTo : t;
  }

  private locate(t: number): void {
    const d = this.zone.localDay(t);
    // Merged intervals of days d-1..d+2 cover any stretch around t (each day has ≥ 1 window).
    const iv: Array<[number, number]> = [];
    for (let k = d - 1; k <= d + 2; k++) {
      for (const [b, e] of this.day(k)) {
        const last = iv[iv.length - 1];
        if (last && b <= last[1]) last[1] = Math.max(last[1], e);
        else iv.push([b, e]);
      }
    }
    let prevEnd = -Infinity;
    for (const [b, e] of iv) {
      if (t < b) {
        this.set(Math.max(prevEnd, t), b, false);
        return;
      }
      if (t < e) {
        this.set(b, e, true);
        return;
      }
      prevEnd = e;
    }
    // Not reachable with at least one window per day; keep a safe answer anyway.
    this.set(t, t + 1, false);
  }

  private set(from: number, to: number, open: boolean): void {
    this.spanFrom = from;
    this.spanTo = to;
    this.spanOpen = open;
  }

  private day(k: number): Array<[number, number]> {
    let out = this.days.get(k);
    if (out) return out;
    out = [];
    const midnight = k * DAY;
    const sorted = [...this.windows].sort((a, b) => a.begin - b.begin);
    for (const w of sorted) {
      const b = this.zone.toUtc(midnight + w.begin * 60_000);
      const e = this.zone.toUtc(midnight + w.end * 60_000);
      if (e > b) out.push([b, e]);
    }
    if (this.days.size > 64) this.days.clear();
    this.days.set(k, out);
    return out;
  }
}
