import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";
import { redisKeys } from "../../redis/keys.ts";
import type { TimeScale } from "../../time.ts";
import { EXPORT_LANE, LANES, type Lane, laneRank } from "../lanes.ts";
import type { CallLedger, LedgerCall } from "../store.ts";
import type { ExportAllowance } from "./export-allowance.ts";
import { type AppLimits, type CallLimits, platformsOfApp } from "./limits.ts";

/**
 * Per-integration call budget in Redis (DESIGN.md, "Caps"). Before every provider call one Lua script
 * checks and charges, atomically: concurrent leases (with a TTL, so a crashed worker cannot leak a
 * slot), a sliding minute log, the day counter, and for EXPORT-lane calls the export reserve's
 * sub-caps. All keys of an integration share a {hash tag}, so they live on one Redis Cluster slot.
 *
 * With a call ledger (engine/store.ts), every granted call is recorded in PostgreSQL before it goes out
 * and its end after; when Redis has lost an integration's windows (a flush, a failover, a wipe), the
 * script refuses every call until they are rebuilt from the ledger (budget-rebuild.lua), so the minute,
 * day and export sub-caps hold across the loss. Leases of calls in flight are renewed while the calls
 * run (the worker's heartbeat), so their TTL can be a few seconds: a killed worker's slots free at once.
 *
 * A platform with an app-wide cap (Xero: 10,000 calls a minute across all tenants of one app) has one
 * more window, shared by every integration of the app: the same script admits a call only if it fits the
 * integration's caps and the app's, ranking lanes across the fleet and sharing the app's minute fairly
 * between the integrations with work (budget.lua says how). The app's window is rebuilt from the ledger
 * too (the calls of every integration of the app), so a lost Redis does not let every worker admit a
 * whole app minute again while the platform still counts the last one.
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
  | "interactive"
  /** The platform refused the whole app (a 429 `appminute`): every integration of it waits. */
  | "appBlocked"
  /** A call of a higher lane, of any integration of the app, waits for the app's next free unit. */
  | "appLane"
  /** The app is scarce and this integration has its fair share while another has less and waits. */
  | "appShare"
  /** The app's minute is full (up to what this lane must leave to the lanes above it). */
  | "appMinute"
  /** Exports go no faster than the app's minute spread evenly (budget.lua: pace); the next unit is not due. */
  | "appPace"
  /** Redis lost a window and it is being rebuilt from the call ledger (CallBudget.acquire retried). */
  | "rebuild"
  | "rebuildApp";

export type Grant =
  /**
   * `at` is the Redis time (ms) the call was charged at. `recorded` settles once the call is in the
   * ledger: await it before the call goes out (it rejects, the lease given back, if it could not be written).
   */
  | {
      granted: true;
      leaseId: string;
      minuteUsed: number;
      dayUsed: number;
      at: number;
      recorded: Promise<void>;
    }
  | { granted: false; reason: DenyReason; waitMs: number };

/** The call one look at the budget is for: its lease id, a person waiting on it, an export's allowance. */
interface BudgetCall {
  leaseId: string;
  interactive: { waiterId: string; waiterTtlMs: number } | null;
  allowance: ExportAllowance | null;
}

export interface BudgetWindow {
  limit: number;
  used: number;
  remaining: number;
  /** When the next unit frees up (minute windows) or the window resets (day), ms since epoch. */
  resetsAt: number;
}

/** What the platform itself last said remains (its X-MinLimit-Remaining / X-DayLimit-Remaining headers). */
export interface PlatformFigure {
  remaining: number;
  /** When the platform said it (ms since epoch). */
  seenAt: number;
}

/**
 * The budget as syncline counts it: the calls it made itself, raised (never lowered) to what the
 * platform's headers say was used, since another client may share the platform's budget. `platform`
 * is the platform's own word, as last seen.
 */
