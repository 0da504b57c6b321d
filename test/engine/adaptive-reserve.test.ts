import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../src/graphql/ids.ts";
import { ingestOrders, validateOrders } from "../../src/push/orders.ts";
import type { CallLogEntry } from "../../src/sandbox/kit/call-log.ts";
import { enqueueEdits } from "../../src/sync/export.ts";
import { queuePushRun } from "../../src/sync/runs.ts";
import {
  EnqueueExportsMutation,
  ExportQueueQuery,
  UpdateIntegrationSettingsMutation,
} from "../operations.ts";
import {
  connectedXero,
  connectedXpm,
  type EngineHarness,
  startEngineHarness,
  until,
} from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";

/**
 * The export reserve's ADAPTIVE mode (sync/export-reserve.ts) next to STRICT, against the XPM sandbox in
 * compressed time. Each integration's 10-minute sync is scheduled for real (the scheduler role runs).
 */
let h: EngineHarness;
let tenant: TestTenant;

const isExport = (c: CallLogEntry) => c.method === "PUT";
const sent = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.count({ where: { integrationId, status: "SENT" } });

async function adaptive(integrationId: string) {
  const { updateIntegrationSettings } = await h.t.data(
    UpdateIntegrationSettingsMutation,
    { input: { integrationId: globalId("Integration", integrationId), exportReserveMode: "ADAPTIVE" } },
    tenant.admin,
  );
  if (updateIntegrationSettings.__typename !== "IntegrationSettingsPayload")
    throw new Error(updateIntegrationSettings.__typename);
  expect(updateIntegrationSettings.integration.settings.exportReserveMode).toEqual({
    value: "ADAPTIVE",
    source: "INTEGRATION",
  });
}

