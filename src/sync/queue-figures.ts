import { LANES, type Lane } from "../engine/lanes.ts";
import type { BudgetSnapshot, CallBudget } from "../engine/rate-limit/budget.ts";
import { limitsFor } from "../engine/rate-limit/limits.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { ExportItemStatus } from "../generated/prisma/enums.ts";
import type { TimeScale } from "../time.ts";

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
  budget: BudgetSnapshot;
  /** Estimated real time until every pending export is sent, at the export reserve (null: nothing pending). */
  estimatedDrainMs: number | null;
}

export async function queueFigures(
  prisma: PrismaClient,
  budget: CallBudget,
  time: TimeScale,
  integrationId: string,
): Promise<QueueFigures> {
  const integration = await prisma.integration.findUniqueOrThrow({
    where: { id: integrationId },
    select: { platform: true, rateLimitOverride: true },
  });
  const limits = limitsFor(integration.platform, integration.rateLimitOverride);
  const [exportCounts, runs, snapshot] = await Promise.all([
    prisma.exportItem.groupBy({ by: ["status"], where: { integrationId }, _count: { _all: true } }),
    prisma.syncRun.groupBy({
      by: ["lane"],
      where: { integrationId, status: { in: ["QUEUED", "RUNNING", "DEFERRED"] } },
      _count: { _all: true },
    }),
    budget.snapshot(integrationId, limits),
  ]);
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
    budget: snapshot,
    estimatedDrainMs: estimateDrain(open, snapshot, time),
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
 * Pending exports drain at the export reserve's minute rate, until the day's reserve runs out; the rest
 * waits for the next day, and so on. Blocks (a platform 429) delay the start.
 */
export function estimateDrain(pending: number, budget: BudgetSnapshot, time: TimeScale): number | null {
  if (pending === 0) return null;
  const perMinute = Math.max(1, Math.min(budget.exportMinute.limit, budget.minute.limit));
  const perDay = Math.max(1, budget.exportDay.limit);
  const start = Math.max(0, (budget.blockedUntil ?? budget.at) - budget.at);
  const today = Math.min(pending, budget.exportDay.remaining);
  let ms = start + (today / perMinute) * time.minuteMs;
  let rest = pending - today;
  if (rest > 0) {
    ms = Math.max(ms, budget.exportDay.resetsAt - budget.at);
    const fullDays = Math.floor((rest - 1) / perDay);
    ms += fullDays * time.dayMs;
    rest -= fullDays * perDay;
    ms += (rest / perMinute) * time.minuteMs;
  }
  return Math.round(ms);
}