export interface BudgetSnapshot {
  at: number;
  concurrent: { limit: number; inFlight: number };
  minute: BudgetWindow;
  day: BudgetWindow;
  exportMinute: BudgetWindow;
  exportDay: BudgetWindow;
  blockedUntil: number | null;
  platform: { minute: PlatformFigure | null; day: PlatformFigure | null };
  /** The app whose window the integration's calls also count against (`appSnapshot`); null: none. */
  app: string | null;
  /**
   * The allowance the integration's last export call asked under (null: none asked since Redis last
   * lost its windows). `exportMinute` and `exportDay` carry the strict reserve's limits: under ADAPTIVE
   * this is what the engine applied instead, as of that call.
   */
  exportAllowance: ExportAllowance | null;
}

/**
 * An app's window (Xero: one per app, shared by every tenant of every integration of it), as figures
 * only: it is shared across tenants, so it names no integration.
 */
export interface AppBudgetSnapshot {
  /** The app's key in the catalog (e.g. "xero"). */
  app: string;
  at: number;
  minute: BudgetWindow;
  /** Integrations that asked for the app's budget within its window. */
  active: number;
  /** Integrations waiting in the app's line now. */
  waiting: number;
  /** Of those waiting, the ones under their fair share ("starving"). */
  starving: number;
  /** The platform refused the whole app (an `appminute` 429): no call of it goes out before this. */
  blockedUntil: number | null;
}

interface BudgetCommands {
  budgetAcquire(...args: (string | number)[]): Promise<[number, string, number, number, number, number]>;
  budgetRead(...args: (string | number)[]): Promise<number[]>;
  budgetRelease(...args: (string | number)[]): Promise<number>;
  budgetRebuild(...args: (string | number)[]): Promise<number>;
  budgetRenew(...args: (string | number)[]): Promise<number>;
  budgetRebuildApp(...args: (string | number)[]): Promise<number>;
  budgetConfirm(...args: (string | number)[]): Promise<number>;
  budgetAppRead(...args: (string | number)[]): Promise<number[]>;
}

/** Calls per rebuild script run (a rebuild after a loss passes every recent call by its lease id). */
const REBUILD_CHUNK = 1000;

/**
 * Passes a rebuild's calls (four values each) to its script a chunk at a time, the last chunk marked,
 * until the script says the window was already built (0: another process finished first).
 */
async function mergeInChunks(
  rows: (string | number)[],
  merge: (chunk: (string | number)[], last: boolean) => Promise<number>,
): Promise<void> {
  const size = REBUILD_CHUNK * 4;
  for (let start = 0; ; start += size) {
    const last = start + size >= rows.length;
    if ((await merge(rows.slice(start, start + size), last)) === 0 || last) return;
  }
}

export class CallBudget {
  private readonly redis: Redis & BudgetCommands;
  private readonly leaseTtlMs: number;
  /** Leases of calls in flight from this process, by integration: renewed until released. */
  private readonly held = new Map<string, Set<string>>();
  private readonly renewal: NodeJS.Timeout | null = null;
  /** An app's rebuild in progress in this process: every activation of the app waits for the same one. */
  private readonly appRebuilds = new Map<string, Promise<void>>();

