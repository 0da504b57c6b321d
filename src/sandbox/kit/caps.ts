import type { RateCaps } from "../../platforms/catalog.ts";
import type { TimeScale } from "../../time.ts";
import type { Failure, SandboxReply } from "./reply.ts";

/**
 * The cap judge: what a rate-capped platform enforces per remote tenant (concurrent calls, calls in
 * any sliding platform minute, calls per fixed platform day) and across the app (calls a minute),
 * answered with Xero's limit headers and 429s (PLATFORMS.md).
 *
 * Choices worth knowing:
 * - A refused call (429) does not count against the minute or day windows: it did no work, and counting
 *   it would let a client that retries too eagerly lock itself out for ever.
 * - Whatever is admitted counts, however it is then answered (a replayed write, an injected 5xx or
 *   timeout): the call reached the API.
 * - The day is a fixed window, floor(now / dayMs), so in production time it resets at UTC midnight.
 */

export type SandboxCapLimits = Pick<RateCaps, "concurrent" | "perMinute" | "perDay">;

/** Values of `X-Rate-Limit-Problem`. */
export type RateProblem = "minute" | "day" | "concurrent" | "appminute";

/** A refusal ordered regardless of counts (a rateLimit fault); retryAfterSeconds defaults to the real wait. */
export interface ForcedRefusal {
  problem: RateProblem;
  retryAfterSeconds?: number;
}

export type Verdict =
  | { admitted: true }
  | { admitted: false; problem: RateProblem; retryAfterSeconds: number };

export interface CapJudgeOptions {
  /** Per-tenant overrides of the caps. */
  tenantCaps?: Record<string, Partial<SandboxCapLimits>>;
  /** Calls a minute across all tenants (Xero: 10,000 per app). */
  appPerMinute?: number;
}

const APP_PER_MINUTE = 10_000;

/** Start times inside a sliding window, oldest first; pruned lazily from the head. */
class SlidingLog {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly windowMs: number) {}

  count(now: number): number {
    this.prune(now);
    return this.times.length - this.head;
  }

  /** When the oldest call in the window leaves it (call `count` first). */
  nextExpiry(): number {
    return (this.times[this.head] ?? 0) + this.windowMs;
  }

  push(at: number): void {
    this.times.push(at);
  }

  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) this.head++;
    // Compact now and then so a long benchmark does not keep every start time.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

interface TenantUsage {
  inFlight: number;
  minute: SlidingLog;
  dayIndex: number;
  dayCount: number;
}

/** Every method takes the time it judges at, so one call is judged and logged at one instant. */
export class CapJudge {
  private readonly tenants = new Map<string, TenantUsage>();
  private readonly overrides = new Map<string, Partial<SandboxCapLimits>>();
  private readonly app: SlidingLog;
  private appPerMinute: number;

  constructor(
    private limits: SandboxCapLimits,
    private readonly time: TimeScale,
    private readonly failure: Failure,
    options: CapJudgeOptions = {},
  ) {
    this.app = new SlidingLog(time.minuteMs);
    this.appPerMinute = options.appPerMinute ?? APP_PER_MINUTE;
    for (const [tenantId, limits] of Object.entries(options.tenantCaps ?? {}))
      this.setLimits(limits, tenantId);
  }

  /** Changes the caps for every tenant, or for one (on top of the shared ones). */
  setLimits(limits: Partial<SandboxCapLimits>, tenantId?: string): void {
    if (tenantId === undefined) this.limits = { ...this.limits, ...limits };
    else this.overrides.set(tenantId, { ...this.overrides.get(tenantId), ...limits });
  }

  /** Changes the app's calls a minute across all tenants. */
  setAppLimit(perMinute: number): void {
    this.appPerMinute = perMinute;
  }

  get appLimit(): number {
    return this.appPerMinute;
  }

  limitsFor(tenantId: string): SandboxCapLimits {
    return { ...this.limits, ...this.overrides.get(tenantId) };
  }

