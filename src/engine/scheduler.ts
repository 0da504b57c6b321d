import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { logger } from "../logger.ts";

/**
 * The scheduler role. Several processes may run it; a Redis lease elects one to act. Each tick the
 * leader queues the scheduled work that is due (the domain says what: sync/schedules.ts), then sweeps
 * PostgreSQL (the source of truth) for integrations with pending work and activates them, so Redis
 * state lost or never written (a crash between commit and enqueue, a flushed Redis) is rebuilt within
 * one tick.
 */
export class Scheduler {
  private readonly id = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private leader = false;
  private ticking: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      redis: Redis;
      /** The leader lease's key. */
      leaseKey: string;
      intervalMs: number;
      /** Queues what is due now; returns the integrations that got new work. */
      queueDue: () => Promise<string[]>;
      /** Integrations with pending work, from PostgreSQL. */
      integrationsWithWork: () => Promise<string[]>;
      activate: (integrationId: string) => Promise<void>;
      /** Announces a newly queued run (wakes slots sleeping behind exports). */
      announce: (integrationId: string) => Promise<void>;
      /** Housekeeping the leader does now and then (pruning the call ledger). */
      housekeep?: () => Promise<void>;
    },
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    const tick = () => {
      this.ticking = this.tick().catch((err) => logger.error({ err }, "scheduler tick failed"));
    };
    tick();
    this.timer = setInterval(tick, this.deps.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    if (this.leader) {
      const key = this.leaseKey();
      if ((await this.deps.redis.get(key)) === this.id) await this.deps.redis.del(key);
      this.leader = false;
    }
  }

  private leaseKey() {
    return this.deps.leaseKey;
  }

  /** Takes or renews the lease; it outlives three missed ticks before another process takes over. */
  private async holdLease(): Promise<boolean> {
    const { redis, intervalMs } = this.deps;
    const key = this.leaseKey();
    const ttl = intervalMs * 3;
    const taken = await redis.set(key, this.id, "PX", ttl, "NX");
    if (taken === "OK") return true;
    if ((await redis.get(key)) !== this.id) return false;
    await redis.pexpire(key, ttl);
    return true;
  }

  async tick(): Promise<void> {
    const wasLeader = this.leader;
    this.leader = await this.holdLease();
    if (this.leader !== wasLeader) logger.info({ leader: this.leader }, "scheduler lease changed");
    if (!this.leader) return;
    for (const integrationId of await this.deps.queueDue()) await this.deps.announce(integrationId);
    for (const integrationId of await this.deps.integrationsWithWork())
      await this.deps.activate(integrationId);
    await this.deps.housekeep?.();
  }
}