  constructor(
    redis: Redis,
    private readonly options: {
      /** The deployment's Redis prefix (redis/keys.ts names the keys under it). */
      prefix: string;
      time: TimeScale;
      guardMs: number;
      /** How long a lease outlives its last renewal (or its grant, when not renewed). */
      leaseTtlMs?: number;
      /** Renew this process's leases of calls in flight this often (the worker's heartbeat); off if unset. */
      renewEveryMs?: number;
      /** The durable record of every call, from which lost windows are rebuilt; none: no rebuild. */
      ledger?: CallLedger;
      /** Real ms before a call is abandoned: a call left open in the ledger ended by then at the latest. */
      callTimeoutMs?: number;
    },
  ) {
    redis.defineCommand("budgetAcquire", { numberOfKeys: 13, lua: script("budget.lua") });
    redis.defineCommand("budgetRead", { numberOfKeys: 6, lua: script("budget-read.lua") });
    redis.defineCommand("budgetRelease", { numberOfKeys: 7, lua: script("budget-release.lua") });
    redis.defineCommand("budgetRebuild", { numberOfKeys: 4, lua: script("budget-rebuild.lua") });
    redis.defineCommand("budgetRenew", { numberOfKeys: 1, lua: script("budget-renew.lua") });
    redis.defineCommand("budgetRebuildApp", { numberOfKeys: 2, lua: script("budget-rebuild-app.lua") });
    redis.defineCommand("budgetConfirm", { numberOfKeys: 4, lua: script("budget-confirm.lua") });
    redis.defineCommand("budgetAppRead", { numberOfKeys: 6, lua: script("budget-app-read.lua") });
    this.redis = redis as Redis & BudgetCommands;
    this.leaseTtlMs = options.leaseTtlMs ?? 60_000;
    if (options.renewEveryMs) {
      this.renewal = setInterval(() => {
        this.renewHeld().catch(() => {});
      }, options.renewEveryMs);
      this.renewal.unref();
    }
  }

  private names(integrationId: string) {
    return redisKeys(this.options.prefix).budget(integrationId);
  }

  private keys(integrationId: string): string[] {
    const { leases, minute, exportMinute, day, blocked } = this.names(integrationId);
    return [leases, minute, exportMinute, day, blocked];
  }

  private waitersKey(integrationId: string): string {
    return this.names(integrationId).waiters;
  }

  /** The app's keys; a platform without an app cap gets names the scripts never touch. */
  private appNames(app: AppLimits | string | null) {
    const name = typeof app === "string" ? app : app?.app;
    return redisKeys(this.options.prefix).appBudget(name ?? "none");
  }

  private appKeys(app: AppLimits | string | null): string[] {
    const { minute, blocked, waiting, starving, expiry, active } = this.appNames(app);
    return [minute, blocked, waiting, starving, expiry, active];
  }

  /**
   * Real ms an integration's place in the app's line outlives the wait it was told: enough for a slot
   * that slept (or parked) to come back, short enough that one which no longer needs it is soon forgotten.
   */
  private get appWaiterSlackMs(): number {
    return Math.min(2000, Math.max(100, this.options.time.minuteMs / 20));
  }

  /** Allowance for the time between our charge and the platform's count of the call. */
  private get guardMs(): number {
    return this.options.guardMs;
  }

  /**
   * Charges one call if every cap allows it. An INTERACTIVE caller passes `waiterId` (the same on every
   * retry): when denied it stays registered for `waiterTtlMs`, and the lower lanes hold back meanwhile.
   * An EXPORT call in ADAPTIVE reserve mode passes its `allowance` (none: the strict reserve).
   */
  async acquire(
    integrationId: string,
    limits: CallLimits,
    lane: Lane,
    interactive: { waiterId: string; waiterTtlMs: number } | null = null,
    allowance: ExportAllowance | null = null,
  ): Promise<Grant> {
    const leaseId = randomUUID();
    const exporting = lane === EXPORT_LANE;
    const answer = await this.ask(integrationId, limits, lane, { leaseId, interactive, allowance });
    const [granted, reason, waitMs, minuteUsed, dayUsed, at] = answer;
    if (granted !== 1) return { granted: false, reason: reason as DenyReason, waitMs: Math.max(1, waitMs) };
    this.hold(integrationId, leaseId);
    // Written while the caller gets on with the grant (the dispatcher picks its next work meanwhile); the
    // call itself waits for it. Not recorded, not made: the lease is given back.
    const recorded = this.options.ledger
      ? this.options.ledger
          .begin({ id: leaseId, integrationId, lane, export: exporting, startedAt: at })
          .then(() => this.confirm(integrationId, limits, leaseId, at, exporting))
          .catch(async (error: unknown) => {
            await this.release(integrationId, leaseId);
            throw error;
          })
      : Promise.resolve();
    recorded.catch(() => {});
    return { granted: true, leaseId, minuteUsed, dayUsed, at, recorded };
  }