describe("the adaptive export reserve (a minute of 3 s)", () => {
  const MINUTE_MS = 3000;

  beforeAll(async () => {
    h = await startEngineHarness({ minuteMs: MINUTE_MS });
    tenant = await h.t.createTenant("Adaptive reserve");
  });
  afterAll(() => h.close());

  it("drains faster than STRICT, and a 10-minute sync that falls due mid-drain goes first and finds the strict reserve's headroom", async () => {
    const EDITS = 240;
    const connect = async () => {
      const made = await connectedXpm(h, { tenantId: tenant.id, seed: { jobs: EDITS, clients: 2 } });
      // Connected 6 platform minutes ago: the 10-minute sync falls due 4 minutes into the drain.
      await h.t.app.db.prisma.integration.update({
        where: { id: made.integration.id },
        data: { connectedAt: new Date(Date.now() - 6 * MINUTE_MS) },
      });
      return made;
    };
    const strict = await connect();
    const flexible = await connect();
    await adaptive(flexible.integration.id);

    const start = Date.now();
    await Promise.all(
      [strict, flexible].map(async ({ integration, practice }) => {
        const items = [...practice.jobs.keys()].map((job) => ({
          entity: "job",
          remoteId: job,
          field: "budget",
          value: 4242,
        }));
        const { enqueueExports } = await h.t.data(
          EnqueueExportsMutation,
          { input: { integrationId: globalId("Integration", integration.id), items } },
          tenant.admin,
        );
        if (enqueueExports.__typename !== "EnqueueExportsPayload") throw new Error(enqueueExports.message);
      }),
    );
    // DEBUG_RESERVE=1 prints each integration's calls per minute and its runs.
    const debug = async () => {
      if (!process.env.DEBUG_RESERVE) return;
      for (const r of [strict.remoteTenantId, flexible.remoteTenantId]) {
        const perMinute = new Map<string, number>();
        for (const c of h.xpm.caps.log.filter((c) => c.tenantId === r)) {
          const k = `${Math.floor((c.startedAt - start) / MINUTE_MS)}${isExport(c) ? "x" : "p"}${c.status}`;
          perMinute.set(k, (perMinute.get(k) ?? 0) + 1);
        }
        const runs = await h.t.app.db.prisma.syncRun.findMany({
          where: { integration: { remoteTenantId: r } },
          select: { kind: true, status: true, queuedAt: true, finishedAt: true },
        });
        const at = (d: Date | null) => (d ? d.getTime() - start : null);
        console.log(r, JSON.stringify([...perMinute]));
        console.log(JSON.stringify(runs.map((x) => [x.kind, x.status, at(x.queuedAt), at(x.finishedAt)])));
      }
    };
    const timer = setTimeout(() => void debug(), 19 * MINUTE_MS);
    await until(
      "both drained",
      async () =>
        (await sent(strict.integration.id)) === EDITS && (await sent(flexible.integration.id)) === EDITS,
      20 * MINUTE_MS,
    );
    clearTimeout(timer);
    await debug();
    // From each one's first export to its last (the engine's start-up is not the reserve's doing).
    const firstExport = (remoteTenantId: string) =>
      Math.min(
        ...h.xpm.caps
          .accepted(remoteTenantId)
          .filter(isExport)
          .map((c) => c.startedAt),
      );
    const drain = (remoteTenantId: string) => {
      const calls = h.xpm.caps.accepted(remoteTenantId).filter(isExport);
      return (Math.max(...calls.map((c) => c.endedAt!)) - firstExport(remoteTenantId)) / MINUTE_MS;
    };
    const [strictMinutes, adaptiveMinutes] = [drain(strict.remoteTenantId), drain(flexible.remoteTenantId)];
    // STRICT: 30 a minute, so the last 30 go in the eighth minute. ADAPTIVE: up to 60 a minute, but 30
    // while the sync is near.
    expect(strictMinutes).toBeGreaterThanOrEqual(7);
    expect(adaptiveMinutes).toBeLessThan(strictMinutes * 0.85);
    expect(h.xpm.caps.maxInSlidingWindow(strict.remoteTenantId, MINUTE_MS, isExport)).toBeLessThanOrEqual(30);
    expect(h.xpm.caps.maxInSlidingWindow(flexible.remoteTenantId, MINUTE_MS, isExport)).toBeGreaterThan(40);

    for (const { integration, remoteTenantId } of [strict, flexible]) {
      const calls = h.xpm.caps.accepted(remoteTenantId);
      expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS)).toBeLessThanOrEqual(60);
      expect(h.xpm.caps.maxConcurrency(remoteTenantId)).toBeLessThanOrEqual(3);
      expect(h.xpm.caps.log.filter((c) => c.tenantId === remoteTenantId && c.status === 429)).toHaveLength(0);
      expect(calls.filter((c) => isExport(c) && c.replayed)).toHaveLength(0);

      // The 10-minute sync fell due mid-drain and was served first.
      const run = await h.t.app.db.prisma.syncRun.findFirstOrThrow({
        where: { integrationId: integration.id, kind: "FREQUENT" },
        orderBy: { queuedAt: "asc" },
      });
      expect(run.status).toBe("SUCCEEDED");
      expect(run.queuedAt.getTime()).toBeLessThan(start + 5 * MINUTE_MS);
      const pulls = calls.filter((c) => !isExport(c) && c.startedAt >= run.queuedAt.getTime());
      expect(pulls.length).toBeGreaterThan(0);
      const first = Math.min(...pulls.map((c) => c.startedAt));
      // It found the headroom the strict reserve keeps: at most 30 exports in the minute before it, and
      // its first call went out without waiting for the window (a call slot frees within one call).
      const exportsBefore = calls.filter(
        (c) => isExport(c) && c.endedAt! > first - MINUTE_MS && c.startedAt <= first,
      );
      expect(exportsBefore.length).toBeLessThanOrEqual(30);
      expect(first - run.queuedAt.getTime()).toBeLessThan(MINUTE_MS / 2);
      expect(run.finishedAt!.getTime() - run.queuedAt.getTime()).toBeLessThan(MINUTE_MS);
    }
  }, 120_000);

  it("shows in GraphQL the export minute the engine applies and the drain it gives: ADAPTIVE with no pull due, all 60; STRICT, the reserve's 30", async () => {
    const EDITS = 240;
    // One-off: no pull is scheduled, so ADAPTIVE exports may use the whole minute.
    const strict = await connectedXpm(h, { tenantId: tenant.id, seed: { jobs: EDITS }, syncMode: "ONE_OFF" });
    const flexible = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: EDITS },
      syncMode: "ONE_OFF",
    });
    await adaptive(flexible.integration.id);
    const [strictQueue, adaptiveQueue] = await Promise.all(
      [strict, flexible].map(async ({ integration, practice }) => {
        const items = [...practice.jobs.keys()].map((job) => ({
          entity: "job",
          remoteId: job,
          field: "budget",
          value: 77,
        }));
        const { enqueueExports } = await h.t.data(
          EnqueueExportsMutation,
          { input: { integrationId: globalId("Integration", integration.id), items } },
          tenant.admin,
        );
        if (enqueueExports.__typename !== "EnqueueExportsPayload") throw new Error(enqueueExports.message);
        return enqueueExports.exportQueue;
      }),
    );
    // Seconds per export still to send: 1/30 of a minute each under STRICT, 1/60 under ADAPTIVE.
    const perExport = (q: { estimatedDrainSeconds: number | null; pending: number; inFlight: number }) =>
      q.estimatedDrainSeconds! / (q.pending + q.inFlight);
    expect(perExport(strictQueue!)).toBeCloseTo(MINUTE_MS / 30 / 1000, 2);
    expect(perExport(adaptiveQueue!)).toBeCloseTo(MINUTE_MS / 60 / 1000, 2);

    const budgets = await Promise.all(
      [strict, flexible].map(async ({ integration }) => {
        const id = globalId("Integration", integration.id);
        const { integration: read } = await h.t.data(ExportQueueQuery, { id }, tenant.viewer);
        if (read.__typename !== "Integration") throw new Error(read.__typename);
        return read;
      }),
    );
    expect(budgets.map((b) => b.rateBudget.exportMinute.limit)).toEqual([30, 60]);
    // The day: no scheduled pull to keep calls for, so the whole cap is there for exports.
    expect(budgets.map((b) => b.rateBudget.exportDay.limit)).toEqual([4500, 5000]);
    for (const b of budgets) {
      const { exportMinute } = b.rateBudget;
      expect(exportMinute.remaining).toBe(Math.max(0, exportMinute.limit - exportMinute.used));
    }
    // What the engine does with the figures is the first test's; the rest need not be sent.
    await h.t.app.db.prisma.exportItem.deleteMany({
      where: { integrationId: { in: [strict.integration.id, flexible.integration.id] }, status: "PENDING" },
    });
  }, 120_000);

  it("pushes carry the same allowance: an ADAPTIVE push uses the whole minute while no pull is due, a STRICT one the reserve's", async () => {
    // A minute of 20 calls, 10 of them for exports and pushes (figures a loaded machine keeps up with).
    const override = { perMinute: 20, exportPerMinute: 10 };
    const PACKETS = 40;
    const isJournal = (c: CallLogEntry) => c.method === "PUT" && c.path === "/ManualJournals";
    const prisma = h.t.app.db.prisma;
    // Orders are the tenant's, by the host's id: each integration gets its own.
    const withOrders = async (prefix: string) => {
      const made = await connectedXero(h, { tenantId: tenant.id, syncMode: "ONE_OFF", override });
      const rules = [
        ["REVENUE_CATEGORY", "ACCOUNT_CODE", "200"],
        ["TAX_RATE", "TAX_TYPE", "OUTPUT"],
        ["PAYMENT_METHOD", "ACCOUNT_CODE", "090"],
      ] as const;
      await prisma.mappingRule.createMany({
        data: rules.map(([sourceType, targetType, targetValue]) => ({
          integrationId: made.integration.id,
          sourceType,
          sourceValue: "",
          targetType,
          targetValue,
        })),
      });
      // Not summarized (the default): one packet, one call, per order.
      const { valid } = validateOrders(
        Array.from({ length: PACKETS }, (_, i) => ({
          externalId: `${prefix}-${i}`,
          orderedAt: new Date(Date.UTC(2026, 10, 20, 1, i)),
          currency: "NZD",
          totalAmount: "11.50",
          items: [
            {
              revenueCategory: "Retail",
              quantity: "1",
              netAmount: "10.00",
              taxRate: "GST",
              taxAmount: "1.50",
            },
          ],
          payments: [{ method: "CARD", amount: "11.50" }],
        })),
      );
      await prisma.$transaction((tx) =>
        ingestOrders(tx, { tenantId: tenant.id, integrationId: made.integration.id }, valid),
      );
      return made;
    };
    const strict = await withOrders("S");
    const flexible = await withOrders("A");
    await adaptive(flexible.integration.id);
    const runs: string[] = [];
    for (const { integration } of [strict, flexible]) {
      const { run } = await prisma.$transaction((tx) =>
        queuePushRun(tx, integration, { requestedById: null as unknown as string }),
      );
      runs.push(run.id);
      await h.t.app.engine.notify(integration.id);
    }
    await until(
      "both pushes finished",
      async () =>
        (await prisma.syncRun.count({
          where: { id: { in: runs }, status: "SUCCEEDED" },
        })) === 2,
      20 * MINUTE_MS,
    );
    for (const { remoteTenantId, organisation } of [strict, flexible]) {
      expect(organisation.journals).toHaveLength(PACKETS);
      expect(h.xero.caps.log.filter((c) => c.tenantId === remoteTenantId && c.status === 429)).toHaveLength(
        0,
      );
      expect(h.xero.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS)).toBeLessThanOrEqual(20);
    }
    // STRICT: the reserve's 10 at most; ADAPTIVE: well past them, toward the whole 20.
    expect(h.xero.caps.maxInSlidingWindow(strict.remoteTenantId, MINUTE_MS, isJournal)).toBeLessThanOrEqual(
      10,
    );
    expect(h.xero.caps.maxInSlidingWindow(flexible.remoteTenantId, MINUTE_MS, isJournal)).toBeGreaterThan(14);
  }, 120_000);
});

