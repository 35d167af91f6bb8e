/** Options of a {@link GroupCommitter}. */
export interface GroupCommitOptions {
  /** Largest number of items in one commit. @default 512 */
  maxBatch?: number;
  /**
   * Commits allowed in flight at once. 1 suits SQLite (one writer); PostgreSQL gains from 2, so one
   * batch fills while the previous one waits for its fsync. @default 1
   */
  maxInFlight?: number;
}

/** Callers waiting for one or several items: settled once every item of theirs is committed, or at the first failure. */
interface Waiter<R> {
  results: R[];
  remaining: number;
  settled: boolean;
  resolve: (r: R[]) => void;
  reject: (e: unknown) => void;
}

interface Pending<T, R> {
  item: T;
  waiter: Waiter<R>;
  /** Place of the item in its waiter's results. */
  index: number;
}

function settle<T, R>(p: Pending<T, R>, r: R): void {
  const w = p.waiter;
  w.results[p.index] = r;
  if (--w.remaining === 0 && !w.settled) {
    w.settled = true;
    w.resolve(w.results);
  }
}

function fail<T, R>(p: Pending<T, R>, err: unknown): void {
  const w = p.waiter;
  if (w.settled) return;
  w.settled = true;
  w.reject(err);
}

/**
 * Group commit: items submitted while a commit is running (or within the same event-loop turn) are
 * committed together in ONE call of `commit`, and each submitter's promise settles only after the
 * commit that holds its item has finished. Throughput grows with load while every caller still waits
 * for its own durable commit, so the guarantee "answer after commit" is not weakened.
 */
export class GroupCommitter<T, R> {
  readonly #commit: (items: T[]) => Promise<R[]>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  #queue: Pending<T, R>[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idleWaiters: Array<() => void> = [];
  /** Number of commits made (for tests and stats). */
  commits = 0;
  /** Number of items committed. */
  items = 0;

  constructor(commit: (items: T[]) => Promise<R[]>, options: GroupCommitOptions = {}) {
    this.#commit = commit;
    this.#maxBatch = options.maxBatch ?? 512;
    this.#maxInFlight = options.maxInFlight ?? 1;
    if (!Number.isInteger(this.#maxBatch) || this.#maxBatch < 1) throw new TypeError('groupCommit.maxBatch must be a positive integer');
    if (!Number.isInteger(this.#maxInFlight) || this.#maxInFlight < 1) throw new TypeError('groupCommit.maxInFlight must be a positive integer');
  }

  /** Items waiting for a commit. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues an item; resolves with its result once the batch holding it has committed. */
  submit(item: T): Promise<R> {
    return this.submitAll([item]).then((r) => r[0]!);
  }

  /**
   * Queues several items (one request's events) behind ONE promise: it resolves with their results, in
   * order, once every batch holding them has committed, and rejects at the first item whose commit failed
   * (as `Promise.all` over {@link submit} would, without a promise per item).
   */
  submitAll(items: readonly T[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<R[]>((resolve, reject) => {
      const waiter: Waiter<R> = { results: new Array<R>(items.length), remaining: items.length, settled: false, resolve, reject };
      for (let i = 0; i < items.length; i++) this.#queue.push({ item: items[i]!, waiter, index: i });
      this.#schedule();
    });
  }

  /** Resolves when nothing is queued or committing. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: it lets every request already parsed in this I/O phase join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#run(batch);
    }
    this.#checkIdle();
  }

  async #run(batch: Pending<T, R>[]): Promise<void> {
    try {
      const items = new Array<T>(batch.length);
      for (let i = 0; i < batch.length; i++) items[i] = batch[i]!.item;
      const results = await this.#commit(items);
      if (results.length !== batch.length) throw new Error(`commit returned ${results.length} results for ${batch.length} items`);
      this.commits++;
      this.items += batch.length;
      for (let i = 0; i < batch.length; i++) settle(batch[i]!, results[i]!);
    } catch (err) {
      if (batch.length === 1) fail(batch[0]!, err);
      // The batch rolled back as a whole. Retry its items one by one, so one poison item (a value the
      // database refuses) fails alone instead of turning its neighbours' answers into 5xx as well.
      else await this.#isolate(batch);
    } finally {
      this.#inFlight--;
      if (this.#queue.length > 0) this.#schedule();
      this.#checkIdle();
    }
  }

  async #isolate(batch: Pending<T, R>[]): Promise<void> {
    for (const p of batch) {
      try {
        const [r] = await this.#commit([p.item]);
        this.commits++;
        this.items++;
        settle(p, r!);
      } catch (err) {
        fail(p, err);
      }
    }
  }

  #checkIdle(): void {
    if (this.#queue.length === 0 && this.#inFlight === 0 && this.#idleWaiters.length > 0) {
      const w = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const r of w) r();
    }
  }
}
