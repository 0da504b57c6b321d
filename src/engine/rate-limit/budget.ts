import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";
import { redisKeys } from "../../redis/keys.ts";
import type { TimeScale } from "../../time.ts";
import { EXPORT_LANE, type Lane, laneRank } from "../lanes.ts";
import type { CallLimits } from "./limits.ts";

/**
 * Per-integration call budget in Redis (DESIGN.md, "Caps"). Before every provider call one Lua script
 * checks and charges, atomically: concurrent leases (with a TTL, so a crashed worker cannot leak a
 * slot), a sliding minute log, the day counter, and for EXPORT-lane calls the export reserve's
 * sub-caps. All keys of an integration share a {hash tag}, so they live on one Redis Cluster slot.
 */

const script = (name: string) => readFileSync(new URL(name, import.meta.url), "utf8");

export type DenyReason =
  | "blocked"
  | "concurrent"
  | "minute"
  | "day"
  | "exportMinute"
  | "exportDay"
  /** An INTERACTIVE caller is waiting for this integration's next free unit. */
  | "interactive";

export type Grant =
  /** `at` is the Redis time (ms) the call was charged at. */
  | { granted: true; leaseId: string; minuteUsed: number; dayUsed: number; at: number }
  | { granted: false; reason: DenyReason; waitMs: number };

export interface BudgetWindow {
  limit: number;
  used: number;
  remaining: number;
  /** When the next unit frees up (minute windows) or the window resets (day), ms since epoch. */
  resetsAt: number;
}

export interface BudgetSnapshot {
  at: number;
  concurrent: { limit: number; inFlight: number };
  minute: BudgetWindow;
  day: BudgetWindow;
  exportMinute: BudgetWindow;
  exportDay: BudgetWindow;
  blockedUntil: number | null;
}

interface BudgetCommands {
  budgetAcquire(...args: (string | number)[]): Promise<[number, string, number, number, number, number]>;
  budgetRead(...args: (string | number)[]): Promise<number[]>;
  budgetRelease(...args: (string | number)[]): Promise<number>;
}

export class CallBudget {
  private readonly redis: Redis & BudgetCommands;
  private readonly leaseTtlMs: number;

  constructor(
    redis: Redis,
    private readonly options: {
      /** The deployment's Redis prefix (redis/keys.ts names the keys under it). */
      prefix: string;
      time: TimeScale;
      guardMs: number;
      leaseTtlMs?: number;
    },
  ) {
    redis.defineCommand("budgetAcquire", { numberOfKeys: 6, lua: script("budget.lua") });
    redis.defineCommand("budgetRead", { numberOfKeys: 5, lua: script("budget-read.lua") });
    redis.defineCommand("budgetRelease", { numberOfKeys: 5, lua: script("budget-release.lua") });
    this.redis = redis as Redis & BudgetCommands;
    this.leaseTtlMs = options.leaseTtlMs ?? 60_000;
  }

  private keys(integrationId: string): string[] {
    const { leases, minute, exportMinute, day, blocked } = redisKeys(this.options.prefix).budget(
      integrationId,
    );
    return [leases, minute, exportMinute, day, blocked];
  }

  private waitersKey(integrationId: string): string {
    return redisKeys(this.options.prefix).budget(integrationId).waiters;
  }

  /** Allowance for the time between our charge and the platform's count of the call. */
  private get guardMs(): number {
    return this.options.guardMs;
  }

  /**
   * Charges one call if every cap allows it. An INTERACTIVE caller passes `waiterId` (the same on every
   * retry): when denied it stays registered for `waiterTtlMs`, and the lower lanes hold back meanwhile.
   */
  async acquire(
    integrationId: string,
    limits: CallLimits,
    lane: Lane,
    interactive: { waiterId: string; waiterTtlMs: number } | null = null,
  ): Promise<Grant> {
    const leaseId = randomUUID();
    const exporting = lane === EXPORT_LANE;
    const [granted, reason, waitMs, minuteUsed, dayUsed, at] = await this.redis.budgetAcquire(
      ...this.keys(integrationId),
      this.waitersKey(integrationId),
      limits.caps.concurrent,
      limits.caps.perMinute,
      limits.caps.perDay,
      exporting ? limits.exportReserve.perMinute : 0,
      exporting ? limits.exportReserve.perDay : 0,
      this.options.time.minuteMs,
      this.options.time.dayMs,
      this.leaseTtlMs,
      leaseId,
      this.guardMs,
      interactive?.waiterId ?? "",
      interactive?.waiterTtlMs ?? 0,
      laneRank(lane),
    );
    return granted === 1
      ? { granted: true, leaseId, minuteUsed, dayUsed, at }
      : { granted: false, reason: reason as DenyReason, waitMs };
  }

