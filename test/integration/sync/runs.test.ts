import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../../src/graphql/ids.ts";
import {
  CancelSyncRunMutation,
  ConnectIntegrationMutation,
  SyncRunQuery,
  TriggerSyncMutation,
  UpdateTenantSettingsMutation,
} from "../../operations.ts";
import { connectedXpm, type EngineHarness, startEngineHarness, until } from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";

/** Starting, deduplicating, cancelling and scheduling pull runs. A "minute" is 20 ms: 10 minutes are 200 ms. */
const MINUTE_MS = 20;
/** How long a test waits for the engine: generous, as files run side by side (nothing here is timed). */
const WAIT_MS = 20_000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  // Calls are abandoned only after 30 s, so a call the sandbox holds stays held until the test lets it go.
  h = await startEngineHarness({ minuteMs: MINUTE_MS, env: { SYNCLINE_CALL_TIMEOUT_MS: "30000" } });
  tenant = await h.t.createTenant("Runs");
});
afterAll(() => h.close());

const status = (id: string) =>
  h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id } }).then((run) => run.status);
const localId = (global: string) => Buffer.from(global, "base64").toString().split(":")[1]!;

describe("triggerSync and cancelSyncRun", () => {
  it("returns the queued run at once, runs it in the background, and logs what it did", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { clients: 8, jobs: 3, staff: 2, timeEntries: 5 },
      syncMode: "ONE_OFF",
    });
    const id = globalId("Integration", integration.id);
    // The platform holds the run's first call until the test lets it go: the run cannot finish before
    // the second trigger.
    h.xpm.caps.injectFaults(remoteTenantId, { kind: "timeout" });
    const { triggerSync } = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: id, kind: "FORCE" } },
      tenant.admin,
    );
    if (triggerSync.__typename !== "TriggerSyncPayload") throw new Error(triggerSync.message);
    expect(triggerSync).toMatchObject({
      alreadyQueued: false,
      syncRun: { kind: "FORCE", lane: "DAILY", trigger: "USER", requestedBy: { name: "Admin" } },
    });
    const again = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: id, kind: "FORCE" } },
      tenant.owner,
    );
    // While it is queued or running, a second trigger returns the same run.
    expect(again.triggerSync).toMatchObject({ alreadyQueued: true, syncRun: { id: triggerSync.syncRun.id } });
    const runId = localId(triggerSync.syncRun.id);
    expect(["QUEUED", "RUNNING"]).toContain(await status(runId));
    await until(
      "the run's first call held",
      () => h.xpm.caps.log.some((c) => c.tenantId === remoteTenantId && c.endedAt === null),
      WAIT_MS,
    );
    // Let it go unanswered: the run sends it again and goes on.
    h.xpm.caps.releaseHeld();

    await until("the forced run", async () => (await status(runId)) === "SUCCEEDED", WAIT_MS);
    const { syncRun } = await h.t.data(SyncRunQuery, { id: triggerSync.syncRun.id }, tenant.viewer);
    if (syncRun.__typename !== "SyncRun") throw new Error(syncRun.__typename);
    const lines = syncRun.logs.edges.map((e) => e.node.message);
    expect(lines[0]).toBe("Pulling client, job, staff, time");
    expect(lines).toContain(`client: fetched 8, created 8, updated 0, unchanged 0`);
    expect(lines).toContain(
      `job: fetched ${practice.currentJobs().length}, created ${practice.currentJobs().length}, updated 0, unchanged 0`,
    );
    expect(lines.at(-1)).toBe("Run succeeded");
    // Per entity: all done, with what each pulled.
    expect(syncRun.entities.map((e) => [e.entity, e.state, e.fetched, e.created])).toEqual([
      ["client", "DONE", 8, 8],
      ["job", "DONE", practice.currentJobs().length, practice.currentJobs().length],
      ["staff", "DONE", 2, 2],
      ["time", "DONE", 5, 5],
    ]);

    // Nothing changed remotely: a second forced run rewrites nothing.
    const second = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: id, kind: "FORCE" } },
      tenant.admin,
    );
    if (second.triggerSync.__typename !== "TriggerSyncPayload") throw new Error(second.triggerSync.message);
    expect(second.triggerSync.alreadyQueued).toBe(false);
    const secondId = localId(second.triggerSync.syncRun.id);
    await until("the second run", async () => (await status(secondId)) === "SUCCEEDED", WAIT_MS);
    const rerun = await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: secondId } });
    expect(rerun).toMatchObject({ createdCount: 0, updatedCount: 0, deletedCount: 0 });
    expect(rerun.skippedCount).toBe(rerun.fetchedCount);
  });

  it("lets no VIEWER trigger, refuses disconnected integrations, and cancels a queued run", async () => {
    const { integration } = await connectedXpm(h, { tenantId: tenant.id, syncMode: "ONE_OFF" });
    const id = globalId("Integration", integration.id);
    const viewer = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: id, kind: "DAILY" } },
      tenant.viewer,
    );
    expect(viewer.triggerSync.__typename).toBe("ForbiddenError");
    const wrongKind = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: id, kind: "NIGHTLY" } },
      tenant.admin,
    );
    expect(wrongKind.triggerSync).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["input", "kind"] }],
    });

    await h.t.app.db.prisma.integration.update({ where: { id: integration.id }, data: { status: "PAUSED" } });
    const paused = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: id, kind: "DAILY" } },
      tenant.admin,
    );
    expect(paused.triggerSync).toMatchObject({ __typename: "InvalidStateError", currentState: "PAUSED" });

    // A run queued while paused waits; cancelling it ends it.
    const run = await h.t.app.db.prisma.syncRun.create({
      data: {
        tenantId: tenant.id,
        integrationId: integration.id,
        kind: "DAILY",
        trigger: "USER",
        lane: "DAILY",
      },
    });
    const { cancelSyncRun } = await h.t.data(
      CancelSyncRunMutation,
      { id: globalId("SyncRun", run.id) },
      tenant.admin,
    );
    expect(cancelSyncRun).toMatchObject({ syncRun: { status: "CANCELLED" } });
    const twice = await h.t.data(CancelSyncRunMutation, { id: globalId("SyncRun", run.id) }, tenant.admin);
    expect(twice.cancelSyncRun).toMatchObject({ __typename: "InvalidStateError", currentState: "CANCELLED" });
  });
});

