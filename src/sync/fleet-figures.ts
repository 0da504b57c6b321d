import type { Config } from "../config.ts";
import type { CallBudget } from "../engine/rate-limit/budget.ts";
import { catalogApps, limitsFor } from "../engine/rate-limit/limits.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { AppGauges, IntegrationGauges } from "../observability/metrics.ts";
import { laneDepths, withAllowance } from "./queue-figures.ts";
import { ACTIVE_RUN_STATUSES } from "./run-state.ts";

/**
 * Every connected integration's lanes, outbox and budget windows, for a metrics scrape: three queries for
 * the whole fleet (integrations, outbox counts, active runs) and one budget read per integration in Redis.
 * Disconnected integrations have no budget worth watching and are left out.
 */
export async function fleetFigures(prisma: PrismaClient, budget: CallBudget): Promise<IntegrationGauges[]> {
  const [integrations, outbox, runs] = await Promise.all([
    prisma.integration.findMany({
      where: { status: { not: "DISCONNECTED" } },
      select: { id: true, platform: true, rateLimitOverride: true },
    }),
    prisma.exportItem.groupBy({
      by: ["integrationId", "status"],
      where: { status: { in: ["PENDING", "SENDING", "FAILED"] } },
      _count: { _all: true },
    }),
    prisma.syncRun.groupBy({
      by: ["integrationId", "lane"],
      where: { status: { in: [...ACTIVE_RUN_STATUSES] } },
      _count: { _all: true },
    }),
  ]);
  return Promise.all(
    integrations.map(async (integration): Promise<IntegrationGauges> => {
      const limits = limitsFor(integration.platform, integration.rateLimitOverride);
      // The export windows' limits as the engine last applied them (ADAPTIVE: what the schedule allowed).
      const raw = await budget.snapshot(integration.id, limits);
      const snapshot = withAllowance(raw, limits, raw.exportAllowance);
      const items = { pending: 0, sending: 0, failed: 0 };
      for (const row of outbox) {
        if (row.integrationId === integration.id)
          items[row.status.toLowerCase() as keyof typeof items] = row._count._all;
      }
      const active = runs
        .filter((row) => row.integrationId === integration.id)
        .map((row) => ({ lane: row.lane, count: row._count._all }));
      return {
        integrationId: integration.id,
        platform: integration.platform,
        lanes: laneDepths(active, items.pending + items.sending),
        outbox: items,
        windows: [
          { window: "minute", used: snapshot.minute.used, limit: snapshot.minute.limit },
          { window: "day", used: snapshot.day.used, limit: snapshot.day.limit },
          { window: "exportMinute", used: snapshot.exportMinute.used, limit: snapshot.exportMinute.limit },
          { window: "exportDay", used: snapshot.exportDay.used, limit: snapshot.exportDay.limit },
          { window: "concurrent", used: snapshot.concurrent.inFlight, limit: snapshot.concurrent.limit },
        ],
        blockedSeconds: snapshot.blockedUntil === null ? 0 : (snapshot.blockedUntil - snapshot.at) / 1000,
      };
    }),
  );
}

/**
 * Every app-wide cap's window, for a metrics scrape: one Redis script per app, read as it stands (a
 * window Redis lost shows empty until the next call of the app rebuilds it; a scrape never reads the
 * ledger).
 */
export async function appFigures(budget: CallBudget, apps: Config["engine"]["apps"]): Promise<AppGauges[]> {
  return Promise.all(
    catalogApps(apps).map(async (app): Promise<AppGauges> => {
      const snapshot = await budget.appSnapshot(app, { rebuild: false });
      return {
        app: snapshot.app,
        used: snapshot.minute.used,
        limit: snapshot.minute.limit,
        active: snapshot.active,
        waiting: snapshot.waiting,
        starving: snapshot.starving,
        blockedSeconds: snapshot.blockedUntil === null ? 0 : (snapshot.blockedUntil - snapshot.at) / 1000,
      };
    }),
  );
}
