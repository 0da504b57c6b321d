import { nextWallClock } from "../engine/wall-clock.ts";
import type { Integration, PrismaClient } from "../generated/prisma/client.ts";
import type { IntegrationStatus, SyncKind } from "../generated/prisma/enums.ts";
import { PLATFORMS } from "../platforms/catalog.ts";
import { DEFAULT_PERIOD_MINUTES, type EffectiveSettings } from "../settings/effective.ts";
import { loadIntegrationsEffectiveSettings } from "../settings/load.ts";
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
  return (await syncSchedules(prisma, time, [integration])).get(integration.id) ?? [];
}

/**
 * syncSchedule for many integrations in a fixed number of statements (the scheduler's sweep looks at
 * every integration every few seconds: one by one, a fleet of thousands kept PostgreSQL busy with it).
 */
export async function syncSchedules(
  prisma: PrismaClient,
  time: TimeScale,
  integrations: readonly ScheduledIntegration[],
): Promise<Map<string, ScheduledSync[]>> {
  const scheduled = integrations.filter(
    (integration) => integration.syncMode === "CONTINUOUS" && SCHEDULED_STATUSES.includes(integration.status),
  );
  const schedules = new Map<string, ScheduledSync[]>(integrations.map((i) => [i.id, []]));
  if (scheduled.length === 0) return schedules;
  const ids = scheduled.map((integration) => integration.id);
  const settingsOf = await loadIntegrationsEffectiveSettings(prisma, ids);
  const lastRuns = await lastRunsOf(prisma, ids);
  for (const integration of scheduled) {
    const settings = settingsOf.get(integration.id);
    if (settings) schedules.set(integration.id, scheduleOf(integration, settings, lastRuns, time));
  }
  return schedules;
}

/** When the latest run of each scheduled kind (and INITIAL) was queued, by integration and kind. */
async function lastRunsOf(prisma: PrismaClient, integrationIds: string[]): Promise<Map<string, Date>> {
  // One index probe per integration and kind (SyncRun's integrationId, kind, queuedAt index), however
  // long their history.
  const rows = await prisma.$queryRawUnsafe<{ integrationId: string; kind: SyncKind; queuedAt: Date }[]>(
    `SELECT i.id AS "integrationId", k.kind::text AS kind, r."queuedAt"
     FROM unnest($1::uuid[]) AS i(id)
     CROSS JOIN unnest($2::"SyncKind"[]) AS k(kind)
     CROSS JOIN LATERAL (
       SELECT "queuedAt" FROM "SyncRun"
       WHERE "integrationId" = i.id AND kind = k.kind AND status <> 'CANCELLED'
       ORDER BY "queuedAt" DESC LIMIT 1
     ) AS r`,
    integrationIds,
    SCHEDULE_KINDS,
  );
  return new Map(rows.map((row) => [lastRunKey(row.integrationId, row.kind), row.queuedAt]));
}

/** The kinds a schedule counts from: the initial sync, NIGHTLY and the periodic ones. */
const SCHEDULE_KINDS: SyncKind[] = ["INITIAL", "NIGHTLY", ...PERIODIC.map((p) => p.kind)];
const lastRunKey = (integrationId: string, kind: SyncKind) => `${integrationId}/${kind}`;

function scheduleOf(
  integration: ScheduledIntegration,
  settings: EffectiveSettings,
  lastRuns: ReadonlyMap<string, Date>,
  time: TimeScale,
): ScheduledSync[] {
  // The latest run of the kind or the initial sync, else when the integration connected.
  const sinceLast = (kind: SyncKind) => {
    const runs = [kind, "INITIAL" as const]
      .map((k) => lastRuns.get(lastRunKey(integration.id, k))?.getTime())
      .filter((at): at is number => at !== undefined);
    if (runs.length > 0) return new Date(Math.max(...runs));
    return integration.connectedAt ?? integration.createdAt;
  };
  const schedule: ScheduledSync[] = [];
  // NIGHTLY: at the (platform or tenant) nightly time in the tenant's zone, once per local day.
  if (
    PLATFORMS[integration.platform].syncKinds.includes("NIGHTLY") &&
    entitiesFor(integration.platform, "NIGHTLY", settings).length > 0
  ) {
    const dueAt = nextWallClock(
      settings.nightlySyncTime.value,
      integration.tenant.timeZone,
      sinceLast("NIGHTLY"),
    );
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
    schedule.push({ kind, dueAt: new Date(sinceLast(kind).getTime() + periodMs), periodMs });
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
  const schedules = await syncSchedules(prisma, time, integrations);
  const announced: string[] = [];
  for (const integration of integrations) {
    for (const { kind, dueAt } of schedules.get(integration.id) ?? []) {
      if (dueAt.getTime() > now) continue;
      const { created } = await prisma.$transaction((tx) =>
        queuePullRun(tx, integration, kind, { trigger: "SCHEDULE" }),
      );
      if (created) announced.push(integration.id);
    }
  }
  return announced;
}
