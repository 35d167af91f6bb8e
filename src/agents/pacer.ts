/**
 * A sliding-window pacer: at most `limit` starts per `windowMs`. A caller over the limit waits for
 * the oldest start to leave the window instead of failing (job/create: ≤ 30 per minute, §3.1).
 */
export class WindowPacer {
  private readonly starts: number[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  ) {}

  /** Resolves when a start is allowed, and records it; callers are served in arrival order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.chain.then(() => this.take(signal));
    this.chain = turn.catch(() => {});
    return turn;
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.starts.length > 0 && this.starts[0]! <= t - this.windowMs) this.starts.shift();
      if (this.starts.length < this.limit) {
        this.starts.push(t);
        return;
      }
      await this.sleep(this.starts[0]! + this.windowMs - t, signal);
    }
  }
}
