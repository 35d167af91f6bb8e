import { describe, expect, it } from 'vitest';
import { WindowPacer } from '../src/agents/pacer.js';
import { ManualClock } from '../src/internal/clock.js';

describe('WindowPacer (job/create ≤ 30 per minute, paced not failed)', () => {
  it('lets 30 through at once, then waits for the window to slide', async () => {
    const clock = new ManualClock(0);
    const slept: number[] = [];
    const pacer = new WindowPacer(30, 60_000, () => clock.now(), async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 75 }, () => pacer.acquire().then(() => starts.push(clock.now()))));
    expect(starts).toHaveLength(75);
    // No 60 s window holds more than 30 starts.
    for (const t of starts) expect(starts.filter((s) => s >= t && s < t + 60_000).length).toBeLessThanOrEqual(30);
    expect(starts.filter((s) => s === 0)).toHaveLength(30);
    expect(starts.filter((s) => s === 60_000)).toHaveLength(30);
    expect(starts.filter((s) => s === 120_000)).toHaveLength(15);
    expect(slept.length).toBeGreaterThan(0);
  });
});