  /** One look at the budget (budget.lua); when Redis lost the windows, they are rebuilt first. */
  private async ask(integrationId: string, limits: CallLimits, lane: Lane, call: BudgetCall) {
    let answer = await this.charge(integrationId, limits, lane, call);
    // Redis lost the windows: rebuild them from the ledger before anything is admitted (the
    // integration's, then its app's, when both were lost).
    for (let tries = 0; tries < 3; tries++) {
      if (answer[1] === "rebuild") await this.rebuild(integrationId);
      else if (answer[1] === "rebuildApp" && limits.app) await this.rebuildApp(limits.app.app);
      else break;
      answer = await this.charge(integrationId, limits, lane, call);
    }
    return answer;
  }

  private charge(integrationId: string, limits: CallLimits, lane: Lane, call: BudgetCall) {
    const { leaseId, interactive, allowance } = call;
    const exporting = lane === EXPORT_LANE;
    const adaptive = exporting ? allowance : null;
    const names = this.names(integrationId);
    return this.redis.budgetAcquire(
      ...this.keys(integrationId),
      names.waiters,
      ...this.appKeys(limits.app ?? null),
      this.appNames(limits.app ?? null).pace,
      limits.caps.concurrent,
      limits.caps.perMinute,
      limits.caps.perDay,
      exporting ? Math.min(adaptive?.perMinute ?? limits.exportReserve.perMinute, limits.caps.perMinute) : 0,
      exporting ? limits.exportReserve.perDay : 0,
      this.options.time.minuteMs,
      this.options.time.dayMs,
      this.leaseTtlMs,
      leaseId,
      this.guardMs,
      interactive?.waiterId ?? "",
      interactive?.waiterTtlMs ?? 0,
      laneRank(lane),
      this.options.ledger ? 1 : 0,
      // 15-18: the app-wide cap's figures (budget.lua); 0: no app cap.
      limits.app?.perMinute ?? 0,
      limits.app ? appKeep(limits.app, lane) : 0,
      integrationId,
      this.appWaiterSlackMs,
      // 19: an ADAPTIVE export's day keep; -1: the strict reserve's day figure.
      adaptive ? adaptive.dayKeep : -1,
      // 20: a call in flight is dated at the latest it can reach the platform.
      this.options.callTimeoutMs ?? 0,
      // 21-22: the app's pace for exports, and how far behind it may catch up.
      limits.app?.paced ? appPaceMs(limits.app, this.options.time.minuteMs + this.guardMs) : 0,
      this.options.time.minuteMs / 60,
    );
  }

  /**
   * Rebuilds an integration's windows from the call ledger (budget-rebuild.lua says how): today's
   * counts, and every call recent enough to be in a minute window or still in flight.
   */
  private async rebuild(integrationId: string): Promise<void> {
    const ledger = this.options.ledger;
    if (!ledger) return;
    const { minuteMs, dayMs } = this.options.time;
    const { now, recentFrom, callTimeoutMs } = await this.rebuildHorizon();
    const day = Math.floor(now / dayMs);
    const windows = await ledger.windows(integrationId, day * dayMs, recentFrom);
    const names = this.names(integrationId);
    const keys = [names.leases, names.minute, names.exportMinute, names.day];
    const rows = windows.recent.flatMap((call: LedgerCall) => [
      call.id,
      call.startedAt,
      call.endedAt ?? -1,
      call.export ? 1 : 0,
    ]);
    await mergeInChunks(rows, (chunk, last) =>
      this.redis.budgetRebuild(
        ...keys,
        minuteMs,
        dayMs,
        this.guardMs,
        this.leaseTtlMs,
        callTimeoutMs,
        day,
        windows.day.calls,
        windows.day.exports,
        last ? 1 : 0,
        ...chunk,
      ),
    );
  }

