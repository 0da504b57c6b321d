import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../src/auth/tenants.ts";
import { type Database, openDatabase } from "../../../src/db/client.ts";
import type { Prisma } from "../../../src/generated/prisma/client.ts";
import { servableIntegration } from "../../../src/integrations/integration-state.ts";
import { loadIntegrationEffectiveSettings } from "../../../src/settings/load.ts";
import { type PlanJson, planBesideRuns, planOf, readPlan } from "../../../src/sync/pull.ts";
import { activeRuns } from "../../../src/sync/run-state.ts";
import { startTestApp, type TestApp } from "../../support/harness.ts";

/**
 * The engine's hot-path reads by raw SQL (db/rows.ts) return what Prisma returns for the same rows:
 * every column, enums as their names, JSON parsed, timestamps as the instants Prisma wrote. Run with the
 * process in a zone far from UTC, where a `timestamp` column read as local time would be hours off.
 */
async function rowsMatchPrisma(db: Database) {
  const { tenantId } = await createTenant(db.prisma, { name: "Rows" });
  const integration = await db.prisma.integration.create({
    data: {
      tenantId,
      platform: "XPM",
      name: "Practice",
      remoteTenantId: "practice-rows",
      status: "CONNECTED",
      syncMode: "CONTINUOUS",
      credentialsEncrypted: "sealed",
      summarizeData: true,
      rateLimitOverride: { perMinute: 30, nested: { list: [1, "two", null] } },
      connectedAt: new Date("2026-03-29T01:30:00.123Z"),
      disconnectedAt: new Date("2026-04-05T02:59:59.001Z"),
      accessTokenExpiresAt: new Date("2026-11-01T23:59:59.999Z"),
      tokenRefreshedAt: new Date("2026-09-27T14:00:00.000Z"),
      exportReserveMode: "ADAPTIVE",
    },
  });
  const scheduled = (
    data: Omit<Prisma.SyncRunUncheckedCreateInput, "tenantId" | "integrationId" | "trigger">,
  ) =>
    db.prisma.syncRun.create({
      data: { tenantId, integrationId: integration.id, trigger: "SCHEDULE", ...data },
    });
  const run = await scheduled({
    kind: "DAILY",
    lane: "DAILY",
    status: "RUNNING",
    fetchedCount: 7,
    windowFrom: new Date("2026-10-25T00:59:59.001Z"),
    startedAt: new Date("2026-12-01T12:00:00.500Z"),
    cursor: { entities: ["client", "job"], index: 1, page: 3, since: null },
  });
  const other = await scheduled({ kind: "FREQUENT", lane: "FREQUENT" });
  // Deferred to a day to come (its day cap spent): not due, but its time is what the look reports.
  const deferredUntil = new Date(Date.now() + 3_600_000);
  const deferred = await scheduled({
    kind: "DAILY",
    lane: "DAILY",
    status: "DEFERRED",
    windowFrom: new Date("2026-11-01T00:00:00.000Z"),
    windowTo: new Date("2026-11-02T00:00:00.000Z"),
    startedAt: new Date("2026-11-30T11:00:00.000Z"),
    finishedAt: new Date("2026-11-30T11:30:00.000Z"),
    deferredUntil,
    error: "day cap",
  });

  // The served row is the integration's, with the platform layer's export reserve mode beside it.
  await db.prisma.platformSettings.create({
    data: { tenantId, platform: "XPM", exportReserveMode: "ADAPTIVE" },
  });
  expect(await servableIntegration(db.sql, integration.id)).toEqual({
    ...(await db.prisma.integration.findUniqueOrThrow({ where: { id: integration.id } })),
    platformExportReserveMode: "ADAPTIVE",
  });
  await db.prisma.platformSettings.delete({ where: { tenantId_platform: { tenantId, platform: "XPM" } } });
  expect(await servableIntegration(db.sql, integration.id)).toMatchObject({
    platformExportReserveMode: null,
  });
  const read = await activeRuns(db.sql, integration.id, ["DAILY", "FREQUENT"]);
  expect(read).toEqual({
    due: await db.prisma.syncRun.findMany({
      where: { id: { in: [run.id, other.id] } },
      orderBy: [{ queuedAt: "asc" }, { id: "asc" }],
    }),
    deferredAt: deferredUntil.getTime(),
    extra: null,
  });
  // The deferred run as Prisma reads it, once its time has come.
  await db.prisma.syncRun.update({
    where: { id: deferred.id },
    data: { deferredUntil: new Date(Date.now() - 1) },
  });
  const due = await activeRuns(db.sql, integration.id, ["DAILY"]);
  expect(due.due.find((r) => r.id === deferred.id)).toEqual(
    await db.prisma.syncRun.findUniqueOrThrow({ where: { id: deferred.id } }),
  );
  expect(due.deferredAt).toBeNull();
  expect(
    (await activeRuns(db.sql, integration.id, ["DAILY", "FREQUENT"], [run.id, deferred.id])).due.map(
      (r) => r.id,
    ),
  ).toEqual([other.id]);
  expect((await activeRuns(db.sql, integration.id, ["PUSH"])).due).toEqual([]);

  // A run's plan: the effective settings as Prisma's read of every layer resolves them, with the watermarks.
  const settings = () => loadIntegrationEffectiveSettings(db.prisma, integration.id);
  const known = async () => (await readPlan(db.sql, integration)).settings;
  expect(await known()).toEqual(await settings());
  await db.prisma.tenantSettings.upsert({
    where: { tenantId },
    create: { tenantId, oneOffSync: true, summarizeData: false, nightlySyncTime: "03:15" },
    update: { oneOffSync: true, summarizeData: false, nightlySyncTime: "03:15" },
  });
  await db.prisma.platformSettings.create({
    data: { tenantId, platform: "XPM", nightlySyncTime: "04:45", exportReserveMode: "STRICT" },
  });
  await db.prisma.integrationEntitySettings.create({
    data: {
      integrationId: integration.id,
      entity: "job",
      enabled: false,
      fetchOnFirstLink: true,
      customFields: ["Budget code", "Region"],
      frequencyMinutes: 60,
    },
  });
  const layered = await known();
  expect(layered).toEqual(await settings());
  expect(layered.nightlySyncTime.value).toBe("04:45");
  expect(layered.entities.find((entity) => entity.entity === "job")).toMatchObject({
    enabled: { value: false },
    customFields: { value: ["Budget code", "Region"] },
  });
  const cursor = new Date("2026-11-30T23:30:00.250Z");
  await db.prisma.watermark.create({ data: { integrationId: integration.id, entity: "client", cursor } });
  const plan = await readPlan(db.sql, integration);
  expect(plan.settings).toEqual(layered);
  expect([...plan.watermarks]).toEqual([["client", cursor]]);
  // The same plan, read beside the runs: for those that have not started (FREQUENT, the deferred DAILY),
  // and none when only a started one is left.
  const beside = (exclude: string[]) =>
    activeRuns<PlanJson>(db.sql, integration.id, ["DAILY", "FREQUENT"], exclude, planBesideRuns(integration));
  const withPlan = await beside([]);
  expect(withPlan.due.map((r) => r.id).sort()).toEqual([run.id, other.id, deferred.id].sort());
  expect(withPlan.due.every((r) => !("extra" in r))).toBe(true);
  expect(planOf(integration, withPlan.extra!)).toEqual(plan);
  expect((await beside([other.id, deferred.id])).extra).toBeNull();

  // Not servable once paused: the read says so rather than return the row.
  await db.prisma.integration.update({ where: { id: integration.id }, data: { status: "PAUSED" } });
  expect(await servableIntegration(db.sql, integration.id)).toBeNull();
}

describe("hot-path rows read by raw SQL", () => {
  const zone = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = "Pacific/Auckland";
  });
  afterAll(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  let test: TestApp | undefined;
  afterEach(async () => {
    await test?.close();
    test = undefined;
  });

  it("match Prisma's on PostgreSQL", async () => {
    test = await startTestApp();
    await rowsMatchPrisma(test.app.db);
  });

  it("match Prisma's on PGlite", async () => {
    const db = await openDatabase({ kind: "pglite", dir: "memory://" });
    try {
      await rowsMatchPrisma(db);
    } finally {
      await db.close();
    }
  });
});
