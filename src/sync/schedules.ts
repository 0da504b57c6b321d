import { nextWallClock } from "../engine/wall-clock.ts";
import type { Integration, PrismaClient } from "../generated/prisma/client.ts";
import type { IntegrationStatus, SyncKind } from "../generated/prisma/enums.ts";
import { PLATFORMS } from "../platforms/catalog.ts";
import { DEFAULT_PERIOD_MINUTES } from "../settings/effective.ts";
import { loadIntegrationEffectiveSettings } from "../settings/load.ts";
import { entitiesFor } from "../sync/pull.ts";
import { queuePullRun } from "../sync/runs.ts";
import type { TimeScale } from "../time.ts";

/** The periodic kinds and their default periods in platform minutes (24 hours, 10 minutes). */
const PERIODIC: { kind: SyncKind; defaultMinutes: number }[] = [
  { kind: "DAILY", defaultMinutes: DEFAULT_PERIOD_MINUTES.DAILY },
  { kind: "FREQUENT", defaultMinutes: DEFAULT_PERIOD_MINUTES.FREQUENT },
];

/** A scheduled run kind and when it is (or was) due. */
export interface ScheduledSync {
  kind: SyncKind;
  dueAt: Date;
  /** Real ms between two runs of the kind (a NIGHTLY run: a day), for what the rest of a day needs. */
  periodMs: number;
}

type ScheduledIntegration = Pick<
  Integration,
  "id" | "platform" | "syncMode" | "status" | "connectedAt" | "createdAt"
> & { tenant: { timeZone: string } };

/**
 * When each scheduled kind of a continuous integration is next due. NIGHTLY runs at the nightly time in
 * the tenant's zone (wall-clock.ts). A periodic kind is due when its period (the shortest frequency set on
 * its entities, else the default) has passed since the last run of that kind or the initial sync, or
 * since the integration connected. One-off integrations, and those that are not being served, have none.
 */
export async function syncSchedule(
  prisma: PrismaClient,
  time: TimeScale,
  integration: ScheduledIntegration,
): Promise<ScheduledSync[]> {
  if (integration.syncMode !== "CONTINUOUS" || !SCHEDULED_STATUSES.includes(integration.status)) return [];
  const settings = await loadIntegrationEffectiveSettings(prisma, integration.id);
  const sinceLast = async (kind: SyncKind) => {
    const last = await prisma.syncRun.findFirst({
      where: {
        integrationId: integration.id,
        kind: { in: [kind, "INITIAL"] },
        status: { not: "CANCELLED" },
      },
      orderBy: { queuedAt: "desc" },
      select: { queuedAt: true },
    });
    return last?.queuedAt ?? integration.connectedAt ?? integration.createdAt;
  };
  const schedule: ScheduledSync[] = [];
  // NIGHTLY: at the (platform or tenant) nightly time in the tenant's zone, once per local day.
  if (
    PLATFORMS[integration.platform].syncKinds.includes("NIGHTLY") &&
    entitiesFor(integration.platform, "NIGHTLY", settings).length > 0
  ) {
    const since = await sinceLast("NIGHTLY");
    const dueAt = nextWallClock(settings.nightlySyncTime.value, integration.tenant.timeZone, since);
    schedule.push({ kind: "NIGHTLY", dueAt, periodMs: time.dayMs });
  }
  for (const { kind, defaultMinutes } of PERIODIC) {
    if (!PLATFORMS[integration.platform].syncKinds.includes(kind)) continue;
    // Only entities a connector can pull make a run worth queueing.
    const pullable = new Set(entitiesFor(integration.platform, kind, settings));
    const frequencies = PLATFORMS[integration.platform].entities
      .filter((entity) => entity.syncKinds.includes(kind) && pullable.has(entity.key))
      .map((entity) => settings.entities.find((e) => e.entity === entity.key))
      .filter((entity) => entity?.enabled.value)
      .map((entity) => entity?.frequencyMinutes.value ?? defaultMinutes);
    if (frequencies.length === 0) continue;
    const periodMs = Math.min(...frequencies) * time.minuteMs;
    schedule.push({ kind, dueAt: new Date((await sinceLast(kind)).getTime() + periodMs), periodMs });
  }
  return schedule;
}

/** Integrations whose schedules run. */
const SCHEDULED_STATUSES: IntegrationStatus[] = ["CONNECTED", "SYNCING"];

/**
 * Queues the scheduled runs that are due (syncSchedule) for continuous integrations. Returns the
 * integrations that got a run, to be announced to the engine.
 */
export async function queueDueRuns(
  prisma: PrismaClient,
  time: TimeScale,
  now = Date.now(),
): Promise<string[]> {
  const integrations = await prisma.integration.findMany({
    where: { syncMode: "CONTINUOUS", status: { in: SCHEDULED_STATUSES } },
    include: { tenant: { select: { timeZone: true } } },
  });
  const announced: string[] = [];
  for (const integration of integrations) {
    for (const { kind, dueAt } of await syncSchedule(prisma, time, integration)) {
      if (dueAt.getTime() > now) continue;
      const { created } = await prisma.$transaction((tx) =>
        queuePullRun(tx, integration, kind, { trigger: "SCHEDULE" }),
      );
      if (created) announced.push(integration.id);
    }
  }
  return announced;
}
