import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowCalendar, ZoneOffsets, type MinuteWindow } from '../src/emulator/calendar.js';
import { Prng, hashInts } from '../src/emulator/random.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

/** Random non-overlapping windows on minute boundaries (touching allowed), like a validated taskCronList. */
const windowsArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 1440 }), { minLength: 2, maxLength: 8 })
  .map((cuts) => cuts.sort((a, b) => a - b))
  .chain((cuts) => fc.tuple(fc.constant(cuts), fc.array(fc.boolean(), { minLength: cuts.length, maxLength: cuts.length })))
  .map(([cuts, keep]) => {
    const out: MinuteWindow[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) if (keep[i] || out.length === 0) out.push({ begin: cuts[i]!, end: cuts[i + 1]! });
    return out;
  });

describe('emulator calendar', () => {
  it('agrees with a brute-force minute check in Asia/Shanghai (isOpen and nextOpen)', () => {
    const zone = new ZoneOffsets('Asia/Shanghai');
    fc.assert(
      fc.property(windowsArb, fc.array(fc.integer({ min: 0, max: 20 * DAY }), { minLength: 1, maxLength: 30 }), (windows, offsets) => {
        const cal = new WindowCalendar(zone, windows);
        const openAt = (t: number) => {
          const m = Math.floor(((t + 8 * 3_600_000) % DAY) / MIN);
          return windows.some((w) => m >= w.begin && m < w.end);
        };
        // Queries in a random order exercise the cached stretch in both directions.
        for (const off of offsets) {
          const t = T0 + off;
          expect(cal.isOpen(t)).toBe(openAt(t));
          const next = cal.nextOpen(t);
          expect(next).toBeGreaterThanOrEqual(t);
          expect(openAt(next)).toBe(true);
          if (next > t) {
            // Every minute boundary between t and next is closed, and so is t itself.
            expect(openAt(t)).toBe(false);
            for (let b = Math.ceil(t / MIN) * MIN; b < next; b += MIN) expect(openAt(b)).toBe(false);
            expect(next % MIN).toBe(0);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('places windows at local wall time across a DST change', () => {
    const zone = new ZoneOffsets('America/New_York');
    const cal = new WindowCalendar(zone, [{ begin: 9 * 60, end: 10 * 60 }]);
    const fmt = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    // 2026-03-08 is the spring-forward day in New York; walk a week around it.
    let t = Date.UTC(2026, 2, 5);
    for (let d = 0; d < 7; d++) {
      const open = cal.nextOpen(t);
      expect(fmt.format(open)).toBe('09:00');
      expect(cal.isOpen(open + 59 * MIN)).toBe(true);
      expect(cal.isOpen(open + 60 * MIN)).toBe(false);
      t = open + 60 * MIN;
    }
  });

  it('seeded generators are reproducible and spread', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(new Prng(6).next()).not.toBe(new Prng(5).next());
    expect(hashInts(1, 2, 3)).toBe(hashInts(1, 2, 3));
    expect(hashInts(1, 2, 3)).not.toBe(hashInts(1, 3, 2));
  });
});