  /**
   * Admits a call, which then holds a concurrency slot until `release`, or refuses it. Checks run
   * concurrent, day, minute, app minute: a day that is spent is reported as "day" even when the minute
   * is full too, so the client defers instead of retrying every minute.
   */
  admit(tenantId: string, now: number, forced?: ForcedRefusal): Verdict {
    const usage = this.usageOf(tenantId, now);
    if (forced) {
      const waitMs =
        forced.retryAfterSeconds === undefined
          ? this.waitFor(forced.problem, usage, now)
          : this.time.secondsToMs(forced.retryAfterSeconds);
      return this.refuse(forced.problem, waitMs);
    }
    const problem = this.overLimit(usage, tenantId, now);
    if (problem) return this.refuse(problem, this.waitFor(problem, usage, now));
    usage.inFlight++;
    usage.minute.push(now);
    usage.dayCount++;
    this.app.push(now);
    return { admitted: true };
  }

  /** Frees the concurrency slot of an admitted call. */
  release(tenantId: string): void {
    const usage = this.tenants.get(tenantId);
    if (usage) usage.inFlight--;
  }

  /** The 429 of a refused call: the platform's error body, limit headers, Retry-After and the problem. */
  refusal(tenantId: string, verdict: Verdict & { admitted: false }, now: number): SandboxReply {
    return {
      ...this.failure(429, `Rate limit exceeded: ${verdict.problem}`),
      headers: {
        ...this.headers(tenantId, now),
        "retry-after": String(verdict.retryAfterSeconds),
        "x-rate-limit-problem": verdict.problem,
      },
    };
  }

  /** X-MinLimit-Remaining, X-DayLimit-Remaining and X-AppMinLimit-Remaining for a tenant. */
  headers(tenantId: string, now: number): Record<string, string> {
    const usage = this.usageOf(tenantId, now);
    const limits = this.limitsFor(tenantId);
    return {
      "x-minlimit-remaining": String(Math.max(0, limits.perMinute - usage.minute.count(now))),
      "x-daylimit-remaining": String(Math.max(0, limits.perDay - usage.dayCount)),
      "x-appminlimit-remaining": String(Math.max(0, this.appPerMinute - this.app.count(now))),
    };
  }

  /** Where a tenant stands. */
  usage(tenantId: string, now: number) {
    const usage = this.usageOf(tenantId, now);
    return {
      inFlight: usage.inFlight,
      minute: usage.minute.count(now),
      day: usage.dayCount,
      limits: this.limitsFor(tenantId),
    };
  }

  /** Forgets the minute and day counts (e.g. to start a benchmark on a fresh day). In-flight calls stay. */
  resetUsage(tenantId?: string): void {
    for (const [id, usage] of this.tenants) {
      if (tenantId !== undefined && id !== tenantId) continue;
      usage.minute = new SlidingLog(this.time.minuteMs);
      usage.dayCount = 0;
    }
  }

  private usageOf(tenantId: string, now: number): TenantUsage {
    const dayIndex = Math.floor(now / this.time.dayMs);
    let usage = this.tenants.get(tenantId);
    if (!usage) {
      usage = { inFlight: 0, minute: new SlidingLog(this.time.minuteMs), dayIndex, dayCount: 0 };
      this.tenants.set(tenantId, usage);
    }
    if (usage.dayIndex !== dayIndex) {
      usage.dayIndex = dayIndex;
      usage.dayCount = 0;
    }
    return usage;
  }

  private overLimit(usage: TenantUsage, tenantId: string, now: number): RateProblem | undefined {
    const limits = this.limitsFor(tenantId);
    if (usage.inFlight >= limits.concurrent) return "concurrent";
    if (usage.dayCount >= limits.perDay) return "day";
    if (usage.minute.count(now) >= limits.perMinute) return "minute";
    if (this.app.count(now) >= this.appPerMinute) return "appminute";
    return undefined;
  }

  /** Real ms until a call refused for `problem` could be admitted. */
  private waitFor(problem: RateProblem, usage: TenantUsage, now: number): number {
    switch (problem) {
      case "day":
        return (usage.dayIndex + 1) * this.time.dayMs - now;
      case "minute":
        return usage.minute.count(now) > 0 ? usage.minute.nextExpiry() - now : 0;
      case "appminute":
        return this.app.count(now) > 0 ? this.app.nextExpiry() - now : 0;
      case "concurrent":
        // A slot frees when some call ends, which the platform cannot foresee: Xero says "1 second".
        return this.time.secondsToMs(1);
    }
  }

  private refuse(problem: RateProblem, waitMs: number): Verdict {
    return { admitted: false, problem, retryAfterSeconds: Math.max(1, this.time.msToSeconds(waitMs)) };
  }
}
