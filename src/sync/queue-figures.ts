import { sqlOf } from "../db/client.ts";
import { LANES, type Lane } from "../engine/lanes.ts";
import type { BudgetSnapshot, BudgetWindow, CallBudget } from "../engine/rate-limit/budget.ts";
import type { ExportAllowance } from "../engine/rate-limit/export-allowance.ts";
import { type CallLimits, limitsFor } from "../engine/rate-limit/limits.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { ExportItemStatus } from "../generated/prisma/enums.ts";
import type { TimeScale } from "../time.ts";
import { exportReserveView } from "./export-reserve.ts";

type ExportCount =
  | "pending"
  | "sending"
  | "inDoubt"
  | "verifying"
  | "conflict"
  | "sent"
  | "failed"
  | "skipped";

const COUNTED: Record<ExportItemStatus, ExportCount> = {
  PENDING: "pending",
  SENDING: "sending",
  IN_DOUBT: "inDoubt",
  VERIFYING: "verifying",
  CONFLICT: "conflict",
  SENT: "sent",
  FAILED: "failed",
  SKIPPED: "skipped",
};

/** What `integration.exportQueue`, `integration.rateBudget` and `queueProgress` show. */
export interface QueueFigures {
  integrationId: string;
  lanes: { lane: Lane; depth: number }[];
  /** Outbox items by status (CONFLICT items wait for a person; IN_DOUBT and VERIFYING for the engine). */
  exports: Record<ExportCount, number>;
  /** The export windows' limits are the reserve mode's: under ADAPTIVE, what the schedule allows now. */
  budget: BudgetSnapshot;
  /**
   * Estimated real time until every pending export is sent, at the export reserve (under ADAPTIVE, at
   * what the schedule allows while it holds, then the strict reserve's); null: nothing pending.
   */
  estimatedDrainMs: number | null;
}

export async function queueFigures(
  prisma: PrismaClient,
  budget: CallBudget,
  time: TimeScale,
  integrationId: string,
): Promise<QueueFigures> {
  const integration = await prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
  const limits = limitsFor(integration.platform, integration.rateLimitOverride);
  const [exportCounts, runs, snapshot, reserve] = await Promise.all([
    prisma.exportItem.groupBy({ by: ["status"], where: { integrationId }, _count: { _all: true } }),
    prisma.syncRun.groupBy({
      by: ["lane"],
      where: { integrationId, status: { in: ["QUEUED", "RUNNING", "DEFERRED"] } },
      _count: { _all: true },
    }),
    budget.snapshot(integrationId, limits),
    // The allowance the export and push sources pass to the budget now (none: STRICT).
    exportReserveView({ prisma, sql: sqlOf(prisma), time }, integration, limits),
  ]);
  const shown = withAllowance(snapshot, limits, reserve.allowance);
  const exports = Object.fromEntries(Object.values(COUNTED).map((count) => [count, 0])) as Record<
    ExportCount,
    number
  >;
  for (const row of exportCounts) exports[COUNTED[row.status]] = row._count._all;
  // Items the engine still has to send (in doubt ones are read back or resent in their turn).
  const open = exports.pending + exports.sending + exports.inDoubt + exports.verifying;

  return {
    integrationId,
    lanes: laneDepths(
      runs.map((row) => ({ lane: row.lane, count: row._count._all })),
      open,
    ),
    exports,
    budget: shown,
    estimatedDrainMs: estimateDrain(open, shown, time, {
      strict: limits.exportReserve,
      strictFrom: reserve.allowance ? reserve.minuteUntil : shown.at,
    }),
  };
}

/**
 * The export windows as an ADAPTIVE allowance has them (STRICT: as they are, the reserve's). The minute:
 * the figure the schedule allows now. The day: past the reserve's figure, exports may go on while the
 * day calls left cover what the rest of the day's scheduled pulls keep (export-reserve.ts), so they may
 * reach the cap less the calls pulls made today and the keep; an unknown keep (-1) leaves the reserve's.
 */
export function withAllowance<B extends Pick<BudgetSnapshot, "day" | "exportMinute" | "exportDay">>(
  budget: B,
  limits: CallLimits,
  allowance: ExportAllowance | null,
): B {
  if (!allowance) return budget;
  const withLimit = (window: BudgetWindow, limit: number): BudgetWindow => ({
    ...window,
    limit,
    remaining: Math.max(0, limit - window.used),
  });
  const pullsToday = budget.day.used - budget.exportDay.used;
  const dayLimit =
    allowance.dayKeep < 0
      ? limits.exportReserve.perDay
      : Math.max(limits.exportReserve.perDay, limits.caps.perDay - allowance.dayKeep - pullsToday);
  return {
    ...budget,
    exportMinute: withLimit(budget.exportMinute, Math.min(allowance.perMinute, limits.caps.perMinute)),
    exportDay: withLimit(budget.exportDay, dayLimit),
  };
}

/** Depth per lane, highest first: active runs in their lanes, plus waiting and in-flight exports in EXPORT. */
export function laneDepths(
  runs: { lane: Lane; count: number }[],
  exportsWaiting: number,
): { lane: Lane; depth: number }[] {
  const depth = new Map<Lane, number>(LANES.map((lane) => [lane, 0]));
  for (const row of runs) depth.set(row.lane, (depth.get(row.lane) ?? 0) + row.count);
  depth.set("EXPORT", (depth.get("EXPORT") ?? 0) + exportsWaiting);
  return LANES.map((lane) => ({ lane, depth: depth.get(lane) ?? 0 }));
}

/**
 * Pending exports drain at the export windows' minute rate (`budget`'s: the reserve's, or what an
 * ADAPTIVE allowance allows now) until `strictFrom` (ms since epoch), then at the strict reserve's, until
 * the day's export figure runs out; the rest waits for the next day, and drains at the strict reserve's
 * figures from then on. Blocks (a platform 429) delay the start.
 */
export function estimateDrain(
  pending: number,
  budget: Pick<BudgetSnapshot, "at" | "minute" | "exportMinute" | "exportDay" | "blockedUntil">,
  time: TimeScale,
  reserve: { strict: CallLimits["exportReserve"]; strictFrom: number },
): number | null {
  if (pending === 0) return null;
  const minuteRate = (limit: number) => Math.max(1, Math.min(limit, budget.minute.limit)) / time.minuteMs;
  const [rateNow, strictRate] = [minuteRate(budget.exportMinute.limit), minuteRate(reserve.strict.perMinute)];
  const perDay = Math.max(1, reserve.strict.perDay);
  const start = Math.max(0, (budget.blockedUntil ?? budget.at) - budget.at);
  const today = Math.min(pending, budget.exportDay.remaining);
  // At the rate allowed now until strictFrom, then at the strict rate.
  const fast = Math.max(0, reserve.strictFrom - budget.at - start);
  const sentFast = Math.min(today, fast * rateNow);
  let ms = start + sentFast / rateNow + (today - sentFast) / strictRate;
  let rest = pending - today;
  if (rest > 0) {
    ms = Math.max(ms, budget.exportDay.resetsAt - budget.at);
    const fullDays = Math.floor((rest - 1) / perDay);
    ms += fullDays * time.dayMs;
    rest -= fullDays * perDay;
    ms += rest / strictRate;
  }
  return Math.round(ms);
}
