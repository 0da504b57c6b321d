/**
 * The activations one worker process serves at once (SYNCLINE_WORKER_CONCURRENCY): a counting semaphore,
 * first come, first served. An activation holds a seat while it serves and gives it up while it rests in
 * place; one woken from its rest by its timer takes a seat again before it serves (dispatcher.ts). The
 * wait is a process's own: each worker bounds its own event loop, its pool's queue and its bursts of
 * wake-ups, the way its queue's concurrency bounds the jobs it takes.
 *
 * A semaphore's hold spans a rest, not one function's run, so a function limiter (p-limit) does not fit.
 */
export class Seats {
  private free: number;
  /** Waiters in arrival order (a Set keeps insertion order and lets an aborted wait leave in O(1)). */
  private readonly waiting = new Set<() => void>();

  constructor(readonly size: number) {
    this.free = size;
  }

  /** Seats taken now. */
  get taken(): number {
    return this.size - this.free;
  }

  /**
   * Takes a seat: true once taken, or false if `signal` aborts first (the wait leaves the line, nothing
   * taken). A free seat is taken at once, unless others are already waiting for one.
   */
  take(signal?: AbortSignal): Promise<boolean> {
    if (this.free > 0 && this.waiting.size === 0) {
      this.free--;
      return Promise.resolve(true);
    }
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const granted = () => {
        signal?.removeEventListener("abort", aborted);
        resolve(true);
      };
      const aborted = () => {
        this.waiting.delete(granted);
        resolve(false);
      };
      this.waiting.add(granted);
      signal?.addEventListener("abort", aborted, { once: true });
    });
  }

  /** Gives a seat back: to the longest waiter, if any. */
  release(): void {
    const next = this.waiting.values().next();
    if (next.done) {
      this.free++;
      return;
    }
    this.waiting.delete(next.value);
    next.value();
  }
}
