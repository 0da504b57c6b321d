import type { Redis } from "ioredis";

/**
 * Wakes the slots of an activation that are sleeping until budget frees up, as soon as higher-lane
 * work arrives for their integration (so a DAILY item does not wait behind a sleeping export slot).
 * One subscription per process; the channel carries integration ids.
 */
export class WakeHub {
  private readonly sleepers = new Map<string, Set<() => void>>();
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(
    private readonly subscriber: Redis,
    private readonly publisher: Redis,
    private readonly channel: string,
  ) {}

  /** Tells every process that the integration has new work. */
  async announce(integrationId: string): Promise<void> {
    await this.publisher.publish(this.channel, integrationId);
  }

  async start(): Promise<void> {
    this.subscriber.on("message", (channel: string, integrationId: string) => {
      if (channel !== this.channel) return;
      for (const watcher of this.watchers.get(integrationId) ?? []) watcher();
      const waiting = this.sleepers.get(integrationId);
      if (!waiting) return;
      this.sleepers.delete(integrationId);
      for (const wake of waiting) wake();
    });
    await this.subscriber.subscribe(this.channel);
  }

  /** Calls `listener` on every announcement for the integration until the returned function is called. */
  watch(integrationId: string, listener: () => void): () => void {
    const set = this.watchers.get(integrationId) ?? new Set<() => void>();
    this.watchers.set(integrationId, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.watchers.delete(integrationId);
    };
  }

  /**
   * Sleeps up to `ms`, or until work for the integration is announced (resolves true), or until `signal`
   * aborts (resolves false at once, its timer cleared).
   */
  sleep(integrationId: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const set = this.sleepers.get(integrationId) ?? new Set<() => void>();
      this.sleepers.set(integrationId, set);
      const end = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", aborted);
        set.delete(wake);
        if (set.size === 0 && this.sleepers.get(integrationId) === set) this.sleepers.delete(integrationId);
        resolve(woken);
      };
      const wake = () => end(true);
      const aborted = () => end(false);
      const timer = setTimeout(aborted, ms);
      set.add(wake);
      if (signal?.aborted) aborted();
      else signal?.addEventListener("abort", aborted, { once: true });
    });
  }
}