describe("one-off sync", () => {
  it("pulls opening balances on connect, disconnects, and refuses to sync until reconnected", async () => {
    const oneOffTenant = await h.t.createTenant("One-off");
    await h.t.data(UpdateTenantSettingsMutation, { input: { oneOffSync: true } }, oneOffTenant.admin);
    h.xpm.addPractice("one-off-practice", { clients: 4, jobs: 2 });
    const { connectIntegration } = await h.t.data(
      ConnectIntegrationMutation,
      {
        input: {
          platform: "XPM",
          name: "Once",
          remoteTenantId: "one-off-practice",
          credentials: { accessToken: "token" },
        },
      },
      oneOffTenant.owner,
    );
    if (connectIntegration.__typename !== "IntegrationPayload") throw new Error(connectIntegration.message);
    expect(connectIntegration.integration.syncMode).toBe("ONE_OFF");
    const integrationId = localId(connectIntegration.integration.id);
    await until(
      "the initial sync and the disconnect",
      async () =>
        (await h.t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: integrationId } })).status ===
        "DISCONNECTED",
      WAIT_MS,
    );
    expect(await status(localId(connectIntegration.syncRun!.id))).toBe("SUCCEEDED");
    expect(await h.t.app.db.prisma.syncedRecord.count({ where: { integrationId, entity: "client" } })).toBe(
      4,
    );

    const refused = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: connectIntegration.integration.id, kind: "FORCE" } },
      oneOffTenant.admin,
    );
    expect(refused.triggerSync).toMatchObject({
      __typename: "InvalidStateError",
      currentState: "DISCONNECTED",
    });
  });
});

describe("schedules", () => {
  it("queues FREQUENT runs every 10 minutes for continuous integrations, none for one-off ones", async () => {
    const continuous = await connectedXpm(h, { tenantId: tenant.id, seed: { staff: 2, timeEntries: 3 } });
    const oneOff = await connectedXpm(h, { tenantId: tenant.id, syncMode: "ONE_OFF" });
    await until(
      "two scheduled FREQUENT runs",
      async () =>
        (await h.t.app.db.prisma.syncRun.count({
          where: { integrationId: continuous.integration.id, kind: "FREQUENT", status: "SUCCEEDED" },
        })) >= 2,
      WAIT_MS,
    );
    const runs = await h.t.app.db.prisma.syncRun.findMany({
      where: { integrationId: continuous.integration.id },
      orderBy: { queuedAt: "asc" },
    });
    expect(
      runs.every((run) => run.kind === "FREQUENT" && run.trigger === "SCHEDULE" && run.lane === "FREQUENT"),
    ).toBe(true);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.queuedAt.getTime() - runs[i - 1]!.queuedAt.getTime()).toBeGreaterThanOrEqual(
        10 * MINUTE_MS,
      );
    }
    expect(await h.t.app.db.prisma.syncRun.count({ where: { integrationId: oneOff.integration.id } })).toBe(
      0,
    );
  });
});
