import type { Clock } from '../internal/clock.js';

/** How the emulator's clock moves. */
export type ClockMode = 'real' | 'manual';

/** Options of the virtual clock. */
export interface VirtualClockOptions {
  /** `real`: wall time × speed; `manual`: moves only when advanced. @default 'real' */
  mode?: ClockMode;
  /** Virtual milliseconds per real millisecond in `real` mode. @default 1 */
  speed?: number;
  /** Virtual time at start, epoch ms. @default Date.now() */
  start?: number;
}

/**
 * The emulator's clock: real time scaled by `speed`, or a manual clock moved by `advance`.
 * Everything in the emulator (token expiry, dialing windows, call times, push retries) reads it.
 */
export class VirtualClock implements Clock {
  readonly mode: ClockMode;
  readonly speed: number;
  private base: number;
  private realBase: number;
  private readonly realNow: () => number;

  constructor(opts: VirtualClockOptions = {}, realNow: () => number = Date.now) {
    this.mode = opts.mode ?? 'real';
    this.speed = opts.speed ?? 1;
    if (this.mode !== 'real' && this.mode !== 'manual') throw new TypeError(`clock.mode must be 'real' or 'manual'`);
    if (!(Number.isFinite(this.speed) && this.speed > 0)) throw new TypeError('clock.speed must be a positive number');
    if (opts.start !== undefined && !Number.isFinite(opts.start)) throw new TypeError('clock.start must be epoch milliseconds');
    this.realNow = realNow;
    this.realBase = realNow();
    this.base = Math.floor(opts.start ?? this.realBase);
  }

  /** Current virtual time, epoch ms (an integer). */
  now(): number {
    if (this.mode === 'manual') return this.base;
    return this.base + Math.floor((this.realNow() - this.realBase) * this.speed);
  }

  /** Moves virtual time forward by `ms` (in `real` mode too: it jumps ahead and keeps running). */
  advance(ms: number): number {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new TypeError('ms must be a non-negative number of milliseconds');
    this.base += Math.floor(ms);
    return this.now();
  }
}
