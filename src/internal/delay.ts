/**
 * Waits `ms` of real time, or resolves early when `signal` aborts (never rejects): for polling and
 * retry pauses that Ctrl-C must cut short. Compare transport/retry.ts `sleep`, which rejects on abort.
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
