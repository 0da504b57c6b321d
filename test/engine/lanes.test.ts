import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitsFor } from "../../src/engine/rate-limit/limits.ts";
import { globalId } from "../../src/graphql/ids.ts";
import { enqueueEdits } from "../../src/sync/export.ts";
import {
  PauseIntegrationMutation,
  ResumeIntegrationMutation,
  TicketsQuery,
  TriggerSyncMutation,
} from "../operations.ts";
import {
  connectedPsa,
  connectedXpm,
  type EngineHarness,
  startEngineHarness,
  until,
} from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";

/** Lanes, preemption and platform 429s, judged by the sandboxes' call logs. A "minute" is one second. */
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
    // One call at a time, so the sandbox receives the calls in the order they were picked; no schedule,
    // so the run is the only pull.
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 20, clients: 30 },
      override: { concurrent: 1 },
      syncMode: "ONE_OFF",
    });
    // The exports first, the run after them, visible together (no sweep can start the exports alone).
    const run = await h.t.app.db.prisma.$transaction(async (tx) => {
      await enqueueEdits(
        tx,
        integration.id,
        [...practice.jobs.keys()].map((job) => ({ entity: "job", remoteId: job, field: "budget", value: 7 })),
      );
      return tx.syncRun.create({
        data: {
          tenantId: tenant.id,
          integrationId: integration.id,
          kind: "DAILY",
          trigger: "SCHEDULE",
          lane: "DAILY",
        },
      });
    });
    await h.t.app.engine.notify(integration.id);

    await until(
      "the DAILY run to finish and every export to go",
      async () =>
        (await runStatus(run.id)) === "SUCCEEDED" &&
        h.xpm.caps.accepted(remoteTenantId).filter((c) => isExport(c) && c.endedAt !== null).length === 20,
      20 * MINUTE_MS,
    );
    const calls = h.xpm.caps.accepted(remoteTenantId);
    // Every page of the run (its clients, then current jobs) went before the first export; then the 20
    // exports, and nothing else.
    const firstExport = calls.findIndex(isExport);
    expect(firstExport).toBeGreaterThanOrEqual(2);
    const pages = calls.slice(0, firstExport);
    expect(pages.every(isPull)).toBe(true);
    expect(pages[0]!.path).toMatch(/^\/v3\.1\/client\.api\//);
    expect(pages.at(-1)!.path).toBe("/v3.1/job.api/current");
    expect(calls.slice(firstExport)).toHaveLength(20);
    expect(calls.slice(firstExport).every(isExport)).toBe(true);
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
      // No schedule: the run that arrives is the only pull.
      const { integration, practice, remoteTenantId } = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { jobs: 200, clients: 5 },
        override: { exportPerMinute: 10 },
        syncMode: "ONE_OFF",
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

      // The backlog is still there: exports wait for the window.
      expect(
        await h.t.app.db.prisma.exportItem.count({
          where: { integrationId: integration.id, status: "PENDING" },
        }),
      ).toBeGreaterThan(0);
      const queuedAt = Date.now();
      const runId = await start(integration.id);
      await until(
        "the run to start",
        () => h.xpm.caps.accepted(remoteTenantId).some((c) => isPull(c) && c.startedAt >= queuedAt),
        5 * MINUTE_MS,
      );

      // The very next call is the run's first page (its clients), ahead of every waiting export.
      const after = h.xpm.caps.accepted(remoteTenantId).filter((c) => c.startedAt >= queuedAt);
      expect(after[0]).toMatchObject({
        method: "GET",
        path: expect.stringMatching(/^\/v3\.1\/client\.api\//),
      });
      await until("the run to finish", async () => (await runStatus(runId)) === "SUCCEEDED", 10 * MINUTE_MS);
      // The exports never went over their reserve while the pull ran beside them.
      expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS, isExport)).toBeLessThanOrEqual(10);
      expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS)).toBeLessThanOrEqual(60);
    },
  );

  it("stops a flowing export backlog at the next call once the integration is paused, not at the minute's end", async () => {
    // 200 exports, 40 ms a call, three at a time, the whole minute theirs: the activation's round would
    // go on until the minute's 60 calls were spent. The pause is announced while calls are flowing.
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 200, clients: 5 },
      override: { exportPerMinute: 60 },
      syncMode: "ONE_OFF",
    });
    h.xpm.caps.setLatency(40, remoteTenantId);
    await queueExports(integration.id, [...practice.jobs.keys()]);
    await h.t.app.engine.notify(integration.id);
    await until("exports flowing", () => h.xpm.caps.accepted(remoteTenantId).length >= 6, 5 * MINUTE_MS);
    const { pauseIntegration } = await h.t.data(
      PauseIntegrationMutation,
      { id: globalId("Integration", integration.id) },
      tenant.admin,
    );
    expect(pauseIntegration.__typename).toBe("IntegrationPayload");
    const pausedAt = Date.now();
    // Two platform minutes: the window frees twice over, and nothing more goes out.
    await new Promise((resolve) => setTimeout(resolve, 2 * MINUTE_MS));
    const after = h.xpm.caps.accepted(remoteTenantId).filter((c) => c.startedAt >= pausedAt);
    // At most the calls already charged when the pause was heard: one per slot, or two should the
    // announcement take longer than a call (40 ms) to arrive. Without the look, the backlog went on.
    expect(after.length).toBeLessThanOrEqual(6);
    const waiting = await h.t.app.db.prisma.exportItem.count({
      where: { integrationId: integration.id, status: "PENDING" },
    });
    expect(waiting).toBeGreaterThan(100);
    // What the pause put back goes once the integration is resumed, every edit once.
    const { resumeIntegration } = await h.t.data(
      ResumeIntegrationMutation,
      { id: globalId("Integration", integration.id) },
      tenant.admin,
    );
    expect(resumeIntegration.__typename).toBe("IntegrationPayload");
    await until(
      "every export sent",
      async () =>
        (await h.t.app.db.prisma.exportItem.count({
          where: { integrationId: integration.id, status: { not: "SENT" } },
        })) === 0,
      10 * MINUTE_MS,
    );
    // 200 edits of 200 jobs, all sent: 200 calls, so none went twice.
    expect(h.xpm.caps.accepted(remoteTenantId).filter(isExport)).toHaveLength(200);
  });

  it("gives a live ticket read the next free call, ahead of a pull that is waiting for budget", async () => {
    // 3 calls a minute: the initial pull (8 entities, a call each) spends them and waits; a ticket read
    // arrives meanwhile.
    const { integration, remoteTenantId } = await connectedPsa(h, {
      tenantId: tenant.id,
      seed: { companies: 50 },
      override: { perMinute: 3 },
    });
    const run = await h.t.app.db.prisma.syncRun.create({
      data: {
        tenantId: tenant.id,
        integrationId: integration.id,
        kind: "INITIAL",
        trigger: "CONNECT",
        lane: "INITIAL",
      },
    });
    await h.t.app.engine.notify(integration.id);
    // Ask well inside a spent window (not as it frees up, when a pull page may already be starting).
    const limits = limitsFor("PSA", integration.rateLimitOverride);
    for (let spent = 3; ; spent += 3) {
      await until(`${spent} calls`, () => h.psa.caps.accepted(remoteTenantId).length >= spent, 5 * MINUTE_MS);
      const { minute } = await h.t.app.engine.budget.snapshot(integration.id, limits);
      if (minute.remaining === 0 && minute.resetsAt - Date.now() > MINUTE_MS / 4) break;
    }
    const askedAt = Date.now();
    const { integration: result } = await h.t.data(
      TicketsQuery,
      { id: globalId("Integration", integration.id), first: 5 },
      tenant.viewer,
    );
    expect(result).toMatchObject({ tickets: { __typename: "TicketConnection" } });
    const after = h.psa.caps.accepted(remoteTenantId).filter((c) => c.startedAt >= askedAt);
    expect(after[0]!.path).toMatch(/service\/tickets$/);
    await until("the pull to finish", async () => (await runStatus(run.id)) === "SUCCEEDED", 10 * MINUTE_MS);
    expect(h.psa.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS)).toBeLessThanOrEqual(3);
    expect(h.psa.caps.log.filter((c) => c.tenantId === remoteTenantId && c.status === 429)).toHaveLength(0);
  });
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
    const seenDeferredAt = Date.now();
    const deferred = await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
    // Deferred for the Retry-After, counted from when the 429 came back (the sandbox shares this clock).
    const refused = h.xpm.caps.log.filter((c) => c.tenantId === remoteTenantId && c.status === 429);
    expect(refused).toHaveLength(1);
    const deferredUntil = deferred.deferredUntil!.getTime();
    expect(deferredUntil).toBeGreaterThanOrEqual(refused[0]!.endedAt! + MINUTE_MS);
    expect(deferredUntil).toBeLessThanOrEqual(seenDeferredAt + MINUTE_MS);
    await until("the run to finish", async () => (await runStatus(run.id)) === "SUCCEEDED", 10 * MINUTE_MS);
    const finished = await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(finished.status).toBe("SUCCEEDED");
    expect(finished.fetchedCount).toBe(3 + practice.currentJobs().length);
    // Nothing was called before the reset.
    const resumed = h.xpm.caps.log.filter((c) => c.tenantId === remoteTenantId && c.seq > refused[0]!.seq);
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.every((c) => c.startedAt >= deferredUntil)).toBe(true);
  });
});