  /**
   * Redis's time, and how far back a rebuild reads the ledger: a call in the minute window ended inside
   * it; one still open started at most a call timeout before.
   */
  private async rebuildHorizon(): Promise<{ now: number; recentFrom: number; callTimeoutMs: number }> {
    const callTimeoutMs = this.options.callTimeoutMs ?? this.leaseTtlMs;
    const now = await this.redisNow();
    return {
      now,
      recentFrom: now - this.options.time.minuteMs - this.guardMs - 2 * callTimeoutMs,
      callTimeoutMs,
    };
  }

  /**
   * Rebuilds an app's minute window from the call ledger (budget-rebuild-app.lua says how): the recent
   * calls of every integration of the app's platforms, read in one statement by start time (an index
   * range, however many integrations the app has) and merged in chunks. One rebuild per app at a time in
   * this process; other processes may rebuild at once, harmlessly (the merge is by lease id).
   */
  private rebuildApp(app: string): Promise<void> {
    const running = this.appRebuilds.get(app);
    if (running) return running;
    const rebuild = this.readAndMergeApp(app).finally(() => this.appRebuilds.delete(app));
    this.appRebuilds.set(app, rebuild);
    return rebuild;
  }

  private async readAndMergeApp(app: string): Promise<void> {
    const ledger = this.options.ledger;
    if (!ledger) return;
    const { minuteMs, dayMs } = this.options.time;
    const { recentFrom, callTimeoutMs } = await this.rebuildHorizon();
    const calls = await ledger.platformCalls(platformsOfApp(app), recentFrom);
    const { minute, active } = this.appNames(app);
    const rows = calls.flatMap((call: LedgerCall) => [
      call.id,
      call.integrationId,
      call.startedAt,
      call.endedAt ?? -1,
    ]);
    await mergeInChunks(rows, (chunk, last) =>
      this.redis.budgetRebuildApp(
        minute,
        active,
        minuteMs,
        dayMs,
        this.guardMs,
        callTimeoutMs,
        last ? 1 : 0,
        ...chunk,
      ),
    );
  }

  /**
   * Once a granted call is in the ledger: puts it back in any window a Redis loss took it from since the
   * grant (budget-confirm.lua says why), before the call goes out. One round trip per call.
   */
  private async confirm(
    integrationId: string,
    limits: CallLimits,
    leaseId: string,
    at: number,
    exporting: boolean,
  ): Promise<void> {
    const names = this.names(integrationId);
    await this.redis.budgetConfirm(
      names.leases,
      names.minute,
      names.exportMinute,
      this.appNames(limits.app ?? null).minute,
      leaseId,
      // Where the grant dated it: at the latest it can reach the platform (budget.lua).
      at + (this.options.callTimeoutMs ?? 0),
      this.leaseTtlMs,
      exporting ? 1 : 0,
      limits.app ? 1 : 0,
      this.options.time.dayMs,
    );
  }

  private hold(integrationId: string, leaseId: string): void {
    if (!this.renewal) return;
    const leases = this.held.get(integrationId) ?? new Set<string>();
    this.held.set(integrationId, leases);
    leases.add(leaseId);
  }

  private drop(integrationId: string, leaseId: string): void {
    const leases = this.held.get(integrationId);
    if (!leases) return;
    leases.delete(leaseId);
    if (leases.size === 0) this.held.delete(integrationId);
  }

  /** The heartbeat: every lease of a call this process has in flight lives one more TTL. */
  private async renewHeld(): Promise<void> {
    if (this.held.size === 0) return;
    const pipeline = this.redis.pipeline() as unknown as {
      budgetRenew(...args: (string | number)[]): void;
    } & {
      exec(): Promise<unknown>;
    };
    for (const [integrationId, leases] of this.held)
      pipeline.budgetRenew(this.names(integrationId).leases, this.leaseTtlMs, ...leases);
    await pipeline.exec();
  }

