import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitsFor } from "../../src/engine/rate-limit/limits.ts";
import { globalId } from "../../src/graphql/ids.ts";
import { enqueueEdits } from "../../src/sync/export.ts";
import { TriggerSyncMutation } from "../operations.ts";
import { connectedXpm, type EngineHarness, startEngineHarness, until } from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";

/** Lanes, preemption and platform 429s, judged by the XPM sandbox's call log. A "minute" is one second. */
const MINUTE_MS = 1000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS });
  tenant = await h.t.createTenant("Lanes");
});
afterAll(() => h.close());

const isExport = (e: { method: string; path: string }) => e.method === "PUT";
const isPull = (e: { method: string }) => e.method === "GET";

async function queueExports(integrationId: string, jobs: string[], value = 7) {
  await h.t.app.db.prisma.$transaction((tx) =>
    enqueueEdits(
      tx,
      integrationId,
      jobs.map((job) => ({ entity: "job", remoteId: job, field: "budget", value })),
    ),
  );
}

function queueDailyRun(integrationId: string) {
  return h.t.app.db.prisma.syncRun.create({
    data: { tenantId: tenant.id, integrationId, kind: "DAILY", trigger: "SCHEDULE", lane: "DAILY" },
  });
}

function runStatus(id: string) {
  return h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id } }).then((run) => run.status);
}

describe("priority lanes", () => {
  it("serves a DAILY run before exports queued at the same time", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 20, clients: 30 },
    });
    await queueExports(integration.id, [...practice.jobs.keys()]);
    const run = await queueDailyRun(integration.id);
    await h.t.app.engine.notify(integration.id);

    await until(
      "the DAILY run to finish",
      async () => (await runStatus(run.id)) === "SUCCEEDED",
      20 * MINUTE_MS,
    );
    const calls = h.xpm.caps.accepted(remoteTenantId);
    // DAILY pulls clients (paged), then current jobs. Its first page goes first; while a page is in
    // flight (a run's pages go one after another) the free slots serve the lower EXPORT lane.
    expect(calls[0]!.path).toBe("/v3.1/client.api/paged-list");
    const jobsPull = calls.findIndex((c) => c.path === "/v3.1/job.api/current");
    expect(jobsPull).toBeGreaterThan(0);
    expect(jobsPull).toBeLessThan(calls.findLastIndex(isExport));
    const records = await h.t.app.db.prisma.syncedRecord.count({ where: { integrationId: integration.id } });
    expect(records).toBe(30 + practice.currentJobs().length);
  });

  /** Higher-lane work arriving behind an export backlog: from the scheduler, or a user's "Sync now". */
  const arrivals = [
    {
      work: "a scheduled DAILY run",
      start: async (integrationId: string) => {
        const run = await queueDailyRun(integrationId);
        await h.t.app.engine.notify(integrationId);
        return run.id;
      },
    },
    {
      work: "a forced sync (triggerSync)",
      start: async (integrationId: string) => {
        const { triggerSync } = await h.t.data(
          TriggerSyncMutation,
          { input: { integrationId: globalId("Integration", integrationId), kind: "FORCE" } },
          tenant.admin,
        );
        expect(triggerSync.__typename).toBe("TriggerSyncPayload");
        const run = await h.t.app.db.prisma.syncRun.findFirstOrThrow({
          where: { integrationId, kind: "FORCE" },
        });
        return run.id;
      },
    },
  ];

  it.each(arrivals)(
    "starts $work that arrives behind a full export backlog as the very next call",
    async ({ start }) => {
      // A reserve of 10 exports a minute: the backlog spends it at once, then waits for the window.
      const { integration, practice, remoteTenantId } = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { jobs: 200, clients: 5 },
        override: { exportPerMinute: 10 },
      });
      await queueExports(integration.id, [...practice.jobs.keys()]);
      await h.t.app.engine.notify(integration.id);
      // Arrive well inside a spent window (not as it frees up, when an export may already be starting).
      const limits = limitsFor("XPM", integration.rateLimitOverride);
      for (let answered = 10; ; answered += 10) {
        await until(
          `${answered} exports answered`,
          () => h.xpm.caps.accepted(remoteTenantId).filter((c) => c.endedAt !== null).length >= answered,
          5 * MINUTE_MS,
        );
        const { exportMinute } = await h.t.app.engine.budget.snapshot(integration.id, limits);
        if (exportMinute.remaining === 0 && exportMinute.resetsAt - Date.now() > MINUTE_MS / 4) break;
      }

      const queuedAt = Date.now();
      const runId = await start(integration.id);
      await until(
        "the run to start",
        () => h.xpm.caps.accepted(remoteTenantId).some((c) => isPull(c)),
        5 * MINUTE_MS,
      );

      const after = h.xpm.caps.accepted(remoteTenantId).filter((c) => c.startedAt >= queuedAt);
      expect(isPull(after[0]!)).toBe(true);
      const pullsBeforeNextExport = after.findIndex(isExport);
      expect(pullsBeforeNextExport === -1 || pullsBeforeNextExport >= 1).toBe(true);
      await until("the run to finish", async () => (await runStatus(runId)) === "SUCCEEDED", 10 * MINUTE_MS);
      // The exports never went over their reserve while the pull ran beside them.
      expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS, isExport)).toBeLessThanOrEqual(10);
      expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS)).toBeLessThanOrEqual(60);
    },
  );
});

describe("platform 429s", () => {
  it("stops every call until Retry-After has passed, then goes on", async () => {
    // One call at a time, so no other call is already on its way when the 429 comes back.
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 10 },
      override: { concurrent: 1 },
    });
    // Retry-After of 30 platform seconds: half a "minute", 500 ms here.
    h.xpm.caps.injectFaults(remoteTenantId, { kind: "rateLimit", problem: "minute", retryAfterSeconds: 30 });
    await queueExports(integration.id, [...practice.jobs.keys()]);
    await h.t.app.engine.notify(integration.id);
    await until(
      "all 10 exports sent",
      async () =>
        (await h.t.app.db.prisma.exportItem.count({
          where: { integrationId: integration.id, status: "SENT" },
        })) === 10,
      10 * MINUTE_MS,
    );
    const log = h.xpm.caps.log.filter((c) => c.tenantId === remoteTenantId);
    const refused = log.filter((c) => c.status === 429);
    expect(refused).toHaveLength(1);
    const blockedUntil = refused[0]!.endedAt! + MINUTE_MS / 2;
    const during = log.filter((c) => c.seq > refused[0]!.seq && c.startedAt < blockedUntil);
    expect(during).toEqual([]);
    expect(h.xpm.caps.accepted(remoteTenantId).filter(isExport)).toHaveLength(10);
  });

  it("defers a run when the platform's day cap answers 429, and finishes it after the reset", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 3, clients: 3 },
    });
    // A day-cap 429 whose Retry-After is one platform minute (a second here).
    h.xpm.caps.injectFaults(remoteTenantId, { kind: "rateLimit", problem: "day", retryAfterSeconds: 60 });
    const run = await queueDailyRun(integration.id);
    await h.t.app.engine.notify(integration.id);
    await until(
      "the run to be deferred",
      async () => (await runStatus(run.id)) === "DEFERRED",
      5 * MINUTE_MS,
    );
    const deferred = await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(deferred.deferredUntil!.getTime()).toBeGreaterThan(Date.now() - MINUTE_MS);
    await until("the run to finish", async () => (await runStatus(run.id)) === "SUCCEEDED", 10 * MINUTE_MS);
    const finished = await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(finished.status).toBe("SUCCEEDED");
    expect(finished.fetchedCount).toBe(3 + practice.currentJobs().length);
  });
});