  /**
   * Ends a call: frees its concurrency lease, dates it in the minute logs at its end rather than its
   * start, and lowers the local counts to what the platform says remains (budget-release.lua says why).
   * The minute and day charges stay: the call was made.
   */
  async release(
    integrationId: string,
    leaseId: string,
    limits?: CallLimits,
    remaining: { minute?: number; day?: number } = {},
  ): Promise<void> {
    await this.redis.budgetRelease(
      ...this.keys(integrationId),
      leaseId,
      limits?.caps.perMinute ?? 0,
      limits?.caps.perDay ?? 0,
      limits ? (remaining.minute ?? -1) : -1,
      limits ? (remaining.day ?? -1) : -1,
      this.options.time.minuteMs,
      this.options.time.dayMs,
      this.guardMs,
    );
  }

  /** An INTERACTIVE caller gives up waiting: the lower lanes need not hold back for it any longer. */
  async withdraw(integrationId: string, waiterId: string): Promise<void> {
    await this.redis.zrem(this.waitersKey(integrationId), waiterId);
  }

  /** A platform 429: no call goes out for this integration until Retry-After has passed. */
  async blockFor(integrationId: string, retryAfterMs: number): Promise<void> {
    const key = this.keys(integrationId)[4]!;
    const time = await this.redis.time();
    const until = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000) + Math.max(0, retryAfterMs);
    const current = Number((await this.redis.get(key)) ?? 0);
    if (until > current)
      await this.redis.set(key, String(until), "PX", Math.max(1, Math.ceil(retryAfterMs)) + 1000);
  }

  async snapshot(integrationId: string, limits: CallLimits): Promise<BudgetSnapshot> {
    const { minuteMs, dayMs } = this.options.time;
    const [
      now,
      inFlight,
      minuteUsed,
      exportMinuteUsed,
      dayUsed,
      exportDayUsed,
      oldest,
      oldestExport,
      blocked,
    ] = (await this.redis.budgetRead(...this.keys(integrationId), minuteMs, dayMs, this.guardMs)).map(
      Number,
    ) as [number, number, number, number, number, number, number, number, number];
    const window = minuteMs + this.guardMs;
    const nextDay = (Math.floor(now / dayMs) + 1) * dayMs;
    const minuteWindow = (limit: number, used: number, oldestCall: number): BudgetWindow => ({
      limit,
      used,
      remaining: Math.max(0, limit - used),
      resetsAt: oldestCall >= 0 ? oldestCall + window : now,
    });
    const dayWindow = (limit: number, used: number): BudgetWindow => ({
      limit,
      used,
      remaining: Math.max(0, limit - used),
      resetsAt: nextDay,
    });
    return {
      at: now,
      concurrent: { limit: limits.caps.concurrent, inFlight },
      minute: minuteWindow(limits.caps.perMinute, minuteUsed, oldest),
      day: dayWindow(limits.caps.perDay, dayUsed),
      exportMinute: minuteWindow(limits.exportReserve.perMinute, exportMinuteUsed, oldestExport),
      exportDay: dayWindow(limits.exportReserve.perDay, exportDayUsed),
      blockedUntil: blocked > now ? blocked : null,
    };
  }

  /** Forgets an integration's counts (tests and benchmarks start from a clean budget). */
  async reset(integrationId: string): Promise<void> {
    await this.redis.del(...this.keys(integrationId), this.waitersKey(integrationId));
  }
}