  /** Stops renewing leases (the process is shutting down) and writes the ledger's buffered ends. */
  async close(): Promise<void> {
    if (this.renewal) clearInterval(this.renewal);
    await this.options.ledger?.flush();
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
    remaining: { minute?: number; day?: number; app?: number } = {},
  ): Promise<void> {
    this.drop(integrationId, leaseId);
    const app = limits?.app ?? null;
    const endedAt = await this.redis.budgetRelease(
      ...this.keys(integrationId),
      this.names(integrationId).platform,
      this.appNames(app).minute,
      leaseId,
      limits?.caps.perMinute ?? 0,
      limits?.caps.perDay ?? 0,
      limits ? (remaining.minute ?? -1) : -1,
      limits ? (remaining.day ?? -1) : -1,
      this.options.time.minuteMs,
      this.options.time.dayMs,
      this.guardMs,
      app?.perMinute ?? 0,
      app ? (remaining.app ?? -1) : -1,
      this.options.ledger ? 1 : 0,
    );
    this.options.ledger?.end(leaseId, Number(endedAt));
  }

  /**
   * An INTERACTIVE caller gives up waiting: the lower lanes need not hold back for it any longer, on
   * the integration nor across its app.
   */
  async withdraw(integrationId: string, waiterId: string, limits?: CallLimits): Promise<void> {
    await this.redis.zrem(this.waitersKey(integrationId), waiterId);
    if (limits?.app) {
      const { waiting, starving, expiry } = this.appNames(limits.app);
      await Promise.all([waiting, starving, expiry].map((key) => this.redis.zrem(key, integrationId)));
    }
  }

  /** A platform 429: no call goes out for this integration until Retry-After has passed. */
  async blockFor(integrationId: string, retryAfterMs: number): Promise<void> {
    await this.blockUntil(this.keys(integrationId)[4]!, retryAfterMs);
  }

  /**
   * The platform's `appminute` 429: the app's cap across tenants is spent, so no call of any integration
   * of the app goes out until Retry-After has passed.
   */
  async blockApp(app: string, retryAfterMs: number): Promise<void> {
    await this.blockUntil(redisKeys(this.options.prefix).appBudget(app).blocked, retryAfterMs);
  }

