import type { DenyReason } from "../engine/rate-limit/budget.ts";
import type { CallLimits } from "../engine/rate-limit/limits.ts";
import type { WorkSource } from "../engine/work-source.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { TimeScale } from "../time.ts";
import { exportDayBudgetExhausted, recordHostEvents } from "../webhooks/host-events.ts";
import { OPEN_EXPORT_STATUSES } from "./export-state.ts";
import type { WorkDeps } from "./work-deps.ts";

/**
 * The outbox's work source, telling the host when a day cap refuses its exports: runs (pulls, pushes)
 * say so when they are deferred (run-state.ts deferRun); exports have no run, so the refusal itself is
 * the moment (noticeExportDayBudget). Every other part of the source is unchanged.
 */
export function withExportDayNotice<W>(source: WorkSource<W>, deps: WorkDeps): WorkSource<W> {
  return {
    ...source,
    open(target, claim, options) {
      const session = source.open(target, claim, options);
      // Until when this activation knows the host was told (saves a statement on each refusal after).
      let noticedUntil = 0;
      const notice = async (denial: { reason: DenyReason; waitMs: number }) => {
        if (denial.reason !== "day" && denial.reason !== "exportDay") return;
        if (Date.now() < noticedUntil) return;
        await noticeExportDayBudget(deps.prisma, deps.time, {
          integrationId: target.integration.id,
          limits: target.limits,
          cap: denial.reason,
          waitMs: denial.waitMs,
        });
        noticedUntil = Date.now() + denial.waitMs;
      };
      return {
        ...session,
        async unclaim(work, denial) {
          await session.unclaim(work, denial);
          if (denial) await notice(denial);
        },
        async refused(denial) {
          await session.refused?.(denial);
          await notice(denial);
        },
      };
    },
  };
}

/**
 * Exports were refused by a day cap: the host is told (a `budget.day_exhausted` webhook), once per
 * integration and platform day however many calls the cap refuses. The day is the one the denial's wait
 * ends (the budget's reset, rounded to the platform day's edge so every refusal of a day names the same
 * one); it is taken in ExportBudgetNotice by the transaction that writes the outbox row, so of any number
 * of workers refused at once exactly one writes it. Returns whether this call was the one.
 */
export async function noticeExportDayBudget(
  prisma: PrismaClient,
  time: TimeScale,
  notice: { integrationId: string; limits: CallLimits; cap: "day" | "exportDay"; waitMs: number },
): Promise<boolean> {
  const { dayMs } = time;
  const resetsAt = new Date(Math.round((Date.now() + notice.waitMs) / dayMs) * dayMs);
  return prisma.$transaction(async (tx) => {
    const taken = await tx.$queryRawUnsafe<unknown[]>(
      `INSERT INTO "ExportBudgetNotice" ("integrationId", "dayEndsAt")
       VALUES ($1::uuid, $2::timestamptz AT TIME ZONE 'UTC')
       ON CONFLICT ("integrationId") DO UPDATE SET "dayEndsAt" = EXCLUDED."dayEndsAt"
         WHERE "ExportBudgetNotice"."dayEndsAt" < EXCLUDED."dayEndsAt"
       RETURNING 1`,
      notice.integrationId,
      resetsAt.toISOString(),
    );
    if (taken.length === 0) return false;
    // Not sent yet (one whose call is in flight this moment counts too).
    const waiting = await tx.exportItem.count({
      where: { integrationId: notice.integrationId, status: { in: OPEN_EXPORT_STATUSES } },
    });
    const limit = notice.cap === "day" ? notice.limits.caps.perDay : notice.limits.exportReserve.perDay;
    await recordHostEvents(tx, [
      exportDayBudgetExhausted({
        integrationId: notice.integrationId,
        cap: notice.cap,
        limit,
        waiting,
        resetsAt,
      }),
    ]);
    return true;
  });
}