describe("the adaptive export reserve's day (a minute of 5 ms, a day of 7.2 s)", () => {
  const MINUTE_MS = 5;
  const DAY_MS = MINUTE_MS * 1440;

  beforeAll(async () => {
    h = await startEngineHarness({ minuteMs: MINUTE_MS });
    tenant = await h.t.createTenant("Adaptive reserve day");
  });
  afterAll(() => h.close());

  it("uses the day beyond the reserve only as far as the rest of the day's pulls allow, never past the day cap", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 150, clients: 1, timeEntries: 5 },
      // A day of 100 calls, of which 50 for exports, the minute lifted so only the day binds (small
      // figures, so the day's calls fit a 7.2 s day on a loaded machine).
      override: { perMinute: 1_000_000, exportPerMinute: 1_000_000, perDay: 100, exportPerDay: 50 },
    });
    h.xpm.caps.setLimits({ perMinute: 1_000_000, perDay: 100 }, remoteTenantId);
    await adaptive(integration.id);
    const prisma = h.t.app.db.prisma;
    // Only the 10-minute kind is scheduled (jobs and clients are not pulled), every 6 hours: four runs a day.
    for (const entity of ["client", "job"])
      await prisma.integrationEntitySettings.create({
        data: { integrationId: integration.id, entity, enabled: false },
      });
    for (const entity of ["staff", "time"])
      await prisma.integrationEntitySettings.create({
        data: { integrationId: integration.id, entity, frequencyMinutes: 360 },
      });
    // What one run of it cost yesterday, in the call ledger: 4 calls.
    const yesterday = Date.now() - 1.5 * DAY_MS;
    await prisma.syncRun.create({
      data: {
        tenantId: tenant.id,
        integrationId: integration.id,
        kind: "FREQUENT",
        trigger: "SCHEDULE",
        lane: "FREQUENT",
        status: "SUCCEEDED",
        queuedAt: new Date(yesterday),
        startedAt: new Date(yesterday),
        finishedAt: new Date(yesterday + 100),
      },
    });
    await prisma.callLedger.createMany({
      data: [0, 1, 2, 3].map((i) => ({
        id: randomUUID(),
        integrationId: integration.id,
        lane: "FREQUENT" as const,
        export: false,
        startedAt: BigInt(yesterday + 10 + i),
        endedAt: BigInt(yesterday + 20 + i),
      })),
    });

    // Start at the top of a day.
    await new Promise((resolve) => setTimeout(resolve, DAY_MS - (Date.now() % DAY_MS) + 5));
    const day = Math.floor(Date.now() / DAY_MS);
    const jobs = [...practice.jobs.keys()];
    await prisma.$transaction(
      (tx) =>
        enqueueEdits(
          tx,
          integration.id,
          jobs.map((job) => ({ entity: "job", remoteId: job, field: "budget", value: 9 })),
        ),
      { timeout: 30_000 },
    );
    await h.t.app.engine.notify(integration.id);
    // Wait for the day to end.
    await new Promise((resolve) => setTimeout(resolve, (day + 1) * DAY_MS - Date.now() + 50));

    const today = h.xpm.caps.accepted(remoteTenantId).filter((c) => Math.floor(c.startedAt / DAY_MS) === day);
    const exportsToday = today.filter(isExport).length;
    // Beyond the strict reserve's 50, never past the day's 100, and the pulls found their calls.
    expect(exportsToday).toBeGreaterThan(50);
    expect(today.length).toBeLessThanOrEqual(100);
    expect(h.xpm.caps.log.filter((c) => c.tenantId === remoteTenantId && c.status === 429)).toHaveLength(0);
    const runs = await prisma.syncRun.findMany({
      where: {
        integrationId: integration.id,
        kind: "FREQUENT",
        queuedAt: { gte: new Date(day * DAY_MS), lt: new Date((day + 1) * DAY_MS) },
      },
    });
    // Every run of the day found its calls: none was put off to the next day for a spent day.
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.filter((r) => r.status === "DEFERRED" || r.status === "FAILED")).toEqual([]);
    expect(today.filter((c) => !isExport(c)).length).toBeGreaterThanOrEqual(runs.length);
  }, 60_000);
});