  /** Redis's clock (ms), the one every script and process agrees on. */
  private async redisNow(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  private async blockUntil(key: string, retryAfterMs: number): Promise<void> {
    const until = (await this.redisNow()) + Math.max(0, retryAfterMs);
    const current = Number((await this.redis.get(key)) ?? 0);
    if (until > current)
      await this.redis.set(key, String(until), "PX", Math.max(1, Math.ceil(retryAfterMs)) + 1000);
  }

  async snapshot(integrationId: string, limits: CallLimits): Promise<BudgetSnapshot> {
    const { minuteMs, dayMs } = this.options.time;
    const names = this.names(integrationId);
    const read = async () =>
      (
        await this.redis.budgetRead(
          ...this.keys(integrationId),
          names.platform,
          minuteMs,
          dayMs,
          this.guardMs,
        )
      ).map(Number);
    let figures = await read();
    // Lost windows read as empty: show them as the ledger has them.
    if (this.options.ledger && figures[13] === 0) {
      await this.rebuild(integrationId);
      figures = await read();
    }
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
      platformMinute,
      platformMinuteAt,
      platformDay,
      platformDayAt,
      ,
      allowedMinute,
      allowedDayKeep,
    ] = figures as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const platformFigure = (remaining: number, seenAt: number): PlatformFigure | null =>
      remaining >= 0 && seenAt >= 0 ? { remaining, seenAt } : null;
    const window = minuteMs + this.guardMs;
    const nextDay = (Math.floor(now / dayMs) + 1) * dayMs;
    const minuteWindow = (limit: number, used: number, oldestCall: number): BudgetWindow => ({
      limit,
      used,
      remaining: Math.max(0, limit - used),
      // A call still in flight is dated ahead of now (budget.lua): it frees a window after it ends, now at the soonest.
      resetsAt: oldestCall >= 0 ? Math.min(oldestCall, now) + window : now,
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
      platform: {
        minute: platformFigure(platformMinute, platformMinuteAt),
        day: platformFigure(platformDay, platformDayAt),
      },
      app: limits.app?.app ?? null,
      exportAllowance: allowedMinute >= 0 ? { perMinute: allowedMinute, dayKeep: allowedDayKeep } : null,
    };
  }

  /**
   * Where an app's window stands: calls in it, integrations that asked for it within it, those waiting
   * for it (and how many of them are under their fair share), and the block of an `appminute` 429.
   */
  async appUsage(app: string): Promise<{
    used: number;
    active: number;
    waiting: number;
    starving: number;
    blockedUntil: number | null;
  }> {
    const { minute, active, waiting, starving, blockedUntil } = await this.readApp(app);
    return { used: minute.used, active, waiting, starving, blockedUntil };
  }

  /**
   * An app's window with its limit, for GraphQL and metrics. `rebuild` (GraphQL, as `snapshot` does): a
   * window Redis lost is shown as the ledger has it, rebuilt first; without it (a metrics scrape) it is
   * read as it stands, never costing a ledger read.
   */
  async appSnapshot(app: AppLimits, options: { rebuild: boolean }): Promise<AppBudgetSnapshot> {
    let read = await this.readApp(app.app, app.perMinute);
    if (options.rebuild && this.options.ledger && !read.built) {
      await this.rebuildApp(app.app);
      read = await this.readApp(app.app, app.perMinute);
    }
    const { built: _built, ...snapshot } = read;
    return snapshot;
  }

  private async readApp(app: string, limit = 0): Promise<AppBudgetSnapshot & { built: boolean }> {
    const figures = (
      await this.redis.budgetAppRead(...this.appKeys(app), this.options.time.minuteMs, this.guardMs)
    ).map(Number);
    const [now, used, oldest, active, waiting, starving, blocked, built] = figures as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return {
      app,
      at: now,
      minute: {
        limit,
        used,
        remaining: Math.max(0, limit - used),
        resetsAt: oldest >= 0 ? Math.min(oldest, now) + this.options.time.minuteMs + this.guardMs : now,
      },
      active,
      waiting,
      starving,
      blockedUntil: blocked > now ? blocked : null,
      built: built === 1,
    };
  }

  /**
   * Forgets an app's window, lines and block (tests and benchmarks start clean): an empty window, marked
   * as built, so it is not rebuilt from the ledger's recent calls.
   */
  async resetApp(app: string): Promise<void> {
    const keys = redisKeys(this.options.prefix).appBudget(app);
    await this.redis
      .multi()
      .del(...Object.values(keys))
      .zadd(keys.minute, "+inf", "built")
      .pexpire(keys.minute, this.options.time.dayMs * 2)
      .exec();
  }

  /** Forgets an integration's counts, in Redis and in the ledger (tests and benchmarks start clean). */
  async reset(integrationId: string): Promise<void> {
    await this.options.ledger?.forget(integrationId);
    const names = this.names(integrationId);
    await this.redis.del(...this.keys(integrationId), names.waiters, names.platform);
  }
}

/**
 * Units of the app's minute a lane leaves to the lanes above it: none for the top lane, the configured
 * headroom for the lowest (EXPORT), in proportion to rank between. A pull arriving while exports fill
 * the app's minute finds these free at once instead of waiting for the next unit to free.
 */
/**
 * Real ms between two units of the app's paced rate (budget.lua): the window spread evenly over what it
 * leaves the EXPORT lane, so exports alone never fill the headroom kept for the lanes above.
 */
export function appPaceMs(app: AppLimits, windowMs: number): number {
  return windowMs / Math.max(1, app.perMinute - appKeep(app, EXPORT_LANE));
}

export function appKeep(app: AppLimits, lane: Lane): number {
  return Math.floor((app.perMinute * app.laneHeadroom * laneRank(lane)) / (LANES.length - 1));
}
